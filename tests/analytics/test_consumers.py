"""Events published on the real broker land in the read model, once, without personal data."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talentflow.analytics.config import Settings
from talentflow.analytics.models import SCHEMA, Decision, Outcome, Result
from talentflow.common.auth import Role
from talentflow.common.events import (
    CandidateContact,
    Envelope,
    Event,
    EvidenceQuote,
    InterviewResultCorrected,
)
from talentflow.devstack.testing import send_envelopes

T0 = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def publish(
    producer: AIOKafkaProducer, settings: Settings, client: httpx.AsyncClient
) -> Callable[..., Awaitable[None]]:
    """Publish envelopes to the running app's topics, as CloudEvents (the app must be up)."""

    async def _publish(*envelopes: Envelope) -> None:
        await send_envelopes(producer, *envelopes, topic_prefix=settings.kafka_topic_prefix)

    return _publish


def envelope(event: Event) -> Envelope:
    return Envelope(event=event, source="/test")


async def wait_for_rows(
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    expected: dict[type[Result] | type[Decision] | type[Outcome], int],
    within: float = 60,
) -> None:
    """Wait until the tenant has at least `expected` rows in each table."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        async with sessionmaker() as session:
            counts = {
                model: await session.scalar(
                    select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
                )
                for model in expected
            }
        if all((counts[model] or 0) >= n for model, n in expected.items()):
            return
        assert asyncio.get_running_loop().time() < deadline, f"rows so far: {counts}"
        await asyncio.sleep(0.05)


class TestReadModelConsumers:
    async def test_events_land_in_the_read_model_without_personal_data(
        self, publish, sessionmaker, tenant_id, make_result, make_decision, make_outcome
    ) -> None:
        token = uuid.uuid4().hex[:12]
        personal = {
            "name": f"Ada {token} Lovelace",
            "email": f"ada.{token}@example.com",
            "quote": f"I calmed the customer down {token}",
            "report_url": f"https://vendor.example/reports/{token}",
            "biometric": f"smile_count_{token}",
            "explanation": f"explanation {token}",
        }
        result = make_result(
            tenant_id,
            uuid.uuid4(),
            T0,
            candidate=CandidateContact(
                external_id=f"ext-{token}", name=personal["name"], email=personal["email"]
            ),
            evidence=[EvidenceQuote(competency="communication", quote=personal["quote"])],
            biometrics={personal["biometric"]: 17.0},
            report_url=personal["report_url"],
            overall_score=77.5,
            competencies={"communication": 81.0, "empathy": 64.5},
            counts={"customer_cases": 3},
        )
        decision = make_decision(
            result, "review", T0 + timedelta(minutes=2), explanation=personal["explanation"]
        )
        outcome = make_outcome(tenant_id, result.candidate_id, job_id=result.job_id)

        await publish(envelope(result), envelope(decision), envelope(outcome))
        await wait_for_rows(sessionmaker, tenant_id, {Result: 1, Decision: 1, Outcome: 1})

        async with sessionmaker() as session:
            stored_result = await session.get_one(Result, result.result_id)
            stored_decision = await session.get_one(Decision, decision.decision_id)
            stored_outcome = await session.get_one(Outcome, outcome.outcome_id)
            tables = (
                await session.scalars(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"),
                    {"schema": SCHEMA},
                )
            ).all()
            rows: list[str] = []
            for table in tables:
                # Table names come from the catalogue, not from input.
                query = text(f'SELECT t::text FROM {SCHEMA}."{table}" AS t')  # noqa: S608
                rows.extend((await session.scalars(query)).all())
        dump = "\n".join(rows)
        assert (
            stored_result.candidate_id,
            stored_result.job_id,
            stored_result.vendor_id,
            stored_result.interviewed_at,
            stored_result.overall_score,
            stored_result.competencies,
            stored_result.counts,
        ) == (
            result.candidate_id,
            result.job_id,
            result.vendor_id,
            T0,
            77.5,
            {"communication": 81.0, "empathy": 64.5},
            {"customer_cases": 3},
        )
        assert (
            stored_decision.result_id,
            stored_decision.outcome,
            stored_decision.rule_version,
        ) == (
            result.result_id,
            "review",
            3,
        )
        assert (stored_outcome.hired, stored_outcome.performance_rating) == (True, 82.5)
        assert str(result.result_id) in dump  # the dump does hold this test's rows
        leaked = [kind for kind, value in personal.items() if value.lower() in dump.lower()]
        assert leaked == []

    async def test_redelivered_and_resent_events_count_once(
        self, publish, sessionmaker, app, client, bearer, tenant_id, make_result, make_decision
    ) -> None:
        job = uuid.uuid4()
        result = make_result(tenant_id, job, T0)
        first = envelope(result)
        resent = envelope(result)  # the same result again under a new event id
        decision = envelope(make_decision(result, "advance", T0 + timedelta(seconds=90)))
        # Same candidate, so the same key and partition: once these are stored, everything
        # published before them on that partition has been handled.
        last_result = make_result(tenant_id, job, T0, candidate_id=result.candidate_id)
        last_decision = make_decision(last_result, "reject", T0 + timedelta(seconds=30))

        await publish(first, first, resent, decision, decision)
        await publish(envelope(last_result), envelope(last_decision))
        await wait_for_rows(sessionmaker, tenant_id, {Result: 2, Decision: 2})

        response = await client.get(
            "/v1/reports/funnel", params={"job_id": str(job)}, headers=bearer(tenant_id, Role.HR)
        )
        totals = response.json()["totals"]
        assert (totals["results_received"], totals["decided"]) == (2, 2)
        assert (totals["advanced"], totals["rejected"]) == (1, 1)
        async with sessionmaker() as session:
            counts = [
                await session.scalar(
                    select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
                )
                for model in (Result, Decision)
            ]
        assert counts == [2, 2]
        # Nothing was retried into the dead-letter topic: the re-sent result was an upsert.
        assert [c.stats.dead_lettered for c in app.state.runtime.consumers] == [0, 0, 0]

    async def test_corrected_and_imported_results_land_in_the_read_model(
        self, publish, sessionmaker, tenant_id, make_result
    ) -> None:
        job = uuid.uuid4()
        live = make_result(tenant_id, job, T0, overall_score=50.0)
        values = live.model_dump(exclude={"event_type"})
        values.update(version=2, previous_version=1, overall_score=65.0)
        historical = make_result(tenant_id, job, T0, origin="import", overall_score=80.0)

        await publish(
            envelope(live),
            envelope(InterviewResultCorrected.model_validate(values)),
            envelope(historical),
        )
        await wait_for_rows(sessionmaker, tenant_id, {Result: 2})

        async def stored() -> dict[uuid.UUID, tuple[int, float | None, str]]:
            async with sessionmaker() as session:
                rows = await session.scalars(select(Result).where(Result.tenant_id == tenant_id))
                return {r.result_id: (r.version, r.overall_score, r.origin) for r in rows}

        deadline = asyncio.get_running_loop().time() + 30
        while (await stored())[live.result_id][0] < 2:  # the correction may trail the first copy
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        assert await stored() == {
            live.result_id: (2, 65.0, "webhook"),
            historical.result_id: (1, 80.0, "import"),
        }
