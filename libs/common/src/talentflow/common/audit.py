"""Audit log of who touched whose personal data, in each service's `audit_log` table.

The audit log is neither encrypted nor shredded: it must outlive a subject's erasure to
prove what happened. It therefore holds identifiers only (actor id, subject id, resource
paths with ids, codes) and never personal data such as names, e-mail addresses or free text.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

ROLE_SEPARATOR = ","


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One recorded access, as read back from the audit log."""

    id: int
    occurred_at: datetime
    tenant_id: uuid.UUID | None
    actor_id: str
    actor_roles: tuple[str, ...]
    subject_id: uuid.UUID | None
    action: str
    resource: str
    details: Mapping[str, Any]


async def record_access(
    session: AsyncSession,
    audit_log: Table,
    *,
    actor_id: str,
    actor_roles: Sequence[str],
    tenant_id: uuid.UUID | None,
    subject_id: uuid.UUID | None,
    action: str,
    resource: str,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Add one access to the audit log in the caller's transaction (never committed here).

    `details` is stored in clear and kept after the subject is erased, so it must never hold
    personal data: put ids, counts and codes there (`{"fields": ["email"], "reason": "dsar"}`),
    never values (`{"email": "..."}`). The same goes for `resource` and `actor_id`.
    """
    if isinstance(actor_roles, str):
        raise TypeError("actor_roles must be a sequence of role names, not one string")
    if any(ROLE_SEPARATOR in role for role in actor_roles):
        raise ValueError(f"role names must not contain {ROLE_SEPARATOR!r}")
    stmt = insert(audit_log).values(
        tenant_id=tenant_id,
        actor_id=actor_id,
        actor_roles=ROLE_SEPARATOR.join(sorted(set(actor_roles))),
        subject_id=subject_id,
        action=action,
        resource=resource,
        details=dict(details or {}),
    )
    await session.execute(stmt)


async def list_access(
    session: AsyncSession,
    audit_log: Table,
    *,
    subject_id: uuid.UUID,
    limit: int = 100,
) -> list[AuditEntry]:
    """Return the latest accesses to a subject's data, newest first."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    c = audit_log.c
    stmt = (
        select(
            c.id,
            c.occurred_at,
            c.tenant_id,
            c.actor_id,
            c.actor_roles,
            c.subject_id,
            c.action,
            c.resource,
            c.details,
        )
        .where(c.subject_id == subject_id)
        .order_by(c.occurred_at.desc(), c.id.desc())
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    return [
        AuditEntry(
            id=row.id,
            occurred_at=row.occurred_at,
            tenant_id=row.tenant_id,
            actor_id=row.actor_id,
            actor_roles=tuple(role for role in row.actor_roles.split(ROLE_SEPARATOR) if role),
            subject_id=row.subject_id,
            action=row.action,
            resource=row.resource,
            details=row.details,
        )
        for row in rows
    ]
