"""The self-service gateway app: factory and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from talentflow.common.app import install_platform
from talentflow.common.events import INTERVIEW_RESULTS, SCREENING_DECISIONS
from talentflow.common.runtime import ServiceRuntime
from talentflow.selfservice import consumers, gateway, gateway_ingest, router
from talentflow.selfservice.config import Settings, get_settings
from talentflow.selfservice.models import PLATFORM
from talentflow.selfservice.proxy import Upstreams, create_client, create_streaming_client

SERVICE = "selfservice"

DESCRIPTION = """\
The public REST gateway of Talentflow. Candidates and employees read their own interview
reports (`me`); HR reads candidates and manages jobs, vendors, imports and tasks (`hr`).

Every route needs `Authorization: Bearer <token>`. Errors are RFC 9457 problem+json bodies.
Routes marked with an internal service in their summary are forwarded to it unchanged,
query string included.
"""

TAGS = [
    {"name": "me", "description": "The signed-in candidate or employee's own data."},
    {"name": "hr", "description": "For HR users (roles hr, hr_admin)."},
    {"name": "operations", "description": "Health, readiness and metrics."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; connections open in the lifespan, not here."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ServiceRuntime(settings, service=SERVICE, tables=PLATFORM)
        if settings.run_consumers:
            runtime.add_consumer(
                "results", [INTERVIEW_RESULTS], consumers.result_handler(runtime.cipher)
            )
            runtime.add_consumer(
                "decisions", [SCREENING_DECISIONS], consumers.decision_handler(runtime.cipher)
            )
        async with (
            create_client(settings) as client,
            create_streaming_client(settings) as streaming,
            runtime,
        ):
            app.state.runtime = runtime
            app.state.upstreams = Upstreams.from_settings(client, settings, streaming=streaming)
            yield

    app = FastAPI(
        title="Talentflow self-service API",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        # operationId = the route function's name (get_me, list_candidates, ...): stable and
        # readable in generated clients.
        generate_unique_id_function=lambda route: route.name,
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_platform(
        app,
        service=SERVICE,
        checks=lambda: app.state.runtime.readiness_checks(),
        # Forwarded bodies are read whole before they go on, except an import's, which streams.
        max_body_bytes=settings.api_max_body_bytes,
        unlimited_paths=gateway_ingest.STREAMED_PATHS,
    )
    app.include_router(router.me)
    app.include_router(router.hr)
    app.include_router(gateway.router)
    app.include_router(gateway_ingest.router)
    return app
