"""Analytics' HTTP API: reports over the read model, for the caller's tenant."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from talentflow.analytics import service
from talentflow.analytics.dependencies import PeriodDep
from talentflow.analytics.schemas import CompetencyReport, FunnelReport
from talentflow.common.dependencies import HrDep, SessionDep
from talentflow.common.events.ingest import Origin
from talentflow.common.openapi import problems

router = APIRouter(prefix="/v1/reports", tags=["reports"])

PROBLEMS = problems(
    401, 403, 422, 503, descriptions={403: "The caller has neither the hr nor the hr_admin role"}
)

JobFilter = Annotated[uuid.UUID | None, Query(description="Only this job's results.")]
OriginFilter = Annotated[
    Origin | None,
    Query(
        description="Only live results (`webhook`) or only historical ones from a bulk import "
        "(`import`); both when omitted."
    ),
]


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
    origin: OriginFilter = None,
) -> FunnelReport:
    """Results received, imported, decided, undecided, advanced, rejected and in review per job
    and in total, for results interviewed in the period. A result counts with its latest
    decision; historical (imported) results are never decided, so they count as undecided and
    leave the advance rate and the time to decision alone."""
    return await service.funnel_report(
        session, tenant_id=principal.tenant_id, job_id=job_id, period=period, origin=origin
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
