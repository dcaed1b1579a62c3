"""The notify HTTP API: delivery history and HR tasks (callers with role hr or hr_admin)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from talentflow.common.dependencies import HrDep, SessionDep
from talentflow.common.openapi import problems
from talentflow.notify import service
from talentflow.notify.dependencies import PageDep, TaskForUpdateDep
from talentflow.notify.models import HrTask, TaskStatus
from talentflow.notify.schemas import DeliveryPage, TaskOut, TaskPage

router = APIRouter(
    prefix="/v1",
    responses=problems(
        401, 403, descriptions={403: "The caller's roles do not allow this (needs hr or hr_admin)"}
    ),
)

TASK_PROBLEMS = {
    404: "No such task in the caller's tenant",
    409: "The task is already completed, or a newer decision superseded it",
}


@router.get(
    "/deliveries",
    tags=["deliveries"],
    summary="A candidate's notification deliveries",
    description="Newest first, without the recipient address. Each read is audited.",
    response_model=DeliveryPage,
    responses=problems(422),
)
async def list_deliveries(
    session: SessionDep,
    principal: HrDep,
    candidate_id: Annotated[uuid.UUID, Query(description="The candidate whose deliveries to list")],
    page: PageDep,
) -> DeliveryPage:
    return await service.list_deliveries(
        session,
        principal=principal,
        candidate_id=candidate_id,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/tasks",
    tags=["tasks"],
    summary="HR tasks of the caller's tenant",
    description="Newest first; `status` filters open, done or superseded tasks.",
    response_model=TaskPage,
    responses=problems(422),
)
async def list_tasks(
    session: SessionDep,
    principal: HrDep,
    page: PageDep,
    status: Annotated[TaskStatus | None, Query(description="Only tasks in this status")] = None,
) -> TaskPage:
    return await service.list_tasks(
        session,
        tenant_id=principal.tenant_id,
        status=status,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/tasks/{task_id}",
    tags=["tasks"],
    summary="One HR task",
    response_model=TaskOut,
    responses=problems(404, 422, descriptions=TASK_PROBLEMS),
)
async def get_task(
    session: SessionDep,
    principal: HrDep,
    task_id: Annotated[uuid.UUID, Path(description="The task's id")],
) -> HrTask:
    return await service.get_task(session, tenant_id=principal.tenant_id, task_id=task_id)


@router.post(
    "/tasks/{task_id}/complete",
    tags=["tasks"],
    summary="Complete an HR task",
    description="Marks an open task done by the caller; a done or superseded task is a 409.",
    response_model=TaskOut,
    responses=problems(404, 409, 422, descriptions=TASK_PROBLEMS),
)
async def complete_task(session: SessionDep, principal: HrDep, task: TaskForUpdateDep) -> HrTask:
    return await service.complete_task(session, task=task, principal=principal)
