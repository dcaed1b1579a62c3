"""Routes forwarded to screening, analytics and notify, declared one by one so OpenAPI lists
them (ingest's: gateway_ingest.py).

The gateway authenticates the caller (401 here without a valid token); what the caller may
do is decided by the internal service, which sees the same token.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from talentflow.common.auth import get_principal
from talentflow.selfservice.dependencies import UpstreamsDep
from talentflow.selfservice.openapi import forwarded, json_body
from talentflow.selfservice.proxy import forward

router = APIRouter(prefix="/v1", tags=["hr"], dependencies=[Depends(get_principal)])

JobId = Annotated[uuid.UUID, Path(description="the job's id")]
DecisionId = Annotated[uuid.UUID, Path(description="the decision's id")]
TaskId = Annotated[uuid.UUID, Path(description="the task's id")]


@router.get(
    "/jobs", summary="List jobs (screening)", response_model=None, responses=forwarded("screening")
)
async def list_jobs(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(request, upstreams=upstreams, upstream="screening", path="/v1/jobs")


@router.post(
    "/jobs",
    summary="Create a job with its requirement profile (screening)",
    response_model=None,
    status_code=201,
    responses=forwarded("screening", success=201),
    openapi_extra=json_body("the job and its requirements"),
)
async def create_job(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(request, upstreams=upstreams, upstream="screening", path="/v1/jobs")


@router.get(
    "/jobs/{job_id}",
    summary="One job (screening)",
    response_model=None,
    responses=forwarded("screening", path_params=True),
)
async def get_job(job_id: JobId, request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="screening", path=f"/v1/jobs/{job_id}"
    )


@router.post(
    "/jobs/{job_id}/rule-sets",
    summary="Add a new version of a job's screening rules (screening)",
    response_model=None,
    status_code=201,
    responses=forwarded("screening", success=201, path_params=True),
    openapi_extra=json_body("the rule set"),
)
async def create_rule_set(job_id: JobId, request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="screening", path=f"/v1/jobs/{job_id}/rule-sets"
    )


@router.get(
    "/jobs/{job_id}/rule-sets",
    summary="A job's rule versions, newest first (screening)",
    response_model=None,
    responses=forwarded("screening", path_params=True),
)
async def list_rule_sets(job_id: JobId, request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="screening", path=f"/v1/jobs/{job_id}/rule-sets"
    )


@router.post(
    "/jobs/{job_id}/rule-sets/preview",
    summary="Try a rule on given values without storing anything (screening)",
    response_model=None,
    responses=forwarded("screening", path_params=True),
    openapi_extra=json_body("the rule and the values to try it on"),
)
async def preview_rule_set(job_id: JobId, request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(
        request,
        upstreams=upstreams,
        upstream="screening",
        path=f"/v1/jobs/{job_id}/rule-sets/preview",
    )


@router.get(
    "/decisions",
    summary="The tenant's screening decisions, with their explanations (screening)",
    response_model=None,
    responses=forwarded("screening"),
)
async def list_decisions(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(request, upstreams=upstreams, upstream="screening", path="/v1/decisions")


@router.get(
    "/decisions/{decision_id}",
    summary="One screening decision with its explanation (screening)",
    response_model=None,
    responses=forwarded("screening", path_params=True),
)
async def get_decision(
    decision_id: DecisionId, request: Request, upstreams: UpstreamsDep
) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="screening", path=f"/v1/decisions/{decision_id}"
    )


@router.get(
    "/reports/funnel",
    summary="Screening funnel report (analytics)",
    response_model=None,
    responses=forwarded("analytics"),
)
async def funnel_report(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="analytics", path="/v1/reports/funnel"
    )


@router.get(
    "/reports/competencies",
    summary="Score distribution per competency (analytics)",
    response_model=None,
    responses=forwarded("analytics"),
)
async def competencies_report(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="analytics", path="/v1/reports/competencies"
    )


@router.get(
    "/tasks",
    summary="HR tasks, such as candidates to review (notify)",
    response_model=None,
    responses=forwarded("notify"),
)
async def list_tasks(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(request, upstreams=upstreams, upstream="notify", path="/v1/tasks")


@router.get(
    "/tasks/{task_id}",
    summary="One HR task (notify)",
    response_model=None,
    responses=forwarded("notify", path_params=True),
)
async def get_task(task_id: TaskId, request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="notify", path=f"/v1/tasks/{task_id}"
    )


@router.post(
    "/tasks/{task_id}/complete",
    summary="Complete an HR task, such as a review done (notify)",
    response_model=None,
    responses=forwarded("notify", path_params=True),
)
async def complete_task(task_id: TaskId, request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="notify", path=f"/v1/tasks/{task_id}/complete"
    )


@router.get(
    "/deliveries",
    summary="A candidate's notification deliveries (notify)",
    response_model=None,
    responses=forwarded("notify"),
)
async def list_deliveries(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(request, upstreams=upstreams, upstream="notify", path="/v1/deliveries")
