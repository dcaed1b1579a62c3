"""Screening fixtures: a migrated database of its own, the app per test, HR/candidate tokens."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from talentflow.common.auth import Role, issue_token
from talentflow.common.crypto import FieldCipher, load_master_key
from talentflow.common.db import create_engine, create_sessionmaker
from talentflow.devstack.testing import (
    migrated_database,
    running_app,
    service_settings_env,
    unique_name,
)
from talentflow.screening.config import Settings
from talentflow.screening.main import create_app
from talentflow.screening.models import PLATFORM


@pytest.fixture(scope="session")
async def screening_database_url(postgres_url: str) -> str:
    """A fresh database, upgraded with screening's own migrations."""
    return await migrated_database(postgres_url, "screening")


@pytest.fixture(scope="session")
async def engine(screening_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(screening_database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on the test database, for arranging rows and asserting on them."""
    return create_sessionmaker(engine)


@pytest.fixture
def topic_prefix() -> str:
    """Every test gets its own topics and consumer groups."""
    return unique_name("t") + "."


@pytest.fixture
def settings(screening_database_url: str, kafka: tuple[str, bool], topic_prefix: str) -> Settings:
    env = service_settings_env(
        database_url=screening_database_url, kafka=kafka, topic_prefix=topic_prefix
    )
    return Settings(**env)


@pytest.fixture
def cipher(settings: Settings) -> FieldCipher:
    """A cipher with the app's master key (what the app's runtime uses)."""
    key = load_master_key(settings.encryption_key.get_secret_value())
    return FieldCipher(key, PLATFORM.subject_keys)


@dataclass
class Api:
    """An HTTP client on the running app, with tokens for one tenant."""

    client: httpx.AsyncClient
    settings: Settings
    tenant_id: uuid.UUID = field(default_factory=uuid.uuid4)
    hr_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def headers(
        self,
        *roles: Role,
        tenant_id: uuid.UUID | None = None,
        subject: uuid.UUID | None = None,
    ) -> dict[str, str]:
        token = issue_token(
            self.settings.auth_secret.get_secret_value(),
            subject=subject or self.hr_id,
            tenant_id=tenant_id or self.tenant_id,
            roles=roles or (Role.HR,),
        )
        return {"Authorization": f"Bearer {token}"}

    async def create_job(self, **body: Any) -> dict[str, Any]:
        body.setdefault("title", "Customer support agent")
        body.setdefault("requirements", {"communication": 80})
        response = await self.client.post("/v1/jobs", json=body, headers=self.headers())
        assert response.status_code == 201, response.text
        job: dict[str, Any] = response.json()
        return job


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Api]:
    """The HTTP API alone (no consumer: joining a group costs seconds on the dev broker)."""
    http_only = settings.model_copy(update={"run_consumers": False})
    async with running_app(create_app(http_only)) as client:
        yield Api(client=client, settings=http_only)


@pytest.fixture
async def live_api(settings: Settings) -> AsyncIterator[Api]:
    """The whole service: HTTP API, the interview-results consumer and the outbox relay."""
    async with running_app(create_app(settings)) as client:
        yield Api(client=client, settings=settings)


async def eventually(
    probe: Callable[[], Awaitable[Any]], *, seconds: float = 30.0, interval: float = 0.05
) -> Any:
    """Poll `probe` until it returns something other than None (fail after `seconds`)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        value = await probe()
        if value is not None:
            return value
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(interval)


@pytest.fixture
def wait_for() -> Callable[..., Awaitable[Any]]:
    """`await wait_for(probe, seconds=...)`: poll an async probe until it returns non-None."""
    return eventually
