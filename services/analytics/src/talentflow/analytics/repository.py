"""All of analytics' SQL: idempotent upserts into the read model and the report queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.analytics.models import Base, Decision, Outcome, Result


def _column_values(row: Base) -> dict[str, Any]:
    """The column values of a transient model instance, for a Core INSERT."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


async def _upsert(
    session: AsyncSession,
    row: Base,
    *,
    key: str,
    newer: str,
    keep: tuple[str, ...] = (),
) -> None:
    """Insert `row`, or overwrite the stored row of the same `key` unless it is newer.

    "Newer" compares the `newer` column: a redelivery (equal) rewrites the same values, a
    correction (greater) replaces them, a stale copy (smaller) changes nothing. Columns in
    `keep` are written once and never overwritten.
    """
    table = row.__table__
    values = _column_values(row)
    stmt = insert(type(row)).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[key]],
        set_={name: stmt.excluded[name] for name in values if name != key and name not in keep},
        where=table.c[newer] <= stmt.excluded[newer],
    )
    await session.execute(stmt)


async def upsert_result(session: AsyncSession, result: Result) -> None:
    """Store a result; a higher `version` of the same result replaces it."""
    await _upsert(session, result, key="result_id", newer="version", keep=("received_at",))


async def upsert_decision(session: AsyncSession, decision: Decision) -> None:
    """Store a decision; a copy with a later `decided_at` replaces it."""
    await _upsert(session, decision, key="decision_id", newer="decided_at")


async def upsert_outcome(session: AsyncSession, outcome: Outcome) -> None:
    """Store an employment outcome; a later report (`recorded_at`) of it replaces it."""
    await _upsert(session, outcome, key="outcome_id", newer="recorded_at")


@dataclass(frozen=True, slots=True)
class FunnelRow:
    """Funnel counts of one job, or of all jobs together when `job_id` is None."""

    job_id: uuid.UUID | None
    received: int
    imported: int
    decided: int
    advanced: int
    rejected: int
    in_review: int
    median_seconds: float | None


def _result_filters(
    *,
    tenant_id: uuid.UUID,
    job_id: uuid.UUID | None,
    since: datetime | None = None,
    until: datetime | None = None,
    origin: str | None = None,
) -> list[ColumnElement[bool]]:
    filters = [Result.tenant_id == tenant_id]
    if job_id is not None:
        filters.append(Result.job_id == job_id)
    if origin is not None:
        filters.append(Result.origin == origin)
    if since is not None:
        filters.append(Result.interviewed_at >= since)
    if until is not None:
        filters.append(Result.interviewed_at < until)
    return filters


def _funnel_query(filters: list[ColumnElement[bool]], tenant_id: uuid.UUID) -> Select[Any]:
    # Each result counts with its latest decision (a human review may follow an automatic one).
    latest = (
        select(Decision.result_id, Decision.outcome, Decision.decided_at)
        .where(Decision.tenant_id == tenant_id)
        .ext(distinct_on(Decision.result_id))
        .order_by(Decision.result_id, Decision.decided_at.desc(), Decision.decision_id.desc())
        .subquery("latest")
    )
    seconds = cast(func.extract("epoch", latest.c.decided_at - Result.interviewed_at), Float)
    return (
        select(
            Result.job_id,
            func.grouping(Result.job_id).label("is_total"),
            func.count().label("received"),
            func.count().filter(Result.origin == "import").label("imported"),
            func.count(latest.c.result_id).label("decided"),
            func.count().filter(latest.c.outcome == "advance").label("advanced"),
            func.count().filter(latest.c.outcome == "reject").label("rejected"),
            func.count().filter(latest.c.outcome == "review").label("in_review"),
            func.percentile_cont(0.5).within_group(seconds).label("median_seconds"),
        )
        .select_from(Result)
        .outerjoin(latest, latest.c.result_id == Result.result_id)
        .where(*filters)
        # ROLLUP adds the all-jobs row (grouping() = 1) next to one row per job.
        .group_by(func.rollup(Result.job_id))
        .order_by(literal_column("is_total"), Result.job_id)
    )


async def funnel_counts(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    job_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    origin: str | None = None,
) -> list[FunnelRow]:
    """Funnel rows per job (by job id), then the all-jobs row, for results interviewed in range."""
    filters = _result_filters(
        tenant_id=tenant_id, job_id=job_id, since=since, until=until, origin=origin
    )
    rows = (await session.execute(_funnel_query(filters, tenant_id))).all()
    return [
        FunnelRow(
            job_id=None if row.is_total else row.job_id,
            received=row.received,
            imported=row.imported,
            decided=row.decided,
            advanced=row.advanced,
            rejected=row.rejected,
            in_review=row.in_review,
            median_seconds=row.median_seconds,
        )
        for row in rows
    ]


async def competency_scores(
    session: AsyncSession, *, tenant_id: uuid.UUID, job_id: uuid.UUID | None
) -> list[tuple[str, float]]:
    """Every (competency, score) pair of the tenant's results, by competency."""
    pairs = func.jsonb_each_text(Result.competencies).table_valued("key", "value")
    stmt = (
        select(pairs.c.key, cast(pairs.c.value, Float))
        .select_from(Result)
        .join(pairs, literal_column("true"))
        .where(*_result_filters(tenant_id=tenant_id, job_id=job_id))
        .order_by(pairs.c.key)
    )
    return [(key, score) for key, score in await session.execute(stmt)]
