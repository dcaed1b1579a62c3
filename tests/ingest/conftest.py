"""Fixtures for the ingest service: its own database, a running app per test, and a harness.

The database is created once per session and migrated with ingest's own Alembic history;
every test gets its own Kafka topic prefix and its own tenant ids, so tests never share rows
or topics.

The app of each test runs without its `privacy.requests` consumer (`run_consumers` false by
environment): joining a consumer group takes ~2 s per app start. The erasure tests
(test_ingest_erasure.py) turn it on.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from talentflow.common.auth import Role, issue_token
from talentflow.common.crypto import FieldCipher, load_master_key
from talentflow.common.db import create_engine
from talentflow.common.events.base import Envelope
from talentflow.common.events.codec import decode
from talentflow.devstack.testing import (
    migrated_database,
    running_app,
    service_settings_env,
    unique_name,
)
from talentflow.ingest.config import Settings
from talentflow.ingest.main import create_app
from talentflow.ingest.models import PLATFORM


@pytest.fixture(autouse=True)
def _no_consumers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALENTFLOW_INGEST_RUN_CONSUMERS", "false")


@pytest.fixture(scope="session")
async def ingest_database_url(postgres_url: str) -> str:
    """A fresh database for the session, upgraded with ingest's migrations."""
    return await migrated_database(postgres_url, "ingest")


@pytest.fixture(scope="session")
async def db(ingest_database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine for tests that look at the raw tables."""
    engine = create_engine(ingest_database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
def settings(ingest_database_url: str, kafka: tuple[str, bool]) -> Settings:
    return Settings(**service_settings_env(database_url=ingest_database_url, kafka=kafka))


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(create_app(settings)) as client:
        yield client


def sign(secret: str, webhook_id: str, timestamp: int | str, body: bytes) -> str:
    """Standard Webhooks v1 signature, computed here without the package."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def result_payload(**overrides: Any) -> dict[str, Any]:
    """A valid talentflow.v1 result; `overrides` replace top-level fields."""
    payload: dict[str, Any] = {
        "result_id": unique_name("res"),
        "job_id": str(uuid.uuid4()),
        "candidate": {
            "external_id": unique_name("ats"),
            "name": "Ada Lovelace",
            "email": "ada.lovelace@example.com",
            "locale": "en",
        },
        "interviewed_at": "2026-03-01T10:15:00+08:00",
        "overall_score": 81,
        "competencies": {"communication": 88, "logic": 74.5},
        "counts": {"customer_cases": 3, "questions_asked": 5},
        "evidence": [
            {
                "competency": "communication",
                "quote": "I told the customer exactly what we would fix first",
                "at_seconds": 312.5,
            }
        ],
        "biometrics": {"smile_count": 14, "eye_contact_ratio": 0.71},
        "report_url": "https://vendor.example/reports/1",
    }
    payload.update(overrides)
    return payload


class Harness:
    """What most ingest tests do: tokens, tenants, vendors, signed deliveries, raw rows."""

    sign = staticmethod(sign)
    payload = staticmethod(result_payload)

    @staticmethod
    def all_bytes(rows: Iterable[dict[str, Any]]) -> bytes:
        """Every column value of `rows` as bytes, to search for personal data in clear."""
        out = bytearray()
        for row in rows:
            for value in row.values():
                if isinstance(value, bytes | memoryview):
                    out += bytes(value)
                else:
                    out += json.dumps(value, default=str, ensure_ascii=False).encode()
        return bytes(out)

    def __init__(self, client: httpx.AsyncClient, settings: Settings, db: AsyncEngine) -> None:
        self.client = client
        self.settings = settings
        self.db = db

    def auth(
        self,
        tenant_id: uuid.UUID,
        *roles: Role,
        subject: uuid.UUID | None = None,
    ) -> dict[str, str]:
        token = issue_token(
            self.settings.auth_secret.get_secret_value(),
            subject=subject or uuid.uuid4(),
            tenant_id=tenant_id,
            roles=roles or (Role.HR_ADMIN,),
        )
        return {"Authorization": f"Bearer {token}"}

    async def tenant(self, jurisdiction: str = "EU", policy: str | None = None) -> uuid.UUID:
        tenant_id = uuid.uuid4()
        body: dict[str, Any] = {"name": "Acme", "jurisdiction": jurisdiction}
        if policy is not None:
            body["biometrics_policy"] = policy
        response = await self.client.put("/v1/tenant", json=body, headers=self.auth(tenant_id))
        assert response.status_code == 200, response.text
        return tenant_id

    async def vendor(self, tenant_id: uuid.UUID, name: str = "Vendor") -> tuple[uuid.UUID, str]:
        """Register a vendor; return its id and first secret."""
        response = await self.client.post(
            "/v1/vendors", json={"name": name}, headers=self.auth(tenant_id)
        )
        assert response.status_code == 201, response.text
        data = response.json()
        return uuid.UUID(data["id"]), data["secret"]["secret"]

    async def deliver(
        self,
        vendor_id: uuid.UUID | str,
        secret: str,
        payload: dict[str, Any] | bytes,
        *,
        webhook_id: str | None = None,
        timestamp: int | None = None,
        headers: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """POST a webhook signed with `secret`; `headers` override (None value: omit)."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        webhook_id = webhook_id or unique_name("msg")
        timestamp = int(time.time()) if timestamp is None else timestamp
        sent: dict[str, Any] = {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, webhook_id, timestamp, body),
        }
        for name, value in (headers or {}).items():
            if value is None:
                sent.pop(name, None)
            else:
                sent[name] = value
        return await self.client.post(f"/v1/webhooks/{vendor_id}", content=body, headers=sent)

    async def decrypt(self, subject: uuid.UUID, token: bytes) -> bytes:
        """Decrypt a personal field as the service would (to check what was archived)."""
        key = load_master_key(self.settings.encryption_key.get_secret_value())
        cipher = FieldCipher(key, PLATFORM.subject_keys)
        async with AsyncSession(self.db) as session:
            return await cipher.decrypt(session, subject, token)

    async def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        async with self.db.connect() as conn:
            result = await conn.execute(text(sql), params)
            return [dict(row._mapping) for row in result]


@pytest.fixture
def h(client: httpx.AsyncClient, settings: Settings, db: AsyncEngine) -> Harness:
    return Harness(client, settings, db)


async def read_events(
    bootstrap: str,
    topic: str,
    logical_topic: str,
    count: int,
    where: Callable[[Envelope], bool],
    wait_s: float = 20,
) -> list[Envelope]:
    """Consume `topic` from the start until `count` envelopes satisfy `where`."""
    # No consumer group: nothing to join, so no rebalance wait on the development broker.
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    envelopes: list[Envelope] = []
    try:
        deadline = asyncio.get_running_loop().time() + wait_s
        while len(envelopes) < count and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                decoded = (decode(logical_topic, r.key, r.value, r.headers) for r in records)
                envelopes.extend(e for e in decoded if where(e))
    finally:
        await consumer.stop()
    return envelopes


@pytest.fixture
def events(settings: Settings) -> Any:
    """`await events(topic, count, vendor_id)`: that vendor's events on `<prefix><topic>`.

    The session shares one database, so a relay may also publish rows another test left
    pending: tests look only at their own vendor's events.
    """

    async def _read(topic: str, count: int, vendor_id: uuid.UUID) -> list[Envelope]:
        return await read_events(
            settings.kafka_bootstrap,
            settings.kafka_topic_prefix + topic,
            topic,
            count,
            lambda e: getattr(e.event, "vendor_id", None) == vendor_id,
        )

    return _read
