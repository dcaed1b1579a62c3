"""Historical imports over HTTP: NDJSON, errors by line and field, idempotency, resume."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.requests import ClientDisconnect

from talentflow.common.auth import Role
from talentflow.common.errors import ServiceError
from talentflow.common.events import (
    INTERVIEW_RESULTS,
    InterviewResultCorrected,
    InterviewResultReceived,
)
from talentflow.devstack.testing import service_settings_env as settings_env
from talentflow.ingest import normalize
from talentflow.ingest.config import Settings
from talentflow.ingest.formats.base import MAX_DEPTH, TooDeep
from talentflow.ingest.formats.registry import built_in
from talentflow.ingest.imports.parsing import load_json
from talentflow.ingest.models import ScoreScale, VendorFormat

FIXTURES = Path(__file__).parent / "fixtures"
NDJSON = "application/x-ndjson"
CHUNK_ROWS = 4
MAX_LINE = 4096


@pytest.fixture
def settings(ingest_database_url: str, kafka: tuple[str, bool]) -> Settings:
    """Small chunks, so a few rows cross several checkpoints."""
    env = settings_env(database_url=ingest_database_url, kafka=kafka)
    return Settings(**env, import_chunk_rows=CHUNK_ROWS, import_max_line_bytes=MAX_LINE)


@pytest.fixture
async def vendor(h) -> tuple[uuid.UUID, uuid.UUID]:
    """(tenant, vendor) of a US tenant whose policy keeps facial/voice metrics usable."""
    tenant = await h.tenant("US", "allow")
    vendor_id, _ = await h.vendor(tenant)
    return tenant, vendor_id


def ndjson(*documents: dict[str, Any] | str) -> bytes:
    return b"".join(
        (d if isinstance(d, str) else json.dumps(d)).encode() + b"\n" for d in documents
    )


async def upload(
    h,
    owner: tuple[uuid.UUID, uuid.UUID],
    body: bytes | AsyncIterator[bytes],
    *,
    key: str | None = None,
    content_type: str = NDJSON,
    roles: tuple[Role, ...] = (Role.HR_ADMIN,),
) -> httpx.Response:
    tenant, vendor_id = owner
    headers = {**h.auth(tenant, *roles), "content-type": content_type}
    if key is not None:
        headers["Idempotency-Key"] = key
    return await h.client.post(
        "/v1/imports", params={"vendor_id": str(vendor_id)}, content=body, headers=headers
    )


async def pieces(body: bytes, size: int) -> AsyncIterator[bytes]:
    """The body in small pieces, as a slow network delivers it."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def breaking_after(body: bytes, lines: int) -> AsyncIterator[bytes]:
    """The body line by line until `lines`, then the client goes away."""
    for line in body.splitlines(keepends=True)[:lines]:
        yield line
    raise ClientDisconnect()


async def results_of(h, vendor_id: uuid.UUID) -> list[dict[str, Any]]:
    return await h.rows(
        "SELECT id, version, vendor_result_id, origin FROM ingest.results WHERE vendor_id = :v "
        "ORDER BY vendor_result_id, version",
        v=vendor_id,
    )


async def outbox_of(h, vendor_id: uuid.UUID) -> list[dict[str, Any]]:
    return await h.rows(
        "SELECT o.event_type FROM ingest.outbox o JOIN ingest.results r "
        "ON o.subject = 'results/' || r.id::text AND r.version = 1 WHERE r.vendor_id = :v",
        v=vendor_id,
    )


def counts(summary: dict[str, Any]) -> tuple[int, ...]:
    keys = ("lines", "rows", "accepted", "corrected", "duplicates", "failed", "error_count")
    return tuple(summary[k] for k in keys)


class TestNdjsonImport:
    async def test_every_row_is_stored_once_with_origin_import(self, h, vendor, events) -> None:
        payloads = [h.payload() for _ in range(10)]

        response = await upload(h, vendor, ndjson(*payloads))

        assert response.status_code == 201, response.text
        summary = response.json()
        assert summary["status"] == "completed" and summary["format"] == "ndjson"
        assert counts(summary) == (10, 10, 10, 0, 0, 0, 0)
        assert summary["first_errors"] == [] and summary["completed_at"] is not None
        stored = await results_of(h, vendor[1])
        assert sorted(r["vendor_result_id"] for r in stored) == sorted(
            p["result_id"] for p in payloads
        )
        assert {(r["version"], r["origin"]) for r in stored} == {(1, "import")}
        published = await events(INTERVIEW_RESULTS, 10, vendor[1])
        assert len(published) == 10
        assert all(isinstance(e.event, InterviewResultReceived) for e in published)
        assert {e.event.origin for e in published} == {"import"}

    async def test_a_file_larger_than_any_other_request_may_be_is_imported(self, h, vendor) -> None:
        # Blank lines cost nothing to import: the body is 3 MiB, over the 2 MiB that a
        # dry-run or a vendor's settings may have (api_max_body_bytes).
        body = ndjson(h.payload()) + b"\n" * (3 * 2**20) + ndjson(h.payload())

        response = await upload(h, vendor, body)

        assert response.status_code == 201, response.text
        assert counts(response.json())[1:3] == (2, 2)

    async def test_each_line_is_archived_as_sent(self, h, vendor) -> None:
        """Lines are validated from their bytes (as webhook bodies are) and archived as such,
        whatever their spacing, key order or line break; a BOM and the break are not part of
        the line."""
        spaced = json.dumps(h.payload(), indent=None, sort_keys=True)
        compact = json.dumps(h.payload(), separators=(",", ":"), ensure_ascii=False)
        body = b"\xef\xbb\xbf" + spaced.encode() + b"\r\n" + compact.encode() + b"\n"

        response = await upload(h, vendor, body)

        assert counts(response.json()) == (2, 2, 2, 0, 0, 0, 0), response.text
        stored = await h.rows(
            "SELECT vendor_result_id, candidate_id, raw_payload_enc FROM ingest.results "
            "WHERE vendor_id = :v",
            v=vendor[1],
        )
        archived = {
            r["vendor_result_id"]: await h.decrypt(r["candidate_id"], r["raw_payload_enc"])
            for r in stored
        }
        assert archived == {
            json.loads(spaced)["result_id"]: spaced.encode(),
            json.loads(compact)["result_id"]: compact.encode(),
        }

    async def test_a_vendor_format_is_read_from_the_lines_and_its_errors_named_as_before(
        self, h
    ) -> None:
        """The adapter validates each line's bytes; a line it refuses is decoded and named
        field by field exactly as the decoded document's validation names it."""
        tenant = await h.tenant("US", "allow")
        response = await h.client.post(
            "/v1/vendors",
            json={"name": "HR Open", "format": "hr-open.v1", "score_scale": "0-10"},
            headers=h.auth(tenant),
        )
        owner = (tenant, uuid.UUID(response.json()["id"]))
        good, bad = (
            json.loads((FIXTURES / "hr-open.v1" / f"{name}.json").read_bytes())
            for name in ("assessment-result", "invalid")
        )
        adapter = built_in(VendorFormat.HR_OPEN_V1, ScoreScale.ZERO_TO_TEN)
        with pytest.raises(ServiceError) as refused:
            adapter.from_document(bad)
        expected = [(3, e["field"], e["type"]) for e in refused.value.errors or []]

        summary = (await upload(h, owner, ndjson(good, "", bad), key="hr")).json()

        assert counts(summary) == (3, 2, 1, 0, 0, 1, len(expected)), summary
        errors = await h.client.get(
            f"/v1/imports/{summary['id']}/errors?limit=100", headers=h.auth(tenant)
        )
        assert [(e["line"], e["field"], e["type"]) for e in errors.json()["items"]] == expected
        (row,) = await h.rows(
            "SELECT candidate_id, raw_payload_enc FROM ingest.results WHERE vendor_id = :v",
            v=owner[1],
        )
        assert (
            await h.decrypt(row["candidate_id"], row["raw_payload_enc"])
            == json.dumps(good).encode()
        )

    async def test_bad_rows_are_reported_by_line_and_field_and_the_rest_imported(
        self, h, vendor
    ) -> None:
        missing = h.payload()
        del missing["candidate"]
        body = ndjson(
            h.payload(),
            h.payload(overall_score=150, candidate={"external_id": "x", "email": "nope"}),
            "{not json",
            "",
            h.payload(),
            "[1, 2]",
            missing,
        )

        response = await upload(h, vendor, body)

        assert response.status_code == 201
        summary = response.json()
        assert counts(summary) == (7, 6, 2, 0, 0, 4, 5)
        assert [(e["line"], e["field"], e["type"]) for e in summary["first_errors"]] == [
            (2, "candidate.email", "email"),
            (2, "overall_score", "less_than_equal"),
            (3, "", "json_invalid"),
            (6, "", "object_type"),
            (7, "candidate", "missing"),
        ]
        assert len(await results_of(h, vendor[1])) == 2
        page = await h.client.get(
            f"/v1/imports/{summary['id']}/errors?limit=2&offset=1", headers=h.auth(vendor[0])
        )
        assert page.status_code == 200
        assert page.json()["total"] == 5
        assert [(e["line"], e["field"]) for e in page.json()["items"]] == [
            (2, "overall_score"),
            (3, ""),
        ]

    async def test_a_line_too_long_is_its_own_error_and_the_last_line_needs_no_newline(
        self, h, vendor
    ) -> None:
        long = h.payload(evidence=[{"quote": "x" * 2000} for _ in range(3)])
        body = ndjson(h.payload(), long, h.payload()) + json.dumps(h.payload()).encode()

        response = await upload(h, vendor, pieces(body, 97))

        assert counts(response.json()) == (4, 4, 3, 0, 0, 1, 1)
        assert [(e["line"], e["type"]) for e in response.json()["first_errors"]] == [
            (2, "line_too_long")
        ]

    async def test_errors_hold_no_personal_data(self, h, vendor) -> None:
        row = h.payload(
            job_id="ghopper-is-no-uuid",
            candidate={
                "external_id": "ats-grace-77",
                "name": "Grace Hopper\u0007",
                "email": "grace.hopper@@navy",
                "locale": "xx-Grace",
            },
            report_url="http://grace.example/hopper",
        )

        response = await upload(h, vendor, ndjson(row))

        assert response.json()["failed"] == 1
        (stored,) = await h.rows(
            "SELECT id FROM ingest.imports WHERE id = :id", id=uuid.UUID(response.json()["id"])
        )
        errors = await h.rows(
            "SELECT * FROM ingest.import_errors WHERE import_id = :id", id=stored["id"]
        )
        assert {e["field"] for e in errors} == {
            "job_id",
            "candidate.name",
            "candidate.email",
            "candidate.locale",
            "report_url",
        }
        listed = await h.client.get(f"/v1/imports/{stored['id']}/errors", headers=h.auth(vendor[0]))
        for text in (h.all_bytes(errors), response.content, listed.content):
            for clear in (b"ghopper", b"Grace", b"grace", b"Hopper", b"ats-grace", b"navy"):
                assert clear not in text

    async def test_a_member_name_postgresql_cannot_hold_is_named_escaped(self, h, vendor) -> None:
        """A field names the row's member, whatever characters its name holds: control
        characters (NUL, which PostgreSQL text cannot hold, among them) are written out as
        JSON escapes."""
        body = ndjson(
            h.payload(),
            {**h.payload(), "a\u0000b": 1},
            h.payload(competencies={"logic\u0000\u0007": 50}),
        )

        response = await upload(h, vendor, body, key="odd-names")

        assert response.status_code == 201, response.text
        summary = response.json()
        assert summary["status"] == "completed"
        assert counts(summary) == (3, 3, 1, 0, 0, 2, 2)
        assert [(e["line"], e["field"], e["type"]) for e in summary["first_errors"]] == [
            (2, "a\\u0000b", "extra_forbidden"),
            (3, "competencies.logic\\u0000\\u0007.[key]", "string_pattern_mismatch"),
        ]
        assert len(await results_of(h, vendor[1])) == 1

    async def test_json_nested_deeper_than_a_webhook_body_is_a_line_error(self, h) -> None:
        """A line nested deeper than a webhook body may be is refused on its own (its policy
        would redact it, which walks it); the others are imported, lone surrogates too."""
        tenant = await h.tenant("EU", "drop")
        created = await h.client.post(
            "/v1/vendors",
            json={"name": "AI", "format": "ai-interview.v1", "score_scale": "0-10"},
            headers=h.auth(tenant),
        )
        owner = (tenant, uuid.UUID(created.json()["id"]))
        full = json.loads((FIXTURES / "ai-interview.v1" / "full.json").read_bytes())
        nested: Any = 1
        for _ in range(700):
            nested = [nested]
        lines = [
            {**full, "interview_id": "ivw-1"},
            {**full, "interview_id": "ivw-2", "x": nested},
            {**full, "interview_id": "ivw-3", "notes": "\udc00"},  # json.dumps: "\\udc00"
        ]

        response = await upload(h, owner, ndjson(*lines), key="deep")

        assert response.status_code == 201, response.text
        summary = response.json()
        assert summary["status"] == "completed"
        assert counts(summary) == (3, 3, 2, 0, 0, 1, 1)
        assert [(e["line"], e["field"], e["type"]) for e in summary["first_errors"]] == [
            (2, "", "json_invalid")
        ]
        assert str(MAX_DEPTH) in summary["first_errors"][0]["message"]
        stored = await results_of(h, owner[1])
        assert sorted(r["vendor_result_id"] for r in stored) == ["ivw-1", "ivw-3"]

    async def test_the_same_file_again_imports_nothing_twice(self, h, vendor) -> None:
        body = ndjson(*(h.payload() for _ in range(6)))
        await upload(h, vendor, body)
        outbox_before = await outbox_of(h, vendor[1])

        again = await upload(h, vendor, body)

        assert again.status_code == 201  # no key: a new import, whose rows are all known
        assert counts(again.json()) == (6, 6, 0, 0, 6, 0, 0)
        assert len(await results_of(h, vendor[1])) == 6
        assert await outbox_of(h, vendor[1]) == outbox_before

    async def test_a_changed_row_is_stored_as_a_correction(self, h, vendor, events) -> None:
        first, second = h.payload(overall_score=60), h.payload()
        await upload(h, vendor, ndjson(first, second))

        response = await upload(h, vendor, ndjson({**first, "overall_score": 65}, second))

        assert counts(response.json()) == (2, 2, 0, 1, 1, 0, 0)
        stored = await results_of(h, vendor[1])
        assert [(r["vendor_result_id"], r["version"]) for r in stored] == sorted(
            [(first["result_id"], 1), (first["result_id"], 2), (second["result_id"], 1)]
        )
        published = await events(INTERVIEW_RESULTS, 3, vendor[1])
        (corrected,) = [e.event for e in published if e.event.version == 2]
        assert isinstance(corrected, InterviewResultCorrected)
        assert corrected.origin == "import" and corrected.overall_score == 65

    async def test_a_row_that_fails_unexpectedly_costs_that_row_not_the_import(
        self, h, vendor, monkeypatch, caplog
    ) -> None:
        """A bug met on one row (a fault planted in normalization for one candidate) is an
        `internal` error of its line, logged with the import and the line; the rest is
        imported, and once the bug is gone the row imports in a later upload."""
        real = normalize.decode_and_normalize

        def faulty(raw: bytes, **kwargs: Any) -> Any:
            if b"ats-faulty" in raw:
                raise KeyError("ada.lovelace@example.com")
            return real(raw, **kwargs)

        rows = [h.payload(), h.payload(), h.payload(), h.payload(), h.payload(), h.payload()]
        rows[2]["candidate"] = {**rows[2]["candidate"], "external_id": "ats-faulty"}
        monkeypatch.setattr(normalize, "decode_and_normalize", faulty)

        with caplog.at_level(logging.ERROR, logger="talentflow.ingest.imports.service"):
            response = await upload(h, vendor, ndjson(*rows), key="with-a-bug")

        assert response.status_code == 201, response.text
        summary = response.json()
        assert summary["status"] == "completed"
        assert counts(summary) == (6, 6, 5, 0, 0, 1, 1)
        assert [(e["line"], e["field"], e["type"]) for e in summary["first_errors"]] == [
            (3, "", "internal")
        ]
        (logged,) = [r for r in caplog.records if r.getMessage().startswith("an import row")]
        assert (logged.import_id, logged.line, logged.error) == (summary["id"], 3, "KeyError")
        assert logged.exc_info is not None

        monkeypatch.setattr(normalize, "decode_and_normalize", real)
        again = await upload(h, vendor, ndjson(rows[2]))

        assert counts(again.json()) == (1, 1, 1, 0, 0, 0, 0)
        assert len(await results_of(h, vendor[1])) == 6


class TestResume:
    async def test_an_interrupted_upload_resumes_from_its_checkpoint(self, h, vendor) -> None:
        body = ndjson(*(h.payload() for _ in range(10)))

        broken = await upload(h, vendor, breaking_after(body, 6), key="file-1")

        assert broken.status_code == 400
        assert broken.json()["type"].endswith("/import-interrupted")
        (interrupted,) = (await h.client.get("/v1/imports", headers=h.auth(vendor[0]))).json()[
            "items"
        ]
        assert interrupted["status"] == "interrupted"
        assert counts(interrupted) == (CHUNK_ROWS, CHUNK_ROWS, CHUNK_ROWS, 0, 0, 0, 0)

        resumed = await upload(h, vendor, body, key="file-1")

        assert resumed.status_code == 200
        assert resumed.json()["id"] == interrupted["id"]
        assert resumed.json()["status"] == "completed"
        # Lines 1-4 were skipped, not seen again as duplicates.
        assert counts(resumed.json()) == (10, 10, 10, 0, 0, 0, 0)
        stored = await results_of(h, vendor[1])
        assert len(stored) == 10 and {r["version"] for r in stored} == {1}
        assert len(await outbox_of(h, vendor[1])) == 10

    async def test_a_completed_import_answers_at_once_without_reading_the_body(
        self, h, vendor
    ) -> None:
        first = await upload(h, vendor, ndjson(h.payload(), h.payload()), key="file-2")

        again = await upload(h, vendor, b"{this is not even read", key="file-2")

        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"]
        assert counts(again.json()) == counts(first.json())

    async def test_resuming_with_another_body_is_refused(self, h, vendor) -> None:
        body = ndjson(*(h.payload() for _ in range(6)))
        await upload(h, vendor, breaking_after(body, 5), key="file-3")

        other = await upload(h, vendor, ndjson(*(h.payload() for _ in range(6))), key="file-3")

        assert other.status_code == 409
        assert other.json()["type"].endswith("/import-key-conflict")
        assert len(await results_of(h, vendor[1])) == CHUNK_ROWS
        (listed,) = (await h.client.get("/v1/imports", headers=h.auth(vendor[0]))).json()["items"]
        assert listed["status"] == "interrupted" and listed["lines"] == CHUNK_ROWS

    async def test_the_same_key_for_another_format_is_refused(self, h, vendor) -> None:
        await upload(h, vendor, ndjson(h.payload()), key="file-4")

        csv = await upload(h, vendor, b"result_id\n", key="file-4", content_type="text/csv")

        assert csv.status_code == 409

    async def test_concurrent_uploads_of_one_key_store_each_row_once(self, h, vendor) -> None:
        body = ndjson(*(h.payload() for _ in range(12)))

        responses = await asyncio.gather(*(upload(h, vendor, body, key="file-5") for _ in range(3)))

        assert {r.status_code for r in responses} <= {200, 201, 409}
        assert any(r.status_code in (200, 201) for r in responses)  # the others lost a race
        (listed,) = (await h.client.get("/v1/imports", headers=h.auth(vendor[0]))).json()["items"]
        assert listed["status"] == "completed"
        assert counts(listed) == (12, 12, 12, 0, 0, 0, 0)
        assert len(await results_of(h, vendor[1])) == 12


class TestRefusals:
    @pytest.mark.parametrize(
        ("content_type", "status"),
        [("application/json", 415), ("text/csv; charset=latin-1", 415), ("", 415)],
    )
    async def test_unsupported_content_types(self, h, vendor, content_type, status) -> None:
        response = await upload(h, vendor, ndjson(h.payload()), content_type=content_type)

        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        assert await h.rows("SELECT id FROM ingest.imports WHERE vendor_id = :v", v=vendor[1]) == []

    async def test_a_compressed_body_is_415_not_lines_of_garbage(self, h, vendor) -> None:
        tenant, vendor_id = vendor
        headers = {**h.auth(tenant), "content-type": NDJSON, "content-encoding": "gzip"}

        response = await h.client.post(
            "/v1/imports",
            params={"vendor_id": str(vendor_id)},
            content=gzip.compress(ndjson(h.payload())),
            headers=headers,
        )

        assert response.status_code == 415
        assert "uncompressed" in response.json()["detail"]
        assert await h.rows("SELECT id FROM ingest.imports WHERE vendor_id = :v", v=vendor_id) == []

    async def test_unknown_and_foreign_vendors_are_404(self, h, vendor) -> None:
        other_tenant = await h.tenant()

        unknown = await upload(h, (vendor[0], uuid.uuid4()), ndjson(h.payload()))
        foreign = await upload(h, (other_tenant, vendor[1]), ndjson(h.payload()))

        assert (unknown.status_code, foreign.status_code) == (404, 404)
        assert await results_of(h, vendor[1]) == []

    async def test_callers_must_be_hr_admin(self, h, vendor) -> None:
        hr = await upload(h, vendor, ndjson(h.payload()), roles=(Role.HR,))
        anonymous = await h.client.post(
            "/v1/imports", params={"vendor_id": str(vendor[1])}, content=ndjson(h.payload())
        )

        assert (hr.status_code, anonymous.status_code) == (403, 401)

    async def test_a_malformed_idempotency_key_is_422(self, h, vendor) -> None:
        response = await upload(h, vendor, ndjson(h.payload()), key="two words")

        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]

    @pytest.mark.parametrize("key", ["\x00", "a\x00b", "two words", "\u00e9", ""])
    async def test_a_key_to_list_by_follows_the_headers_rule(self, h, vendor, key) -> None:
        response = await h.client.get(
            "/v1/imports", params={"idempotency_key": key}, headers=h.auth(vendor[0])
        )

        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == ["idempotency_key"]
        assert "a\\u0000b" not in response.text and "two words" not in response.text


class TestListing:
    async def test_the_tenant_sees_its_own_imports_newest_first(self, h, vendor) -> None:
        first = (await upload(h, vendor, ndjson(h.payload()), key="a")).json()
        second = (await upload(h, vendor, ndjson(h.payload()), key="b")).json()
        other = await h.tenant()
        headers = h.auth(vendor[0])

        listed = await h.client.get("/v1/imports?limit=1", headers=headers)
        by_key = await h.client.get("/v1/imports?idempotency_key=a", headers=headers)
        foreign = await h.client.get(f"/v1/imports/{first['id']}", headers=h.auth(other))
        foreign_errors = await h.client.get(
            f"/v1/imports/{first['id']}/errors", headers=h.auth(other)
        )
        own = await h.client.get(f"/v1/imports/{first['id']}", headers=headers)

        assert listed.json()["total"] == 2
        assert [i["id"] for i in listed.json()["items"]] == [second["id"]]
        assert [i["id"] for i in by_key.json()["items"]] == [first["id"]]
        assert (foreign.status_code, foreign_errors.status_code) == (404, 404)
        assert own.json() == first


class TestJsonOfLines:
    """`load_json` reads what `json.loads` read before, but no deeper than a webhook body."""

    @pytest.mark.parametrize(
        "text",
        [
            b'{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1e400}',
            b'{"a": "\\ud800", "\\udc00": 1}',  # lone surrogates, escaped
            b'{"a": "\xed\xa0\x80"}',  # a lone surrogate's UTF-8 bytes
            b'\xef\xbb\xbf{"a": 1}',  # a byte order mark, on a line after the first
            '{"a": 1}'.encode("utf-16"),
            b'{"a": ' + b"9" * 4300 + b', "b": -0, "c": 0.1, "a": 2}',
            b"[" * MAX_DEPTH + b"1" + b"]" * MAX_DEPTH,
            b'["\\ud800", ' + b"[" * (MAX_DEPTH - 1) + b"1" + b"]" * MAX_DEPTH,
        ],
    )
    def test_what_json_loads_read_is_read_alike(self, text: bytes) -> None:
        assert repr(load_json(text)) == repr(json.loads(text))

    @pytest.mark.parametrize(
        "text",
        [
            b"[" * (MAX_DEPTH + 1) + b"1" + b"]" * (MAX_DEPTH + 1),
            b'["\\ud800", ' + b"[" * MAX_DEPTH + b"1" + b"]" * (MAX_DEPTH + 1),
            b'{"a": "\\ud800", "b": ' + b"[" * 700 + b"]" * 700 + b"}",  # json.loads reads it
            b'{"a": ' * 5000 + b"1" + b"}" * 5000,  # json.loads: RecursionError
        ],
    )
    def test_deeper_is_refused(self, text: bytes) -> None:
        with pytest.raises(TooDeep):
            load_json(text)

    @pytest.mark.parametrize("text", [b"{not json", b'{"a": ' + b"9" * 4301 + b"}", b"\xff"])
    def test_what_is_not_json_stays_a_value_error(self, text: bytes) -> None:
        with pytest.raises(ValueError) as refused:
            load_json(text)
        assert not isinstance(refused.value, TooDeep)


class TestOpenApi:
    async def test_the_upload_documents_its_bodies_answers_and_problems(self, h) -> None:
        document = (await h.client.get("/openapi.json")).json()

        post = document["paths"]["/v1/imports"]["post"]

        assert set(post["requestBody"]["content"]) == {"application/x-ndjson", "text/csv"}
        assert set(post["responses"]) == {
            "200",
            "201",
            "400",
            "401",
            "403",
            "404",
            "409",
            "415",
            "422",
            "503",
        }
        summary = {"$ref": "#/components/schemas/ImportOut"}
        assert post["responses"]["201"]["content"]["application/json"]["schema"] == summary
        assert post["responses"]["200"]["content"]["application/json"]["schema"] == summary
        problem = post["responses"]["409"]["content"]["application/problem+json"]["schema"]
        assert problem == {"$ref": "#/components/schemas/Problem"}
        assert [p["name"] for p in post["parameters"]] == ["vendor_id", "Idempotency-Key"]
        errors = document["paths"]["/v1/imports/{import_id}/errors"]["get"]
        assert {p["name"] for p in errors["parameters"]} == {"import_id", "limit", "offset"}
