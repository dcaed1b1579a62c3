"""A candidate's own profile and reports: gap analysis, advice, and nobody else's data."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from talentflow.common.auth import Role
from talentflow.common.db import transaction
from talentflow.selfservice.advice import CATALOGUE, GENERIC, PLAN_ACTION
from talentflow.selfservice.models import PLATFORM


class TestProfile:
    async def test_returns_the_callers_decrypted_profile(
        self, client, store, events, token
    ) -> None:
        tenant = uuid.uuid4()
        result = events.result(tenant, "p-1")
        await store(result)
        response = await client.get(
            "/v1/me", headers=token(result.candidate_id, tenant, Role.CANDIDATE)
        )
        assert response.status_code == 200, response.text
        assert response.json() == {
            "id": str(result.candidate_id),
            "kind": "candidate",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "locale": "en",
        }

    async def test_unknown_person_is_404(self, client, token) -> None:
        response = await client.get(
            "/v1/me", headers=token(uuid.uuid4(), uuid.uuid4(), Role.EMPLOYEE)
        )
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/person-not-found")

    async def test_a_person_of_another_tenant_is_404(self, client, store, events, token) -> None:
        tenant = uuid.uuid4()
        result = events.result(tenant, "p-2")
        await store(result)
        response = await client.get(
            "/v1/me", headers=token(result.candidate_id, uuid.uuid4(), Role.CANDIDATE)
        )
        assert response.status_code == 404


class TestMyReports:
    async def test_report_compares_scores_with_requirements_and_advises(
        self, client, store, events, token
    ) -> None:
        tenant = uuid.uuid4()
        result = events.result(tenant, "r-1")
        decision = events.decision(result)
        await store(result, decision)
        response = await client.get(
            "/v1/me/reports", headers=token(result.candidate_id, tenant, Role.CANDIDATE)
        )
        assert response.status_code == 200, response.text
        [report] = response.json()
        assert report["result_id"] == str(result.result_id)
        assert report["status"] == "complete"
        assert report["job"] == {"id": str(result.job_id), "title": "Customer Success Manager"}
        assert report["overall_score"] == 74.0
        assert report["competencies"] == [
            {
                "competency": "communication",
                "score": 72.0,
                "required": 85.0,
                "gap": 13.0,
                "met": False,
            },
            {
                "competency": "problem_solving",
                "score": 88.0,
                "required": 70.0,
                "gap": 0.0,
                "met": True,
            },
            {"competency": "teamwork", "score": None, "required": 60.0, "gap": None, "met": False},
        ]
        assert report["counts"] == {"customer_cases": 1}
        assert report["evidence"] == [
            {
                "competency": "communication",
                "quote": "I calmed the angry client down",
                "at_seconds": None,
            }
        ]
        assert report["decision"]["outcome"] == "review"
        assert report["decision"]["explanation"] == decision.explanation
        assert report["decision"]["conditions"] == [
            {
                "metric": "communication",
                "operator": ">=",
                "threshold": 85.0,
                "actual": 72.0,
                "held": False,
            },
            {
                "metric": "customer_cases",
                "operator": ">=",
                "threshold": 2.0,
                "actual": 1.0,
                "held": False,
            },
        ]
        advice = {a["competency"]: a for a in report["advice"]}
        assert set(advice) == {"communication", "teamwork"}  # problem_solving was met
        assert advice["communication"]["gap"] == 13.0
        assert advice["communication"]["actions"] == list(CATALOGUE["communication"].actions)
        # An unscored requirement gets the full plan.
        assert advice["teamwork"]["actions"][-1] == PLAN_ACTION
        assert advice["teamwork"]["title"] == CATALOGUE["teamwork"].title

    async def test_unknown_competency_gets_generic_advice(
        self, client, store, events, token
    ) -> None:
        tenant = uuid.uuid4()
        result = events.result(tenant, "r-2", competencies={"negotiation": 50.0})
        await store(result, events.decision(result, requirements={"negotiation": 60.0}))
        [report] = (
            await client.get(
                "/v1/me/reports", headers=token(result.candidate_id, tenant, Role.CANDIDATE)
            )
        ).json()
        [advice] = report["advice"]
        assert advice["title"] == GENERIC.title
        assert advice["actions"] == list(GENERIC.actions)

    async def test_reports_are_newest_first(self, client, store, events, token) -> None:
        tenant = uuid.uuid4()
        older = events.result(tenant, "r-3")
        newer = events.result(
            tenant, "r-3", interviewed_at=older.interviewed_at + timedelta(days=3)
        )
        pending = events.result(
            tenant, "r-3", interviewed_at=older.interviewed_at + timedelta(days=1)
        )
        await store(
            older, newer, events.decision(older), events.decision(newer), events.decision(pending)
        )
        reports = (
            await client.get(
                "/v1/me/reports", headers=token(older.candidate_id, tenant, Role.CANDIDATE)
            )
        ).json()
        assert [r["result_id"] for r in reports] == [
            str(newer.result_id),
            str(pending.result_id),  # only its decision has arrived: ordered by decision time
            str(older.result_id),
        ]
        assert reports[1]["status"] == "awaiting_result"

    @pytest.mark.parametrize(("stored", "newest"), [("-infinity", False), ("infinity", True)])
    async def test_a_report_dated_infinity_is_listed_in_order(
        self, client, store, events, token, sessionmaker, stored, newest
    ) -> None:
        tenant = uuid.uuid4()
        dated = events.result(tenant, "r-9")
        undated = events.result(tenant, "r-9")
        await store(dated, undated, events.decision(undated))
        # A row written before ingest validated dates; asyncpg reads PostgreSQL's +-infinity
        # back as a naive datetime.max / datetime.min.
        async with transaction(sessionmaker) as session:
            await session.execute(
                text(
                    "UPDATE selfservice.reports"
                    " SET interviewed_at = CAST(CAST(:stored AS text) AS timestamptz)"
                    " WHERE result_id = :result_id"
                ),
                {"stored": stored, "result_id": undated.result_id},
            )
        order = [str(undated.result_id), str(dated.result_id)]
        expected = order if newest else order[::-1]

        mine = token(dated.candidate_id, tenant, Role.CANDIDATE)
        response = await client.get("/v1/me/reports", headers=mine)
        assert response.status_code == 200, response.text
        assert [r["result_id"] for r in response.json()] == expected
        one = await client.get(f"/v1/me/reports/{undated.result_id}", headers=mine)
        assert one.status_code == 200, one.text
        assert one.json()["status"] == "complete"

        hr = token(uuid.uuid4(), tenant, Role.HR)
        theirs = await client.get(f"/v1/candidates/{dated.candidate_id}/reports", headers=hr)
        assert theirs.status_code == 200, theirs.text
        assert [r["result_id"] for r in theirs.json()] == expected
        listed = await client.get("/v1/candidates", headers=hr)
        assert listed.status_code == 200, listed.text

    async def test_one_report_by_id(self, client, store, events, token) -> None:
        tenant = uuid.uuid4()
        result = events.result(tenant, "r-4")
        await store(result)
        response = await client.get(
            f"/v1/me/reports/{result.result_id}",
            headers=token(result.candidate_id, tenant, Role.CANDIDATE),
        )
        assert response.status_code == 200
        assert response.json()["status"] == "awaiting_decision"
        assert response.json()["decision"] is None
        assert response.json()["job"]["title"] is None

    async def test_another_candidates_report_is_404(self, client, store, events, token) -> None:
        tenant = uuid.uuid4()
        mine = events.result(tenant, "r-5")
        theirs = events.result(tenant, "r-6")
        await store(mine, theirs)
        response = await client.get(
            f"/v1/me/reports/{theirs.result_id}",
            headers=token(mine.candidate_id, tenant, Role.CANDIDATE),
        )
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert "Ada" not in response.text

    async def test_reading_my_own_report_writes_no_audit_row(
        self, client, store, events, token, sessionmaker
    ) -> None:
        tenant = uuid.uuid4()
        result = events.result(tenant, "r-7")
        await store(result)
        headers = token(result.candidate_id, tenant, Role.CANDIDATE)
        assert (await client.get("/v1/me/reports", headers=headers)).status_code == 200
        assert (
            await client.get(f"/v1/me/reports/{result.result_id}", headers=headers)
        ).status_code == 200
        audit = PLATFORM.audit_log
        async with sessionmaker() as session:
            rows = await session.scalar(
                select(func.count()).select_from(audit).where(audit.c.tenant_id == tenant)
            )
        assert rows == 0

    async def test_bad_result_id_is_422_naming_the_field(self, client, token) -> None:
        response = await client.get(
            "/v1/me/reports/not-a-uuid", headers=token(uuid.uuid4(), uuid.uuid4(), Role.CANDIDATE)
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "result_id"
