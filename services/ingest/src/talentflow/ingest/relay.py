"""`python -m talentflow.ingest.relay`: ingest's outbox relay as a process of its own.

For deployments that run the HTTP workers with `TALENTFLOW_INGEST_RUN_RELAY=false`, so that
publishing events does not take CPU from the webhooks. Several relays may run: they share the
pending rows (`FOR UPDATE SKIP LOCKED`). Stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import signal

from talentflow.common.logging import configure_logging
from talentflow.common.runtime import ServiceRuntime
from talentflow.ingest.config import Settings, get_settings
from talentflow.ingest.models import PLATFORM


async def run(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Publish ingest's outbox until `stop` is set (by default: a stop signal arrives)."""
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    async with ServiceRuntime(settings, service="ingest", tables=PLATFORM, relay=True):
        await stop.wait()


def main() -> None:
    settings = get_settings()
    configure_logging("ingest", settings.log_level)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
