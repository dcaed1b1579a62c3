"""All of ingest's SQL. Functions add, read and flush; the caller's transaction commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.ingest.models import Result, Tenant, Vendor, VendorSecret, WebhookReceipt


async def lock(session: AsyncSession, key: str) -> None:
    """Take a transaction-scoped advisory lock on `key` (released at commit or rollback)."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


# --- tenants ---------------------------------------------------------------------------------


async def get_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id, populate_existing=True)


async def upsert_tenant(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    name: str | None,
    jurisdiction: str,
    biometrics_policy: str,
) -> Tenant:
    """Create the tenant or overwrite its settings."""
    values = {"name": name, "jurisdiction": jurisdiction, "biometrics_policy": biometrics_policy}
    stmt = (
        insert(Tenant)
        .values(id=tenant_id, **values)
        .on_conflict_do_update(
            index_elements=[Tenant.id], set_={**values, "updated_at": func.now()}
        )
        .returning(Tenant)
    )
    tenant = (
        await session.execute(stmt, execution_options={"populate_existing": True})
    ).scalar_one()
    return tenant


async def add_tenant_if_missing(
    session: AsyncSession, *, tenant_id: uuid.UUID, jurisdiction: str, biometrics_policy: str
) -> None:
    await session.execute(
        insert(Tenant)
        .values(id=tenant_id, jurisdiction=jurisdiction, biometrics_policy=biometrics_policy)
        .on_conflict_do_nothing(index_elements=[Tenant.id])
    )


# --- vendors and their secrets ------------------------------------------------------------------


async def get_vendor(
    session: AsyncSession, vendor_id: uuid.UUID, *, lock: bool = False
) -> Vendor | None:
    """The vendor; with `lock`, its row locked until the transaction ends (`FOR UPDATE`)."""
    return await session.get(Vendor, vendor_id, populate_existing=True, with_for_update=lock)


async def list_vendors(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[Vendor]:
    stmt = (
        select(Vendor).where(Vendor.tenant_id == tenant_id).order_by(Vendor.created_at, Vendor.id)
    )
    return (await session.scalars(stmt)).all()


async def vendor_name_taken(
    session: AsyncSession, *, tenant_id: uuid.UUID, name: str, other_than: uuid.UUID | None
) -> bool:
    stmt = select(Vendor.id).where(Vendor.tenant_id == tenant_id, Vendor.name == name)
    if other_than is not None:
        stmt = stmt.where(Vendor.id != other_than)
    return (await session.scalar(stmt.limit(1))) is not None


async def add(session: AsyncSession, row: Vendor | VendorSecret | Result | WebhookReceipt) -> None:
    """Insert a new row now (so constraint errors surface here, in order)."""
    session.add(row)
    await session.flush()


async def update_vendor(
    session: AsyncSession, vendor: Vendor, *, name: str | None, enabled: bool | None
) -> None:
    if name is not None:
        vendor.name = name
    if enabled is not None:
        vendor.enabled = enabled
    await session.flush()


async def set_vendor_format(
    session: AsyncSession,
    vendor: Vendor,
    *,
    format: str,
    score_scale: str,
    mapping: dict[str, Any] | None,
    mapping_version: int,
) -> None:
    """Set how a vendor's payloads are read (format, scale, mapping and its version)."""
    vendor.format = format
    vendor.score_scale = score_scale
    vendor.mapping = mapping
    vendor.mapping_version = mapping_version
    await session.flush()


async def secrets_of(session: AsyncSession, vendor_ids: Sequence[uuid.UUID]) -> list[VendorSecret]:
    """Every secret (active and retired) of the vendors, oldest first."""
    if not vendor_ids:
        return []
    stmt = (
        select(VendorSecret)
        .where(VendorSecret.vendor_id.in_(vendor_ids))
        .order_by(VendorSecret.created_at, VendorSecret.id)
    )
    return list((await session.scalars(stmt)).all())


async def active_secrets(session: AsyncSession, vendor_id: uuid.UUID) -> list[VendorSecret]:
    stmt = (
        select(VendorSecret)
        .where(VendorSecret.vendor_id == vendor_id, VendorSecret.retired_at.is_(None))
        .order_by(VendorSecret.created_at.desc(), VendorSecret.id)
    )
    return list((await session.scalars(stmt)).all())


async def get_secret(
    session: AsyncSession, *, vendor_id: uuid.UUID, secret_id: uuid.UUID
) -> VendorSecret | None:
    stmt = select(VendorSecret).where(
        VendorSecret.id == secret_id, VendorSecret.vendor_id == vendor_id
    )
    return (await session.scalars(stmt)).one_or_none()


async def retire_secret(session: AsyncSession, secret: VendorSecret, *, at: datetime) -> None:
    if secret.retired_at is None:
        secret.retired_at = at
        await session.flush()


# --- results and webhook receipts -------------------------------------------------------------


async def get_result(
    session: AsyncSession, result_id: uuid.UUID, *, version: int | None
) -> Result | None:
    """One version of a result; the latest when `version` is None."""
    stmt = select(Result).where(Result.id == result_id)
    if version is not None:
        stmt = stmt.where(Result.version == version)
    stmt = stmt.order_by(Result.version.desc()).limit(1)
    return (await session.scalars(stmt)).one_or_none()


async def purge_receipts(session: AsyncSession, *, before: datetime) -> int:
    """Delete webhook receipts received before `before`; return how many."""
    result = await session.execute(
        delete(WebhookReceipt).where(WebhookReceipt.received_at < before)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def tenants_of_candidate(session: AsyncSession, candidate_id: uuid.UUID) -> set[uuid.UUID]:
    """The tenants that hold results of this candidate (`ix_results_candidate_id`)."""
    stmt = select(Result.tenant_id).where(Result.candidate_id == candidate_id).distinct()
    return set(await session.scalars(stmt))
