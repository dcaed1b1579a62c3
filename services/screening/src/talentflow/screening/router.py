"""Screening's HTTP API: jobs, their versioned rule sets, rule previews and decisions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from talentflow.common.auth import PrincipalDep
from talentflow.common.dependencies import HrDep, SessionDep
from talentflow.common.openapi import problems
from talentflow.common.pagination import PaginationDep
from talentflow.screening import decisions, service
from talentflow.screening.outcomes import Outcome
from talentflow.screening.schemas import (
    DecisionOut,
    DecisionPage,
    JobCreate,
    JobOut,
    JobPage,
    PreviewIn,
    PreviewOut,
    RuleIn,
    RuleSetOut,
    RuleSetPage,
)

router = APIRouter(prefix="/v1", generate_unique_id_function=lambda route: route.name)


@router.post(
    "/jobs",
    status_code=status.HTTP_201_CREATED,
    response_model=JobOut,
    summary="Create a job, optionally with its first rule",
    response_description="The created job",
    tags=["jobs"],
    responses=problems(401, 403, 422),
)
async def create_job(
    body: JobCreate, session: SessionDep, principal: HrDep, response: Response
) -> JobOut:
    job = await service.create_job(
        session, tenant_id=principal.tenant_id, job_in=body, created_by=principal.subject
    )
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return JobOut.model_validate(job)


@router.get(
    "/jobs",
    response_model=JobPage,
    summary="List the tenant's jobs",
    response_description="A page of jobs, newest first",
    tags=["jobs"],
    responses=problems(401, 403, 422),
)
async def list_jobs(session: SessionDep, principal: HrDep, page: PaginationDep) -> JobPage:
    jobs, total = await service.list_jobs(
        session, tenant_id=principal.tenant_id, limit=page.limit, offset=page.offset
    )
    return JobPage.model_validate(
        {"items": jobs, "total": total, "limit": page.limit, "offset": page.offset},
        from_attributes=True,
    )


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    summary="Get a job with its active rule",
    response_description="The job",
    tags=["jobs"],
    responses=problems(401, 403, 404, 422),
)
async def get_job(job_id: uuid.UUID, session: SessionDep, principal: HrDep) -> JobOut:
    job = await service.get_job(session, tenant_id=principal.tenant_id, job_id=job_id)
    return JobOut.model_validate(job)


@router.post(
    "/jobs/{job_id}/rule-sets",
    status_code=status.HTTP_201_CREATED,
    response_model=RuleSetOut,
    summary="Add a rule version; it becomes the job's only active rule",
    response_description="The new, active rule set",
    tags=["rule sets"],
    responses=problems(401, 403, 404, 422),
)
async def add_rule_set(
    job_id: uuid.UUID, body: RuleIn, session: SessionDep, principal: HrDep
) -> RuleSetOut:
    rule_set = await service.add_rule_set(
        session,
        tenant_id=principal.tenant_id,
        job_id=job_id,
        expression=body.expression,
        on_fail=body.on_fail,
        created_by=principal.subject,
    )
    return RuleSetOut.model_validate(rule_set)


@router.get(
    "/jobs/{job_id}/rule-sets",
    response_model=RuleSetPage,
    summary="List a job's rule versions, newest first",
    response_description="A page of rule sets",
    tags=["rule sets"],
    responses=problems(401, 403, 404, 422),
)
async def list_rule_sets(
    job_id: uuid.UUID,
    session: SessionDep,
    principal: HrDep,
    page: PaginationDep,
) -> RuleSetPage:
    rule_sets, total = await service.list_rule_sets(
        session,
        tenant_id=principal.tenant_id,
        job_id=job_id,
        limit=page.limit,
        offset=page.offset,
    )
    return RuleSetPage.model_validate(
        {"items": rule_sets, "total": total, "limit": page.limit, "offset": page.offset},
        from_attributes=True,
    )


@router.post(
    "/jobs/{job_id}/rule-sets/preview",
    response_model=PreviewOut,
    summary="Try a rule on given values without storing anything",
    response_description="The evaluation, outcome and explanation",
    tags=["rule sets"],
    responses=problems(401, 403, 404, 422),
)
async def preview_rule(
    job_id: uuid.UUID, body: PreviewIn, session: SessionDep, principal: HrDep
) -> PreviewOut:
    return await service.preview_rule(
        session, tenant_id=principal.tenant_id, job_id=job_id, preview=body
    )


@router.get(
    "/decisions",
    response_model=DecisionPage,
    summary="List the tenant's screening decisions",
    response_description="A page of decisions, newest first",
    tags=["decisions"],
    responses=problems(401, 403, 422),
)
async def list_decisions(
    session: SessionDep,
    principal: HrDep,
    page: PaginationDep,
    candidate_id: uuid.UUID | None = None,
    job_id: uuid.UUID | None = None,
    outcome: Outcome | None = None,
) -> DecisionPage:
    found, total = await decisions.list_decisions(
        session,
        principal=principal,
        candidate_id=candidate_id,
        job_id=job_id,
        outcome=outcome,
        limit=page.limit,
        offset=page.offset,
    )
    return DecisionPage.model_validate(
        {"items": found, "total": total, "limit": page.limit, "offset": page.offset},
        from_attributes=True,
    )


@router.get(
    "/decisions/{decision_id}",
    response_model=DecisionOut,
    summary="Get a decision with its explanation (HR, or the candidate it is about)",
    response_description="The decision",
    tags=["decisions"],
    responses=problems(401, 404, 422),
)
async def get_decision(
    decision_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> DecisionOut:
    decision = await decisions.get_decision(session, principal=principal, decision_id=decision_id)
    return DecisionOut.model_validate(decision)
