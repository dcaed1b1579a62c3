"""The screening app: factory and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from talentflow.common.app import install_platform
from talentflow.common.runtime import ServiceRuntime
from talentflow.screening.config import Settings, get_settings
from talentflow.screening.models import PLATFORM


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; connections open in the lifespan, not here."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ServiceRuntime(settings, service="screening", tables=PLATFORM)
        # runtime.add_consumer("results", [INTERVIEW_RESULTS], consumers.handle_result)
        async with runtime:
            app.state.runtime = runtime
            yield

    app = FastAPI(title="Talentflow screening", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    install_platform(
        app, service="screening", checks=lambda: app.state.runtime.readiness_checks()
    )
    return app
