"""`python -m talentflow.ingest.relay`: ingest's outbox relay as a process of its own.

For deployments that run the HTTP workers with `TALENTFLOW_INGEST_RUN_RELAY=false`, so that
publishing events does not take CPU from the webhooks. Several relays may run: they share the
pending rows (`FOR UPDATE SKIP LOCKED`).

The process runs at a lower CPU priority (`TALENTFLOW_INGEST_RELAY_NICE`, niceness 10 by
default): publishing is background work, and on a host shared with the HTTP workers it must not
take a core from a webhook waiting for its answer. The relay still gets all the CPU they leave.

The process is an app without business routes, so that operators can watch it like every other
Talentflow process: `/healthz`, `/readyz` (database and broker) and `/metrics` (the outbox
backlog and counters, `talentflow_outbox_*`) on `TALENTFLOW_INGEST_RELAY_PORT` (8011). The relay
runs in the app's lifespan. On SIGTERM or SIGINT uvicorn's own handlers end the server, the
lifespan then ends the relay between batches and publishes what is pending (each bounded to
5 s), and the process exits with status 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from types import FrameType

import uvicorn
from fastapi import FastAPI

from talentflow.common.app import install_platform
from talentflow.common.logging import configure_logging
from talentflow.common.runtime import ServiceRuntime
from talentflow.ingest.config import Settings, get_settings
from talentflow.ingest.models import PLATFORM

log = logging.getLogger(__name__)

HOST = "0.0.0.0"  # noqa: S104 - like every service's `serve`: containers listen on all
DESCRIPTION = (
    "Publishes ingest's outbox (`interview.results`) to Kafka. Serves operations routes only: "
    "`/healthz`, `/readyz` and `/metrics`."
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The relay's app: the platform's operations routes, the relay in the lifespan."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ServiceRuntime(settings, service="ingest", tables=PLATFORM, relay=True)
        async with runtime:
            app.state.runtime = runtime
            yield

    app = FastAPI(
        title="Talentflow ingest outbox relay",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    # Its own label for the HTTP metrics, so probes and scrapes stay out of ingest's request
    # figures; the outbox metrics say service="ingest" (whose outbox it is).
    install_platform(
        app, service="ingest-relay", checks=lambda: app.state.runtime.readiness_checks()
    )
    return app


async def run(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    host: str = HOST,
    port: int | None = None,
) -> None:
    """Serve the relay's app on `host`:`port` (default: the `relay_port` setting) until a
    stop signal arrives or, when given, `stop` is set."""
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=settings.relay_port if port is None else port,
        lifespan="on",  # a relay that cannot start must not serve /healthz
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    if stop is None:
        await server.serve()
        return

    async def exit_when_stopped() -> None:
        await stop.wait()
        server.should_exit = True

    watcher = asyncio.create_task(exit_when_stopped())
    try:
        await server.serve()
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


def lower_priority(niceness: int) -> int:
    """Lower this process's CPU priority to `niceness`; never raise it (that needs a
    privilege, and a process started lower stays lower). Returns the niceness it now has."""
    if not hasattr(os, "setpriority"):  # not a Unix: leave it
        return 0
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if niceness > current:
        os.setpriority(os.PRIO_PROCESS, 0, niceness)
    return os.getpriority(os.PRIO_PROCESS, 0)


def _exit_normally(signum: int, frame: FrameType | None) -> None:
    """After its graceful shutdown uvicorn raises the signal it caught again, for the handler
    it found; the default one would end the process with "killed by SIGTERM". A stop signal is
    how this process is meant to end: exit with status 0."""
    raise SystemExit(0)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m talentflow.ingest.relay",
        description="Publish ingest's outbox; serve /healthz, /readyz and /metrics.",
    )
    parser.add_argument("--host", default=HOST)
    parser.add_argument(
        "--port", type=int, default=None, help="default: TALENTFLOW_INGEST_RELAY_PORT (8011)"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    configure_logging("ingest", settings.log_level)
    niceness = lower_priority(settings.relay_nice)
    log.info("outbox relay process starting", extra={"niceness": niceness})
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _exit_normally)
    asyncio.run(run(settings, host=args.host, port=args.port))


if __name__ == "__main__":
    main()
