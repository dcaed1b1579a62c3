"""FastAPI dependencies: one session (one transaction) per request, the runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.runtime import ServiceRuntime


def get_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the handler returns, rolled back if it raises."""
    async with runtime.sessionmaker() as session, session.begin():
        yield session
    runtime.notify_outbox()


SessionDep = Annotated[AsyncSession, Depends(get_session)]
