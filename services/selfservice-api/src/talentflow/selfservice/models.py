"""The gateway's read model, in the `selfservice` schema.

Personal data (names, e-mail addresses, evidence quotes) is stored only as ciphertext made by
`runtime.cipher` under the person's (candidate's) key; scores, counts and ids are not personal
free text and stay queryable.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Float, Integer, LargeBinary, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from talentflow.common.db import make_metadata
from talentflow.common.tables import platform_tables

SCHEMA = "selfservice"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


PLATFORM = platform_tables(Base.metadata)


class PersonKind(StrEnum):
    CANDIDATE = "candidate"
    EMPLOYEE = "employee"
    HR = "hr"
    HR_ADMIN = "hr_admin"


class Person(Base):
    """Anyone who signs in: a candidate (id = candidate id) or a user (id = user id)."""

    __tablename__ = "people"
    __table_args__ = (
        CheckConstraint("kind IN ('candidate', 'employee', 'hr', 'hr_admin')", name="kind_known"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted
    email: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted
    locale: Mapped[str] = mapped_column(String(20), server_default="en")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Report(Base):
    """One interview result of a candidate (the latest version ingest published)."""

    __tablename__ = "reports"
    __table_args__ = (CheckConstraint("origin IN ('webhook', 'import')", name="origin"),)

    result_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    candidate_id: Mapped[uuid.UUID] = mapped_column(index=True)
    job_id: Mapped[uuid.UUID]
    vendor_id: Mapped[uuid.UUID]
    interviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    overall_score: Mapped[float | None] = mapped_column(Float)
    competencies: Mapped[dict[str, float]] = mapped_column(JSONB)
    counts: Mapped[dict[str, int]] = mapped_column(JSONB)
    evidence: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted JSON list of quotes
    report_url: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    # "webhook": a live interview; "import": a past one from a bulk import (never decided).
    origin: Mapped[str] = mapped_column(String(10), server_default="webhook")
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Decision(Base):
    """A screening decision about one result (several when a result is decided again)."""

    __tablename__ = "decisions"

    decision_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    result_id: Mapped[uuid.UUID] = mapped_column(index=True)
    tenant_id: Mapped[uuid.UUID]
    candidate_id: Mapped[uuid.UUID] = mapped_column(index=True)
    job_id: Mapped[uuid.UUID]
    job_title: Mapped[str] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(20))
    requirements: Mapped[dict[str, float]] = mapped_column(JSONB)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    explanation: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
