"""Where the test suite's PostgreSQL and Kafka come from, and what every service's fixtures
share: a migrated database, settings, a rolled-back session, a producer and a way to publish.

The servers, in order: an existing server named by TALENTFLOW_TEST_DATABASE_URL or
TALENTFLOW_TEST_KAFKA_BOOTSTRAP; testcontainers (postgres, apache/kafka images) where a Docker
engine answers; otherwise the embedded PostgreSQL and Tansu broker that `make run` uses too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from sqlalchemy import MetaData
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from talentflow.common.db import create_engine
from talentflow.common.events import Envelope
from talentflow.common.events.codec import encode
from talentflow.common.kafka import create_producer
from talentflow.common.migrations import upgrade
from talentflow.devstack.broker import TansuBroker
from talentflow.devstack.makemigration import migrations_dir
from talentflow.devstack.postgres import EmbeddedPostgres


def docker_available() -> bool:
    """True when a Docker engine answers (not merely when the client is installed)."""
    if os.environ.get("TALENTFLOW_TEST_NO_DOCKER"):
        return False
    try:
        import docker

        client = docker.from_env(timeout=2)
        client.ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Yield an asyncpg URL of a PostgreSQL server's maintenance database."""
    external = os.environ.get("TALENTFLOW_TEST_DATABASE_URL")
    if external:
        yield external
        return
    if docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:17-alpine", driver="asyncpg") as container:
            yield container.get_connection_url()
        return
    with tempfile.TemporaryDirectory(prefix="talentflow-pg-") as tmp:
        server = EmbeddedPostgres(Path(tmp) / "data", keep_data=False).start()
        try:
            yield server.url("postgres")
        finally:
            server.stop()


@contextlib.contextmanager
def kafka_broker() -> Iterator[tuple[str, bool]]:
    """Yield (bootstrap servers, whether the broker accepts idempotent producers)."""
    external = os.environ.get("TALENTFLOW_TEST_KAFKA_BOOTSTRAP")
    if external:
        idempotent = os.environ.get("TALENTFLOW_TEST_KAFKA_IDEMPOTENCE", "true").lower() == "true"
        yield external, idempotent
        return
    if docker_available():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:3.9.1").with_kraft() as container:
            yield container.get_bootstrap_server(), True
        return
    broker = TansuBroker().start()
    try:
        yield broker.bootstrap, False
    finally:
        broker.stop()


async def create_database(server_url: str, prefix: str) -> str:
    """Create a fresh, uniquely named database on `server_url`'s server; return its URL."""
    import asyncpg

    parsed = make_url(server_url)
    name = unique_name(prefix)
    conn = await asyncpg.connect(
        user=parsed.username,
        password=parsed.password,
        host=parsed.query.get("host", parsed.host),
        port=int(parsed.query.get("port", parsed.port or 5432)),  # type: ignore[arg-type]
        database=parsed.database,
    )
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(server_url, name)


async def migrated_database(server_url: str, service: str) -> str:
    """A fresh database on `server_url`'s server with `service`'s migrations at head."""
    url = await create_database(server_url, f"{service}_test")
    # Alembic's env.py runs an event loop of its own: keep it off the caller's.
    await asyncio.to_thread(upgrade, migrations_dir(service), url)
    return url


@contextlib.asynccontextmanager
async def engine_with_tables(
    database_url: str, metadata: MetaData, **engine_options: Any
) -> AsyncIterator[AsyncEngine]:
    """An engine on `database_url` with `metadata`'s schema and tables created (tests of the
    platform tables keep them in a schema of their own); disposed at the end."""
    engine = create_engine(database_url, **engine_options)
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{metadata.schema}"')
            await conn.run_sync(metadata.create_all)
        yield engine
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def rolled_back_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside an outer transaction that is rolled back at the end; the code under
    test may commit (each commit releases a savepoint)."""
    async with engine.connect() as connection:
        outer = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await outer.rollback()


def with_database(url: str, database: str) -> str:
    """`url` pointing at another database on the same server."""
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@contextlib.asynccontextmanager
async def running_app(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Run `app`'s lifespan and yield an httpx client talking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


def service_settings_env(
    *, database_url: str, kafka: tuple[str, bool], topic_prefix: str | None = None
) -> dict[str, Any]:
    """Keyword arguments for any service's Settings in a test: the database, the broker
    (`kafka` = bootstrap servers, idempotent producers supported) and topics of its own
    (a fresh prefix unless one is given)."""
    bootstrap, idempotence = kafka
    return {
        "environment": "test",
        "database_url": database_url,
        "kafka_bootstrap": bootstrap,
        "kafka_idempotence": idempotence,
        "kafka_topic_prefix": unique_name("t") + "." if topic_prefix is None else topic_prefix,
        "kafka_topic_partitions": 2,
        "outbox_poll_interval_s": 0.05,
        "consumer_session_timeout_ms": 3000,
        "consumer_heartbeat_interval_ms": 500,
    }


@contextlib.asynccontextmanager
async def started_producer(kafka: tuple[str, bool]) -> AsyncIterator[AIOKafkaProducer]:
    """A started producer on the test broker (`kafka` as in `service_settings_env`)."""
    bootstrap, idempotence = kafka
    producer = create_producer(bootstrap, idempotence=idempotence, client_id=unique_name("test"))
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def send_envelopes(
    producer: AIOKafkaProducer, *envelopes: Envelope, topic_prefix: str, topic: str | None = None
) -> None:
    """Send envelopes as CloudEvents records, in order, on `<topic_prefix><topic>` (by default
    each event's own topic)."""
    for envelope in envelopes:
        record = encode(envelope)
        await producer.send_and_wait(
            topic_prefix + (topic or envelope.event.topic),
            record.value,
            key=record.key,
            headers=record.headers,
        )
