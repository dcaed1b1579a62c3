"""The gateway's use cases: fill the read model from events, serve people their reports."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.audit import record_access
from talentflow.common.auth import Principal
from talentflow.common.crypto import FieldCipher, SubjectErased
from talentflow.common.events import InterviewResult, ScreeningDecisionMade
from talentflow.selfservice import repository
from talentflow.selfservice.analysis import build_report
from talentflow.selfservice.exceptions import (
    CandidateNotFound,
    PersonNotFound,
    ReportNotFound,
    TenantMismatch,
)
from talentflow.selfservice.models import PLATFORM, Decision, PersonKind, Report
from talentflow.selfservice.schemas import CandidatePage, CandidateSummary, InterviewReport, Profile

log = logging.getLogger(__name__)


async def upsert_person(
    session: AsyncSession,
    *,
    cipher: FieldCipher,
    person_id: uuid.UUID,
    tenant_id: uuid.UUID,
    kind: PersonKind,
    external_id: str | None,
    name: str | None,
    email: str | None,
    locale: str,
) -> None:
    """Create or refresh a person, name and e-mail encrypted under their own key."""
    stored = await repository.upsert_person(
        session,
        person_id=person_id,
        tenant_id=tenant_id,
        kind=kind,
        external_id=external_id,
        name=await cipher.encrypt(session, person_id, name) if name else None,
        email=await cipher.encrypt(session, person_id, email) if email else None,
        locale=locale,
    )
    if not stored:
        raise TenantMismatch(f"person {person_id} belongs to another tenant")


async def record_result(
    session: AsyncSession, *, cipher: FieldCipher, event: InterviewResult
) -> None:
    """Store an interview result and its candidate's contact (personal data encrypted).

    A correction (higher `version`) replaces the stored result; an older version changes nothing.
    """
    await _upsert_candidate(session, cipher, event)
    evidence = [quote.model_dump(mode="json") for quote in event.evidence]
    stored = await repository.upsert_report(
        session,
        {
            "result_id": event.result_id,
            "tenant_id": event.tenant_id,
            "candidate_id": event.candidate_id,
            "job_id": event.job_id,
            "vendor_id": event.vendor_id,
            "interviewed_at": event.interviewed_at,
            "overall_score": event.overall_score,
            "competencies": dict(event.competencies),
            "counts": dict(event.counts),
            "evidence": await cipher.encrypt_json(session, event.candidate_id, evidence),
            "report_url": event.report_url,
            "version": event.version,
            "origin": event.origin,
        },
    )
    if not stored:
        log.info(
            "older or foreign result version ignored",
            extra={"result_id": str(event.result_id), "version": event.version},
        )


async def record_decision(
    session: AsyncSession, *, cipher: FieldCipher, event: ScreeningDecisionMade
) -> None:
    """Store a screening decision (it may arrive before its result) and the candidate."""
    await _upsert_candidate(session, cipher, event)
    await repository.insert_decision(
        session,
        {
            "decision_id": event.decision_id,
            "result_id": event.result_id,
            "tenant_id": event.tenant_id,
            "candidate_id": event.candidate_id,
            "job_id": event.job_id,
            "job_title": event.job_title,
            "outcome": event.outcome,
            "requirements": dict(event.requirements),
            "conditions": [c.model_dump(mode="json") for c in event.conditions],
            "explanation": event.explanation,
            "decided_at": event.decided_at,
        },
    )


async def _upsert_candidate(
    session: AsyncSession,
    cipher: FieldCipher,
    event: InterviewResult | ScreeningDecisionMade,
) -> None:
    contact = event.candidate
    await upsert_person(
        session,
        cipher=cipher,
        person_id=event.candidate_id,
        tenant_id=event.tenant_id,
        kind=PersonKind.CANDIDATE,
        external_id=contact.external_id,
        name=contact.name,
        email=contact.email,
        locale=contact.locale,
    )


async def get_profile(
    session: AsyncSession, *, cipher: FieldCipher, principal: Principal
) -> Profile:
    """The caller's own profile."""
    person = await repository.get_person(session, principal.subject)
    if person is None or person.tenant_id != principal.tenant_id:
        raise PersonNotFound("no profile for the signed-in person")
    return Profile(
        id=person.id,
        kind=PersonKind(person.kind),
        name=await _decrypt(session, cipher, person.id, person.name),
        email=await _decrypt(session, cipher, person.id, person.email),
        locale=person.locale,
    )


async def my_reports(
    session: AsyncSession, *, cipher: FieldCipher, principal: Principal
) -> list[InterviewReport]:
    """The caller's own interview reports, newest first."""
    return await _reports(
        session, cipher=cipher, tenant_id=principal.tenant_id, candidate_id=principal.subject
    )


async def my_report(
    session: AsyncSession, *, cipher: FieldCipher, principal: Principal, result_id: uuid.UUID
) -> InterviewReport:
    """One of the caller's own reports; not found when it is someone else's."""
    found = await _reports(
        session,
        cipher=cipher,
        tenant_id=principal.tenant_id,
        candidate_id=principal.subject,
        result_id=result_id,
    )
    if not found:
        raise ReportNotFound(f"no report {result_id} for the signed-in person")
    return found[0]


async def list_candidates(
    session: AsyncSession, *, cipher: FieldCipher, principal: Principal, limit: int, offset: int
) -> CandidatePage:
    """A page of the caller's tenant's candidates; the access is audited."""
    rows, total = await repository.candidate_page(
        session, tenant_id=principal.tenant_id, limit=limit, offset=offset
    )
    items = [
        CandidateSummary.model_validate(
            {
                "id": row.id,
                "name": await _decrypt(session, cipher, row.id, row.name),
                "latest_outcome": row.latest_outcome,
                "latest_interviewed_at": row.latest_interviewed_at,
            }
        )
        for row in rows
    ]
    await _audit(
        session,
        principal,
        subject_id=None,
        action="list",
        resource="selfservice/candidates",
        details={"candidate_ids": [str(r.id) for r in rows], "limit": limit, "offset": offset},
    )
    return CandidatePage(items=items, total=total, limit=limit, offset=offset)


async def candidate_reports(
    session: AsyncSession, *, cipher: FieldCipher, principal: Principal, candidate_id: uuid.UUID
) -> list[InterviewReport]:
    """A candidate's reports for HR of the same tenant; the access is audited."""
    candidate = await repository.find_candidate(
        session, tenant_id=principal.tenant_id, candidate_id=candidate_id
    )
    if candidate is None:
        raise CandidateNotFound(f"no candidate {candidate_id}")
    reports = await _reports(
        session, cipher=cipher, tenant_id=principal.tenant_id, candidate_id=candidate_id
    )
    await _audit(
        session,
        principal,
        subject_id=candidate_id,
        action="read",
        resource=f"selfservice/candidates/{candidate_id}/reports",
        details={"result_ids": [str(r.result_id) for r in reports]},
    )
    return reports


async def _reports(
    session: AsyncSession,
    *,
    cipher: FieldCipher,
    tenant_id: uuid.UUID,
    candidate_id: uuid.UUID,
    result_id: uuid.UUID | None = None,
) -> list[InterviewReport]:
    """Results joined with their latest decision (a decision without its result included)."""
    results: dict[uuid.UUID, Report] = {
        r.result_id: r
        for r in await repository.reports_of(
            session, tenant_id=tenant_id, candidate_id=candidate_id, result_id=result_id
        )
    }
    latest: dict[uuid.UUID, Decision] = {
        d.result_id: d
        for d in await repository.decisions_of(
            session, tenant_id=tenant_id, candidate_id=candidate_id, result_id=result_id
        )
    }
    views = []
    for rid in results.keys() | latest.keys():
        report = results.get(rid)
        evidence = await _evidence(session, cipher, report) if report is not None else []
        views.append(build_report(report=report, decision=latest.get(rid), evidence=evidence))
    views.sort(key=_newest_first)
    return views


def _newest_first(view: InterviewReport) -> tuple[float, str]:
    when = view.interviewed_at or (view.decision.decided_at if view.decision else None)
    return (-_seconds(when), str(view.result_id))


def _seconds(when: datetime | None) -> float:
    """`when` as seconds since the epoch (0 when unknown). asyncpg reads PostgreSQL's
    -infinity and infinity as the naive `datetime.min` and `datetime.max`, whose timestamp in
    local time is out of range: a naive value counts as UTC, so they sort oldest and newest."""
    if when is None:
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


async def _evidence(
    session: AsyncSession, cipher: FieldCipher, report: Report
) -> Sequence[dict[str, Any]]:
    try:
        quotes = await cipher.decrypt_json(session, report.candidate_id, report.evidence)
    except SubjectErased:
        return []
    return list(quotes)


async def _decrypt(
    session: AsyncSession, cipher: FieldCipher, subject_id: uuid.UUID, token: bytes | None
) -> str | None:
    """Decrypt a personal field; None when it is missing or its subject was erased."""
    if token is None:
        return None
    try:
        return await cipher.decrypt_text(session, subject_id, token)
    except SubjectErased:
        return None


async def _audit(
    session: AsyncSession,
    principal: Principal,
    *,
    subject_id: uuid.UUID | None,
    action: str,
    resource: str,
    details: dict[str, Any],
) -> None:
    await record_access(
        session,
        PLATFORM.audit_log,
        actor_id=str(principal.subject),
        actor_roles=[role.value for role in principal.roles],
        tenant_id=principal.tenant_id,
        subject_id=subject_id,
        action=action,
        resource=resource,
        details=details,
    )
