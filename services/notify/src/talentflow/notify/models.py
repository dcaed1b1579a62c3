"""Notify's tables, in the `notify` schema."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from talentflow.common.db import make_metadata
from talentflow.common.tables import platform_tables

SCHEMA = "notify"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


PLATFORM = platform_tables(Base.metadata)


class Channel(StrEnum):
    EMAIL = "email"


class DeliveryStatus(StrEnum):
    SENT = "sent"
    FAILED = "failed"


class TaskKind(StrEnum):
    REVIEW_CANDIDATE = "review_candidate"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    # A later decision about the same candidate and job replaced the one the task was for.
    SUPERSEDED = "superseded"


def _values(enum: type[StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in enum)


class Delivery(Base):
    """A message to a candidate about a decision, sent once per (decision, channel, template)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("decision_id", "channel", "template", name="uq_deliveries_decision"),
        CheckConstraint(f"channel IN ({_values(Channel)})", name="channel"),
        CheckConstraint(f"status IN ({_values(DeliveryStatus)})", name="status"),
        Index("ix_deliveries_tenant_candidate", "tenant_id", "candidate_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    candidate_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    decision_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    channel: Mapped[str] = mapped_column(String(20))
    template: Mapped[str] = mapped_column(String(50))
    locale: Mapped[str] = mapped_column(String(20))
    # The address, encrypted with the candidate's key (runtime.cipher); NULL when there was none.
    recipient: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A code-like reason (never personal data, never the server's reply text).
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HrTask(Base):
    """Work for HR: a person reviews a candidate that screening routed to human review."""

    __tablename__ = "hr_tasks"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_values(TaskKind)})", name="kind"),
        CheckConstraint(f"status IN ({_values(TaskStatus)})", name="status"),
        Index("ix_hr_tasks_tenant_status", "tenant_id", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    candidate_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    decision_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20))
    completed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
