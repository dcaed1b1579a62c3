"""Signed webhooks in formats other than talentflow.v1: stored, archived and published."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from talentflow.common.events import INTERVIEW_RESULTS, InterviewResultReceived
from talentflow.common.ids import candidate_id

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(fmt: str, name: str) -> bytes:
    return (FIXTURES / fmt / f"{name}.json").read_bytes()


async def vendor(h, tenant: uuid.UUID, **settings: Any) -> tuple[uuid.UUID, str]:
    response = await h.client.post(
        "/v1/vendors", json={"name": "Vendor", **settings}, headers=h.auth(tenant)
    )
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"]), response.json()["secret"]["secret"]


class TestFormatWebhooks:
    async def test_hr_open_result_is_stored_and_published(self, h, events) -> None:
        tenant = await h.tenant("US", "allow")
        vendor_id, secret = await vendor(h, tenant, format="hr-open.v1", score_scale="0-10")
        body = fixture("hr-open.v1", "assessment-result")

        response = await h.deliver(vendor_id, secret, body)

        assert response.status_code == 202, response.text
        (row,) = await h.rows(
            "SELECT * FROM ingest.results WHERE id = :id",
            id=uuid.UUID(response.json()["result_id"]),
        )
        subject = candidate_id(tenant, "ats-5521")
        assert row["format"] == "hr-open.v1" and row["candidate_id"] == subject
        assert row["vendor_result_id"] == "hro-2026-0117"
        assert row["interviewed_at"] == datetime(2026, 3, 3, 8, 30, tzinfo=UTC)
        assert row["overall_score"] == 78.0
        assert row["competencies"] == {
            "communication": 87.5,
            "problem_decomposition": 50.0,
            "stress_tolerance": 25.0,
        }
        assert row["counts"] == {"customer_cases_mentioned": 3}
        assert row["report_url"] == "https://vendor.example/reports/hro-2026-0117"
        assert await h.decrypt(subject, row["raw_payload_enc"]) == body
        assert b"Lukas Weber" not in h.all_bytes([row])
        (envelope,) = await events(INTERVIEW_RESULTS, 1, vendor_id)
        event = envelope.event
        assert isinstance(event, InterviewResultReceived)
        assert event.candidate.email == "lukas.weber@example.com"
        assert event.biometrics == {"eye_contact": 62.0}
        assert [(e.competency, e.at_seconds) for e in event.evidence] == [
            ("communication", 312.0),
            ("problem_decomposition", 723.5),
        ]

    async def test_ai_interview_result_under_eu_drop(self, h) -> None:
        tenant = await h.tenant("EU")
        vendor_id, secret = await vendor(h, tenant, format="ai-interview.v1", score_scale="0-10")

        response = await h.deliver(vendor_id, secret, fixture("ai-interview.v1", "full"))

        assert response.status_code == 202
        (row,) = await h.rows(
            "SELECT * FROM ingest.results WHERE id = :id",
            id=uuid.UUID(response.json()["result_id"]),
        )
        assert row["biometrics_policy"] == "drop" and row["biometrics_enc"] is None
        assert row["dropped_metrics"] == [
            "eye_contact_frequency",
            "pitch_variance",
            "smile_count",
            "speech_rate_wpm",
        ]
        archived = json.loads(await h.decrypt(row["candidate_id"], row["raw_payload_enc"]))
        assert "nonverbal" not in archived and archived["interview_id"] == "ivw_01HQ8Z3K2M"

    async def test_a_mapped_vendor_result(self, h) -> None:
        tenant = await h.tenant("US", "keep_unusable")
        mapping = json.loads(fixture("mapping.v1", "mapping"))
        vendor_id, secret = await vendor(h, tenant, format="mapping.v1", mapping=mapping)

        response = await h.deliver(vendor_id, secret, fixture("mapping.v1", "sample"))

        assert response.status_code == 202, response.text
        (row,) = await h.rows(
            "SELECT * FROM ingest.results WHERE id = :id",
            id=uuid.UUID(response.json()["result_id"]),
        )
        assert row["competencies"] == {"comm": 87.5, "logic": 62.5, "team_work": 100.0}
        assert row["dropped_metrics"] == ["eye_contact", "smile_count"]

    async def test_an_unfit_result_is_422_at_the_vendors_paths(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await vendor(h, tenant, format="hr-open.v1")

        response = await h.deliver(vendor_id, secret, fixture("hr-open.v1", "invalid"))

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        fields = {e["field"] for e in response.json()["errors"]}
        assert {"documentId.value", "detailedResults.0.score.value", "links.0.href"} <= fields
        assert len(fields) == 12
        assert await h.rows("SELECT id FROM ingest.results WHERE vendor_id = :v", v=vendor_id) == []
