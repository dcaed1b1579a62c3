"""Analytics' read model, in the `analytics` schema: ids, numbers and dates only.

Nothing here identifies a person beyond the pseudonymous candidate id: no names, emails,
evidence quotes, explanations or biometric-derived metrics. Rows are upserted by the id of the
entity they copy, so a redelivered or corrected event rewrites its row instead of adding one.
No foreign keys between the tables: events of different topics arrive in any order.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, DateTime, Float, Index, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from talentflow.common.db import make_metadata
from talentflow.common.tables import platform_tables

SCHEMA = "analytics"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


PLATFORM = platform_tables(Base.metadata)


class Result(Base):
    """A normalized interview result (from `interview.results`), without the candidate's contact."""

    __tablename__ = "results"
    __table_args__ = (
        Index(
            "ix_results_tenant_id_job_id_interviewed_at", "tenant_id", "job_id", "interviewed_at"
        ),
        CheckConstraint("origin IN ('webhook', 'import')", name="origin"),
    )

    result_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # The result's version at ingest; a correction carries a higher one.
    version: Mapped[int] = mapped_column(Integer)
    tenant_id: Mapped[uuid.UUID]
    job_id: Mapped[uuid.UUID]
    candidate_id: Mapped[uuid.UUID]
    vendor_id: Mapped[uuid.UUID]
    interviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    overall_score: Mapped[float | None] = mapped_column(Float)
    # competency -> score on 0-100
    competencies: Mapped[dict[str, float]] = mapped_column(JSONB)
    # counted behaviours, e.g. customer_cases -> 3
    counts: Mapped[dict[str, int]] = mapped_column(JSONB)
    # When ingest received the result (the event's time).
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # How the (latest version of the) result came in: "webhook" (live, screened) or "import"
    # (historical, from a bulk import; screening never decides those).
    origin: Mapped[str] = mapped_column(String(10), server_default="webhook")


class Decision(Base):
    """A screening decision on one result (from `screening.decisions`), without its explanation."""

    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint("outcome IN ('advance', 'reject', 'review')", name="outcome"),
        Index(
            "ix_decisions_tenant_id_result_id_decided_at", "tenant_id", "result_id", "decided_at"
        ),
    )

    decision_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    result_id: Mapped[uuid.UUID]
    tenant_id: Mapped[uuid.UUID]
    job_id: Mapped[uuid.UUID]
    candidate_id: Mapped[uuid.UUID]
    outcome: Mapped[str] = mapped_column(String(20))
    rule_version: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Outcome(Base):
    """What became of a candidate after hiring (from `hr.outcomes`)."""

    __tablename__ = "outcomes"
    __table_args__ = (Index("ix_outcomes_tenant_id_candidate_id", "tenant_id", "candidate_id"),)

    outcome_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    candidate_id: Mapped[uuid.UUID]
    job_id: Mapped[uuid.UUID | None]
    hired: Mapped[bool]
    performance_rating: Mapped[float | None] = mapped_column(Float)
    still_employed: Mapped[bool | None]
    measured_on: Mapped[date]
    # When the HR system reported it; a later report of the same outcome replaces an earlier one.
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
