"""Screening's tables, in the `screening` schema. No personal data is stored here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    and_,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from talentflow.common.db import make_metadata
from talentflow.common.tables import platform_tables

SCHEMA = "screening"
OUTCOMES = ("advance", "reject", "review")
ON_FAIL = ("reject", "review")


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


PLATFORM = platform_tables(Base.metadata)


def _now() -> datetime:
    return datetime.now(UTC)


class Job(Base):
    """A tenant's job: its requirement profile and whether rules may reject automatically."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_tenant_id_created_at", "tenant_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    title: Mapped[str] = mapped_column(String(200))
    # competency -> minimum score 0-100
    requirements: Mapped[dict[str, float]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    # GDPR Art. 22: when false, a failing candidate goes to human review instead of rejection.
    auto_reject_enabled: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=text("true")
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=_now, server_default=func.now()
    )

    active_rule: Mapped[RuleSet | None] = relationship(
        primaryjoin=lambda: and_(RuleSet.job_id == Job.id, RuleSet.active.is_(True)),
        viewonly=True,
        uselist=False,
        lazy="raise",
    )


class RuleSet(Base):
    """One version of a job's screening rule; exactly one version per job is active."""

    __tablename__ = "rule_sets"
    __table_args__ = (
        UniqueConstraint("job_id", "version", name="uq_rule_sets_job_id_version"),
        Index(
            "uq_rule_sets_job_id_active",
            "job_id",
            unique=True,
            postgresql_where=text("active"),
        ),
        CheckConstraint("on_fail IN ('reject', 'review')", name="on_fail"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    expression: Mapped[str] = mapped_column(Text)
    on_fail: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean)
    # The HR user who wrote it; NULL for rules loaded by seed-demo.
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=_now, server_default=func.now()
    )


class Decision(Base):
    """The screening outcome of one interview result, with the conditions that led to it.

    A result has one decision per `version`: version 1 is the first; a corrected result whose
    re-evaluation changes the outcome adds the next version, which `supersedes` the previous one.
    """

    __tablename__ = "decisions"
    __table_args__ = (
        UniqueConstraint("result_id", "version", name="uq_decisions_result_id_version"),
        Index("ix_decisions_tenant_id_candidate_id", "tenant_id", "candidate_id"),
        Index("ix_decisions_tenant_id_job_id", "tenant_id", "job_id"),
        CheckConstraint("outcome IN ('advance', 'reject', 'review')", name="outcome"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    result_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # The decision's version for its result (1, then 2 when a correction changed the outcome).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    # The version of the interview result this decision evaluated.
    result_version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    # The decision this one replaces (NULL for a result's first decision).
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("decisions.id", ondelete="SET NULL"), nullable=True
    )
    candidate_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(10))
    rule_set_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("rule_sets.id", ondelete="SET NULL"), nullable=True
    )
    rule_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # [{metric, operator, threshold, actual, held}, ...] (ConditionResult dumps)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    explanation: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=_now, server_default=func.now()
    )
