"""Fixtures for the notify tests: a migrated database, a real SMTP server, the running app."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from talentflow.common.auth import Role, issue_token
from talentflow.common.db import create_engine, create_sessionmaker
from talentflow.common.events import (
    SCREENING_DECISIONS,
    CandidateContact,
    ConditionResult,
    ScreeningDecisionMade,
)
from talentflow.common.events import (
    Envelope as EventEnvelope,
)
from talentflow.devstack.testing import (
    migrated_database,
    running_app,
    send_envelopes,
    service_settings_env,
    unique_name,
)
from talentflow.notify.config import Settings
from talentflow.notify.main import create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


WaitUntil = Callable[..., Awaitable[None]]


async def _wait_until(predicate: Callable[[], bool], within: float = 30, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        assert loop.time() < deadline, f"timed out waiting for {what or predicate}"
        await asyncio.sleep(0.05)


@pytest.fixture
def wait_until() -> WaitUntil:
    """`await wait_until(predicate, within=30, what="...")`: poll until it holds, else fail."""
    return _wait_until


# --- the database ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def notify_database_url(postgres_url: str) -> str:
    """A fresh database with notify's migrations applied."""
    return await migrated_database(postgres_url, "notify")


@pytest.fixture(scope="session")
async def notify_engine(notify_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(notify_database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(notify_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(notify_engine)


# --- a real SMTP server ---------------------------------------------------------------------


@dataclass
class MailServer:
    """aiosmtpd on 127.0.0.1:`port`, collecting what it accepts; `refuse` rejects recipients."""

    port: int = field(default_factory=free_port)
    refuse: set[str] = field(default_factory=set)
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    _controller: Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [message for rcpts, message in self.messages if address in rcpts]


@pytest.fixture
def smtp() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_down() -> Iterator[MailServer]:
    """A mail server that is not running yet (the test starts it)."""
    server = MailServer()
    yield server
    server.stop()


# --- the app and the broker -----------------------------------------------------------------


@pytest.fixture
def prefix() -> str:
    """Every test gets its own topics and consumer groups."""
    return unique_name("t") + "."


@pytest.fixture
def make_settings(
    notify_database_url: str, kafka: tuple[str, bool], prefix: str
) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values = service_settings_env(
            database_url=notify_database_url, kafka=kafka, topic_prefix=prefix
        )
        values.update(overrides)
        return Settings(**values)

    return make


@dataclass
class RunningApp:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings

    def token(self, tenant_id: uuid.UUID, *roles: Role, subject: uuid.UUID | None = None) -> str:
        return issue_token(
            self.settings.auth_secret.get_secret_value(),
            subject=subject or uuid.uuid4(),
            tenant_id=tenant_id,
            roles=roles or (Role.HR,),
        )

    def auth(
        self, tenant_id: uuid.UUID, *roles: Role, subject: uuid.UUID | None = None
    ) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.token(tenant_id, *roles, subject=subject)}

    @property
    def consumer_stats(self) -> Any:
        return self.app.state.runtime.consumers[0].stats


@contextlib.asynccontextmanager
async def _start_app(settings: Settings) -> AsyncIterator[RunningApp]:
    app = create_app(settings)
    async with running_app(app) as client:
        yield RunningApp(app=app, client=client, settings=settings)


@pytest.fixture
def start_app() -> Callable[[Settings], contextlib.AbstractAsyncContextManager[RunningApp]]:
    """`async with start_app(settings) as running:` runs the app's lifespan around the block."""
    return _start_app


@pytest.fixture
async def api(make_settings: Callable[..., Settings]) -> AsyncIterator[RunningApp]:
    """The HTTP API alone (no consumers: nothing to wait for)."""
    async with _start_app(make_settings(run_consumers=False)) as running:
        yield running


@pytest.fixture
def publish(producer: AIOKafkaProducer, prefix: str) -> Callable[[EventEnvelope], Awaitable[None]]:
    """`await publish(envelope)`: a decision on this test's `screening.decisions` topic."""

    async def send(envelope: EventEnvelope) -> None:
        await send_envelopes(producer, envelope, topic_prefix=prefix, topic=SCREENING_DECISIONS)

    return send


@pytest.fixture
def make_decision() -> Callable[..., ScreeningDecisionMade]:
    """`make_decision(outcome=..., email=..., locale=..., **fields)`."""
    return _decision


def _decision(
    *,
    outcome: str = "reject",
    email: str | None = "ada@example.com",
    name: str | None = "Ada Lovelace",
    locale: str = "en",
    **overrides: Any,
) -> ScreeningDecisionMade:
    """A decision on a customer success job: communication 72 of 85 failed, cases held."""
    values: dict[str, Any] = {
        "decision_id": uuid.uuid4(),
        "result_id": uuid.uuid4(),
        "tenant_id": uuid.uuid4(),
        "candidate_id": uuid.uuid4(),
        "candidate": CandidateContact(external_id="c-1", name=name, email=email, locale=locale),
        "job_id": uuid.uuid4(),
        "job_title": "Customer Success Manager",
        "requirements": {"communication": 80.0, "customer_cases": 2.0},
        "outcome": outcome,
        "rule_version": 1,
        "rule_expression": "communication >= 85 and customer_cases >= 2",
        "conditions": [
            ConditionResult(
                metric="communication", operator=">=", threshold=85, actual=72, held=False
            ),
            ConditionResult(
                metric="customer_cases", operator=">=", threshold=2, actual=3, held=True
            ),
        ],
        "explanation": "communication 72 >= 85 failed; customer_cases 3 >= 2 held",
        "decided_at": datetime.now(UTC),
    }
    values.update(overrides)
    return ScreeningDecisionMade.model_validate(values)
