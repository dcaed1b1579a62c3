"""The read model's upserts: corrections replace a row, stale copies change nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from talentflow.analytics import service
from talentflow.analytics.models import Decision, Outcome, Result
from talentflow.common.events import InterviewResultCorrected

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


class TestRecordResult:
    async def test_correction_replaces_and_stale_copy_is_ignored(
        self, session, tenant_id, make_result
    ) -> None:
        original = make_result(tenant_id, uuid.uuid4(), T0, version=1, overall_score=50.0)
        corrected = original.model_copy(
            update={"version": 2, "overall_score": 60.0, "competencies": {"empathy": 70.0}}
        )

        await service.record_result(session, event=original, received_at=T0)
        await service.record_result(session, event=corrected, received_at=T0 + timedelta(1))
        await service.record_result(session, event=original, received_at=T0 + timedelta(2))

        stored = await session.get_one(Result, original.result_id)
        assert (stored.version, stored.overall_score, stored.competencies) == (
            2,
            60.0,
            {"empathy": 70.0},
        )
        assert stored.received_at == T0  # first receipt is kept

    async def test_corrected_event_replaces_and_origin_is_kept_per_version(
        self, session, tenant_id, make_result
    ) -> None:
        imported = make_result(tenant_id, uuid.uuid4(), T0, origin="import", overall_score=40.0)
        values = imported.model_dump(exclude={"event_type"})
        values.update(version=2, previous_version=1, overall_score=45.0)
        correction = InterviewResultCorrected.model_validate(values)

        await service.record_result(session, event=imported, received_at=T0)
        stored = await session.get_one(Result, imported.result_id)
        assert (stored.version, stored.origin) == (1, "import")
        await service.record_result(session, event=correction, received_at=T0 + timedelta(1))
        await session.refresh(stored)
        assert (stored.version, stored.overall_score, stored.origin) == (2, 45.0, "import")

    async def test_naive_interview_time_is_taken_as_utc(
        self, session, tenant_id, make_result
    ) -> None:
        result = make_result(tenant_id, uuid.uuid4(), datetime(2026, 5, 4, 8, 0))

        await service.record_result(session, event=result, received_at=datetime(2026, 5, 4, 9))

        stored = await session.get_one(Result, result.result_id)
        assert (stored.interviewed_at, stored.received_at) == (T0, T0 + timedelta(hours=1))


class TestRecordDecision:
    async def test_later_copy_of_a_decision_replaces_it(
        self, session, tenant_id, make_result, make_decision
    ) -> None:
        result = make_result(tenant_id, uuid.uuid4(), T0)
        review = make_decision(result, "review", T0 + timedelta(minutes=1))
        overridden = review.model_copy(
            update={"outcome": "advance", "decided_at": T0 + timedelta(hours=3)}
        )

        await service.record_decision(session, event=overridden)
        await service.record_decision(session, event=review)  # arrives late: stale

        stored = await session.get_one(Decision, review.decision_id)
        assert (stored.outcome, stored.decided_at) == ("advance", T0 + timedelta(hours=3))


class TestRecordOutcome:
    async def test_later_report_replaces_an_earlier_one(
        self, session, tenant_id, make_outcome
    ) -> None:
        first = make_outcome(tenant_id, uuid.uuid4(), still_employed=True)
        later = first.model_copy(
            update={
                "still_employed": False,
                "performance_rating": 40.0,
                "recorded_at": first.recorded_at + timedelta(days=90),
            }
        )

        await service.record_outcome(session, event=later)
        await service.record_outcome(session, event=first)

        stored = await session.get_one(Outcome, first.outcome_id)
        assert (stored.still_employed, stored.performance_rating) == (False, 40.0)
