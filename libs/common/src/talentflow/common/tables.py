"""Tables every service keeps in its own schema: outbox, processed events, subject keys, audit log.

Each service calls `platform_tables(Base.metadata)` once; the tables then live in that
service's schema and its Alembic history like any of its own tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB


@dataclass(frozen=True)
class PlatformTables:
    outbox: Table
    processed_events: Table
    subject_keys: Table
    audit_log: Table


def platform_tables(metadata: MetaData) -> PlatformTables:
    """Define the shared tables on a service's metadata and return them."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=True),
        Column("event_type", String(200), nullable=False),
        Column("source", String(200), nullable=False),
        Column("subject", String(200), nullable=True),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        # The subject whose key encrypts `payload`; NULL means the payload is plain JSON.
        Column("subject_id", Uuid, nullable=True),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("discarded_reason", Text, nullable=True),
        Index(
            "ix_outbox_pending",
            "id",
            postgresql_where=text("published_at IS NULL AND discarded_reason IS NULL"),
        ),
        Index("ix_outbox_published_at", "published_at"),
    )
    processed_events = Table(
        "processed_events",
        metadata,
        Column("consumer", String(200), nullable=False),
        Column("event_id", String(200), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "event_id"),
    )
    subject_keys = Table(
        "subject_keys",
        metadata,
        Column("subject_id", Uuid, primary_key=True),
        Column("wrapped_key", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    audit_log = Table(
        "audit_log",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("occurred_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("tenant_id", Uuid, nullable=True),
        Column("actor_id", String(200), nullable=False),
        Column("actor_roles", String(200), nullable=False),
        Column("subject_id", Uuid, nullable=True),
        Column("action", String(100), nullable=False),
        Column("resource", String(300), nullable=False),
        Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Index("ix_audit_log_subject_id", "subject_id"),
    )
    return PlatformTables(
        outbox=outbox,
        processed_events=processed_events,
        subject_keys=subject_keys,
        audit_log=audit_log,
    )
