"""The ingest app: factory, lifespan and the receipt purge."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from talentflow.common.app import install_platform
from talentflow.common.crypto import load_master_key
from talentflow.common.db import transaction
from talentflow.common.runtime import ServiceRuntime
from talentflow.ingest import service
from talentflow.ingest.config import Settings, get_settings
from talentflow.ingest.models import PLATFORM
from talentflow.ingest.router import router
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
            log.warning("purging webhook receipts failed", extra={"error": repr(exc)})
        await asyncio.sleep(settings.webhook_receipt_purge_interval_s)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; connections open in the lifespan, not here."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ServiceRuntime(settings, service="ingest", tables=PLATFORM)
        async with runtime:
            app.state.runtime = runtime
            purge = asyncio.create_task(purge_receipts_forever(runtime, settings))
            try:
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
    )
    app.include_router(router)
    return app
