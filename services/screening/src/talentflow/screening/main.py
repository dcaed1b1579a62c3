"""The screening app: factory and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from talentflow.common.app import install_platform
from talentflow.common.events import INTERVIEW_RESULTS
from talentflow.common.runtime import ServiceRuntime
from talentflow.screening import consumers
from talentflow.screening.config import Settings, get_settings
from talentflow.screening.models import PLATFORM
from talentflow.screening.router import router

DESCRIPTION = """\
Requirement profiles, versioned screening rules and explained decisions.

Every route needs a bearer token. Errors are RFC 9457 `application/problem+json` documents;
invalid fields are listed in `errors` (rule expressions also give the 0-based `position`).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; connections open in the lifespan, not here."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ServiceRuntime(settings, service="screening", tables=PLATFORM)
        if settings.run_consumers:
            runtime.add_consumer(
                "results", [INTERVIEW_RESULTS], consumers.result_handler(runtime.cipher)
            )
        async with runtime:
            app.state.runtime = runtime
            yield

    app = FastAPI(
        title="Talentflow screening", version="0.1.0", description=DESCRIPTION, lifespan=lifespan
    )
    app.state.settings = settings
    install_platform(
        app,
        service="screening",
        checks=lambda: app.state.runtime.readiness_checks(),
        max_body_bytes=settings.api_max_body_bytes,
    )
    app.include_router(router)
    return app
