"""Use cases of historical imports. Functions only flush; `runner` commits each chunk.

A chunk's results go through `talentflow.ingest.storage` (versions, content-hash duplicates,
encryption, the outbox event with origin "import") together with the chunk's errors and the
import's new checkpoint, in one transaction.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.crypto import FieldCipher
from talentflow.common.errors import ServiceError
from talentflow.common.logging import error_summary
from talentflow.common.pagination import Pagination
from talentflow.ingest import normalize, storage
from talentflow.ingest import repository as ingest_repository
from talentflow.ingest.exceptions import VendorNotFound
from talentflow.ingest.imports import repository
from talentflow.ingest.imports.csvfile import V1_ADAPTER, Layout
from talentflow.ingest.imports.exceptions import ImportBusy, ImportKeyConflict, ImportNotFound
from talentflow.ingest.imports.models import Import, ImportFormat, ImportLineError, ImportStatus
from talentflow.ingest.imports.parsing import LineError, Row, decoded, scrubbed
from talentflow.ingest.imports.schemas import (
    ImportErrorOut,
    ImportErrorPage,
    ImportOut,
    ImportPage,
    ImportSummary,
)
from talentflow.ingest.models import BiometricsPolicy, Vendor

log = logging.getLogger(__name__)

FIRST_ERRORS = 10
MAX_ERRORS_PER_ROW = 20
INTERNAL_ROW_ERROR = (
    "an error on Talentflow's side (logged) stopped this row; the rest of the file was "
    "imported, and the row can be sent again in a later import"
)


@dataclass(frozen=True)
class Target:
    """Where an import's rows go: the tenant, the vendor and its format, the policy."""

    tenant_id: uuid.UUID
    vendor: Vendor  # detached: its adapter settings (format, scale, mapping) are loaded
    policy: BiometricsPolicy
    existing: Import | None  # the import the Idempotency-Key names, if any


@dataclass
class Chunk:
    """Rows processed since the last checkpoint, ready to commit with the next one."""

    items: list[storage.Incoming] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    failed: int = 0
    last_line: int = 0
    digest: bytes = b""

    def __len__(self) -> int:
        return len(self.items) + self.failed


async def import_target(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    vendor_id: uuid.UUID,
    key: str | None,
    fmt: ImportFormat,
) -> Target:
    """Check the vendor is the tenant's and find the import the key names (409 if unfit)."""
    vendor = await ingest_repository.get_vendor(session, vendor_id)
    if vendor is None or vendor.tenant_id != tenant_id:
        raise VendorNotFound("no such vendor")
    tenant = await ingest_repository.get_tenant(session, tenant_id)
    assert tenant is not None  # vendors.tenant_id is a foreign key
    existing = None
    if key is not None:
        existing = await repository.find(session, tenant_id=tenant_id, vendor_id=vendor_id, key=key)
        if existing is not None and existing.format != fmt.value:
            raise ImportKeyConflict(f"this Idempotency-Key names a {existing.format} import")
    return Target(
        tenant_id=tenant_id,
        vendor=vendor,
        policy=BiometricsPolicy(tenant.biometrics_policy),
        existing=existing,
    )


async def open_import(
    session: AsyncSession, *, target: Target, key: str | None, fmt: ImportFormat
) -> tuple[Import, bool]:
    """Create the import, or claim the one the key names; True when it is new."""
    created = await repository.create(
        session,
        tenant_id=target.tenant_id,
        vendor_id=target.vendor.id,
        idempotency_key=key,
        format=fmt.value,
        status=ImportStatus.RUNNING.value,
    )
    if created is not None:
        row = await repository.get(session, created)
        assert row is not None
        return row, True
    assert key is not None  # without a key there is never a conflict
    row = await repository.find(
        session, tenant_id=target.tenant_id, vendor_id=target.vendor.id, key=key
    )
    assert row is not None
    if row.status != ImportStatus.COMPLETED:
        await repository.update_import(session, row.id, status=ImportStatus.RUNNING.value)
    return row, False


def normalize_row(
    row: Row, *, target: Target, layout: Layout | None, import_id: uuid.UUID
) -> normalize.Normalized | list[LineError]:
    """The row's Normalized result, or its errors (field names in the file's terms).

    A row whose processing fails unexpectedly (a bug, not the row's fault) is an `internal`
    error of its line, logged with the import and the line: the rest of the file is still
    imported, and the row can be sent again in another import once the bug is fixed (had it
    stopped the import instead, every resume would stop at the same line).
    """
    try:
        return _normalized_or_errors(row, target=target, layout=layout)
    except Exception as exc:
        log.exception(
            "an import row could not be processed",
            extra={"import_id": str(import_id), "line": row.line, "error": error_summary(exc)},
        )
        return [LineError("", INTERNAL_ROW_ERROR, "internal")]


def _normalized_or_errors(
    row: Row, *, target: Target, layout: Layout | None
) -> normalize.Normalized | list[LineError]:
    """`normalize_row`'s work: what the row is, or what is wrong with it.

    An NDJSON line is validated straight from its bytes, as a webhook body is (and, like a
    body, archived as sent); only a line that fails is decoded, so that its errors are those
    of the document it holds.
    """
    if row.raw is not None:
        try:
            return normalize.decode_and_normalize(
                row.raw, vendor=target.vendor, tenant_id=target.tenant_id, policy=target.policy
            )
        except (ServiceError, ValueError, RecursionError):
            row = decoded(row)
    document = row.document
    errors: list[dict[str, Any]] = [
        {"field": e.field, "message": e.message, "type": e.type} for e in row.errors
    ]
    if document is not None:
        try:
            v1 = layout is not None and not layout.native
            normalized = _normalize(document, target=target, v1=v1)
        except ValidationError as exc:
            errors += _validation_errors(exc)
        except ServiceError as exc:
            errors += exc.errors or [{"field": "", "message": exc.message, "type": exc.code}]
        else:
            if not errors:
                return normalized
    if layout is not None:
        errors = [{**e, "field": layout.column_of(str(e.get("field", "")))} for e in errors]
    return scrubbed(errors[:MAX_ERRORS_PER_ROW], document)


def _normalize(document: dict[str, Any], *, target: Target, v1: bool) -> normalize.Normalized:
    """One document as a normalized result: in the vendor's format, or (`v1`: a CSV row of
    the talentflow.v1 columns) a talentflow.v1 document."""
    if v1:
        return normalize.normalize_with(
            V1_ADAPTER, document, tenant_id=target.tenant_id, policy=target.policy
        )
    return normalize.normalize_document(
        document, vendor=target.vendor, tenant_id=target.tenant_id, policy=target.policy
    )


def _validation_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors without the input or context they carry."""
    return [
        {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"], "type": err["type"]}
        for err in exc.errors(include_input=False, include_context=False, include_url=False)
    ]


def add_row(
    chunk: Chunk,
    row: Row,
    outcome: normalize.Normalized | list[LineError],
    *,
    target: Target,
    fmt: str,
) -> None:
    """Put a processed row into the chunk: its result to store, or its errors."""
    chunk.last_line = row.end_line
    if isinstance(outcome, normalize.Normalized):
        chunk.items.append(
            storage.Incoming(
                tenant_id=target.tenant_id,
                vendor_id=target.vendor.id,
                format=fmt,
                result=outcome,
                origin="import",
                webhook_id=None,
            )
        )
        return
    chunk.failed += 1
    chunk.errors += [
        {"line": row.line, "field": e.field, "message": e.message, "type": e.type} for e in outcome
    ]


async def store_chunk(
    session: AsyncSession,
    *,
    cipher: FieldCipher,
    import_id: uuid.UUID,
    checkpoint: int,
    chunk: Chunk,
    final: bool,
) -> int:
    """Store the chunk's results and errors and move the checkpoint on; the new checkpoint."""
    row = await repository.get(session, import_id, lock=True)
    if row is None or row.lines != checkpoint or row.status == ImportStatus.COMPLETED:
        raise ImportBusy()
    stored = await storage.store(session, cipher=cipher, items=chunk.items)
    statuses = [s.status for s in stored]
    await repository.add_errors(session, [{"import_id": import_id, **e} for e in chunk.errors])
    values: dict[str, Any] = {
        "lines": chunk.last_line,
        "checkpoint_sha256": chunk.digest,
        "accepted": row.accepted + statuses.count("accepted"),
        "corrected": row.corrected + statuses.count("corrected"),
        "duplicates": row.duplicates + statuses.count("duplicate"),
        "failed": row.failed + chunk.failed,
        "error_count": row.error_count + len(chunk.errors),
    }
    if final:
        values.update(status=ImportStatus.COMPLETED.value, completed_at=func.now())
    await repository.update_import(session, import_id, **values)
    return chunk.last_line


async def interrupt(session: AsyncSession, *, import_id: uuid.UUID, checkpoint: int) -> None:
    """Mark an import interrupted at its checkpoint (unless another request moved it on)."""
    await repository.mark_interrupted(session, import_id, lines=checkpoint)


async def get_import(
    session: AsyncSession, *, tenant_id: uuid.UUID, import_id: uuid.UUID
) -> ImportOut:
    """One of the tenant's imports with its first errors."""
    row = await repository.get(session, import_id)
    if row is None or row.tenant_id != tenant_id:
        raise ImportNotFound()
    errors, _ = await repository.list_errors(session, row.id, limit=FIRST_ERRORS, offset=0)
    return ImportOut(**_summary(row).model_dump(), first_errors=[_error_out(e) for e in errors])


async def list_imports(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    vendor_id: uuid.UUID | None,
    key: str | None,
    page: Pagination,
) -> ImportPage:
    """The tenant's imports, newest first (optionally one vendor's, or one key's)."""
    rows, total = await repository.list_imports(
        session,
        tenant_id=tenant_id,
        vendor_id=vendor_id,
        key=key,
        limit=page.limit,
        offset=page.offset,
    )
    return ImportPage(
        items=[_summary(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


async def list_errors(
    session: AsyncSession, *, tenant_id: uuid.UUID, import_id: uuid.UUID, page: Pagination
) -> ImportErrorPage:
    """An import's errors by line."""
    row = await repository.get(session, import_id)
    if row is None or row.tenant_id != tenant_id:
        raise ImportNotFound()
    errors, total = await repository.list_errors(
        session, row.id, limit=page.limit, offset=page.offset
    )
    return ImportErrorPage(
        items=[_error_out(e) for e in errors], total=total, limit=page.limit, offset=page.offset
    )


def _summary(row: Import) -> ImportSummary:
    return ImportSummary(
        id=row.id,
        vendor_id=row.vendor_id,
        format=ImportFormat(row.format),
        status=ImportStatus(row.status),
        idempotency_key=row.idempotency_key,
        lines=row.lines,
        rows=row.accepted + row.corrected + row.duplicates + row.failed,
        accepted=row.accepted,
        corrected=row.corrected,
        duplicates=row.duplicates,
        failed=row.failed,
        error_count=row.error_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
        completed_at=row.completed_at,
    )


def _error_out(error: ImportLineError) -> ImportErrorOut:
    return ImportErrorOut(
        line=error.line, field=error.field, message=error.message, type=error.type
    )
