"""HTTP workers without a relay, and `python -m talentflow.ingest.relay` publishing for them."""

from __future__ import annotations

import asyncio

import pytest

from talentflow.common.events import INTERVIEW_RESULTS
from talentflow.devstack.broker import free_port
from talentflow.devstack.testing import service_settings_env as settings_env
from talentflow.ingest import relay
from talentflow.ingest.config import Settings


@pytest.fixture
def settings(ingest_database_url: str, kafka: tuple[str, bool]) -> Settings:
    """The app of this module's tests serves HTTP only; the relay's own port is a free one."""
    env = settings_env(database_url=ingest_database_url, kafka=kafka)
    return Settings(**env, run_relay=False, relay_port=free_port())


class TestRelayProcess:
    async def test_publishes_what_the_http_process_stored(self, h, settings, events) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)
        response = await h.deliver(vendor_id, secret, h.payload())
        result_id = response.json()["result_id"]
        pending = "SELECT published_at FROM ingest.outbox WHERE subject = :s"
        rows = await h.rows(pending, s=f"results/{result_id}")
        assert [r["published_at"] for r in rows] == [None]  # nobody publishes in that process

        stop = asyncio.Event()
        relay_task = asyncio.create_task(relay.run(settings, stop=stop))
        try:
            (envelope,) = await events(INTERVIEW_RESULTS, 1, vendor_id)
        finally:
            stop.set()
            await asyncio.wait_for(relay_task, 10)

        assert str(envelope.event.result_id) == result_id
        assert [r["published_at"] for r in await h.rows(pending, s=f"results/{result_id}")] != [
            None
        ]
