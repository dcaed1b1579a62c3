"""FastAPI dependencies: the task of the path, locked; the page of a listing."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from talentflow.common.dependencies import HrDep, SessionDep
from talentflow.common.pagination import Pagination, pagination
from talentflow.notify import service
from talentflow.notify.models import HrTask


async def get_task_for_update(
    task_id: Annotated[uuid.UUID, Path(description="The task's id")],
    session: SessionDep,
    principal: HrDep,
) -> HrTask:
    """The caller's tenant's task of the path, locked for this request; 404 otherwise."""
    return await service.get_task(
        session, tenant_id=principal.tenant_id, task_id=task_id, for_update=True
    )


TaskForUpdateDep = Annotated[HrTask, Depends(get_task_for_update)]

# Listings: 50 per page by default, at most 200.
PageDep = Annotated[Pagination, Depends(pagination(default_limit=50, max_limit=200))]
