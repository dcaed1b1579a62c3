"""The tables of historical imports: one row per import, and the rows' errors by line.

Errors never hold the values sent (rows carry personal data): only the line, the field's
name and a message that names the rule broken.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from talentflow.ingest.models import Base


class ImportFormat(StrEnum):
    NDJSON = "ndjson"  # one vendor-format JSON document per line
    CSV = "csv"  # talentflow.v1 columns, or a mapping vendor's own: see csvfile, README


class ImportStatus(StrEnum):
    RUNNING = "running"  # a request is (or was, until it died) working on it
    INTERRUPTED = "interrupted"  # the upload broke off; resumable from `lines`
    COMPLETED = "completed"  # the whole body was processed


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Import(Base):
    """One import of a file; `lines` and the counters are its committed checkpoint."""

    __tablename__ = "imports"
    __table_args__ = (
        UniqueConstraint("tenant_id", "vendor_id", "idempotency_key"),
        CheckConstraint(_in("format", ImportFormat), name="format"),
        CheckConstraint(_in("status", ImportStatus), name="status"),
        Index("ix_imports_tenant_id_created_at", "tenant_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    vendor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vendors.id"), index=True)
    # The client's Idempotency-Key (the CLI sends the file's SHA-256); NULL: none was sent.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    # The checkpoint: lines of the body consumed and committed, and the SHA-256 of their bytes
    # (a resumed upload must send the same bytes up to here).
    lines: Mapped[int] = mapped_column(Integer, server_default="0")
    checkpoint_sha256: Mapped[bytes | None] = mapped_column(LargeBinary)
    accepted: Mapped[int] = mapped_column(Integer, server_default="0")
    corrected: Mapped[int] = mapped_column(Integer, server_default="0")
    duplicates: Mapped[int] = mapped_column(Integer, server_default="0")
    failed: Mapped[int] = mapped_column(Integer, server_default="0")
    error_count: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ImportLineError(Base):
    """A row that could not be imported: where (line, field) and why, never the value."""

    __tablename__ = "import_errors"
    __table_args__ = (Index("ix_import_errors_import_id_line", "import_id", "line"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(300))  # "" when the whole line is at fault
    message: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(100))
