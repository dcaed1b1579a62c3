"""Fixtures for tests of libs/common: the platform tables in a schema of their own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from talentflow.common.db import create_sessionmaker, make_metadata
from talentflow.common.tables import PlatformTables, platform_tables
from talentflow.devstack.testing import engine_with_tables, rolled_back_session, unique_name

SCHEMA = unique_name("common_test")
METADATA = make_metadata(SCHEMA)
TABLES = platform_tables(METADATA)


@pytest.fixture(scope="session")
def tables() -> PlatformTables:
    return TABLES


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """Engine on the suite's database, with the platform tables created in `SCHEMA`."""
    async with engine_with_tables(database_url, METADATA, pool_size=5) as engine:
        yield engine


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that really commit (for concurrency tests that clean up after themselves)."""
    return create_sessionmaker(engine)


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside an outer transaction that is rolled back after the test."""
    async with rolled_back_session(engine) as session:
        yield session
