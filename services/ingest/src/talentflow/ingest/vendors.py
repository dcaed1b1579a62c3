"""Service functions for vendors and their signing secrets (tenant settings: `tenants.py`).

Signing secrets are not personal data: they are sealed with the master key, bound to the
vendor (`context=b"vendor-secret:" + vendor_id.bytes`), and shown in clear only once, when made.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.crypto import DecryptionError, seal, unseal
from talentflow.common.errors import Conflict, InvalidInput
from talentflow.ingest import repository, tenants, webhooks
from talentflow.ingest.exceptions import (
    LastActiveSecret,
    SecretNotFound,
    VendorNameTaken,
    VendorNotFound,
)
from talentflow.ingest.formats.registry import NEW, FormatSettings, settle
from talentflow.ingest.formats.spec import Mapping
from talentflow.ingest.models import (
    ScoreScale,
    Vendor,
    VendorFormat,
    VendorSecret,
)
from talentflow.ingest.schemas import (
    NewSecret,
    SecretOut,
    VendorCreated,
    VendorOut,
)

log = logging.getLogger(__name__)


def webhook_path(vendor_id: uuid.UUID) -> str:
    return f"/v1/webhooks/{vendor_id}"


def _context(vendor_id: uuid.UUID) -> bytes:
    return b"vendor-secret:" + vendor_id.bytes


def _vendor_out(vendor: Vendor, secrets: Sequence[VendorSecret]) -> VendorOut:
    return VendorOut(
        id=vendor.id,
        name=vendor.name,
        format=VendorFormat(vendor.format),
        score_scale=ScoreScale(vendor.score_scale),
        mapping=Mapping.model_validate(vendor.mapping) if vendor.mapping is not None else None,
        mapping_version=vendor.mapping_version,
        enabled=vendor.enabled,
        created_at=vendor.created_at,
        webhook_path=webhook_path(vendor.id),
        secrets=[
            SecretOut(id=s.id, created_at=s.created_at, retired_at=s.retired_at)
            for s in secrets
            if s.vendor_id == vendor.id
        ],
    )


async def create_vendor(
    session: AsyncSession,
    *,
    master_key: bytes,
    tenant_id: uuid.UUID,
    name: str,
    enabled: bool,
    format: VendorFormat = VendorFormat.TALENTFLOW_V1,
    score_scale: ScoreScale = ScoreScale.PERCENT,
    mapping: Mapping | None = None,
) -> VendorCreated:
    """Register a vendor with a first signing secret (returned in clear this once)."""
    settings = settle(NEW, format=format, score_scale=score_scale, mapping=mapping)
    await repository.add_tenant_if_missing(
        session,
        tenant_id=tenant_id,
        jurisdiction=tenants.UNCONFIGURED_JURISDICTION.value,
        biometrics_policy=tenants.UNCONFIGURED_POLICY.value,
    )
    await repository.lock(session, f"ingest:vendor-names:{tenant_id}")
    if await repository.vendor_name_taken(session, tenant_id=tenant_id, name=name, other_than=None):
        raise VendorNameTaken()
    vendor = Vendor(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        name=name,
        format=settings.format.value,
        score_scale=settings.score_scale.value,
        mapping=settings.mapping,
        mapping_version=settings.mapping_version,
        enabled=enabled,
    )
    await repository.add(session, vendor)
    secret, plain = await _add_secret(session, master_key=master_key, vendor_id=vendor.id)
    log.info("vendor created", extra={"vendor_id": str(vendor.id), "tenant_id": str(tenant_id)})
    out = _vendor_out(vendor, [secret])
    return VendorCreated(**out.model_dump(), secret=_new_secret(secret, plain))


async def list_vendors(session: AsyncSession, *, tenant_id: uuid.UUID) -> list[VendorOut]:
    """The tenant's vendors with their secrets' metadata."""
    vendors = await repository.list_vendors(session, tenant_id)
    secrets = await repository.secrets_of(session, [v.id for v in vendors])
    return [_vendor_out(v, secrets) for v in vendors]


async def get_vendor(
    session: AsyncSession, *, tenant_id: uuid.UUID, vendor_id: uuid.UUID
) -> VendorOut:
    """One of the tenant's vendors (another tenant's is not found)."""
    vendor = await tenant_vendor(session, tenant_id=tenant_id, vendor_id=vendor_id)
    return _vendor_out(vendor, await repository.secrets_of(session, [vendor.id]))


async def update_vendor(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    vendor_id: uuid.UUID,
    name: str | None,
    enabled: bool | None,
    format: VendorFormat | None = None,
    score_scale: ScoreScale | None = None,
    mapping: Mapping | None = None,
) -> VendorOut:
    """Rename a vendor, switch it on or off (off: its webhooks get 404), change its format."""
    vendor = await tenant_vendor(session, tenant_id=tenant_id, vendor_id=vendor_id)
    current = FormatSettings.of(vendor)
    settings = settle(current, format=format, score_scale=score_scale, mapping=mapping)
    if settings != current:
        await repository.set_vendor_format(
            session,
            vendor,
            format=settings.format.value,
            score_scale=settings.score_scale.value,
            mapping=settings.mapping,
            mapping_version=settings.mapping_version,
        )
    await repository.lock(session, f"ingest:vendor-names:{tenant_id}")
    if name is not None and await repository.vendor_name_taken(
        session, tenant_id=tenant_id, name=name, other_than=vendor.id
    ):
        raise VendorNameTaken()
    await repository.update_vendor(session, vendor, name=name, enabled=enabled)
    return _vendor_out(vendor, await repository.secrets_of(session, [vendor.id]))


async def add_secret(
    session: AsyncSession, *, master_key: bytes, tenant_id: uuid.UUID, vendor_id: uuid.UUID
) -> NewSecret:
    """Add a signing secret (for rotation: both verify until the old one is retired)."""
    vendor = await tenant_vendor(session, tenant_id=tenant_id, vendor_id=vendor_id)
    secret, plain = await _add_secret(session, master_key=master_key, vendor_id=vendor.id)
    log.info("vendor secret added", extra=_ids(vendor.id, secret.id))
    return _new_secret(secret, plain)


async def retire_secret(
    session: AsyncSession, *, tenant_id: uuid.UUID, vendor_id: uuid.UUID, secret_id: uuid.UUID
) -> None:
    """Retire a signing secret now; retiring a retired one changes nothing. The vendor's row
    is locked first, so that two secrets retired at once cannot both pass the check that
    one stays active."""
    vendor = await tenant_vendor(session, tenant_id=tenant_id, vendor_id=vendor_id, lock=True)
    secret = await repository.get_secret(session, vendor_id=vendor.id, secret_id=secret_id)
    if secret is None:
        raise SecretNotFound()
    if secret.retired_at is not None:
        return
    active = await repository.active_secrets(session, vendor.id)
    if [s.id for s in active] == [secret.id]:
        raise LastActiveSecret()
    await repository.retire_secret(session, secret, at=datetime.now(UTC))
    log.info("vendor secret retired", extra=_ids(vendor.id, secret.id))


async def install_vendor(
    session: AsyncSession,
    *,
    master_key: bytes,
    tenant_id: uuid.UUID,
    vendor_id: uuid.UUID,
    name: str,
    secret: str,
) -> None:
    """Create or update a vendor with a known id and secret (demo seeding); idempotent."""
    if not webhooks.is_valid_secret(secret):
        raise InvalidInput("the vendor secret must be whsec_ followed by base64 of 24+ bytes")
    vendor = await repository.get_vendor(session, vendor_id)
    if vendor is None:
        vendor = Vendor(
            id=vendor_id,
            tenant_id=tenant_id,
            name=name,
            format=VendorFormat.TALENTFLOW_V1.value,
            score_scale=ScoreScale.PERCENT.value,
            mapping_version=0,
            enabled=True,
        )
        await repository.add(session, vendor)
    elif vendor.tenant_id != tenant_id:
        raise Conflict("the vendor id belongs to another tenant")
    else:
        await repository.update_vendor(session, vendor, name=name, enabled=True)
    active = await repository.active_secrets(session, vendor_id)
    if secret in [_unseal(master_key, s) for s in active]:
        return
    now = datetime.now(UTC)
    for old in active:
        await repository.retire_secret(session, old, at=now)
    await repository.add(
        session,
        VendorSecret(
            id=uuid.uuid4(),
            vendor_id=vendor_id,
            sealed_secret=seal(master_key, secret.encode(), context=_context(vendor_id)),
        ),
    )


async def active_secret_values(
    session: AsyncSession, *, master_key: bytes, vendor_id: uuid.UUID
) -> list[str]:
    """The vendor's active secrets in clear, newest first (for verifying signatures)."""
    secrets = await repository.active_secrets(session, vendor_id)
    return [value for value in (_unseal(master_key, s) for s in secrets) if value is not None]


async def tenant_vendor(
    session: AsyncSession, *, tenant_id: uuid.UUID, vendor_id: uuid.UUID, lock: bool = False
) -> Vendor:
    """The tenant's vendor (VendorNotFound for another tenant's); with `lock`, its row locked
    until the transaction ends."""
    vendor = await repository.get_vendor(session, vendor_id, lock=lock)
    if vendor is None or vendor.tenant_id != tenant_id:
        raise VendorNotFound("no such vendor")
    return vendor


async def _add_secret(
    session: AsyncSession, *, master_key: bytes, vendor_id: uuid.UUID
) -> tuple[VendorSecret, str]:
    plain = webhooks.generate_secret()
    secret = VendorSecret(
        id=uuid.uuid4(),
        vendor_id=vendor_id,
        sealed_secret=seal(master_key, plain.encode(), context=_context(vendor_id)),
    )
    await repository.add(session, secret)
    return secret, plain


def _new_secret(secret: VendorSecret, plain: str) -> NewSecret:
    return NewSecret(
        id=secret.id, created_at=secret.created_at, retired_at=secret.retired_at, secret=plain
    )


def _ids(vendor_id: uuid.UUID, secret_id: uuid.UUID) -> dict[str, str]:
    return {"vendor_id": str(vendor_id), "secret_id": str(secret_id)}


def _unseal(master_key: bytes, secret: VendorSecret) -> str | None:
    ids = (secret.vendor_id, secret.id)
    try:
        return unseal(master_key, secret.sealed_secret, context=_context(secret.vendor_id)).decode()
    except (DecryptionError, UnicodeDecodeError):
        log.error("cannot unseal a vendor secret (master key changed?)", extra=_ids(*ids))
        return None
