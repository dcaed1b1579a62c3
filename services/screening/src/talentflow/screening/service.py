"""Screening's use cases: jobs, versioned rule sets, rule previews and decisions."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common import audit, outbox
from talentflow.common.auth import Principal, Role
from talentflow.common.crypto import FieldCipher
from talentflow.common.events import Envelope, InterviewResultReceived, ScreeningDecisionMade
from talentflow.screening import repository
from talentflow.screening.exceptions import (
    DecisionNotFound,
    InvalidRule,
    JobNotFound,
    ProhibitedRequirement,
    ResultForUnknownJob,
)
from talentflow.screening.metrics import is_prohibited_metric, result_metrics
from talentflow.screening.models import PLATFORM, Decision, Job, RuleSet
from talentflow.screening.outcomes import NO_ACTIVE_RULE, Outcome, decide_outcome, explain_outcome
from talentflow.screening.rules import Evaluation, Rule, RuleError, compile_rule
from talentflow.screening.schemas import JobCreate, PreviewIn, PreviewOut

log = logging.getLogger(__name__)

SOURCE = "/screening"
HR_ROLES = (Role.HR, Role.HR_ADMIN)


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


async def decide(
    session: AsyncSession, *, result: InterviewResultReceived, cipher: FieldCipher
) -> Decision | None:
    """Decide one interview result and enqueue ScreeningDecisionMade; None if already decided."""
    job = await repository.get_job(session, job_id=result.job_id, tenant_id=result.tenant_id)
    if job is None:
        raise ResultForUnknownJob(
            job_id=result.job_id, tenant_id=result.tenant_id, result_id=result.result_id
        )
    rule_set = job.active_rule
    evaluation = Evaluation(holds=False, conditions=())
    if rule_set is None:
        outcome: Outcome = "review"
        explanation = NO_ACTIVE_RULE
    else:
        try:
            rule = compile_rule(rule_set.expression)
        except RuleError as exc:  # a rule that a newer policy no longer accepts
            outcome = "review"
            explanation = f"Sent to human review: the active rule cannot be used ({exc})."
        else:
            evaluation = rule.evaluate(
                result_metrics(
                    competencies=result.competencies,
                    counts=result.counts,
                    overall=result.overall_score,
                )
            )
            outcome = decide_outcome(
                holds=evaluation.holds,
                on_fail=rule_set.on_fail,
                auto_reject_enabled=job.auto_reject_enabled,
            )
            explanation = explain_outcome(outcome, evaluation, on_fail=rule_set.on_fail)
    decision = await repository.insert_decision(
        session,
        {
            "id": uuid.uuid4(),
            "tenant_id": result.tenant_id,
            "result_id": result.result_id,
            "candidate_id": result.candidate_id,
            "job_id": job.id,
            "outcome": outcome,
            "rule_set_id": rule_set.id if rule_set else None,
            "rule_version": rule_set.version if rule_set else None,
            "conditions": [c.model_dump(mode="json") for c in evaluation.conditions],
            "explanation": explanation,
            "decided_at": datetime.now(UTC),
        },
    )
    if decision is None:
        log.info("result already decided", extra={"result_id": str(result.result_id)})
        return None
    event = ScreeningDecisionMade(
        decision_id=decision.id,
        result_id=decision.result_id,
        tenant_id=decision.tenant_id,
        candidate_id=decision.candidate_id,
        candidate=result.candidate,
        job_id=job.id,
        job_title=job.title,
        requirements=job.requirements,
        outcome=outcome,
        rule_set_id=decision.rule_set_id,
        rule_version=decision.rule_version,
        rule_expression=rule_set.expression if rule_set else None,
        conditions=list(evaluation.conditions),
        explanation=explanation,
        decided_at=decision.decided_at,
    )
    envelope = Envelope(event=event, source=SOURCE, time=decision.decided_at)
    await outbox.enqueue(session, PLATFORM.outbox, envelope, cipher=cipher)
    log.info(
        "decision made",
        extra={"decision_id": str(decision.id), "job_id": str(job.id), "outcome": outcome},
    )
    return decision


async def _audit_read(session: AsyncSession, principal: Principal, decision: Decision) -> None:
    if principal.subject == decision.candidate_id:
        return  # people reading their own data are not audited
    await audit.record_access(
        session,
        PLATFORM.audit_log,
        actor_id=str(principal.subject),
        actor_roles=sorted(principal.roles),
        tenant_id=decision.tenant_id,
        subject_id=decision.candidate_id,
        action="read",
        resource=f"screening/decisions/{decision.id}",
    )


async def get_decision(
    session: AsyncSession, *, principal: Principal, decision_id: uuid.UUID
) -> Decision:
    """A decision for HR of its tenant or the candidate it is about (audited for others)."""
    decision = await repository.get_decision(
        session, decision_id=decision_id, tenant_id=principal.tenant_id
    )
    if decision is None or not (
        principal.has(*HR_ROLES) or principal.subject == decision.candidate_id
    ):
        raise DecisionNotFound(decision_id)
    await _audit_read(session, principal, decision)
    return decision


async def list_decisions(
    session: AsyncSession,
    *,
    principal: Principal,
    candidate_id: uuid.UUID | None,
    job_id: uuid.UUID | None,
    outcome: Outcome | None,
    limit: int,
    offset: int,
) -> tuple[list[Decision], int]:
    """A page of the tenant's decisions for HR; each one returned is audited."""
    decisions, total = await repository.list_decisions(
        session,
        tenant_id=principal.tenant_id,
        candidate_id=candidate_id,
        job_id=job_id,
        outcome=outcome,
        limit=limit,
        offset=offset,
    )
    for decision in decisions:
        await _audit_read(session, principal, decision)
    return decisions, total
