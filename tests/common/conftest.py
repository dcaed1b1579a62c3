"""Fixtures for tests of libs/common: the platform tables in a schema of their own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from talentflow.common.db import create_engine, create_sessionmaker, make_metadata
from talentflow.common.tables import PlatformTables, platform_tables
from talentflow.devstack.testing import rolled_back_session, unique_name

SCHEMA = unique_name("common_test")
METADATA = make_metadata(SCHEMA)
TABLES = platform_tables(METADATA)


@pytest.fixture(scope="session")
def tables() -> PlatformTables:
    return TABLES


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """Engine on the suite's database, with the platform tables created in `SCHEMA`."""
    engine = create_engine(database_url, pool_size=5)
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
        await conn.run_sync(METADATA.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that really commit (for concurrency tests that clean up after themselves)."""
    return create_sessionmaker(engine)


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside an outer transaction that is rolled back after the test."""
    async with rolled_back_session(engine) as session:
        yield session
