"""Corrected and historical results (service level, real database): what gets decided again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from talentflow.common.events import (
    CandidateContact,
    InterviewResult,
    InterviewResultCorrected,
    InterviewResultReceived,
)
from talentflow.screening import decisions
from talentflow.screening.models import PLATFORM, Decision

RULE = {"expression": "communication >= 85 and customer_cases >= 2", "on_fail": "reject"}
PASSING = {"competencies": {"communication": 91.0}, "counts": {"customer_cases": 3}}
FAILING = {"competencies": {"communication": 91.0}, "counts": {"customer_cases": 1}}


def received(tenant_id: uuid.UUID, job_id: uuid.UUID, **overrides: Any) -> InterviewResultReceived:
    values: dict[str, Any] = {
        "result_id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "vendor_id": uuid.uuid4(),
        "vendor_result_id": "vr-7",
        "candidate_id": uuid.uuid4(),
        "candidate": CandidateContact(external_id="c-7", name="Alan Turing"),
        "job_id": job_id,
        "interviewed_at": datetime.now(UTC),
        **FAILING,
    }
    values.update(overrides)
    return InterviewResultReceived.model_validate(values)


def corrected(result: InterviewResult, **changes: Any) -> InterviewResultCorrected:
    """The next version of `result` with `changes`, as ingest announces a correction."""
    values = result.model_dump(exclude={"event_type", "previous_version"})
    values.update(version=result.version + 1, previous_version=result.version, **changes)
    return InterviewResultCorrected.model_validate(values)


@pytest.fixture
def decide(sessionmaker, cipher):
    """Decide a result in its own committed transaction, as the consumer does."""

    async def run(result: InterviewResult) -> Decision | None:
        async with sessionmaker() as session, session.begin():
            return await decisions.decide(session, result=result, cipher=cipher)

    return run


@pytest.fixture
def stored(sessionmaker):
    """The result's decisions (by version) and how many events screening enqueued about it."""

    async def read(result_id: uuid.UUID) -> tuple[list[Decision], int]:
        async with sessionmaker() as session:
            rows = list(
                (
                    await session.scalars(
                        select(Decision)
                        .where(Decision.result_id == result_id)
                        .order_by(Decision.version)
                    )
                ).all()
            )
            subjects = [f"decisions/{row.id}" for row in rows]
            events = (
                await session.scalars(
                    select(PLATFORM.outbox.c.id).where(PLATFORM.outbox.c.subject.in_(subjects))
                )
            ).all()
        return rows, len(events)

    return read


class TestHistoricalResults:
    async def test_an_imported_result_is_never_decided(self, api, decide, stored) -> None:
        job = uuid.UUID((await api.create_job(rule=RULE))["id"])
        result = received(api.tenant_id, job, origin="import")
        assert await decide(result) is None
        assert await decide(corrected(result, **PASSING)) is None
        assert await stored(result.result_id) == ([], 0)


class TestCorrections:
    async def test_correction_of_an_undecided_result_is_decided_as_usual(
        self, api, decide, stored
    ) -> None:
        job = uuid.UUID((await api.create_job(rule=RULE))["id"])
        imported = received(api.tenant_id, job, origin="import")
        # A live correction of a result never decided (here: an imported one).
        decision = await decide(corrected(imported, origin="webhook", **PASSING))
        assert decision is not None
        assert (decision.outcome, decision.version, decision.result_version) == ("advance", 1, 2)
        assert decision.supersedes_id is None
        assert decision.explanation.startswith("Advanced to the next step. The rule held.")
        rows, events = await stored(imported.result_id)
        assert ([r.id for r in rows], events) == ([decision.id], 1)

    async def test_same_outcome_records_nothing_new(self, api, decide, stored) -> None:
        job = uuid.UUID((await api.create_job(rule=RULE))["id"])
        result = received(api.tenant_id, job)
        first = await decide(result)
        assert first is not None and first.outcome == "reject"
        still_failing = corrected(result, competencies={"communication": 70.0})
        assert await decide(still_failing) is None
        rows, events = await stored(result.result_id)
        assert ([r.id for r in rows], events) == ([first.id], 1)
        assert rows[0].result_version == 1

    async def test_changed_outcome_supersedes_and_is_explained(self, api, decide, stored) -> None:
        job = uuid.UUID((await api.create_job(rule=RULE))["id"])
        result = received(api.tenant_id, job)
        first = await decide(result)
        assert first is not None and first.outcome == "reject"

        second = await decide(corrected(result, **PASSING))

        assert second is not None
        assert (second.outcome, second.version, second.result_version) == ("advance", 2, 2)
        assert second.supersedes_id == first.id and second.rule_version == 1
        assert second.explanation == (
            "The interview result was corrected (now version 2) and screened again, which "
            "changed the outcome from reject to advance. This replaces the earlier decision. "
            "Advanced to the next step. The rule held. Met: communication >= 85 (actual 91); "
            "customer_cases >= 2 (actual 3)."
        )
        rows, events = await stored(result.result_id)
        assert ([(r.version, r.outcome) for r in rows], events) == (
            [(1, "reject"), (2, "advance")],
            2,
        )

        response = await api.client.get(f"/v1/decisions/{second.id}", headers=api.headers())
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["version"], body["result_version"]) == (2, 2)
        assert body["supersedes_id"] == str(first.id)

    async def test_correction_is_judged_by_the_rule_that_made_the_decision(
        self, api, decide, stored
    ) -> None:
        job = uuid.UUID((await api.create_job(rule=RULE))["id"])
        result = received(api.tenant_id, job)
        first = await decide(result)
        assert first is not None and first.outcome == "reject"
        looser = {"expression": "communication >= 50", "on_fail": "reject"}
        added = await api.client.post(
            f"/v1/jobs/{job}/rule-sets", json=looser, headers=api.headers()
        )
        assert added.status_code == 201
        # Passes the new active rule, still fails the one that decided: the decision stands.
        assert await decide(corrected(result, competencies={"communication": 60.0})) is None
        assert len((await stored(result.result_id))[0]) == 1

    async def test_repeated_or_stale_corrections_change_nothing(self, api, decide, stored) -> None:
        job = uuid.UUID((await api.create_job(rule=RULE))["id"])
        result = received(api.tenant_id, job)
        await decide(result)
        correction = corrected(result, **PASSING)
        assert await decide(correction) is not None

        assert await decide(correction) is None  # the same version again (a replay)
        assert await decide(result) is None  # the first version, late
        assert await decide(corrected(result, **FAILING)) is None  # another version 2
        rows, events = await stored(result.result_id)
        assert ([(r.version, r.outcome) for r in rows], events) == (
            [(1, "reject"), (2, "advance")],
            2,
        )

    async def test_each_changed_outcome_adds_a_version(self, api, decide, stored) -> None:
        job = uuid.UUID((await api.create_job(rule=RULE))["id"])
        result = received(api.tenant_id, job)
        await decide(result)
        second = corrected(result, **PASSING)
        await decide(second)
        third = await decide(corrected(second, **FAILING))
        assert third is not None and third.supersedes_id is not None
        assert (third.version, third.result_version, third.outcome) == (3, 3, "reject")
        assert "from advance to reject" in third.explanation
        assert (await stored(result.result_id))[1] == 3

    async def test_a_result_moved_to_another_job_is_decided_for_it_even_with_the_same_outcome(
        self, api, decide, stored
    ) -> None:
        """The earlier decision was about a job the result no longer names: the new job gets
        a decision of its own (with its rule set), though the outcome is the same."""
        first_job = uuid.UUID((await api.create_job(rule=RULE))["id"])
        other = await api.create_job(rule=RULE)
        result = received(api.tenant_id, first_job, **PASSING)
        first = await decide(result)

        moved = await decide(corrected(result, job_id=uuid.UUID(other["id"])))

        assert first is not None and moved is not None
        assert (moved.outcome, moved.job_id) == ("advance", uuid.UUID(other["id"]))
        assert moved.rule_set_id == uuid.UUID(other["active_rule"]["id"])
        assert (moved.supersedes_id, moved.version, moved.result_version) == (first.id, 2, 2)
        assert moved.explanation.startswith(
            "The interview result was corrected (now version 2) to name another job and "
            "screened for that job. This replaces the earlier decision."
        )
        assert (await stored(result.result_id))[1] == 2

    async def test_correction_naming_another_job_uses_that_jobs_active_rule(
        self, api, decide, stored
    ) -> None:
        first_job = uuid.UUID((await api.create_job(rule=RULE))["id"])
        other_job = uuid.UUID((await api.create_job())["id"])  # no rule: human review
        result = received(api.tenant_id, first_job)
        await decide(result)
        moved = await decide(corrected(result, job_id=other_job))
        assert moved is not None
        assert (moved.outcome, moved.job_id, moved.rule_set_id) == ("review", other_job, None)
        assert moved.explanation.endswith("Sent to human review: the job has no active rule.")
