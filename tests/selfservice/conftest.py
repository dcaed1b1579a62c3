"""Fixtures of the selfservice-api tests: a migrated database, the app, tokens and events."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talentflow.common.auth import Role, issue_token
from talentflow.common.db import transaction
from talentflow.common.events import (
    CandidateContact,
    ConditionResult,
    Envelope,
    EvidenceQuote,
    InterviewResult,
    InterviewResultCorrected,
    InterviewResultReceived,
    ScreeningDecisionMade,
)
from talentflow.common.ids import candidate_id
from talentflow.common.runtime import ServiceRuntime
from talentflow.devstack.testing import (
    migrated_database,
    running_app,
    send_envelopes,
    service_settings_env,
    unique_name,
)
from talentflow.selfservice import service
from talentflow.selfservice.config import Settings
from talentflow.selfservice.main import create_app

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "consumers: run the app's Kafka consumers in this test")


@pytest.fixture(scope="session")
async def selfservice_database(postgres_url: str) -> str:
    """A fresh database with the selfservice schema migrated to head."""
    return await migrated_database(postgres_url, "selfservice")


@pytest.fixture
def settings(
    request: pytest.FixtureRequest, selfservice_database: str, kafka: tuple[str, bool]
) -> Settings:
    """Per test: its own topic prefix; consumers only for tests marked `consumers`
    (joining a group takes the broker seconds, and most tests fill the read model directly)."""
    env = service_settings_env(database_url=selfservice_database, kafka=kafka)
    run_consumers = request.node.get_closest_marker("consumers") is not None
    return Settings(**env, upstream_timeout_s=2.0, run_consumers=run_consumers)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(app) as client:
        yield client


@pytest.fixture
def runtime(app: FastAPI, client: httpx.AsyncClient) -> ServiceRuntime:
    """The running app's runtime (sessions, cipher, consumers)."""
    rt: ServiceRuntime = app.state.runtime
    return rt


@pytest.fixture
def sessionmaker(runtime: ServiceRuntime) -> async_sessionmaker[AsyncSession]:
    return runtime.sessionmaker


Headers = dict[str, str]
Token = Callable[..., Headers]
Publish = Callable[..., Awaitable[list[Envelope]]]
Store = Callable[..., Awaitable[None]]
Eventually = Callable[..., Awaitable[None]]


@pytest.fixture
def token(settings: Settings) -> Token:
    """`token(subject, tenant, *roles)`: the Authorization header of a person."""

    def make(subject: uuid.UUID, tenant: uuid.UUID, *roles: Role) -> Headers:
        signed = issue_token(
            settings.auth_secret.get_secret_value(), subject=subject, tenant_id=tenant, roles=roles
        )
        return {"Authorization": f"Bearer {signed}"}

    return make


class EventFactory:
    """Typed events with sensible defaults; keyword arguments override any field."""

    def result(
        self, tenant: uuid.UUID, external_id: str, **overrides: Any
    ) -> InterviewResultReceived:
        values: dict[str, Any] = {
            "result_id": uuid.uuid4(),
            "tenant_id": tenant,
            "vendor_id": uuid.uuid4(),
            "vendor_result_id": unique_name("vr"),
            "candidate_id": candidate_id(tenant, external_id),
            "candidate": CandidateContact(
                external_id=external_id, name="Ada Lovelace", email="ada@example.com"
            ),
            "job_id": uuid.uuid4(),
            "interviewed_at": NOW,
            "overall_score": 74.0,
            "competencies": {"communication": 72.0, "problem_solving": 88.0},
            "counts": {"customer_cases": 1},
            "evidence": [
                EvidenceQuote(competency="communication", quote="I calmed the angry client down")
            ],
            "report_url": "https://vendor.example/reports/1",
        }
        values.update(overrides)
        return InterviewResultReceived.model_validate(values)

    def corrected(self, result: InterviewResult, **changes: Any) -> InterviewResultCorrected:
        """The next version of `result` with `changes`, as ingest announces a correction."""
        values = result.model_dump(exclude={"event_type", "previous_version"})
        values.update(version=result.version + 1, previous_version=result.version, **changes)
        return InterviewResultCorrected.model_validate(values)

    def decision(self, result: InterviewResult, **overrides: Any) -> ScreeningDecisionMade:
        values: dict[str, Any] = {
            "decision_id": uuid.uuid4(),
            "result_id": result.result_id,
            "tenant_id": result.tenant_id,
            "candidate_id": result.candidate_id,
            "candidate": result.candidate,
            "job_id": result.job_id,
            "job_title": "Customer Success Manager",
            "requirements": {"communication": 85.0, "problem_solving": 70.0, "teamwork": 60.0},
            "outcome": "review",
            "rule_expression": "communication >= 85 and customer_cases >= 2",
            "conditions": [
                ConditionResult(
                    metric="communication", operator=">=", threshold=85, actual=72, held=False
                ),
                ConditionResult(
                    metric="customer_cases", operator=">=", threshold=2, actual=1, held=False
                ),
            ],
            "explanation": "communication 72 < 85; customer_cases 1 < 2: human review",
            "decided_at": result.interviewed_at + timedelta(minutes=5),
        }
        values.update(overrides)
        return ScreeningDecisionMade.model_validate(values)


@pytest.fixture
def events() -> EventFactory:
    return EventFactory()


@pytest.fixture
def publish(producer: AIOKafkaProducer, settings: Settings) -> Publish:
    """`await publish(*events)`: CloudEvents records on `<prefix><topic>`, in order."""

    async def send(*items: Any) -> list[Envelope]:
        envelopes = [Envelope(event=event, source="/tests") for event in items]
        await send_envelopes(producer, *envelopes, topic_prefix=settings.kafka_topic_prefix)
        return envelopes

    return send


@pytest.fixture
def store(runtime: ServiceRuntime) -> Store:
    """`await store(*events)`: into the read model through the consumers' service functions."""

    async def put(*items: Any) -> None:
        async with transaction(runtime.sessionmaker) as session:
            for event in items:
                if isinstance(event, InterviewResult):
                    await service.record_result(session, cipher=runtime.cipher, event=event)
                else:
                    await service.record_decision(session, cipher=runtime.cipher, event=event)

    return put


@pytest.fixture
def eventually() -> Eventually:
    """`await eventually(check)`: poll the async `check()` until true, fail after a timeout."""

    async def wait(check: Callable[[], Awaitable[bool]], within: float = 30.0) -> None:
        async with asyncio.timeout(within):
            while True:
                if await check():
                    return
                await asyncio.sleep(0.05)  # the state lives in the database: poll it

    return wait


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Run `app` (lifespan included) in a real uvicorn server on a free port; yield its URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="auto")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "server failed to start"
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
def serve() -> Callable[[Any], contextlib.AbstractAsyncContextManager[str]]:
    """`async with serve(app) as url`: `app` behind a real HTTP server for the block."""
    return serving


@pytest.fixture(scope="session")
def closed_url() -> str:
    """A URL nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"
