"""Analytics' HTTP API: reports over the read model, for the caller's tenant."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from talentflow.analytics import service
from talentflow.analytics.dependencies import PeriodDep
from talentflow.analytics.schemas import CompetencyReport, FunnelReport, Problem
from talentflow.common.dependencies import HrDep, SessionDep

router = APIRouter(prefix="/v1/reports", tags=["reports"])

PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No valid bearer token."},
    403: {"model": Problem, "description": "The caller has neither the hr nor the hr_admin role."},
    422: {"model": Problem, "description": "A query parameter is invalid; `errors` names it."},
    503: {"model": Problem, "description": "The database is unavailable; retry later."},
}

JobFilter = Annotated[uuid.UUID | None, Query(description="Only this job's results.")]


@router.get(
    "/funnel",
    response_model=FunnelReport,
    summary="Screening funnel per job",
    response_description="The funnel per job and in total.",
    responses=PROBLEMS,
)
async def get_funnel(
    principal: HrDep,
    period: PeriodDep,
    session: SessionDep,
    job_id: JobFilter = None,
) -> FunnelReport:
    """Results received, decided, advanced, rejected and in review per job and in total, for
    results interviewed in the period. A result counts with its latest decision."""
    return await service.funnel_report(
        session, tenant_id=principal.tenant_id, job_id=job_id, period=period
    )


@router.get(
    "/competencies",
    response_model=CompetencyReport,
    summary="Score distribution per competency",
    response_description="Count, mean, median and quartiles per competency.",
    responses=PROBLEMS,
)
async def get_competencies(
    principal: HrDep,
    session: SessionDep,
    job_id: JobFilter = None,
) -> CompetencyReport:
    """Count, mean, median and quartiles (linear interpolation) of each competency's scores."""
    return await service.competency_report(session, tenant_id=principal.tenant_id, job_id=job_id)
