"""Corrected results and past (imported) interviews in a person's reports."""

from __future__ import annotations

import uuid
from datetime import timedelta

from talentflow.common.auth import Role


class TestCorrectedResults:
    async def test_report_shows_the_latest_version_and_the_latest_decision(
        self, client, store, events, token
    ) -> None:
        tenant = uuid.uuid4()
        first = events.result(tenant, "h-1", competencies={"communication": 72.0})
        rejected = events.decision(first, outcome="reject")
        correction = events.corrected(
            first, overall_score=90.0, competencies={"communication": 91.0, "problem_solving": 88.0}
        )
        superseding = events.decision(
            first,
            outcome="advance",
            explanation="The interview result was corrected (now version 2) and screened again.",
            decided_at=rejected.decided_at + timedelta(hours=2),
        )
        # The topics are independent: the new decision may land before the correction.
        await store(first, rejected, superseding, correction)

        response = await client.get(
            f"/v1/me/reports/{first.result_id}",
            headers=token(first.candidate_id, tenant, Role.CANDIDATE),
        )

        assert response.status_code == 200, response.text
        report = response.json()
        assert (report["version"], report["overall_score"], report["status"]) == (
            2,
            90.0,
            "complete",
        )
        communication = next(
            c for c in report["competencies"] if c["competency"] == "communication"
        )
        assert (communication["score"], communication["met"]) == (91.0, True)
        assert report["decision"]["decision_id"] == str(superseding.decision_id)
        assert report["decision"]["outcome"] == "advance"
        assert report["decision"]["explanation"] == superseding.explanation
        assert [a["competency"] for a in report["advice"]] == ["teamwork"]

    async def test_an_older_version_stored_late_changes_nothing(
        self, client, store, events, token
    ) -> None:
        tenant = uuid.uuid4()
        first = events.result(tenant, "h-2", overall_score=50.0)
        await store(events.corrected(first, overall_score=75.0), first)
        [report] = (
            await client.get(
                "/v1/me/reports", headers=token(first.candidate_id, tenant, Role.CANDIDATE)
            )
        ).json()
        assert (report["version"], report["overall_score"]) == (2, 75.0)


class TestPastInterviews:
    async def test_imported_result_is_a_past_interview_in_the_history(
        self, client, store, events, token
    ) -> None:
        tenant = uuid.uuid4()
        live = events.result(tenant, "h-3")
        past = events.result(
            tenant, "h-3", origin="import", interviewed_at=live.interviewed_at - timedelta(days=700)
        )
        await store(past, live, events.decision(live))

        reports = (
            await client.get(
                "/v1/me/reports", headers=token(live.candidate_id, tenant, Role.CANDIDATE)
            )
        ).json()

        assert [r["result_id"] for r in reports] == [str(live.result_id), str(past.result_id)]
        assert [(r["status"], r["origin"]) for r in reports] == [
            ("complete", "webhook"),
            ("historical", "import"),
        ]
        historical = reports[1]
        assert historical["decision"] is None and historical["advice"] == []
        assert historical["overall_score"] == past.overall_score
        assert historical["evidence"][0]["quote"] == "I calmed the angry client down"

    async def test_hr_sees_the_past_interview_too(self, client, store, events, token) -> None:
        tenant = uuid.uuid4()
        past = events.result(tenant, "h-4", origin="import")
        await store(past)
        response = await client.get(
            f"/v1/candidates/{past.candidate_id}/reports",
            headers=token(uuid.uuid4(), tenant, Role.HR),
        )
        assert response.status_code == 200, response.text
        assert [(r["result_id"], r["status"]) for r in response.json()] == [
            (str(past.result_id), "historical")
        ]
