"""initial schema

Revision ID: f8216ce8d7ab
Revises:
Create Date: 2026-11-26 13:02:36.379014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "f8216ce8d7ab"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("actor_id", sa.String(length=200), nullable=False),
        sa.Column("actor_roles", sa.String(length=200), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("resource", sa.String(length=300), nullable=False),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        schema="analytics",
    )
    op.create_index(
        "ix_audit_log_subject_id", "audit_log", ["subject_id"], unique=False, schema="analytics"
    )
    op.create_table(
        "decisions",
        sa.Column("decision_id", sa.Uuid(), nullable=False),
        sa.Column("result_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('advance', 'reject', 'review')", name=op.f("ck_decisions_outcome")
        ),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_decisions")),
        schema="analytics",
    )
    op.create_index(
        "ix_decisions_tenant_id_result_id_decided_at",
        "decisions",
        ["tenant_id", "result_id", "decided_at"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discarded_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
        schema="analytics",
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["id"],
        unique=False,
        schema="analytics",
        postgresql_where=sa.text("published_at IS NULL AND discarded_reason IS NULL"),
    )
    op.create_index(
        "ix_outbox_published_at", "outbox", ["published_at"], unique=False, schema="analytics"
    )
    op.create_table(
        "outcomes",
        sa.Column("outcome_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("hired", sa.Boolean(), nullable=False),
        sa.Column("performance_rating", sa.Float(), nullable=True),
        sa.Column("still_employed", sa.Boolean(), nullable=True),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("outcome_id", name=op.f("pk_outcomes")),
        schema="analytics",
    )
    op.create_index(
        "ix_outcomes_tenant_id_candidate_id",
        "outcomes",
        ["tenant_id", "candidate_id"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_events")),
        schema="analytics",
    )
    op.create_table(
        "results",
        sa.Column("result_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("interviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("overall_score", sa.Float(), nullable=True),
        sa.Column("competencies", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("counts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("result_id", name=op.f("pk_results")),
        schema="analytics",
    )
    op.create_index(
        "ix_results_tenant_id_job_id_interviewed_at",
        "results",
        ["tenant_id", "job_id", "interviewed_at"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "subject_keys",
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subject_keys")),
        schema="analytics",
    )


def downgrade() -> None:
    op.drop_table("subject_keys", schema="analytics")
    op.drop_index(
        "ix_results_tenant_id_job_id_interviewed_at", table_name="results", schema="analytics"
    )
    op.drop_table("results", schema="analytics")
    op.drop_table("processed_events", schema="analytics")
    op.drop_index("ix_outcomes_tenant_id_candidate_id", table_name="outcomes", schema="analytics")
    op.drop_table("outcomes", schema="analytics")
    op.drop_index("ix_outbox_published_at", table_name="outbox", schema="analytics")
    op.drop_index(
        "ix_outbox_pending",
        table_name="outbox",
        schema="analytics",
        postgresql_where=sa.text("published_at IS NULL AND discarded_reason IS NULL"),
    )
    op.drop_table("outbox", schema="analytics")
    op.drop_index(
        "ix_decisions_tenant_id_result_id_decided_at", table_name="decisions", schema="analytics"
    )
    op.drop_table("decisions", schema="analytics")
    op.drop_index("ix_audit_log_subject_id", table_name="audit_log", schema="analytics")
    op.drop_table("audit_log", schema="analytics")
