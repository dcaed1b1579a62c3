"""All SQL of historical imports. Functions read, write and flush; the caller commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.ingest.imports.models import Import, ImportLineError, ImportStatus


async def find(
    session: AsyncSession, *, tenant_id: uuid.UUID, vendor_id: uuid.UUID, key: str
) -> Import | None:
    stmt = select(Import).where(
        Import.tenant_id == tenant_id, Import.vendor_id == vendor_id, Import.idempotency_key == key
    )
    return (await session.scalars(stmt, execution_options={"populate_existing": True})).first()


async def create(session: AsyncSession, **values: Any) -> uuid.UUID | None:
    """Insert an import; None when one with the same tenant, vendor and key exists."""
    stmt = (
        pg_insert(Import)
        .values(id=uuid.uuid4(), **values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "vendor_id", "idempotency_key"])
        .returning(Import.id)
    )
    created: uuid.UUID | None = (await session.execute(stmt)).scalar_one_or_none()
    return created


async def get(session: AsyncSession, import_id: uuid.UUID, *, lock: bool = False) -> Import | None:
    """One import; `lock` holds its row until the transaction ends (chunks are serialized)."""
    stmt = select(Import).where(Import.id == import_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt, execution_options={"populate_existing": True})).first()


async def update_import(session: AsyncSession, import_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        update(Import).where(Import.id == import_id).values(updated_at=func.now(), **values)
    )


async def mark_interrupted(session: AsyncSession, import_id: uuid.UUID, *, lines: int) -> None:
    """Running -> interrupted, unless another request moved the import on meanwhile."""
    await session.execute(
        update(Import)
        .where(
            Import.id == import_id,
            Import.status == ImportStatus.RUNNING.value,
            Import.lines == lines,
        )
        .values(status=ImportStatus.INTERRUPTED.value, updated_at=func.now())
    )


async def add_errors(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert error rows ({import_id, line, field, message, type}) in one statement."""
    if rows:
        await session.execute(insert(ImportLineError), list(rows))


async def list_imports(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    vendor_id: uuid.UUID | None,
    key: str | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Import], int]:
    """A page of the tenant's imports, newest first, and how many match in all."""
    where = [Import.tenant_id == tenant_id]
    if vendor_id is not None:
        where.append(Import.vendor_id == vendor_id)
    if key is not None:
        where.append(Import.idempotency_key == key)
    total = await session.scalar(select(func.count()).select_from(Import).where(*where))
    stmt = (
        select(Import)
        .where(*where)
        .order_by(Import.created_at.desc(), Import.id)
        .limit(limit)
        .offset(offset)
    )
    return (await session.scalars(stmt)).all(), int(total or 0)


async def list_errors(
    session: AsyncSession, import_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[Sequence[ImportLineError], int]:
    """A page of an import's errors by line, and how many there are."""
    total = await session.scalar(
        select(func.count())
        .select_from(ImportLineError)
        .where(ImportLineError.import_id == import_id)
    )
    stmt = (
        select(ImportLineError)
        .where(ImportLineError.import_id == import_id)
        .order_by(ImportLineError.line, ImportLineError.id)
        .limit(limit)
        .offset(offset)
    )
    return (await session.scalars(stmt)).all(), int(total or 0)
