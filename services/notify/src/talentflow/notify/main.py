"""The notify app: factory and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from talentflow.common.app import install_platform
from talentflow.common.events import SCREENING_DECISIONS
from talentflow.common.runtime import ServiceRuntime
from talentflow.notify import consumers
from talentflow.notify.config import Settings, get_settings
from talentflow.notify.mailer import Mailer
from talentflow.notify.models import PLATFORM
from talentflow.notify.router import router

DESCRIPTION = """\
Candidate emails about screening decisions (en and zh-CN), with the decision's explanation and
concrete advice; HR tasks for candidates routed to human review; the delivery history.

Every route needs a bearer token of a user with role `hr` or `hr_admin`; data is scoped to the
token's tenant. Errors are RFC 9457 `application/problem+json` documents.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; connections open in the lifespan, not here."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ServiceRuntime(settings, service="notify", tables=PLATFORM)
        if settings.run_consumers:
            handler = consumers.decision_handler(cipher=runtime.cipher, mailer=Mailer(settings))
            runtime.add_consumer("decisions", [SCREENING_DECISIONS], handler)
        async with runtime:
            app.state.runtime = runtime
            yield

    app = FastAPI(
        title="Talentflow notify", version="0.1.0", description=DESCRIPTION, lifespan=lifespan
    )
    app.state.settings = settings
    install_platform(app, service="notify", checks=lambda: app.state.runtime.readiness_checks())
    app.include_router(router)
    return app
