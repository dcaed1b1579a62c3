"""The consumers fill the read model from events on the real broker, in either order."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from talentflow.common.auth import Role
from talentflow.common.runtime import ServiceRuntime
from talentflow.selfservice.models import Decision, Person, Report


async def _count(runtime: ServiceRuntime, model: type, **where: object) -> int:
    async with runtime.sessionmaker() as session:
        stmt = select(func.count()).select_from(model).filter_by(**where)
        return int(await session.scalar(stmt) or 0)


@pytest.mark.consumers
class TestConsumers:
    async def test_result_and_decision_fill_the_read_model(
        self, client, runtime, events, publish, eventually
    ) -> None:
        tenant = uuid.uuid4()
        result = events.result(tenant, "c-1")
        decision = events.decision(result)
        await publish(result, decision)

        async def both_stored() -> bool:
            return (
                await _count(runtime, Report, result_id=result.result_id) == 1
                and await _count(runtime, Decision, decision_id=decision.decision_id) == 1
            )

        await eventually(both_stored)
        async with runtime.sessionmaker() as session:
            person = await session.get(Person, result.candidate_id)
            report = await session.get(Report, result.result_id)
            assert person is not None and report is not None
            assert person.kind == "candidate" and person.tenant_id == tenant
            assert person.external_id == "c-1"
            assert person.name is not None
            assert await runtime.cipher.decrypt_text(session, person.id, person.name) == (
                "Ada Lovelace"
            )
            quotes = await runtime.cipher.decrypt_json(session, person.id, report.evidence)
        assert quotes == [
            {
                "competency": "communication",
                "quote": "I calmed the angry client down",
                "at_seconds": None,
            }
        ]
        assert report.competencies == {"communication": 72.0, "problem_solving": 88.0}
        assert report.counts == {"customer_cases": 1}
        assert report.overall_score == 74.0

    async def test_decision_before_its_result(
        self, client, runtime, events, publish, eventually, token
    ) -> None:
        tenant = uuid.uuid4()
        result = events.result(tenant, "c-2")
        decision = events.decision(result)
        headers = token(result.candidate_id, tenant, Role.CANDIDATE)
        url = f"/v1/me/reports/{result.result_id}"
        await publish(decision)
        await eventually(lambda: _stored(runtime, Decision, decision_id=decision.decision_id))

        early = await client.get(url, headers=headers)
        assert early.status_code == 200, early.text
        assert early.json()["status"] == "awaiting_result"
        assert early.json()["decision"]["outcome"] == "review"
        assert early.json()["job"]["title"] == "Customer Success Manager"
        assert early.json()["interviewed_at"] is None

        await publish(result)
        await eventually(lambda: _stored(runtime, Report, result_id=result.result_id))
        late = (await client.get(url, headers=headers)).json()
        assert late["status"] == "complete"
        assert late["overall_score"] == 74.0
        assert late["decision"]["decision_id"] == str(decision.decision_id)

    async def test_an_older_result_version_does_not_replace_a_newer_one(
        self, client, runtime, events, publish, eventually
    ) -> None:
        tenant = uuid.uuid4()
        newer = events.result(tenant, "c-3", version=2, overall_score=90.0)
        older = newer.model_copy(update={"version": 1, "overall_score": 10.0})
        marker = events.result(tenant, "c-3")  # same candidate, so same partition, after both
        await publish(newer, older, marker)
        await eventually(lambda: _stored(runtime, Report, result_id=marker.result_id))
        async with runtime.sessionmaker() as session:
            report = await session.get(Report, newer.result_id)
        assert report is not None
        assert (report.version, report.overall_score) == (2, 90.0)

    async def test_corrected_and_imported_results_arrive_by_event(
        self, client, runtime, events, publish, eventually
    ) -> None:
        tenant = uuid.uuid4()
        first = events.result(tenant, "c-4", overall_score=60.0)
        past = events.result(tenant, "c-4", origin="import")
        await publish(first, events.corrected(first, overall_score=70.0), past)

        async def corrected_and_imported() -> bool:
            async with runtime.sessionmaker() as session:
                report = await session.get(Report, first.result_id)
                imported = await session.get(Report, past.result_id)
            return report is not None and report.version == 2 and imported is not None

        await eventually(corrected_and_imported)
        async with runtime.sessionmaker() as session:
            report = await session.get(Report, first.result_id)
            imported = await session.get(Report, past.result_id)
        assert report is not None and imported is not None
        assert (report.overall_score, report.origin) == (70.0, "webhook")
        assert imported.origin == "import"


async def _stored(runtime: ServiceRuntime, model: type, **where: object) -> bool:
    return await _count(runtime, model, **where) == 1
