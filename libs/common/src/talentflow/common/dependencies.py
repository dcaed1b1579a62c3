"""FastAPI dependencies every service shares: runtime, the request's unit of work, HR callers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.auth import Principal, Role, require_roles
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


# scope="function": the commit happens before the response is sent, so a 2xx means the change
# is durable (the default "request" scope would commit after the client has its answer).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

# A verified caller from HR (hr or hr_admin) of the token's tenant.
HrDep = Annotated[Principal, require_roles(Role.HR, Role.HR_ADMIN)]
