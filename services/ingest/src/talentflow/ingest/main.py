"""The ingest app: factory, lifespan (with the erasure consumer) and the receipt purge."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from talentflow.common.app import install_platform
from talentflow.common.crypto import load_master_key
from talentflow.common.db import transaction
from talentflow.common.events import PRIVACY_REQUESTS
from talentflow.common.logging import error_summary
from talentflow.common.runtime import ServiceRuntime
from talentflow.ingest import consumers, service
from talentflow.ingest.config import Settings, get_settings
from talentflow.ingest.imports.router import router as imports_router
from talentflow.ingest.intake import open_intake
from talentflow.ingest.models import PLATFORM
from talentflow.ingest.router import router, webhook_route
from talentflow.ingest.schemas import InterviewResultV1

log = logging.getLogger(__name__)

DESCRIPTION = (
    "Receives vendors' signed interview results (Standard Webhooks), normalizes them, applies "
    "the tenant's biometrics policy, stores personal data encrypted and publishes "
    "`InterviewResultReceived` on `interview.results`. Errors are RFC 9457 problem+json."
)


async def purge_receipts_forever(runtime: ServiceRuntime, settings: Settings) -> None:
    """Delete expired webhook receipts now and then; a failure is logged and retried later."""
    retention = timedelta(days=settings.webhook_receipt_retention_days)
    while True:
        try:
            async with transaction(runtime.sessionmaker) as session:
                purged = await service.purge_receipts(session, retention=retention)
            if purged:
                log.info("purged webhook receipts", extra={"count": purged})
        except Exception as exc:  # housekeeping must not stop the service
            log.warning("purging webhook receipts failed", extra={"error": error_summary(exc)})
        await asyncio.sleep(settings.webhook_receipt_purge_interval_s)


@contextlib.contextmanager
def server_gc() -> Iterator[None]:
    """Garbage collection tuned for serving: what start-up made (modules, metadata, models) is
    frozen, so full collections stop re-scanning it, and young collections run less often.
    Each request allocates thousands of short-lived objects; with the defaults the collector
    took about a fifth of the CPU of a webhook. Undone at shutdown."""
    thresholds = gc.get_threshold()
    gc.freeze()  # no full collection first: it would cost every app start (tests) ~0.1 s
    gc.set_threshold(20_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; connections open in the lifespan, not here."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ServiceRuntime(
            settings, service="ingest", tables=PLATFORM, relay=settings.run_relay
        )
        runtime.add_consumer(
            "privacy", [PRIVACY_REQUESTS], consumers.privacy_requests(runtime.cipher)
        )
        async with contextlib.AsyncExitStack() as stack:
            app.state.runtime = await stack.enter_async_context(runtime)
            intake = await stack.enter_async_context(
                open_intake(runtime, settings, master_key=app.state.master_key)
            )
            app.state.intake = intake
            purge = asyncio.create_task(purge_receipts_forever(runtime, settings))
            try:
                with server_gc():
                    yield
            finally:
                purge.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await purge

    app = FastAPI(
        title="Talentflow ingest", version="0.1.0", description=DESCRIPTION, lifespan=lifespan
    )
    app.state.settings = settings
    app.state.master_key = load_master_key(settings.encryption_key.get_secret_value())
    install_platform(
        app,
        service="ingest",
        checks=lambda: app.state.runtime.readiness_checks(),
        # The webhook body is read raw (signatures cover the exact bytes), so the route refers
        # to its format by hand.
        openapi_models=[InterviewResultV1],
        max_body_bytes=settings.api_max_body_bytes,
        unlimited_paths=("/v1/webhooks/", "/v1/imports"),
    )
    app.router.routes.insert(0, webhook_route)  # served first: the vendors' hot path
    app.include_router(router)
    app.include_router(imports_router)
    return app
