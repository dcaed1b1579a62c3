"""Screening's use cases for jobs, versioned rule sets and rule previews (decisions.py decides)."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.screening import repository
from talentflow.screening.exceptions import InvalidRule, JobNotFound, ProhibitedRequirement
from talentflow.screening.metrics import is_prohibited_metric, result_metrics
from talentflow.screening.models import Job, RuleSet
from talentflow.screening.outcomes import decide_outcome, explain_outcome
from talentflow.screening.rules import Rule, RuleError, compile_rule
from talentflow.screening.schemas import JobCreate, PreviewIn, PreviewOut

log = logging.getLogger(__name__)


def _compile(expression: str, *, field: str) -> Rule:
    try:
        return compile_rule(expression)
    except RuleError as exc:
        raise InvalidRule(exc, field=field) from exc


async def _job(session: AsyncSession, *, tenant_id: uuid.UUID, job_id: uuid.UUID) -> Job:
    job = await repository.get_job(session, job_id=job_id, tenant_id=tenant_id)
    if job is None:
        raise JobNotFound(job_id)
    return job


async def create_job(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    job_in: JobCreate,
    created_by: uuid.UUID | None,
    job_id: uuid.UUID | None = None,
) -> Job:
    """Create a job, with its first rule set as the active one when a rule is given."""
    for name in job_in.requirements:
        if is_prohibited_metric(name):
            raise ProhibitedRequirement(name)
    if job_in.rule is not None:
        _compile(job_in.rule.expression, field="rule.expression")
    job = Job(
        id=job_id or uuid.uuid4(),
        tenant_id=tenant_id,
        title=job_in.title,
        requirements=dict(job_in.requirements),
        auto_reject_enabled=job_in.auto_reject_enabled,
    )
    await repository.add(session, job)
    if job_in.rule is not None:
        await repository.add(
            session,
            RuleSet(
                job_id=job.id,
                version=1,
                expression=job_in.rule.expression,
                on_fail=job_in.rule.on_fail,
                active=True,
                created_by=created_by,
            ),
        )
    log.info("job created", extra={"job_id": str(job.id), "tenant_id": str(tenant_id)})
    return await _job(session, tenant_id=tenant_id, job_id=job.id)


async def get_job(session: AsyncSession, *, tenant_id: uuid.UUID, job_id: uuid.UUID) -> Job:
    """The tenant's job with its active rule; JobNotFound otherwise."""
    return await _job(session, tenant_id=tenant_id, job_id=job_id)


async def list_jobs(
    session: AsyncSession, *, tenant_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[Job], int]:
    """A page of the tenant's jobs and the total."""
    return await repository.list_jobs(session, tenant_id=tenant_id, limit=limit, offset=offset)


async def add_rule_set(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    job_id: uuid.UUID,
    expression: str,
    on_fail: str,
    created_by: uuid.UUID | None,
) -> RuleSet:
    """Store a new version of the job's rule and make it the only active one."""
    _compile(expression, field="expression")
    job = await repository.get_job(session, job_id=job_id, tenant_id=tenant_id, for_update=True)
    if job is None:
        raise JobNotFound(job_id)
    version = await repository.next_rule_version(session, job_id=job_id)
    await repository.deactivate_rule_sets(session, job_id=job_id)
    rule_set = RuleSet(
        job_id=job_id,
        version=version,
        expression=expression,
        on_fail=on_fail,
        active=True,
        created_by=created_by,
    )
    await repository.add(session, rule_set)
    log.info("rule set added", extra={"job_id": str(job_id), "version": version})
    return rule_set


async def list_rule_sets(
    session: AsyncSession, *, tenant_id: uuid.UUID, job_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[RuleSet], int]:
    """A page of the job's rule sets, newest version first."""
    await _job(session, tenant_id=tenant_id, job_id=job_id)
    return await repository.list_rule_sets(session, job_id=job_id, limit=limit, offset=offset)


async def preview_rule(
    session: AsyncSession, *, tenant_id: uuid.UUID, job_id: uuid.UUID, preview: PreviewIn
) -> PreviewOut:
    """Evaluate an expression against given values for the job; stores nothing."""
    job = await _job(session, tenant_id=tenant_id, job_id=job_id)
    rule = _compile(preview.expression, field="expression")
    evaluation = rule.evaluate(
        result_metrics(
            competencies=preview.competencies, counts=preview.counts, overall=preview.overall
        )
    )
    outcome = decide_outcome(
        holds=evaluation.holds,
        on_fail=preview.on_fail,
        auto_reject_enabled=job.auto_reject_enabled,
    )
    return PreviewOut(
        holds=evaluation.holds,
        outcome=outcome,
        conditions=list(evaluation.conditions),
        explanation=explain_outcome(outcome, evaluation, on_fail=preview.on_fail),
    )
