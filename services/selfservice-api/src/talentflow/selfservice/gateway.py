"""Routes forwarded to the internal services, declared one by one so OpenAPI lists them.

The gateway authenticates the caller (401 here without a valid token); what the caller may
do is decided by the internal service, which sees the same token.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from talentflow.common.auth import get_principal
from talentflow.common.openapi import problems
from talentflow.selfservice.dependencies import UpstreamsDep
from talentflow.selfservice.openapi import passthrough
from talentflow.selfservice.proxy import forward

router = APIRouter(prefix="/v1", tags=["hr"], dependencies=[Depends(get_principal)])

JobId = Annotated[uuid.UUID, Path(description="the job's id")]


def _json_body(what: str) -> dict[str, Any]:
    """`openapi_extra` of a forwarded route that takes a JSON body."""
    return {
        "requestBody": {
            "required": True,
            "description": f"{what}; validated by the internal service",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    }


def _responses(
    upstream: str, *, success: int = 200, path_params: bool = False
) -> dict[int | str, dict[str, Any]]:
    own = problems(401, 422) if path_params else problems(401)
    return {**own, **passthrough(upstream, success=success)}


@router.get(
    "/jobs", summary="List jobs (screening)", response_model=None, responses=_responses("screening")
)
async def list_jobs(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(request, upstreams=upstreams, upstream="screening", path="/v1/jobs")


@router.post(
    "/jobs",
    summary="Create a job with its requirement profile (screening)",
    response_model=None,
    status_code=201,
    responses=_responses("screening", success=201),
    openapi_extra=_json_body("the job and its requirements"),
)
async def create_job(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(request, upstreams=upstreams, upstream="screening", path="/v1/jobs")


@router.get(
    "/jobs/{job_id}",
    summary="One job (screening)",
    response_model=None,
    responses=_responses("screening", path_params=True),
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
    responses=_responses("screening", success=201, path_params=True),
    openapi_extra=_json_body("the rule set"),
)
async def create_rule_set(job_id: JobId, request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="screening", path=f"/v1/jobs/{job_id}/rule-sets"
    )


@router.get(
    "/vendors",
    summary="List interview vendors (ingest)",
    response_model=None,
    responses=_responses("ingest"),
)
async def list_vendors(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(request, upstreams=upstreams, upstream="ingest", path="/v1/vendors")


@router.post(
    "/vendors",
    summary="Register an interview vendor (ingest)",
    response_model=None,
    status_code=201,
    responses=_responses("ingest", success=201),
    openapi_extra=_json_body("the vendor"),
)
async def create_vendor(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(request, upstreams=upstreams, upstream="ingest", path="/v1/vendors")


@router.get(
    "/reports/funnel",
    summary="Screening funnel report (analytics)",
    response_model=None,
    responses=_responses("analytics"),
)
async def funnel_report(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="analytics", path="/v1/reports/funnel"
    )


@router.get(
    "/tasks",
    summary="HR tasks, such as candidates to review (notify)",
    response_model=None,
    responses=_responses("notify"),
)
async def list_tasks(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(request, upstreams=upstreams, upstream="notify", path="/v1/tasks")
