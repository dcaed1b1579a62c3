"""Session-wide infrastructure for the whole suite: one PostgreSQL server, one broker.

Each test module gets its own database or schema from these, and each Kafka test its own
topic and group names (see talentflow.devstack.testing for where the servers come from).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from talentflow.devstack.testing import kafka_broker, postgres_server, unique_name, with_database


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of the maintenance database of the suite's PostgreSQL server."""
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def kafka() -> Iterator[tuple[str, bool]]:
    """(bootstrap servers, idempotent producers supported) of the suite's broker."""
    with kafka_broker() as info:
        yield info


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka: tuple[str, bool]) -> str:
    return kafka[0]


async def _asyncpg_connect(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        user=parsed.username,
        password=parsed.password,
        host=parsed.query.get("host", parsed.host),
        port=int(parsed.query.get("port", parsed.port or 5432)),
        database=parsed.database,
    )


async def create_database(postgres_url: str, prefix: str) -> str:
    """Create a fresh database on the suite's server and return its URL."""
    name = unique_name(prefix)
    conn = await _asyncpg_connect(postgres_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(postgres_url, name)


@pytest.fixture(scope="session")
async def database_url(postgres_url: str) -> AsyncIterator[str]:
    """A database of its own for the whole session (services use separate schemas in it)."""
    yield await create_database(postgres_url, "talentflow_test")
