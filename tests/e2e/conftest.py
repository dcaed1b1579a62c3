"""The e2e suite's stack: five real service processes on a real broker and database, started
once for every e2e module (each test works with ids, candidates and mailboxes of its own, or
with the demo's, as its module's docstring says)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from talentflow.devstack.stack import Stack, free_ports
from talentflow.devstack.testing import create_database, unique_name


@pytest.fixture(scope="session")
async def stack(
    postgres_url: str, kafka: tuple[str, bool], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    bootstrap, idempotent = kafka
    database_url = await create_database(postgres_url, "e2e")
    stack = Stack(
        tmp_path_factory.mktemp("var"),
        ports=free_ports(),
        smtp_port=0,
        database_url=database_url,
        kafka_bootstrap=bootstrap,
        kafka_idempotence=idempotent,
        topic_prefix=unique_name("e2e") + ".",
        ready_timeout=120,
    )
    await asyncio.to_thread(stack.start)
    try:
        yield stack
    finally:
        await asyncio.to_thread(stack.stop)


@pytest.fixture(scope="session")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=15) as client:
        yield client
