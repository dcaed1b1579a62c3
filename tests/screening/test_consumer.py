"""The interview-results consumer end to end: real broker, real database, the running app."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talentflow.common.events import (
    SCREENING_DECISIONS,
    CandidateContact,
    Envelope,
    InterviewResult,
    InterviewResultCorrected,
    InterviewResultReceived,
    ScreeningDecisionMade,
)
from talentflow.common.events.codec import decode
from talentflow.devstack.testing import send_envelopes
from talentflow.screening.models import PLATFORM, Decision

RULE = "communication >= 85 and customer_cases >= 2"


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
            external_id="c-1", name="Grace Hopper", email="grace@example.com"
        ),
        "job_id": job_id,
        "interviewed_at": datetime.now(UTC),
        "overall_score": 88.0,
        "competencies": {"communication": 91.0, "logic": 70.0},
        "counts": {"customer_cases": 3},
    }
    values.update(overrides)
    return InterviewResultReceived.model_validate(values)


async def publish(producer: AIOKafkaProducer, prefix: str, event: InterviewResult) -> Envelope:
    envelope = Envelope(event=event, source="/ingest")
    await send_envelopes(producer, envelope, topic_prefix=prefix)
    return envelope


async def read_decisions(
    bootstrap: str,
    prefix: str,
    done: Callable[[list[ScreeningDecisionMade]], bool],
    seconds: float = 30.0,
) -> list[ScreeningDecisionMade]:
    """Read `<prefix>screening.decisions` from the start until `done(events)` holds."""
    consumer = AIOKafkaConsumer(
        prefix + SCREENING_DECISIONS,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    events: list[ScreeningDecisionMade] = []
    try:
        async with asyncio.timeout(seconds):
            while not done(events):
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    for r in records:
                        envelope = decode(SCREENING_DECISIONS, r.key, r.value, r.headers)
                        assert envelope.source == "/screening"
                        assert isinstance(envelope.event, ScreeningDecisionMade)
                        events.append(envelope.event)
    finally:
        await consumer.stop()
    return events


async def decisions_for(
    sessionmaker: async_sessionmaker[AsyncSession], result_id: uuid.UUID
) -> list[Decision]:
    async with sessionmaker() as session:
        rows = await session.scalars(select(Decision).where(Decision.result_id == result_id))
        return list(rows.all())


def about(result_id: uuid.UUID) -> Callable[[list[ScreeningDecisionMade]], bool]:
    return lambda events: any(e.result_id == result_id for e in events)


class TestResultsConsumer:
    async def test_passing_result_is_advanced_and_published(
        self, live_api, producer, kafka_bootstrap, topic_prefix, sessionmaker, wait_for
    ) -> None:
        job = await live_api.create_job(
            requirements={"communication": 85}, rule={"expression": RULE, "on_fail": "reject"}
        )
        event = interview_result(live_api.tenant_id, uuid.UUID(job["id"]))
        await publish(producer, topic_prefix, event)

        async def decided() -> list[Decision] | None:
            return await decisions_for(sessionmaker, event.result_id) or None

        [row] = await wait_for(decided)
        assert row.outcome == "advance"
        assert row.candidate_id == event.candidate_id
        assert row.rule_version == 1
        assert row.conditions == [
            {"metric": "communication", "operator": ">=", "threshold": 85.0,
             "actual": 91.0, "held": True},
            {"metric": "customer_cases", "operator": ">=", "threshold": 2.0,
             "actual": 3.0, "held": True},
        ]  # fmt: skip

        [published] = await read_decisions(kafka_bootstrap, topic_prefix, about(event.result_id))
        assert published.decision_id == row.id
        assert published.outcome == "advance"
        assert published.candidate == event.candidate
        assert published.job_title == "Customer support agent"
        assert published.requirements == {"communication": 85.0}
        assert published.rule_expression == RULE
        assert [(c.metric, c.actual, c.held) for c in published.conditions] == [
            ("communication", 91.0, True),
            ("customer_cases", 3.0, True),
        ]
        assert published.explanation == (
            "Advanced to the next step. The rule held. Met: communication >= 85 (actual 91); "
            "customer_cases >= 2 (actual 3)."
        )
        async with sessionmaker() as session:
            payload = await session.scalar(
                select(PLATFORM.outbox.c.payload).where(
                    PLATFORM.outbox.c.subject == f"decisions/{row.id}"
                )
            )
        assert payload is not None and b"grace@example.com" not in payload

    async def test_failing_result_is_rejected_when_the_rule_says_reject(
        self, live_api, producer, kafka_bootstrap, topic_prefix, sessionmaker, wait_for
    ) -> None:
        job = await live_api.create_job(rule={"expression": RULE, "on_fail": "reject"})
        event = interview_result(
            live_api.tenant_id, uuid.UUID(job["id"]), counts={"customer_cases": 1}
        )
        await publish(producer, topic_prefix, event)

        [published] = await read_decisions(kafka_bootstrap, topic_prefix, about(event.result_id))
        assert published.outcome == "reject"
        assert [(c.metric, c.actual, c.held) for c in published.conditions] == [
            ("communication", 91.0, True),
            ("customer_cases", 1.0, False),
        ]
        assert published.explanation == (
            "Rejected. The rule did not hold. Met: communication >= 85 (actual 91). "
            "Not met: customer_cases >= 2 (actual 1)."
        )
        [row] = await decisions_for(sessionmaker, event.result_id)
        assert row.outcome == "reject" and row.id == published.decision_id

    async def test_failing_result_goes_to_review_when_auto_reject_is_off(
        self, live_api, producer, kafka_bootstrap, topic_prefix, sessionmaker
    ) -> None:
        job = await live_api.create_job(
            auto_reject_enabled=False, rule={"expression": RULE, "on_fail": "reject"}
        )
        event = interview_result(
            live_api.tenant_id, uuid.UUID(job["id"]), competencies={"communication": 60.5}
        )
        await publish(producer, topic_prefix, event)

        [published] = await read_decisions(kafka_bootstrap, topic_prefix, about(event.result_id))
        assert published.outcome == "review"
        assert published.conditions[0].actual == 60.5 and not published.conditions[0].held
        assert "Sent to human review." in published.explanation
        assert "communication >= 85 (actual 60.5)" in published.explanation
        assert "Automatic rejection is switched off" in published.explanation
        [row] = await decisions_for(sessionmaker, event.result_id)
        assert row.outcome == "review"

    async def test_job_without_an_active_rule_sends_to_review(
        self, live_api, producer, kafka_bootstrap, topic_prefix, sessionmaker
    ) -> None:
        job = await live_api.create_job()
        event = interview_result(live_api.tenant_id, uuid.UUID(job["id"]))
        await publish(producer, topic_prefix, event)

        [published] = await read_decisions(kafka_bootstrap, topic_prefix, about(event.result_id))
        assert published.outcome == "review"
        assert "no active rule" in published.explanation
        assert published.conditions == [] and published.rule_set_id is None
        [row] = await decisions_for(sessionmaker, event.result_id)
        assert (row.outcome, row.rule_set_id, row.rule_version) == ("review", None, None)

    async def test_a_result_delivered_twice_is_decided_once(
        self, live_api, producer, kafka_bootstrap, topic_prefix, sessionmaker
    ) -> None:
        job_id = uuid.UUID((await live_api.create_job(rule={"expression": RULE}))["id"])
        event = interview_result(live_api.tenant_id, job_id)
        await publish(producer, topic_prefix, event)
        await publish(producer, topic_prefix, event)  # same result, a new event id
        # Same candidate, so same partition: once this one is decided, both copies were seen.
        marker = interview_result(live_api.tenant_id, job_id, candidate_id=event.candidate_id)
        await publish(producer, topic_prefix, marker)

        events = await read_decisions(kafka_bootstrap, topic_prefix, about(marker.result_id))
        assert [e.result_id for e in events] == [event.result_id, marker.result_id]
        assert len(await decisions_for(sessionmaker, event.result_id)) == 1

    async def test_unknown_job_is_skipped_and_the_next_result_still_decided(
        self, live_api, producer, kafka_bootstrap, topic_prefix, sessionmaker
    ) -> None:
        job_id = uuid.UUID((await live_api.create_job(rule={"expression": RULE}))["id"])
        candidate = uuid.uuid4()
        unknown = interview_result(live_api.tenant_id, uuid.uuid4(), candidate_id=candidate)
        other_tenant = interview_result(uuid.uuid4(), job_id, candidate_id=candidate)
        valid = interview_result(live_api.tenant_id, job_id, candidate_id=candidate)
        skipped = [
            await publish(producer, topic_prefix, unknown),
            await publish(producer, topic_prefix, other_tenant),
        ]
        await publish(producer, topic_prefix, valid)

        events = await read_decisions(kafka_bootstrap, topic_prefix, about(valid.result_id))
        assert [e.result_id for e in events] == [valid.result_id]
        assert await decisions_for(sessionmaker, unknown.result_id) == []
        assert await decisions_for(sessionmaker, other_tenant.result_id) == []
        async with sessionmaker() as session:
            acknowledged = await session.scalar(
                select(func.count())
                .select_from(PLATFORM.processed_events)
                .where(PLATFORM.processed_events.c.event_id.in_([e.id for e in skipped]))
            )
        assert acknowledged == 2

    async def test_a_correction_that_changes_the_outcome_publishes_a_new_decision(
        self, live_api, producer, kafka_bootstrap, topic_prefix, sessionmaker
    ) -> None:
        job = await live_api.create_job(rule={"expression": RULE, "on_fail": "reject"})
        first = interview_result(
            live_api.tenant_id, uuid.UUID(job["id"]), counts={"customer_cases": 1}
        )
        values = first.model_dump(exclude={"event_type"})
        values.update(version=2, previous_version=1, counts={"customer_cases": 4})
        await publish(producer, topic_prefix, first)
        await publish(producer, topic_prefix, InterviewResultCorrected.model_validate(values))

        events = await read_decisions(kafka_bootstrap, topic_prefix, lambda found: len(found) >= 2)
        assert [(e.result_id, e.outcome) for e in events] == [
            (first.result_id, "reject"),
            (first.result_id, "advance"),
        ]
        assert events[1].explanation.startswith(
            "The interview result was corrected (now version 2) and screened again, which "
            "changed the outcome from reject to advance."
        )
        rows = sorted(await decisions_for(sessionmaker, first.result_id), key=lambda d: d.version)
        assert [r.id for r in rows] == [e.decision_id for e in events]
        assert rows[1].supersedes_id == rows[0].id

    async def test_an_imported_result_is_acknowledged_without_a_decision(
        self, live_api, producer, kafka_bootstrap, topic_prefix, sessionmaker
    ) -> None:
        job_id = uuid.UUID((await live_api.create_job(rule={"expression": RULE}))["id"])
        historical = interview_result(live_api.tenant_id, job_id, origin="import")
        marker = interview_result(live_api.tenant_id, job_id, candidate_id=historical.candidate_id)
        skipped = await publish(producer, topic_prefix, historical)
        await publish(producer, topic_prefix, marker)

        events = await read_decisions(kafka_bootstrap, topic_prefix, about(marker.result_id))
        assert [e.result_id for e in events] == [marker.result_id]
        assert await decisions_for(sessionmaker, historical.result_id) == []
        async with sessionmaker() as session:
            acknowledged = await session.scalar(
                select(func.count())
                .select_from(PLATFORM.processed_events)
                .where(PLATFORM.processed_events.c.event_id == skipped.id)
            )
        assert acknowledged == 1
