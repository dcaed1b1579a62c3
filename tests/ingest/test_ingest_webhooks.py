"""Receiving a vendor webhook: storage, outbox, the event on the broker, idempotency, policy."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from talentflow.common.auth import Role
from talentflow.common.events import INTERVIEW_RESULTS, InterviewResultReceived
from talentflow.common.ids import candidate_id
from talentflow.devstack.testing import running_app
from talentflow.ingest.config import Settings
from talentflow.ingest.main import create_app


class TestAcceptedWebhook:
    async def test_stores_encrypted_row_receipt_outbox_and_publishes_the_event(
        self, h, events
    ) -> None:
        tenant = await h.tenant("US", "allow")
        vendor_id, secret = await h.vendor(tenant)
        payload = h.payload()

        response = await h.deliver(vendor_id, secret, payload, webhook_id="msg_first")

        assert response.status_code == 202
        result_id = uuid.UUID(response.json()["result_id"])
        assert response.json() == {"result_id": str(result_id), "status": "accepted"}
        (row,) = await h.rows("SELECT * FROM ingest.results WHERE id = :id", id=result_id)
        expected_candidate = candidate_id(tenant, payload["candidate"]["external_id"])
        assert row["candidate_id"] == expected_candidate
        assert row["vendor_id"] == vendor_id and row["tenant_id"] == tenant
        assert row["vendor_result_id"] == payload["result_id"] and row["version"] == 1
        assert row["competencies"] == {"communication": 88, "logic": 74.5}
        assert row["counts"] == {"customer_cases": 3, "questions_asked": 5}
        assert row["dropped_metrics"] == [] and row["biometrics_enc"] is not None
        archived = await h.decrypt(expected_candidate, row["raw_payload_enc"])
        assert archived == json.dumps(payload).encode()  # the exact bytes received
        stored = h.all_bytes([row])
        for clear in (
            b"Ada Lovelace",
            b"ada.lovelace@example.com",
            b"exactly what we would",
            payload["candidate"]["external_id"].encode(),
            b"smile_count",
        ):
            assert clear not in stored
        receipts = await h.rows(
            "SELECT * FROM ingest.webhook_receipts WHERE vendor_id = :v", v=vendor_id
        )
        assert [(r["webhook_id"], r["result_id"]) for r in receipts] == [("msg_first", result_id)]
        outbox = await h.rows(
            "SELECT * FROM ingest.outbox WHERE subject = :s", s=f"results/{result_id}"
        )
        assert len(outbox) == 1 and outbox[0]["subject_id"] == expected_candidate
        assert b"ada.lovelace@example.com" not in h.all_bytes(outbox)

        (envelope,) = await events(INTERVIEW_RESULTS, 1, vendor_id)
        event = envelope.event
        assert isinstance(event, InterviewResultReceived)
        assert envelope.source == "/ingest" and envelope.key == str(expected_candidate)
        assert event.result_id == result_id and event.tenant_id == tenant
        assert event.candidate.email == "ada.lovelace@example.com"
        assert event.candidate.name == "Ada Lovelace"
        assert event.competencies == {"communication": 88.0, "logic": 74.5}
        assert event.evidence[0].quote.startswith("I told the customer")
        assert event.biometrics == {"smile_count": 14.0, "eye_contact_ratio": 0.71}
        assert event.dropped_metrics == []
        assert str(event.job_id) == payload["job_id"]

    async def test_same_webhook_five_times_is_one_result(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)
        payload = h.payload()

        responses = [
            await h.deliver(vendor_id, secret, payload, webhook_id="msg_retry") for _ in range(5)
        ]

        assert [r.status_code for r in responses] == [202, 200, 200, 200, 200]
        assert {r.json()["result_id"] for r in responses} == {responses[0].json()["result_id"]}
        assert [r.json()["status"] for r in responses[1:]] == ["duplicate"] * 4
        results = await h.rows("SELECT id FROM ingest.results WHERE vendor_id = :v", v=vendor_id)
        assert len(results) == 1
        outbox = await h.rows(
            "SELECT id FROM ingest.outbox WHERE subject = :s",
            s=f"results/{responses[0].json()['result_id']}",
        )
        assert len(outbox) == 1

    async def test_concurrent_redeliveries_store_one_result(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)
        payload = h.payload()

        responses = await asyncio.gather(
            *(h.deliver(vendor_id, secret, payload, webhook_id="msg_race") for _ in range(4))
        )

        assert sorted(r.status_code for r in responses) == [200, 200, 200, 202]
        assert len({r.json()["result_id"] for r in responses}) == 1
        results = await h.rows("SELECT id FROM ingest.results WHERE vendor_id = :v", v=vendor_id)
        assert len(results) == 1

    async def test_a_new_delivery_of_the_same_vendor_result_is_its_next_version(
        self, h, events
    ) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)
        first = h.payload(overall_score=60)
        second = {**first, "overall_score": 70}

        one = await h.deliver(vendor_id, secret, first)
        two = await h.deliver(vendor_id, secret, second)

        assert (one.status_code, two.status_code) == (202, 202)
        result_id = one.json()["result_id"]
        assert two.json()["result_id"] == result_id
        rows = await h.rows(
            "SELECT id, version, overall_score FROM ingest.results WHERE vendor_id = :v "
            "ORDER BY version",
            v=vendor_id,
        )
        assert [(str(r["id"]), r["version"], r["overall_score"]) for r in rows] == [
            (result_id, 1, 60.0),
            (result_id, 2, 70.0),
        ]
        published = await events(INTERVIEW_RESULTS, 2, vendor_id)
        assert sorted((str(e.event.result_id), e.event.version) for e in published) == [
            (result_id, 1),
            (result_id, 2),
        ]


class TestBiometricsPolicy:
    async def test_eu_default_drops_biometrics_and_records_their_names(self, h, events) -> None:
        tenant = await h.tenant("EU")  # no policy given: drop
        vendor_id, secret = await h.vendor(tenant)
        payload = h.payload(counts={"customer_cases": 2, "smile_events": 9})

        response = await h.deliver(vendor_id, secret, payload)

        assert response.status_code == 202
        (row,) = await h.rows(
            "SELECT * FROM ingest.results WHERE id = :id",
            id=uuid.UUID(response.json()["result_id"]),
        )
        assert row["biometrics_policy"] == "drop"
        assert row["biometrics_enc"] is None
        assert row["dropped_metrics"] == ["eye_contact_ratio", "smile_count", "smile_events"]
        assert row["counts"] == {"customer_cases": 2}
        (envelope,) = await events(INTERVIEW_RESULTS, 1, vendor_id)
        assert envelope.event.biometrics == {}
        assert envelope.event.counts == {"customer_cases": 2}
        assert envelope.event.dropped_metrics == [
            "eye_contact_ratio",
            "smile_count",
            "smile_events",
        ]
        archived = json.loads(await h.decrypt(row["candidate_id"], row["raw_payload_enc"]))
        assert "biometrics" not in archived
        assert archived["counts"] == {"customer_cases": 2}
        assert archived["candidate"] == payload["candidate"]
        subject = row["candidate_id"]
        mine = await h.client.get(
            f"/v1/results/{row['id']}", headers=h.auth(tenant, Role.CANDIDATE, subject=subject)
        )
        assert mine.status_code == 200 and mine.json()["biometrics"] is None

    async def test_keep_unusable_stores_but_never_publishes(self, h, events) -> None:
        tenant = await h.tenant("US", "keep_unusable")
        vendor_id, secret = await h.vendor(tenant)

        response = await h.deliver(vendor_id, secret, h.payload())

        result_id = uuid.UUID(response.json()["result_id"])
        (row,) = await h.rows("SELECT * FROM ingest.results WHERE id = :id", id=result_id)
        assert row["biometrics_enc"] is not None
        assert row["dropped_metrics"] == ["eye_contact_ratio", "smile_count"]
        (envelope,) = await events(INTERVIEW_RESULTS, 1, vendor_id)
        assert envelope.event.biometrics == {}
        assert envelope.event.dropped_metrics == ["eye_contact_ratio", "smile_count"]
        mine = await h.client.get(
            f"/v1/results/{result_id}",
            headers=h.auth(tenant, Role.CANDIDATE, subject=row["candidate_id"]),
        )
        assert mine.json()["biometrics"] == {"smile_count": 14.0, "eye_contact_ratio": 0.71}
        hr = await h.client.get(f"/v1/results/{result_id}", headers=h.auth(tenant, Role.HR))
        assert hr.json()["biometrics"] is None

    async def test_vendor_of_an_unconfigured_tenant_gets_the_protective_default(self, h) -> None:
        tenant = uuid.uuid4()  # never configured with PUT /v1/tenant
        vendor_id, secret = await h.vendor(tenant)

        response = await h.deliver(vendor_id, secret, h.payload())

        (row,) = await h.rows(
            "SELECT biometrics_policy, biometrics_enc FROM ingest.results WHERE id = :id",
            id=uuid.UUID(response.json()["result_id"]),
        )
        assert row == {"biometrics_policy": "drop", "biometrics_enc": None}


class TestRejectedPayload:
    async def test_invalid_json_is_400(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)

        response = await h.deliver(vendor_id, secret, b'{"result_id": "x",')

        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert "JSON" in response.json()["detail"]

    async def test_json_nested_too_deep_is_400_saying_so(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)
        body = b'{"x": ' + b"[" * 300 + b"]" * 300 + b"}"

        response = await h.deliver(vendor_id, secret, body)

        assert response.status_code == 400
        assert "deeper than 200 levels" in response.json()["detail"]

    async def test_non_utf8_body_is_400(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)

        response = await h.deliver(vendor_id, secret, b'{"name": "\xff\xfe"}')

        assert response.status_code == 400

    async def test_unfit_result_is_422_naming_every_bad_field(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)
        payload = h.payload(
            competencies={"communication": 101, "logic": -1},
            counts={"customer_cases": -2, "questions_asked": 1.5},
            interviewed_at="2026-03-01T10:15:00",
            overall_score="high",
            report_url="ftp://vendor.example/r",
            job_id="not-a-uuid",
        )
        payload["candidate"] = {**payload["candidate"], "email": "not-an-email", "locale": "fr"}
        payload["evidence"] = [{"quote": "", "at_seconds": -3}]
        payload["surprise"] = True

        response = await h.deliver(vendor_id, secret, payload)

        assert response.status_code == 422
        body = response.json()
        assert body["status"] == 422 and body["type"].endswith("/invalid-input")
        fields = {e["field"] for e in body["errors"]}
        assert fields == {
            "competencies.communication",
            "competencies.logic",
            "counts.customer_cases",
            "counts.questions_asked",
            "interviewed_at",
            "overall_score",
            "report_url",
            "job_id",
            "candidate.email",
            "candidate.locale",
            "evidence.0.quote",
            "evidence.0.at_seconds",
            "surprise",
        }
        assert all(e["in"] == "body" and e["message"] for e in body["errors"])
        assert "not-an-email" not in json.dumps(body)  # values are never echoed back
        assert await h.rows("SELECT id FROM ingest.results WHERE vendor_id = :v", v=vendor_id) == []

    async def test_control_characters_in_single_line_fields_are_422(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)
        payload = h.payload(result_id="res\u00001", report_url="https://v.example/\u0000")
        payload["candidate"]["name"] = "Ada\u0007"

        response = await h.deliver(vendor_id, secret, payload)

        assert response.status_code == 422
        fields = {e["field"] for e in response.json()["errors"]}
        assert fields == {"result_id", "report_url", "candidate.name"}

    @pytest.mark.parametrize(
        "interviewed_at",
        [
            "9999-12-31T23:59:59-14:00",  # past year 9999 once in UTC: could not be stored
            "0001-01-01T00:00:00+14:00",  # before year 1 once in UTC
            "1989-12-31T23:59:59Z",
            "DAYS_AHEAD",
        ],
    )
    async def test_an_interview_time_that_cannot_be_real_is_422(
        self, h, interviewed_at: str
    ) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)
        if interviewed_at == "DAYS_AHEAD":
            interviewed_at = (datetime.now(UTC) + timedelta(days=2)).isoformat()

        response = await h.deliver(vendor_id, secret, h.payload(interviewed_at=interviewed_at))

        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["interviewed_at"]
        assert await h.rows("SELECT id FROM ingest.results WHERE vendor_id = :v", v=vendor_id) == []

    async def test_a_vendor_clock_a_few_hours_ahead_is_accepted(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)
        ahead = (datetime.now(UTC) + timedelta(hours=14)).isoformat()

        response = await h.deliver(vendor_id, secret, h.payload(interviewed_at=ahead))

        assert response.status_code == 202

    async def test_evidence_keeps_line_breaks_but_not_other_control_characters(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)
        lines = "First I listened.\n\tThen I asked\r\nwhat mattered most."
        bad = h.payload(evidence=[{"quote": "a\u0000b"}, {"quote": "bell\u0007"}, {"quote": lines}])
        bad["evidence"].append({"quote": "too late", "at_seconds": 86_401})

        rejected = await h.deliver(vendor_id, secret, bad)
        accepted = await h.deliver(
            vendor_id, secret, h.payload(evidence=[{"quote": lines, "at_seconds": 86_400}])
        )

        assert rejected.status_code == 422
        fields = {e["field"] for e in rejected.json()["errors"]}
        assert fields == {"evidence.0.quote", "evidence.1.quote", "evidence.3.at_seconds"}
        assert accepted.status_code == 202

    async def test_missing_required_fields_are_422(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)

        response = await h.deliver(vendor_id, secret, {"competencies": {}})

        assert response.status_code == 422
        fields = {e["field"] for e in response.json()["errors"]}
        assert fields == {"result_id", "job_id", "candidate", "interviewed_at"}

    async def test_json_that_is_not_an_object_is_422(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)

        response = await h.deliver(vendor_id, secret, b"[1, 2, 3]")

        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["body"]


class TestDatabaseDown:
    async def test_webhook_is_503_when_the_database_is_unreachable(
        self, settings: Settings
    ) -> None:
        down = settings.model_copy(
            update={"database_url": "postgresql+asyncpg://nobody@127.0.0.1:9/nowhere"}
        )
        async with running_app(create_app(down)) as client:
            response = await client.post(
                f"/v1/webhooks/{uuid.uuid4()}",
                content=b"{}",
                headers={
                    "webhook-id": "msg_1",
                    "webhook-timestamp": "1700000000",
                    "webhook-signature": "v1,AAAA",
                },
            )
        assert isinstance(response, httpx.Response)
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "5"
