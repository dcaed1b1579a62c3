"""Session-wide infrastructure for the whole suite: one PostgreSQL server, one broker.

Each test module gets its own database or schema from these, and each Kafka test its own
topic and group names (see talentflow.devstack.testing for where the servers come from).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from aiokafka import AIOKafkaProducer

from talentflow.devstack.testing import (
    create_database,
    kafka_broker,
    postgres_server,
    started_producer,
)


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


@pytest.fixture(scope="session")
async def database_url(postgres_url: str) -> AsyncIterator[str]:
    """A database of its own for the whole session (services use separate schemas in it)."""
    yield await create_database(postgres_url, "talentflow_test")


@pytest.fixture
async def producer(kafka: tuple[str, bool]) -> AsyncIterator[AIOKafkaProducer]:
    """A started producer on the suite's broker, for publishing what a test consumes."""
    async with started_producer(kafka) as producer:
        yield producer
