"""Ingest's tables, in the `ingest` schema.

Personal data (the candidate's contact, evidence quotes, facial/voice metrics and the raw
payload that holds all of them) lives only in the `*_enc` columns, encrypted with the
candidate's key (`runtime.cipher`). Vendor signing secrets are sealed with the master key.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from talentflow.common.db import make_metadata
from talentflow.common.tables import platform_tables

SCHEMA = "ingest"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


PLATFORM = platform_tables(Base.metadata)


class Jurisdiction(StrEnum):
    EU = "EU"
    US = "US"
    CN = "CN"
    OTHER = "OTHER"


class BiometricsPolicy(StrEnum):
    """What ingest does with facial/voice metrics (EU AI Act Art. 5(1)(f))."""

    DROP = "drop"  # neither stored nor published
    KEEP_UNUSABLE = "keep_unusable"  # stored encrypted, never published to screening
    ALLOW = "allow"  # stored encrypted and published


class VendorFormat(StrEnum):
    """A vendor's payload format: the built-in adapters (formats/) and the declarative mapping."""

    TALENTFLOW_V1 = "talentflow.v1"  # ours: scores on 0-100
    ASSESSMENT_PARTNER_V1 = "assessment-partner.v1"  # flat: status, score, profile URL, metadata
    HR_OPEN_V1 = "hr-open.v1"  # HR Open / HR-XML AssessmentResult in JSON
    AI_INTERVIEW_V1 = "ai-interview.v1"  # rich AI-interview results
    MAPPING_V1 = "mapping.v1"  # the tenant's declarative JMESPath mapping (Vendor.mapping)


class ScoreScale(StrEnum):
    """A vendor's score scale, converted linearly onto 0-100: (x - low) / (high - low) * 100."""

    PERCENT = "0-100"
    ONE_TO_FIVE = "1-5"
    UNIT = "0-1"
    ZERO_TO_TEN = "0-10"

    @property
    def bounds(self) -> tuple[float, float]:
        return _SCALE_BOUNDS[self]


_SCALE_BOUNDS = {s: (float(s.split("-")[0]), float(s.split("-")[1])) for s in ScoreScale}


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Tenant(Base):
    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint(_in("jurisdiction", Jurisdiction), name="jurisdiction"),
        CheckConstraint(_in("biometrics_policy", BiometricsPolicy), name="biometrics_policy"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(16))
    biometrics_policy: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Vendor(Base):
    __tablename__ = "vendors"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint(_in("format", VendorFormat), name="format"),
        CheckConstraint(_in("score_scale", ScoreScale), name="score_scale"),
        CheckConstraint(
            f"(format = '{VendorFormat.MAPPING_V1.value}') = (mapping IS NOT NULL)", name="mapping"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    name: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(50))
    # Where the format does not fix it (talentflow.v1 is always 0-100).
    score_scale: Mapped[str] = mapped_column(String(10), server_default=ScoreScale.PERCENT.value)
    # The declarative mapping (formats.schemas.Mapping as JSON), only for format mapping.v1;
    # mapping_version goes up with every change (compiled mappings are cached by id + version).
    mapping: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    mapping_version: Mapped[int] = mapped_column(Integer, server_default="0")
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class VendorSecret(Base):
    """A Standard Webhooks signing secret, sealed with the master key (not personal data)."""

    __tablename__ = "vendor_secrets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    vendor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("vendors.id", ondelete="CASCADE"), index=True
    )
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Result(Base):
    """One version of a vendor's interview result, normalized.

    `id` is the result's Talentflow id, the same for every version: a vendor correcting a
    result (a new delivery of the same `vendor_result_id`) adds the next version.
    """

    __tablename__ = "results"
    __table_args__ = (
        UniqueConstraint("vendor_id", "vendor_result_id", "version"),
        CheckConstraint(_in("biometrics_policy", BiometricsPolicy), name="biometrics_policy"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    vendor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vendors.id"))
    vendor_result_id: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(50))
    # "webhook" or "import" (a historical result: screening does not decide on it).
    origin: Mapped[str] = mapped_column(String(20), server_default="webhook")
    # SHA-256 of the normalized content: the same content again is a duplicate, not a version.
    content_hash: Mapped[bytes] = mapped_column(LargeBinary)
    candidate_id: Mapped[uuid.UUID] = mapped_column(index=True)
    job_id: Mapped[uuid.UUID] = mapped_column(index=True)
    interviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    overall_score: Mapped[float | None] = mapped_column(Float)
    competencies: Mapped[dict[str, float]] = mapped_column(JSONB)
    counts: Mapped[dict[str, int]] = mapped_column(JSONB)
    # The policy applied, and the names of the facial/voice metrics withheld from screening.
    biometrics_policy: Mapped[str] = mapped_column(String(20))
    dropped_metrics: Mapped[list[str]] = mapped_column(JSONB)
    report_url: Mapped[str | None] = mapped_column(Text)
    # Encrypted with the candidate's key.
    contact_enc: Mapped[bytes] = mapped_column(LargeBinary)
    evidence_enc: Mapped[bytes] = mapped_column(LargeBinary)
    biometrics_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    raw_payload_enc: Mapped[bytes] = mapped_column(LargeBinary)


class WebhookReceipt(Base):
    """A delivered webhook id: a redelivery answers with the same result and does nothing."""

    __tablename__ = "webhook_receipts"
    __table_args__ = (
        ForeignKeyConstraint(
            ["result_id", "result_version"],
            ["results.id", "results.version"],
            ondelete="CASCADE",
        ),
    )

    vendor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("vendors.id", ondelete="CASCADE"), primary_key=True
    )
    webhook_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    result_id: Mapped[uuid.UUID]
    result_version: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )


# The historical imports' tables live on this Base too (imported here so that Alembic and
# anything reading Base.metadata see them).
import talentflow.ingest.imports.models  # noqa: E402, F401
