"""Deciding a result (service level, real database) and reading decisions over HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from talentflow.common.audit import list_access
from talentflow.common.auth import Role
from talentflow.common.events import CandidateContact, InterviewResultReceived
from talentflow.screening import decisions
from talentflow.screening.exceptions import ResultForUnknownJob
from talentflow.screening.models import PLATFORM, Decision, RuleSet

RULE = {"expression": "communication >= 85 and customer_cases >= 2", "on_fail": "reject"}


def interview_result(
    tenant_id: uuid.UUID, job_id: uuid.UUID, **overrides: Any
) -> InterviewResultReceived:
    values: dict[str, Any] = {
        "result_id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "vendor_id": uuid.uuid4(),
        "vendor_result_id": "vr-1",
        "candidate_id": uuid.uuid4(),
        "candidate": CandidateContact(
            external_id="c-9", name="Ada Lovelace", email="ada@example.com"
        ),
        "job_id": job_id,
        "interviewed_at": datetime.now(UTC),
        "competencies": {"communication": 91.0},
        "counts": {"customer_cases": 1},
    }
    values.update(overrides)
    return InterviewResultReceived.model_validate(values)


@pytest.fixture
def decide(sessionmaker, cipher):
    """Decide a result in its own committed transaction, as the consumer does."""

    async def run(result: InterviewResultReceived) -> Decision | None:
        async with sessionmaker() as session, session.begin():
            return await decisions.decide(session, result=result, cipher=cipher)

    return run


async def count(sessionmaker, stmt) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(stmt) or 0)


class TestDecide:
    async def test_decision_and_its_encrypted_event_are_stored_together(
        self, api, decide, sessionmaker
    ) -> None:
        job = await api.create_job(rule=RULE)
        result = interview_result(api.tenant_id, uuid.UUID(job["id"]))
        decision = await decide(result)
        assert decision is not None and decision.outcome == "reject"
        async with sessionmaker() as session:
            row = (
                await session.execute(
                    select(PLATFORM.outbox).where(
                        PLATFORM.outbox.c.subject == f"decisions/{decision.id}"
                    )
                )
            ).one()
        assert row.subject_id == result.candidate_id
        assert row.key == str(result.candidate_id)
        assert row.event_type == "talentflow.screening.ScreeningDecisionMade.v1"
        assert b"ada@example.com" not in row.payload and b"Ada Lovelace" not in row.payload

    async def test_second_delivery_of_a_result_has_no_effect(
        self, api, decide, sessionmaker
    ) -> None:
        job = await api.create_job(rule=RULE)
        result = interview_result(api.tenant_id, uuid.UUID(job["id"]))
        first = await decide(result)
        assert first is not None
        assert await decide(result) is None
        outbox = PLATFORM.outbox.c
        events = select(func.count()).where(outbox.subject == f"decisions/{first.id}")
        rows = select(func.count()).where(Decision.result_id == result.result_id)
        assert (await count(sessionmaker, rows), await count(sessionmaker, events)) == (1, 1)

    async def test_job_of_another_tenant_is_an_unknown_job(self, api, decide, sessionmaker) -> None:
        job = await api.create_job(rule=RULE)
        result = interview_result(uuid.uuid4(), uuid.UUID(job["id"]))
        with pytest.raises(ResultForUnknownJob):
            await decide(result)
        rows = select(func.count()).where(Decision.result_id == result.result_id)
        assert await count(sessionmaker, rows) == 0

    async def test_rule_using_a_now_prohibited_metric_goes_to_review(
        self, api, decide, sessionmaker
    ) -> None:
        job = await api.create_job()
        async with sessionmaker() as session, session.begin():
            session.add(
                RuleSet(job_id=uuid.UUID(job["id"]), version=1, expression="voice_tone > 3",
                        on_fail="reject", active=True)
            )  # fmt: skip
        decision = await decide(interview_result(api.tenant_id, uuid.UUID(job["id"])))
        assert decision is not None and decision.outcome == "review"
        assert "cannot be used" in decision.explanation and decision.conditions == []


class TestGetDecision:
    async def test_hr_reads_a_decision_and_the_read_is_audited(
        self, api, decide, sessionmaker
    ) -> None:
        job = await api.create_job(rule=RULE)
        decision = await decide(interview_result(api.tenant_id, uuid.UUID(job["id"])))
        response = await api.client.get(f"/v1/decisions/{decision.id}", headers=api.headers())
        assert response.status_code == 200
        body = response.json()
        assert (body["outcome"], body["candidate_id"]) == ("reject", str(decision.candidate_id))
        assert body["conditions"][1] == {
            "metric": "customer_cases", "operator": ">=", "threshold": 2.0,
            "actual": 1.0, "held": False,
        }  # fmt: skip
        assert body["explanation"] == decision.explanation
        async with sessionmaker() as session:
            [entry] = await list_access(
                session, PLATFORM.audit_log, subject_id=decision.candidate_id
            )
        assert (entry.actor_id, entry.action) == (str(api.hr_id), "read")
        assert entry.resource == f"screening/decisions/{decision.id}"
        assert entry.tenant_id == api.tenant_id and entry.actor_roles == ("hr",)

    async def test_candidate_reads_their_own_decision_unaudited(
        self, api, decide, sessionmaker
    ) -> None:
        job = await api.create_job(rule=RULE)
        decision = await decide(interview_result(api.tenant_id, uuid.UUID(job["id"])))
        own = api.headers(Role.CANDIDATE, subject=decision.candidate_id)
        response = await api.client.get(f"/v1/decisions/{decision.id}", headers=own)
        assert response.status_code == 200 and response.json()["id"] == str(decision.id)
        async with sessionmaker() as session:
            assert (
                await list_access(session, PLATFORM.audit_log, subject_id=decision.candidate_id)
                == []
            )

    async def test_another_candidate_gets_404(self, api, decide) -> None:
        job = await api.create_job(rule=RULE)
        decision = await decide(interview_result(api.tenant_id, uuid.UUID(job["id"])))
        other = api.headers(Role.CANDIDATE, subject=uuid.uuid4())
        response = await api.client.get(f"/v1/decisions/{decision.id}", headers=other)
        assert response.status_code == 404

    async def test_hr_of_another_tenant_gets_404(self, api, decide) -> None:
        job = await api.create_job(rule=RULE)
        decision = await decide(interview_result(api.tenant_id, uuid.UUID(job["id"])))
        stranger = api.headers(Role.HR, tenant_id=uuid.uuid4())
        response = await api.client.get(f"/v1/decisions/{decision.id}", headers=stranger)
        assert response.status_code == 404


class TestListDecisions:
    async def test_filters_by_candidate_and_job_and_audits_each_read(
        self, api, decide, sessionmaker
    ) -> None:
        first_job = uuid.UUID((await api.create_job(rule=RULE))["id"])
        second_job = uuid.UUID((await api.create_job())["id"])
        candidate = uuid.uuid4()
        await decide(interview_result(api.tenant_id, first_job, candidate_id=candidate))
        wanted = await decide(interview_result(api.tenant_id, second_job, candidate_id=candidate))
        await decide(interview_result(api.tenant_id, second_job))

        response = await api.client.get(
            "/v1/decisions", params={"candidate_id": str(candidate), "job_id": str(second_job)},
            headers=api.headers(),
        )  # fmt: skip
        assert response.status_code == 200
        page = response.json()
        assert page["total"] == 1 and [d["id"] for d in page["items"]] == [str(wanted.id)]
        assert page["items"][0]["outcome"] == "review"
        async with sessionmaker() as session:
            entries = await list_access(session, PLATFORM.audit_log, subject_id=candidate)
        assert [e.resource for e in entries] == [f"screening/decisions/{wanted.id}"]

    async def test_outcome_filter(self, api, decide) -> None:
        job = uuid.UUID((await api.create_job(rule=RULE))["id"])
        rejected = await decide(interview_result(api.tenant_id, job))
        await decide(interview_result(api.tenant_id, job, counts={"customer_cases": 5}))
        response = await api.client.get(
            "/v1/decisions", params={"outcome": "reject"}, headers=api.headers()
        )
        assert [d["id"] for d in response.json()["items"]] == [str(rejected.id)]

    async def test_unknown_outcome_is_422_naming_the_field(self, api) -> None:
        response = await api.client.get(
            "/v1/decisions", params={"outcome": "maybe"}, headers=api.headers()
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "outcome"

    async def test_candidate_may_not_list_decisions(self, api) -> None:
        response = await api.client.get("/v1/decisions", headers=api.headers(Role.CANDIDATE))
        assert response.status_code == 403
