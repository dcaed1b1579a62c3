"""All of screening's SQL. Functions flush at most; the caller's boundary commits."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from talentflow.screening.models import Decision, Job, RuleSet

M = TypeVar("M", Job, RuleSet, Decision)


async def add(session: AsyncSession, *objects: Job | RuleSet) -> None:
    """Insert new rows now (so constraints are checked inside the transaction)."""
    session.add_all(objects)
    await session.flush()


async def get_job(
    session: AsyncSession, *, job_id: uuid.UUID, tenant_id: uuid.UUID, for_update: bool = False
) -> Job | None:
    """The tenant's job with its active rule loaded; `for_update` locks the job row."""
    stmt = (
        select(Job)
        .where(Job.id == job_id, Job.tenant_id == tenant_id)
        .options(selectinload(Job.active_rule))
        .execution_options(populate_existing=True)
    )
    if for_update:
        stmt = stmt.with_for_update(of=Job)
    job: Job | None = await session.scalar(stmt)
    return job


async def list_jobs(
    session: AsyncSession, *, tenant_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[Job], int]:
    """A page of the tenant's jobs, newest first, and how many there are."""
    stmt = select(Job).where(Job.tenant_id == tenant_id).options(selectinload(Job.active_rule))
    stmt = stmt.order_by(Job.created_at.desc(), Job.id)
    return await _page(session, stmt, limit=limit, offset=offset)


async def next_rule_version(session: AsyncSession, *, job_id: uuid.UUID) -> int:
    """The version number the job's next rule set gets."""
    current = await session.scalar(
        select(func.max(RuleSet.version)).where(RuleSet.job_id == job_id)
    )
    return int(current or 0) + 1


async def deactivate_rule_sets(session: AsyncSession, *, job_id: uuid.UUID) -> None:
    """Mark the job's active rule set (if any) inactive."""
    await session.execute(
        update(RuleSet)
        .where(RuleSet.job_id == job_id, RuleSet.active.is_(True))
        .values(active=False)
        .execution_options(synchronize_session="fetch")
    )


async def list_rule_sets(
    session: AsyncSession, *, job_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[RuleSet], int]:
    """A page of the job's rule sets, newest version first."""
    stmt = select(RuleSet).where(RuleSet.job_id == job_id).order_by(RuleSet.version.desc())
    return await _page(session, stmt, limit=limit, offset=offset)


async def insert_decision(session: AsyncSession, values: dict[str, Any]) -> Decision | None:
    """Insert a decision unless its result already has one of that version; None when it did."""
    stmt = (
        pg_insert(Decision)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[Decision.result_id, Decision.version])
        .returning(Decision)
    )
    decision: Decision | None = await session.scalar(stmt)
    return decision


async def latest_decision(session: AsyncSession, *, result_id: uuid.UUID) -> Decision | None:
    """The result's current decision (highest version), locked until the transaction ends."""
    decision: Decision | None = await session.scalar(
        select(Decision)
        .where(Decision.result_id == result_id)
        .order_by(Decision.version.desc())
        .limit(1)
        .with_for_update()
    )
    return decision


async def get_rule_set(
    session: AsyncSession, *, rule_set_id: uuid.UUID, job_id: uuid.UUID
) -> RuleSet | None:
    """One of the job's rule sets (active or not) by id."""
    rule_set: RuleSet | None = await session.scalar(
        select(RuleSet).where(RuleSet.id == rule_set_id, RuleSet.job_id == job_id)
    )
    return rule_set


async def get_decision(
    session: AsyncSession, *, decision_id: uuid.UUID, tenant_id: uuid.UUID
) -> Decision | None:
    """The tenant's decision by id."""
    decision: Decision | None = await session.scalar(
        select(Decision).where(Decision.id == decision_id, Decision.tenant_id == tenant_id)
    )
    return decision


async def list_decisions(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    candidate_id: uuid.UUID | None,
    job_id: uuid.UUID | None,
    outcome: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Decision], int]:
    """A page of the tenant's decisions matching the filters, newest first."""
    stmt = select(Decision).where(Decision.tenant_id == tenant_id)
    if candidate_id is not None:
        stmt = stmt.where(Decision.candidate_id == candidate_id)
    if job_id is not None:
        stmt = stmt.where(Decision.job_id == job_id)
    if outcome is not None:
        stmt = stmt.where(Decision.outcome == outcome)
    stmt = stmt.order_by(Decision.decided_at.desc(), Decision.id)
    return await _page(session, stmt, limit=limit, offset=offset)


async def _page(
    session: AsyncSession, stmt: Select[M], *, limit: int, offset: int
) -> tuple[list[M], int]:
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = list((await session.scalars(stmt.limit(limit).offset(offset))).all())
    return items, int(total or 0)
