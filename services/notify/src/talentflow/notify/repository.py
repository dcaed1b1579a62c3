"""Every query of the notify service."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.notify.models import Delivery, HrTask, TaskKind, TaskStatus


async def add_delivery(session: AsyncSession, delivery: Delivery) -> None:
    """Insert a delivery now, so a concurrent one for the same message conflicts before sending."""
    session.add(delivery)
    await session.flush()


async def save(session: AsyncSession) -> None:
    """Write pending changes of loaded rows."""
    await session.flush()


async def get_delivery(
    session: AsyncSession, *, decision_id: uuid.UUID, channel: str, template: str
) -> Delivery | None:
    """The delivery of one message about a decision, locked for this transaction."""
    return await session.scalar(
        select(Delivery)
        .where(
            Delivery.decision_id == decision_id,
            Delivery.channel == channel,
            Delivery.template == template,
        )
        .with_for_update()
    )


async def list_deliveries(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    candidate_id: uuid.UUID,
    limit: int,
    offset: int,
) -> tuple[Sequence[Delivery], int]:
    """A page of a candidate's deliveries, newest first, and how many there are in all."""
    where = (Delivery.tenant_id == tenant_id, Delivery.candidate_id == candidate_id)
    total = await session.scalar(select(func.count()).select_from(Delivery).where(*where))
    rows = await session.scalars(
        select(Delivery)
        .where(*where)
        .order_by(Delivery.created_at.desc(), Delivery.id)
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), int(total or 0)


async def supersede_open_tasks(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    candidate_id: uuid.UUID,
    job_id: uuid.UUID,
    decision_id: uuid.UUID,
) -> int:
    """Close the open tasks of earlier decisions about this candidate and job; how many."""
    result = await session.execute(
        update(HrTask)
        .where(
            HrTask.tenant_id == tenant_id,
            HrTask.candidate_id == candidate_id,
            HrTask.job_id == job_id,
            HrTask.decision_id != decision_id,
            HrTask.status == TaskStatus.OPEN.value,
        )
        .values(status=TaskStatus.SUPERSEDED.value, completed_at=func.now())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def add_review_task(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    candidate_id: uuid.UUID,
    decision_id: uuid.UUID,
    job_id: uuid.UUID,
) -> bool:
    """Open a review task for a decision unless it has one; True when it was created."""
    created = await session.scalar(
        insert(HrTask)
        .values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            candidate_id=candidate_id,
            decision_id=decision_id,
            job_id=job_id,
            kind=TaskKind.REVIEW_CANDIDATE.value,
            status=TaskStatus.OPEN.value,
        )
        .on_conflict_do_nothing(index_elements=[HrTask.decision_id])
        .returning(HrTask.id)
    )
    return created is not None


async def get_task(
    session: AsyncSession, *, tenant_id: uuid.UUID, task_id: uuid.UUID, for_update: bool = False
) -> HrTask | None:
    """One of a tenant's tasks (another tenant's task does not exist for this one)."""
    stmt = select(HrTask).where(HrTask.id == task_id, HrTask.tenant_id == tenant_id)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def list_tasks(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[HrTask], int]:
    """A page of a tenant's tasks, newest first, and how many match in all."""
    where = [HrTask.tenant_id == tenant_id]
    if status is not None:
        where.append(HrTask.status == status)
    total = await session.scalar(select(func.count()).select_from(HrTask).where(*where))
    rows = await session.scalars(
        select(HrTask)
        .where(*where)
        .order_by(HrTask.created_at.desc(), HrTask.id)
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), int(total or 0)
