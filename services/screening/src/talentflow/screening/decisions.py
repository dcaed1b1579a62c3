"""Screening's decisions: deciding interview results, corrected ones included, and reading them.

The rules (README, "Corrections and historical results"): a historical (imported) result is
never decided; a corrected result without a decision is decided as usual; a corrected result
with one is re-evaluated against the rule set that made that decision, and only a changed
outcome is recorded, as the next version of the decision that supersedes the previous one and
explains why it was decided again (GDPR Art. 22, AI Act Art. 86).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common import audit, outbox
from talentflow.common.auth import Principal, Role
from talentflow.common.crypto import FieldCipher
from talentflow.common.events import (
    Envelope,
    InterviewResult,
    InterviewResultCorrected,
    ScreeningDecisionMade,
)
from talentflow.screening import repository
from talentflow.screening.exceptions import DecisionNotFound, ResultForUnknownJob
from talentflow.screening.metrics import result_metrics
from talentflow.screening.models import PLATFORM, Decision, Job, RuleSet
from talentflow.screening.outcomes import Outcome, Verdict, explain_correction, judge

log = logging.getLogger(__name__)

SOURCE = "/screening"
HR_ROLES = (Role.HR, Role.HR_ADMIN)


async def decide(
    session: AsyncSession, *, result: InterviewResult, cipher: FieldCipher
) -> Decision | None:
    """Decide a result, or re-decide a corrected one; None when nothing new was decided."""
    ids = {"result_id": str(result.result_id), "result_version": result.version}
    if result.origin == "import":
        # Historical results were decided, if ever, in the tenant's earlier system: deciding
        # them now would tell candidates about interviews long past.
        log.info("historical result not screened", extra=ids)
        return None
    job = await repository.get_job(session, job_id=result.job_id, tenant_id=result.tenant_id)
    if job is None:
        raise ResultForUnknownJob(
            job_id=result.job_id, tenant_id=result.tenant_id, result_id=result.result_id
        )
    if isinstance(result, InterviewResultCorrected):
        current = await repository.latest_decision(session, result_id=result.result_id)
        if current is not None:
            return await _redecide(session, result=result, job=job, current=current, cipher=cipher)
    verdict = _judge(job, job.active_rule, result)
    decision = await _record(session, result=result, job=job, verdict=verdict, cipher=cipher)
    if decision is None:
        log.info("result already decided", extra=ids)
    return decision


async def _redecide(
    session: AsyncSession,
    *,
    result: InterviewResultCorrected,
    job: Job,
    current: Decision,
    cipher: FieldCipher,
) -> Decision | None:
    """Re-evaluate a corrected result; record a superseding decision only if the outcome
    changed, or the result now names another job."""
    ids = {"result_id": str(result.result_id), "decision_id": str(current.id)}
    if current.result_version >= result.version:
        log.info("correction already evaluated", extra={**ids, "result_version": result.version})
        return None
    # The rule set that made the current decision judges the corrected values, so that only the
    # correction can change the outcome (a rule changed since then does not reopen decisions).
    # A correction that moved the result to another job, or a decision made without a rule,
    # is judged by the job's active rule set, as a new result would be.
    rule_set = job.active_rule
    if current.job_id == job.id and current.rule_set_id is not None:
        rule_set = await repository.get_rule_set(
            session, rule_set_id=current.rule_set_id, job_id=job.id
        )
    verdict = _judge(job, rule_set, result)
    moved = current.job_id != job.id
    if verdict.outcome == current.outcome and not moved:
        # Same outcome for the same job: the decision stands as made (it names the result
        # version it evaluated); a new one would only send the candidate the same news again.
        # A result moved to another job is decided for that job, whatever the outcome: the
        # earlier decision was about a job the result no longer names.
        log.info("correction re-evaluated, outcome unchanged", extra=ids)
        return None
    # No human overrides exist yet. When they do, a correction must never silently replace a
    # decision a person made: record the re-evaluation for HR to review instead.
    explained = Verdict(
        outcome=verdict.outcome,
        evaluation=verdict.evaluation,
        explanation=explain_correction(
            verdict.explanation,
            previous=current.outcome,
            outcome=verdict.outcome,
            version=result.version,
            moved=moved,
        ),
        rule_set=verdict.rule_set,
    )
    decision = await _record(
        session, result=result, job=job, verdict=explained, cipher=cipher, supersedes=current
    )
    log.info("decision superseded by a correction", extra={**ids, "outcome": verdict.outcome})
    return decision


def _judge(job: Job, rule_set: RuleSet | None, result: InterviewResult) -> Verdict:
    metrics = result_metrics(
        competencies=result.competencies, counts=result.counts, overall=result.overall_score
    )
    return judge(rule_set=rule_set, auto_reject_enabled=job.auto_reject_enabled, metrics=metrics)


async def _record(
    session: AsyncSession,
    *,
    result: InterviewResult,
    job: Job,
    verdict: Verdict,
    cipher: FieldCipher,
    supersedes: Decision | None = None,
) -> Decision | None:
    """Store the decision and enqueue ScreeningDecisionMade; None when that version exists."""
    rule_set = verdict.rule_set
    decision = await repository.insert_decision(
        session,
        {
            "id": uuid.uuid4(),
            "tenant_id": result.tenant_id,
            "result_id": result.result_id,
            "version": supersedes.version + 1 if supersedes is not None else 1,
            "result_version": result.version,
            "supersedes_id": supersedes.id if supersedes is not None else None,
            "candidate_id": result.candidate_id,
            "job_id": job.id,
            "outcome": verdict.outcome,
            "rule_set_id": rule_set.id if rule_set else None,
            "rule_version": rule_set.version if rule_set else None,
            "conditions": [c.model_dump(mode="json") for c in verdict.evaluation.conditions],
            "explanation": verdict.explanation,
            "decided_at": datetime.now(UTC),
        },
    )
    if decision is None:
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
        outcome=verdict.outcome,
        rule_set_id=decision.rule_set_id,
        rule_version=decision.rule_version,
        rule_expression=rule_set.expression if rule_set else None,
        conditions=list(verdict.evaluation.conditions),
        explanation=verdict.explanation,
        decided_at=decision.decided_at,
    )
    envelope = Envelope(event=event, source=SOURCE, time=decision.decided_at)
    await outbox.enqueue(session, PLATFORM.outbox, envelope, cipher=cipher)
    log.info(
        "decision made",
        extra={
            "decision_id": str(decision.id),
            "job_id": str(job.id),
            "outcome": verdict.outcome,
            "version": decision.version,
        },
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
