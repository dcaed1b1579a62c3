"""HR reads the tenant's candidates and their reports; every such read is audited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from talentflow.common.auth import Role
from talentflow.selfservice.models import PLATFORM

MONDAY = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


async def _audit_rows(sessionmaker, tenant: uuid.UUID) -> list:
    audit = PLATFORM.audit_log
    async with sessionmaker() as session:
        stmt = select(audit).where(audit.c.tenant_id == tenant).order_by(audit.c.id)
        return list((await session.execute(stmt)).all())


class TestCandidateListing:
    async def test_pages_through_the_tenants_candidates_newest_first(
        self, client, store, events, token
    ) -> None:
        tenant = uuid.uuid4()
        results = [
            events.result(tenant, f"l-{i}", interviewed_at=MONDAY + timedelta(hours=i))
            for i in range(3)
        ]
        decided = events.decision(results[2], outcome="advance")
        await store(*results, decided, events.result(uuid.uuid4(), "l-0"))  # + another tenant's
        hr = token(uuid.uuid4(), tenant, Role.HR)

        first = await client.get("/v1/candidates", params={"limit": 2}, headers=hr)
        assert first.status_code == 200, first.text
        page = first.json()
        assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
        assert page["items"] == [
            {
                "id": str(results[2].candidate_id),
                "name": "Ada Lovelace",
                "latest_outcome": "advance",
                "latest_interviewed_at": "2026-10-05T11:00:00Z",
            },
            {
                "id": str(results[1].candidate_id),
                "name": "Ada Lovelace",
                "latest_outcome": None,
                "latest_interviewed_at": "2026-10-05T10:00:00Z",
            },
        ]
        rest = (
            await client.get("/v1/candidates", params={"limit": 2, "offset": 2}, headers=hr)
        ).json()
        assert [item["id"] for item in rest["items"]] == [str(results[0].candidate_id)]
        assert rest["total"] == 3

    async def test_listing_writes_one_audit_record(
        self, client, store, events, token, sessionmaker
    ) -> None:
        tenant = uuid.uuid4()
        result = events.result(tenant, "a-1")
        await store(result)
        actor = uuid.uuid4()
        response = await client.get("/v1/candidates", headers=token(actor, tenant, Role.HR_ADMIN))
        assert response.status_code == 200
        [row] = await _audit_rows(sessionmaker, tenant)
        assert row.action == "list"
        assert row.resource == "selfservice/candidates"
        assert row.actor_id == str(actor) and row.actor_roles == "hr_admin"
        assert row.details["candidate_ids"] == [str(result.candidate_id)]

    async def test_limit_outside_1_to_100_is_422_naming_the_field(self, client, token) -> None:
        hr = token(uuid.uuid4(), uuid.uuid4(), Role.HR)
        for limit in (0, 101):
            response = await client.get("/v1/candidates", params={"limit": limit}, headers=hr)
            assert response.status_code == 422
            assert response.headers["content-type"] == "application/problem+json"
            assert [e["field"] for e in response.json()["errors"]] == ["limit"]


class TestCandidateReports:
    async def test_hr_reads_a_candidates_reports_and_the_read_is_audited(
        self, client, store, events, token, sessionmaker
    ) -> None:
        tenant = uuid.uuid4()
        result = events.result(tenant, "h-1")
        await store(result, events.decision(result))
        actor = uuid.uuid4()
        response = await client.get(
            f"/v1/candidates/{result.candidate_id}/reports", headers=token(actor, tenant, Role.HR)
        )
        assert response.status_code == 200, response.text
        [report] = response.json()
        assert report["result_id"] == str(result.result_id)
        assert report["evidence"][0]["quote"] == "I calmed the angry client down"
        assert {a["competency"] for a in report["advice"]} == {"communication", "teamwork"}
        [row] = await _audit_rows(sessionmaker, tenant)
        assert (row.action, row.subject_id, row.actor_id) == (
            "read",
            result.candidate_id,
            str(actor),
        )
        assert row.resource == f"selfservice/candidates/{result.candidate_id}/reports"
        assert row.details == {"result_ids": [str(result.result_id)]}

    async def test_another_tenants_candidate_is_404(
        self, client, store, events, token, sessionmaker
    ) -> None:
        other_tenant, tenant = uuid.uuid4(), uuid.uuid4()
        result = events.result(other_tenant, "h-2")
        await store(result)
        response = await client.get(
            f"/v1/candidates/{result.candidate_id}/reports",
            headers=token(uuid.uuid4(), tenant, Role.HR),
        )
        assert response.status_code == 404
        assert "Ada" not in response.text
        assert await _audit_rows(sessionmaker, tenant) == []
