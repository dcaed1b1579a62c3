"""Historical imports of CSV files: columns to results, errors by line and column, resume."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.requests import ClientDisconnect

from talentflow.common.auth import Role
from talentflow.devstack.testing import service_settings_env as settings_env
from talentflow.ingest.config import Settings

HEADER = [
    "result_id",
    "job_id",
    "candidate_external_id",
    "candidate_name",
    "candidate_email",
    "candidate_locale",
    "interviewed_at",
    "overall_score",
    "competency.communication",
    "competency.logic",
    "count.customer_cases",
    "biometric.smile_count",
    "evidence",
    "report_url",
]


@pytest.fixture
def settings(ingest_database_url: str, kafka: tuple[str, bool]) -> Settings:
    env = settings_env(database_url=ingest_database_url, kafka=kafka)
    return Settings(**env, import_chunk_rows=2)


@pytest.fixture
async def vendor(h) -> tuple[uuid.UUID, uuid.UUID]:
    tenant = await h.tenant("US", "allow")
    vendor_id, _ = await h.vendor(tenant)
    return tenant, vendor_id


def row(**cells: Any) -> dict[str, Any]:
    """A valid CSV row as {column: value}; `cells` replace columns."""
    values: dict[str, Any] = {
        "result_id": f"res-{uuid.uuid4().hex[:10]}",
        "job_id": str(uuid.uuid4()),
        "candidate_external_id": f"ats-{uuid.uuid4().hex[:10]}",
        "candidate_name": "Lovelace, Ada",
        "candidate_email": "ada@example.com",
        "candidate_locale": "en",
        "interviewed_at": "2026-03-01T10:15:00+08:00",
        "overall_score": "81",
        "competency.communication": "88",
        "competency.logic": "74.5",
        "count.customer_cases": "3",
        "biometric.smile_count": "14",
        "evidence": "",
        "report_url": "https://vendor.example/r/1",
    }
    values.update(cells)
    return values


def csv_body(*rows: dict[str, Any] | list[str], header: list[str] = HEADER) -> bytes:
    """A CSV file as spreadsheets write it (CRLF line ends, quotes where needed)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(c, "") for c in header] if isinstance(r, dict) else r)
    return out.getvalue().encode()


async def upload(h, owner, body: bytes | AsyncIterator[bytes], key: str | None = None):
    tenant, vendor_id = owner
    headers = {**h.auth(tenant), "content-type": "text/csv; charset=utf-8"}
    if key:
        headers["Idempotency-Key"] = key
    response: httpx.Response = await h.client.post(
        "/v1/imports", params={"vendor_id": str(vendor_id)}, content=body, headers=headers
    )
    return response


def counts(summary: dict[str, Any]) -> tuple[int, ...]:
    keys = ("lines", "rows", "accepted", "corrected", "duplicates", "failed", "error_count")
    return tuple(summary[k] for k in keys)


class TestCsvImport:
    async def test_columns_become_the_normalized_result(self, h, vendor) -> None:
        evidence = [{"competency": "logic", "quote": "First this,\nthen that", "at_seconds": 12.5}]
        rich = row(evidence=json.dumps(evidence, indent=1))  # a value over several lines
        sparse = row(
            candidate_name="",
            candidate_email="",
            overall_score="",
            **{"competency.logic": "", "count.customer_cases": "", "biometric.smile_count": ""},
        )

        response = await upload(h, vendor, csv_body(rich, sparse, row()))

        assert response.status_code == 201, response.text
        # header + 3 rows, one of them 7 lines long (a quoted value with line breaks)
        assert counts(response.json()) == (10, 3, 3, 0, 0, 0, 0)
        hr = h.auth(vendor[0], Role.HR)
        stored = {
            r["vendor_result_id"]: r["id"]
            for r in await h.rows(
                "SELECT id, vendor_result_id FROM ingest.results WHERE vendor_id = :v",
                v=vendor[1],
            )
        }
        one = (await h.client.get(f"/v1/results/{stored[rich['result_id']]}", headers=hr)).json()
        assert one["candidate"] == {
            "external_id": rich["candidate_external_id"],
            "name": "Lovelace, Ada",
            "email": "ada@example.com",
            "locale": "en",
        }
        assert one["job_id"] == rich["job_id"] and one["overall_score"] == 81
        assert one["competencies"] == {"communication": 88, "logic": 74.5}
        assert one["counts"] == {"customer_cases": 3}
        assert one["biometrics"] == {"smile_count": 14}
        assert one["evidence"] == evidence
        assert one["format"] == "talentflow.v1"
        two = (await h.client.get(f"/v1/results/{stored[sparse['result_id']]}", headers=hr)).json()
        assert (two["candidate"]["name"], two["candidate"]["email"]) == (None, None)
        assert two["overall_score"] is None and two["counts"] == {} and two["biometrics"] is None
        assert two["competencies"] == {"communication": 88}

    async def test_errors_name_the_line_and_the_column(self, h, vendor) -> None:
        body = csv_body(
            row(),
            row(candidate_email="ada(at)example", **{"competency.logic": "high"}),
            row(**{"count.customer_cases": "1.5", "evidence": "[not json"}),
            ["only", "three", "values"],
            row(),
        )

        response = await upload(h, vendor, body)

        summary = response.json()
        assert counts(summary) == (6, 5, 2, 0, 0, 3, 5)
        assert [(e["line"], e["field"], e["type"]) for e in summary["first_errors"]] == [
            (3, "candidate_email", "email"),
            (3, "competency.logic", "float_type"),
            (4, "evidence", "json_invalid"),
            (4, "count.customer_cases", "int_type"),
            (5, "", "csv_width"),
        ]
        assert b"ada(at)" not in response.content and b"high" not in response.content

    async def test_a_number_too_long_to_read_is_an_error_of_its_column(self, h, vendor) -> None:
        """An integer of more digits than Python converts (4300) is its column's error."""
        huge = "9" * 5000
        body = csv_body(
            row(overall_score=huge),
            row(**{"count.customer_cases": huge, "competency.logic": huge}),
            row(**{"count.customer_cases": "9" * 4300}),  # read, and out of range
            row(),
        )

        response = await upload(h, vendor, body, key="huge")

        assert response.status_code == 201, response.text
        summary = response.json()
        assert summary["status"] == "completed"
        assert counts(summary) == (5, 4, 1, 0, 0, 3, 4)
        assert [(e["line"], e["field"], e["type"]) for e in summary["first_errors"]] == [
            (2, "overall_score", "number_too_long"),
            (3, "competency.logic", "number_too_long"),
            (3, "count.customer_cases", "number_too_long"),
            (4, "count.customer_cases", "less_than_equal"),
        ]
        assert huge[:50].encode() not in response.content

    async def test_json_nested_deeper_than_a_webhook_body_is_an_error_of_its_column(
        self, h, vendor
    ) -> None:
        deep = "[" * 700 + "]" * 700

        response = await upload(h, vendor, csv_body(row(evidence=deep), row()))

        assert response.status_code == 201, response.text
        assert counts(response.json()) == (3, 2, 1, 0, 0, 1, 1)
        ((field, kind, message),) = [
            (e["field"], e["type"], e["message"]) for e in response.json()["first_errors"]
        ]
        assert (field, kind) == ("evidence", "json_invalid") and "200 levels" in message

    async def test_an_unclosed_quote_is_reported_where_it_starts(self, h, vendor) -> None:
        body = csv_body(row()) + b'x,"never closed\r\nmore\r\n'

        response = await upload(h, vendor, body)

        assert counts(response.json()) == (4, 2, 1, 0, 0, 1, 1)
        ((line, kind),) = [(e["line"], e["type"]) for e in response.json()["first_errors"]]
        assert (line, kind) == (3, "csv_row")

    async def test_a_spreadsheet_byte_order_mark_is_ignored(self, h, vendor) -> None:
        response = await upload(h, vendor, b"\xef\xbb\xbf" + csv_body(row()))

        assert response.status_code == 201
        assert counts(response.json()) == (2, 1, 1, 0, 0, 0, 0)

    async def test_a_bad_header_is_422_naming_each_column_and_stores_nothing(
        self, h, vendor
    ) -> None:
        header = ["result_id", "job_id", "candidate_external_id", "salary", "job_id", "count.X"]

        response = await upload(h, vendor, csv_body(header=header))

        assert response.status_code == 422
        assert response.json()["type"].endswith("/invalid-csv-header")
        assert [e["field"] for e in response.json()["errors"]] == [
            "salary",
            "job_id",
            "count.X",
            "interviewed_at",
        ]
        assert await h.rows("SELECT id FROM ingest.imports WHERE vendor_id = :v", v=vendor[1]) == []

    async def test_an_interrupted_csv_upload_resumes(self, h, vendor) -> None:
        body = csv_body(*(row() for _ in range(5)))

        async def breaking() -> AsyncIterator[bytes]:
            for line in body.splitlines(keepends=True)[:5]:  # header + 4 rows
                yield line
            raise ClientDisconnect()

        broken = await upload(h, vendor, breaking(), key="sheet-1")
        resumed = await upload(h, vendor, body, key="sheet-1")

        assert broken.status_code == 400
        assert resumed.status_code == 200
        assert counts(resumed.json()) == (6, 5, 5, 0, 0, 0, 0)
        stored = await h.rows(
            "SELECT version FROM ingest.results WHERE vendor_id = :v", v=vendor[1]
        )
        assert [r["version"] for r in stored] == [1] * 5


# A tenant's mapping for a spreadsheet exported from an earlier vendor: column names with
# spaces, scores on 1-5 and 0-10, a JSON cell of highlights.
SHEET_MAPPING: dict[str, Any] = {
    "default_scale": "1-5",
    "fields": {
        "result_id": '"Result ID"',
        "job_id": "Requisition",
        "candidate": {"external_id": '"Candidate ID"', "name": "Name", "email": "Email"},
        "interviewed_at": "Finished",
        "overall_score": {"expr": '"Total (0-10)"', "scale": "0-10"},
        "competencies": {"communication": "Communication", "logic": "Logic"},
        "counts": {"customer_cases": '"Customer cases"'},
        "evidence": {"items": "Highlights", "quote": "text", "competency": "skill"},
        "biometrics": {"smile_count": "Smiles"},
    },
}
SHEET_HEADER = [
    "Result ID",
    "Requisition",
    "Candidate ID",
    "Name",
    "Email",
    "Finished",
    "Total (0-10)",
    "Communication",
    "Logic",
    "Customer cases",
    "Highlights",
    "Smiles",
    "Recruiter notes",  # read by no field: ignored
]


def sheet_row(**cells: Any) -> dict[str, Any]:
    """A valid row of the spreadsheet as {column: value}; `cells` replace columns."""
    values: dict[str, Any] = {
        "Result ID": f"r-{uuid.uuid4().hex[:10]}",
        "Requisition": str(uuid.uuid4()),
        "Candidate ID": f"c-{uuid.uuid4().hex[:10]}",
        "Name": "Hopper, Grace",
        "Email": "grace@example.com",
        "Finished": "2024-05-02T09:30:00Z",
        "Total (0-10)": "8.5",
        "Communication": "4",
        "Logic": "5",
        "Customer cases": "2",
        "Highlights": json.dumps([{"skill": "logic", "text": "Split the outage into three"}]),
        "Smiles": "11",
        "Recruiter notes": "strong",
    }
    values.update(cells)
    return values


async def sheet_vendor(h, jurisdiction: str = "US", policy: str = "allow"):
    tenant = await h.tenant(jurisdiction, policy)
    response = await h.client.post(
        "/v1/vendors",
        json={"name": "Old vendor", "format": "mapping.v1", "mapping": SHEET_MAPPING},
        headers=h.auth(tenant),
    )
    assert response.status_code == 201, response.text
    return tenant, uuid.UUID(response.json()["id"])


class TestCsvImportThroughAMapping:
    """A vendor with a declarative mapping: any columns, read by its mapping."""

    async def test_the_mapping_reads_the_columns_by_name(self, h) -> None:
        owner = await sheet_vendor(h)
        full = sheet_row()
        sparse = sheet_row(Name="", Email="", Logic="", Highlights="", Smiles="")

        response = await upload(h, owner, csv_body(full, sparse, header=SHEET_HEADER))

        assert response.status_code == 201, response.text
        assert counts(response.json()) == (3, 2, 2, 0, 0, 0, 0)
        hr = h.auth(owner[0], Role.HR)
        stored = {
            r["vendor_result_id"]: r
            for r in await h.rows(
                "SELECT id, vendor_result_id, candidate_id, raw_payload_enc"
                " FROM ingest.results WHERE vendor_id = :v",
                v=owner[1],
            )
        }
        first = stored[full["Result ID"]]
        one = (await h.client.get(f"/v1/results/{first['id']}", headers=hr)).json()
        assert one["format"] == "mapping.v1"
        assert one["candidate"]["external_id"] == full["Candidate ID"]
        assert (one["candidate"]["name"], one["candidate"]["email"]) == (
            "Hopper, Grace",
            "grace@example.com",
        )
        assert one["job_id"] == full["Requisition"]
        assert one["overall_score"] == 85  # 8.5 on 0-10
        assert one["competencies"] == {"communication": 75, "logic": 100}  # on 1-5
        assert one["counts"] == {"customer_cases": 2}
        assert one["evidence"] == [
            {"competency": "logic", "quote": "Split the outage into three", "at_seconds": None}
        ]
        assert one["biometrics"] == {"smile_count": 11}
        # The archive is the row as the mapping read it: its cells by column name.
        archived = json.loads(await h.decrypt(first["candidate_id"], first["raw_payload_enc"]))
        assert archived["Recruiter notes"] == "strong" and archived["Total (0-10)"] == "8.5"
        assert archived["Highlights"] == json.loads(full["Highlights"])
        two = await h.client.get(f"/v1/results/{stored[sparse['Result ID']]['id']}", headers=hr)
        assert two.json()["candidate"]["name"] is None
        assert two.json()["competencies"] == {"communication": 75}
        assert two.json()["evidence"] == [] and two.json()["biometrics"] is None

    async def test_errors_name_the_column(self, h) -> None:
        owner = await sheet_vendor(h)
        body = csv_body(
            sheet_row(Communication="lots"),
            sheet_row(**{"Candidate ID": ""}),
            sheet_row(),
            header=SHEET_HEADER,
        )

        response = await upload(h, owner, body)

        summary = response.json()
        assert counts(summary) == (4, 3, 1, 0, 0, 2, 2)
        errors = [(e["line"], e["field"]) for e in summary["first_errors"]]
        assert errors == [(2, "Communication"), (3, "Candidate ID")]
        assert b"lots" not in response.content

    async def test_under_policy_drop_the_biometric_column_is_not_archived(self, h) -> None:
        owner = await sheet_vendor(h, "EU", "drop")

        response = await upload(h, owner, csv_body(sheet_row(), header=SHEET_HEADER))

        assert counts(response.json()) == (2, 1, 1, 0, 0, 0, 0)
        (stored,) = await h.rows(
            "SELECT candidate_id, raw_payload_enc FROM ingest.results WHERE vendor_id = :v",
            v=owner[1],
        )
        archived = json.loads(await h.decrypt(stored["candidate_id"], stored["raw_payload_enc"]))
        assert "Smiles" not in archived and archived["Communication"] == "4"

    async def test_a_json_cell_nested_too_deep_is_an_error_of_its_column(self, h) -> None:
        """Under policy drop the row is redacted for its archive, which walks its JSON cells:
        one nested deeper than a webhook body may be is refused, as a webhook body would be."""
        owner = await sheet_vendor(h, "EU", "drop")
        deep = "[" * 700 + "]" * 700
        body = csv_body(sheet_row(**{"Recruiter notes": deep}), sheet_row(), header=SHEET_HEADER)

        response = await upload(h, owner, body)

        assert response.status_code == 201, response.text
        summary = response.json()
        assert summary["status"] == "completed"
        assert counts(summary) == (3, 2, 1, 0, 0, 1, 1)
        assert [(e["line"], e["field"], e["type"]) for e in summary["first_errors"]] == [
            (2, "Recruiter notes", "json_invalid")
        ]

    async def test_a_header_without_a_column_the_mapping_requires_is_422(self, h) -> None:
        owner = await sheet_vendor(h)
        header = [c for c in SHEET_HEADER if c not in ("Candidate ID", "Finished")]
        header += ["Logic", " "]

        response = await upload(h, owner, csv_body(header=header))

        assert response.status_code == 422
        assert response.json()["type"].endswith("/invalid-csv-header")
        problems = {e["field"]: e["message"] for e in response.json()["errors"]}
        assert problems == {
            "Logic": "this column appears twice",
            f"column {len(header)}": "a column has no name",
            "Candidate ID": "the vendor's mapping reads candidate.external_id from this column",
            "Finished": "the vendor's mapping reads interviewed_at from this column",
        }
        assert await h.rows("SELECT id FROM ingest.imports WHERE vendor_id = :v", v=owner[1]) == []

    async def test_the_talentflow_v1_columns_are_not_what_a_mapping_reads(self, h) -> None:
        owner = await sheet_vendor(h)

        response = await upload(h, owner, csv_body(row()))  # the talentflow.v1 header

        assert response.status_code == 422
        fields = {e["field"] for e in response.json()["errors"]}
        assert fields == {"Result ID", "Requisition", "Candidate ID", "Finished"}


class TestNamedLayout:
    def test_cells_by_name_json_cells_parsed_empty_cells_absent(self) -> None:
        from talentflow.ingest.imports.csvfile import NamedLayout

        layout = NamedLayout(["a", "b", "c", "d", "e", "f"], required={})
        cells = ["  x  ", "", '{"k": [1, 2]}', "[not json", "[1] and more", '["\\ud800", NaN]']

        document, errors = layout.document(cells)

        assert errors == []
        assert {k: v for k, v in document.items() if k != "f"} == {
            "a": "x",
            "c": {"k": [1, 2]},
            "d": "[not json",
            "e": "[1] and more",
        }
        assert repr(document["f"]) == repr(["\ud800", float("nan")])  # as json.loads reads it
        assert layout.column_of("Candidate ID") == "Candidate ID"


def csv_text(*rows: dict[str, Any], header: list[str]) -> str:
    return csv_body(*rows, header=header).decode()


class TestCsvDryRun:
    """A CSV sample dry-run: a header and a record, read as the import would read them."""

    async def dry_run(self, h, owner, **body: Any) -> httpx.Response:
        tenant, vendor_id = owner
        return await h.client.post(
            f"/v1/vendors/{vendor_id}/dry-run", json=body, headers=h.auth(tenant)
        )

    async def test_a_mapping_vendors_row_is_mapped_by_its_columns(self, h) -> None:
        owner = await sheet_vendor(h)
        sample = csv_text(sheet_row(), sheet_row(Logic="oops"), header=SHEET_HEADER)

        response = await self.dry_run(h, owner, csv_sample=sample)

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["ok"] is True  # the first record only
        assert body["result"]["competencies"] == {"communication": 75, "logic": 100}
        assert body["result"]["overall_score"] == 85
        assert body["result"]["candidate"]["email"] == "grace@example.com"
        assert await h.rows("SELECT id FROM ingest.results WHERE vendor_id = :v", v=owner[1]) == []

    async def test_errors_name_the_column_or_the_header(self, h) -> None:
        owner = await sheet_vendor(h)
        bad_cell = csv_text(sheet_row(Communication="lots"), header=SHEET_HEADER)
        header = [c for c in SHEET_HEADER if c != "Candidate ID"]
        bad_header = csv_text(sheet_row(), header=header)

        cell = (await self.dry_run(h, owner, csv_sample=bad_cell)).json()
        head = (await self.dry_run(h, owner, csv_sample=bad_header)).json()
        empty = (await self.dry_run(h, owner, csv_sample=",".join(SHEET_HEADER))).json()

        assert cell["ok"] is False and [e["field"] for e in cell["errors"]] == ["Communication"]
        assert head["ok"] is False
        assert [(e["field"], e["type"]) for e in head["errors"]] == [("Candidate ID", "csv_header")]
        assert [(e["field"], e["type"]) for e in empty["errors"]] == [("csv_sample", "csv_row")]

    async def test_a_built_in_format_vendor_takes_the_talentflow_v1_columns(
        self, h, vendor
    ) -> None:
        ok = await self.dry_run(h, vendor, csv_sample=csv_text(row(), header=HEADER))
        bad = await self.dry_run(
            h, vendor, csv_sample=csv_text(row(candidate_email="ada(at)example"), header=HEADER)
        )

        assert ok.json()["ok"] is True
        assert ok.json()["result"]["competencies"] == {"communication": 88, "logic": 74.5}
        assert [e["field"] for e in bad.json()["errors"]] == ["candidate_email"]

    async def test_a_byte_order_mark_is_ignored_as_by_an_import(self, h, vendor) -> None:
        owner = await sheet_vendor(h)

        v1 = await self.dry_run(h, vendor, csv_sample="\ufeff" + csv_text(row(), header=HEADER))
        sheet = await self.dry_run(
            h, owner, csv_sample="\ufeff" + csv_text(sheet_row(), header=SHEET_HEADER)
        )

        assert v1.json()["ok"] is True, v1.text
        assert sheet.json()["ok"] is True, sheet.text

    async def test_a_number_too_long_to_read_is_an_error_of_its_column(self, h, vendor) -> None:
        huge = "9" * 5000
        sample = csv_text(row(overall_score=huge, **{"count.customer_cases": huge}), header=HEADER)

        saved = await self.dry_run(h, vendor, csv_sample=sample)
        unsaved = await h.client.post(
            "/v1/mappings/dry-run",
            json={"format": "talentflow.v1", "csv_sample": sample},
            headers=h.auth(vendor[0]),
        )

        for response in (saved, unsaved):
            assert response.status_code == 200, response.text
            assert response.json()["ok"] is False
            assert [(e["field"], e["type"]) for e in response.json()["errors"]] == [
                ("overall_score", "number_too_long"),
                ("count.customer_cases", "number_too_long"),
            ]

    async def test_a_json_cell_nested_too_deep_is_an_error_of_its_column(self, h) -> None:
        owner = await sheet_vendor(h, "EU", "drop")
        deep = "[" * 700 + "]" * 700

        sample = csv_text(sheet_row(**{"Recruiter notes": deep}), header=SHEET_HEADER)

        response = await self.dry_run(h, owner, csv_sample=sample)

        assert response.status_code == 200, response.text
        assert [(e["field"], e["type"]) for e in response.json()["errors"]] == [
            ("Recruiter notes", "json_invalid")
        ]

    async def test_one_sample_exactly(self, h, vendor) -> None:
        both = await self.dry_run(h, vendor, sample={}, csv_sample="a,b\n1,2")
        neither = await self.dry_run(h, vendor)

        assert both.status_code == neither.status_code == 422
        assert [e["field"] for e in both.json()["errors"]] == ["csv_sample"]
        assert [e["field"] for e in neither.json()["errors"]] == ["sample"]
