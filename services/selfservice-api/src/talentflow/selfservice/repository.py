"""Every SQL statement of the gateway's read model."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.selfservice.models import Decision, Person, PersonKind, Report


@dataclass(frozen=True, slots=True)
class CandidateRow:
    id: uuid.UUID
    name: bytes | None
    latest_outcome: str | None
    latest_interviewed_at: datetime | None


async def get_person(session: AsyncSession, person_id: uuid.UUID) -> Person | None:
    return await session.get(Person, person_id)


async def upsert_person(
    session: AsyncSession,
    *,
    person_id: uuid.UUID,
    tenant_id: uuid.UUID,
    kind: PersonKind,
    external_id: str | None,
    name: bytes | None,
    email: bytes | None,
    locale: str,
) -> bool:
    """Insert or refresh a person; a None field keeps the stored value. False: other tenant."""
    new = insert(Person).values(
        id=person_id,
        tenant_id=tenant_id,
        kind=kind.value,
        external_id=external_id,
        name=name,
        email=email,
        locale=locale,
    )
    ex = new.excluded
    stmt = new.on_conflict_do_update(
        index_elements=[Person.id],
        set_={
            "kind": ex.kind,
            "external_id": func.coalesce(ex.external_id, Person.external_id),
            "name": func.coalesce(ex.name, Person.name),
            "email": func.coalesce(ex.email, Person.email),
            "locale": ex.locale,
            "updated_at": func.now(),
        },
        where=Person.tenant_id == ex.tenant_id,
    ).returning(Person.id)
    return (await session.execute(stmt)).first() is not None


async def upsert_report(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Store a result unless a newer version is stored; False when nothing changed."""
    new = insert(Report).values(**values)
    ex = new.excluded
    columns = {k: getattr(ex, k) for k in values if k != "result_id"}
    stmt = new.on_conflict_do_update(
        index_elements=[Report.result_id],
        set_={**columns, "received_at": func.now()},
        where=(Report.version <= ex.version) & (Report.tenant_id == ex.tenant_id),
    ).returning(Report.result_id)
    return (await session.execute(stmt)).first() is not None


async def insert_decision(session: AsyncSession, values: dict[str, Any]) -> None:
    """Store a decision (decisions never change; a repeated id is ignored)."""
    stmt = (
        insert(Decision)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[Decision.decision_id])
    )
    await session.execute(stmt)


async def reports_of(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    candidate_id: uuid.UUID,
    result_id: uuid.UUID | None = None,
) -> list[Report]:
    """A candidate's results in a tenant (or the one result `result_id`)."""
    stmt = select(Report).where(Report.tenant_id == tenant_id, Report.candidate_id == candidate_id)
    if result_id is not None:
        stmt = stmt.where(Report.result_id == result_id)
    return list((await session.scalars(stmt)).all())


async def decisions_of(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    candidate_id: uuid.UUID,
    result_id: uuid.UUID | None = None,
) -> list[Decision]:
    """A candidate's decisions in a tenant (or about `result_id`), oldest first."""
    stmt = select(Decision).where(
        Decision.tenant_id == tenant_id, Decision.candidate_id == candidate_id
    )
    if result_id is not None:
        stmt = stmt.where(Decision.result_id == result_id)
    stmt = stmt.order_by(Decision.decided_at, Decision.decision_id)
    return list((await session.scalars(stmt)).all())


async def candidate_page(
    session: AsyncSession, *, tenant_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[CandidateRow], int]:
    """A page of a tenant's candidates, most recently interviewed first, and the total."""
    latest_interview = (
        select(func.max(Report.interviewed_at))
        .where(Report.candidate_id == Person.id, Report.tenant_id == Person.tenant_id)
        .scalar_subquery()
    )
    latest_outcome = (
        select(Decision.outcome)
        .where(Decision.candidate_id == Person.id, Decision.tenant_id == Person.tenant_id)
        .order_by(Decision.decided_at.desc(), Decision.decision_id.desc())
        .limit(1)
        .scalar_subquery()
    )
    in_tenant = (Person.tenant_id == tenant_id, Person.kind == PersonKind.CANDIDATE.value)
    stmt = (
        select(
            Person.id,
            Person.name,
            latest_outcome.label("latest_outcome"),
            latest_interview.label("latest_interviewed_at"),
        )
        .where(*in_tenant)
        .order_by(func.coalesce(latest_interview, Person.created_at).desc(), Person.id)
        .limit(limit)
        .offset(offset)
    )
    rows = [
        CandidateRow(
            id=row.id,
            name=row.name,
            latest_outcome=row.latest_outcome,
            latest_interviewed_at=row.latest_interviewed_at,
        )
        for row in (await session.execute(stmt)).all()
    ]
    total = await session.scalar(select(func.count()).select_from(Person).where(*in_tenant))
    return rows, int(total or 0)


async def find_candidate(
    session: AsyncSession, *, tenant_id: uuid.UUID, candidate_id: uuid.UUID
) -> Person | None:
    """The tenant's candidate `candidate_id`, or None (also for another tenant's)."""
    stmt = select(Person).where(
        Person.id == candidate_id,
        Person.tenant_id == tenant_id,
        Person.kind == PersonKind.CANDIDATE.value,
    )
    return (await session.scalars(stmt)).one_or_none()
