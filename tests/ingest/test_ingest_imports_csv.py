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
