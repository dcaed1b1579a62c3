"""The analytics app: factory and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from talentflow.analytics import consumers
from talentflow.analytics.config import Settings, get_settings
from talentflow.analytics.models import PLATFORM
from talentflow.analytics.router import router
from talentflow.common.app import install_platform
from talentflow.common.events import HR_OUTCOMES, INTERVIEW_RESULTS, SCREENING_DECISIONS
from talentflow.common.runtime import ServiceRuntime


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; connections open in the lifespan, not here."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Analytics publishes nothing: no outbox relay.
        runtime = ServiceRuntime(settings, service="analytics", tables=PLATFORM, relay=False)
        runtime.add_consumer("results", [INTERVIEW_RESULTS], consumers.handle_result)
        runtime.add_consumer("decisions", [SCREENING_DECISIONS], consumers.handle_decision)
        runtime.add_consumer("outcomes", [HR_OUTCOMES], consumers.handle_outcome)
        async with runtime:
            app.state.runtime = runtime
            yield

    app = FastAPI(
        title="Talentflow analytics",
        version="0.1.0",
        description="Read model of results, decisions and outcomes; funnel and competency reports.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_platform(app, service="analytics", checks=lambda: app.state.runtime.readiness_checks())
    app.include_router(router)
    return app
