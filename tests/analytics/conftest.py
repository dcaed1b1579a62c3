"""Fixtures for the analytics tests.

One database for the analytics suite, migrated with analytics' own Alembic history, and one
running app on Kafka topics and consumer groups of its own (a unique `kafka_topic_prefix`).
Every test works in a tenant of its own with fresh ids, so tests never see each other's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from talentflow.analytics import consumers
from talentflow.analytics.config import Settings
from talentflow.analytics.main import create_app
from talentflow.common.auth import Role, issue_token
from talentflow.common.consumer import Handler
from talentflow.common.db import create_engine, create_sessionmaker, transaction
from talentflow.common.events import (
    HR_OUTCOMES,
    INTERVIEW_RESULTS,
    SCREENING_DECISIONS,
    CandidateContact,
    EmploymentOutcomeRecorded,
    Envelope,
    Event,
    InterviewResultReceived,
    ScreeningDecisionMade,
)
from talentflow.devstack.testing import (
    migrated_database,
    rolled_back_session,
    running_app,
    service_settings_env,
    unique_name,
)

HANDLERS: dict[str, Handler] = {
    INTERVIEW_RESULTS: consumers.handle_result,
    SCREENING_DECISIONS: consumers.handle_decision,
    HR_OUTCOMES: consumers.handle_outcome,
}


@pytest.fixture(scope="session")
async def analytics_database_url(postgres_url: str) -> str:
    """A fresh database with the analytics schema at its latest revision."""
    return await migrated_database(postgres_url, "analytics")


@pytest.fixture(scope="session")
async def engine(analytics_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(analytics_database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that really commit (what the app reads must be committed)."""
    return create_sessionmaker(engine)


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside an outer transaction that is rolled back after the test."""
    async with rolled_back_session(engine) as session:
        yield session


@pytest.fixture
def tenant_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture(scope="session")
def settings(analytics_database_url: str, kafka: tuple[str, bool]) -> Settings:
    return Settings(**service_settings_env(database_url=analytics_database_url, kafka=kafka))


@pytest.fixture(scope="session")
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture(scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running (database, broker, consumers), over in-process HTTP.

    One app for the whole analytics suite, on topics and consumer groups no other run uses:
    starting the runtime costs ~15 s on the development broker (three consumer groups joined
    one after another, each JoinGroup held ~5 s), too slow to pay per test. Tests stay apart
    by working in a tenant of their own, with their own ids.
    """
    async with running_app(app) as client:
        yield client


@pytest.fixture
def bearer(settings: Settings) -> Callable[..., dict[str, str]]:
    """Headers with a signed token: bearer(tenant_id, Role.HR, ...)."""

    def _headers(tenant: uuid.UUID, *roles: Role) -> dict[str, str]:
        token = issue_token(
            settings.auth_secret.get_secret_value(),
            subject=uuid.uuid4(),
            tenant_id=tenant,
            roles=roles,
        )
        return {"Authorization": f"Bearer {token}"}

    return _headers


@pytest.fixture
def seed(sessionmaker: async_sessionmaker[AsyncSession]) -> Callable[..., Awaitable[None]]:
    """Store events through analytics' own handlers, committed, without the broker."""

    async def _seed(*events: Event) -> None:
        async with transaction(sessionmaker) as session:
            for event in events:
                await HANDLERS[event.topic](session, Envelope(event=event, source="/test"))

    return _seed


def result_event(
    tenant_id: uuid.UUID, job_id: uuid.UUID, interviewed_at: datetime, **overrides: Any
) -> InterviewResultReceived:
    """An interview result with personal data in every field that may carry it."""
    values: dict[str, Any] = {
        "result_id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "vendor_id": uuid.uuid4(),
        "vendor_result_id": unique_name("vr"),
        "candidate_id": uuid.uuid4(),
        "candidate": CandidateContact(
            external_id=unique_name("ext"), name="Grace Hopper", email="grace@example.com"
        ),
        "job_id": job_id,
        "interviewed_at": interviewed_at,
        "overall_score": 70.0,
        "competencies": {"communication": 80.0},
        "counts": {"customer_cases": 2},
    }
    values.update(overrides)
    return InterviewResultReceived.model_validate(values)


def decision_event(
    result: InterviewResultReceived, outcome: str, decided_at: datetime, **overrides: Any
) -> ScreeningDecisionMade:
    values: dict[str, Any] = {
        "decision_id": uuid.uuid4(),
        "result_id": result.result_id,
        "tenant_id": result.tenant_id,
        "candidate_id": result.candidate_id,
        "candidate": result.candidate,
        "job_id": result.job_id,
        "job_title": "Support engineer",
        "outcome": outcome,
        "rule_version": 3,
        "explanation": f"{result.candidate.name}: communication held",
        "decided_at": decided_at,
    }
    values.update(overrides)
    return ScreeningDecisionMade.model_validate(values)


def outcome_event(
    tenant_id: uuid.UUID, candidate_id: uuid.UUID, **overrides: Any
) -> EmploymentOutcomeRecorded:
    values: dict[str, Any] = {
        "outcome_id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "candidate_id": candidate_id,
        "job_id": None,
        "hired": True,
        "performance_rating": 82.5,
        "still_employed": True,
        "measured_on": date(2026, 6, 30),
        "recorded_at": datetime(2026, 7, 1, 9, 0, tzinfo=UTC),
    }
    values.update(overrides)
    return EmploymentOutcomeRecorded.model_validate(values)


@pytest.fixture
def make_result() -> Callable[..., InterviewResultReceived]:
    return result_event


@pytest.fixture
def make_decision() -> Callable[..., ScreeningDecisionMade]:
    return decision_event


@pytest.fixture
def make_outcome() -> Callable[..., EmploymentOutcomeRecorded]:
    return outcome_event
