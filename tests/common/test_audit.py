"""Audit log helper, against a real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.audit import AuditEntry, list_access, record_access
from talentflow.common.tables import PlatformTables

TENANT = uuid.UUID("00000000-0000-4000-8000-000000000001")


async def record(
    session: AsyncSession,
    tables: PlatformTables,
    subject_id: uuid.UUID | None,
    action: str,
    *,
    actor_id: str = "user-1",
) -> None:
    await record_access(
        session,
        tables.audit_log,
        actor_id=actor_id,
        actor_roles=["recruiter"],
        tenant_id=TENANT,
        subject_id=subject_id,
        action=action,
        resource=f"candidates/{subject_id}",
    )


class TestRecordAccess:
    async def test_round_trip(self, session: AsyncSession, tables: PlatformTables) -> None:
        subject = uuid.uuid4()
        await record_access(
            session,
            tables.audit_log,
            actor_id="user-42",
            actor_roles=["recruiter", "admin"],
            tenant_id=TENANT,
            subject_id=subject,
            action="read",
            resource=f"candidates/{subject}/cv",
            details={"fields": ["email", "phone"], "reason": "screening"},
        )
        (entry,) = await list_access(session, tables.audit_log, subject_id=subject)
        assert isinstance(entry, AuditEntry)
        assert entry.actor_id == "user-42"
        assert entry.actor_roles == ("admin", "recruiter")
        assert entry.tenant_id == TENANT
        assert entry.subject_id == subject
        assert entry.action == "read"
        assert entry.resource == f"candidates/{subject}/cv"
        assert entry.details == {"fields": ["email", "phone"], "reason": "screening"}
        assert isinstance(entry.occurred_at, datetime)
        assert entry.occurred_at.tzinfo is not None

    async def test_defaults_and_nullable_ids(
        self, session: AsyncSession, tables: PlatformTables
    ) -> None:
        await record_access(
            session,
            tables.audit_log,
            actor_id="system",
            actor_roles=[],
            tenant_id=None,
            subject_id=None,
            action="export",
            resource="reports/weekly",
        )
        table = tables.audit_log
        stmt = select(table.c.details, table.c.actor_roles).where(table.c.actor_id == "system")
        row = (await session.execute(stmt)).one()
        assert row.details == {}
        assert row.actor_roles == ""

    async def test_entry_is_immutable(self, session: AsyncSession, tables: PlatformTables) -> None:
        subject = uuid.uuid4()
        await record(session, tables, subject, "read")
        (entry,) = await list_access(session, tables.audit_log, subject_id=subject)
        with pytest.raises(AttributeError):
            entry.action = "delete"  # type: ignore[misc]

    async def test_rejects_roles_as_one_string(
        self, session: AsyncSession, tables: PlatformTables
    ) -> None:
        with pytest.raises(TypeError):
            await record_access(
                session,
                tables.audit_log,
                actor_id="user-1",
                actor_roles="admin",
                tenant_id=None,
                subject_id=None,
                action="read",
                resource="x",
            )

    async def test_rejects_separator_in_role(
        self, session: AsyncSession, tables: PlatformTables
    ) -> None:
        with pytest.raises(ValueError):
            await record_access(
                session,
                tables.audit_log,
                actor_id="user-1",
                actor_roles=["admin,root"],
                tenant_id=None,
                subject_id=None,
                action="read",
                resource="x",
            )


class TestListAccess:
    async def test_newest_first(self, session: AsyncSession, tables: PlatformTables) -> None:
        subject = uuid.uuid4()
        for action in ("create", "read", "update", "erase"):
            await record(session, tables, subject, action)
        entries = await list_access(session, tables.audit_log, subject_id=subject)
        assert [e.action for e in entries] == ["erase", "update", "read", "create"]

    async def test_orders_by_time_before_id(
        self, session: AsyncSession, tables: PlatformTables
    ) -> None:
        subject = uuid.uuid4()
        await record(session, tables, subject, "late")
        await record(session, tables, subject, "early")
        table = tables.audit_log
        await session.execute(
            table.update()
            .where(table.c.action == "early", table.c.subject_id == subject)
            .values(occurred_at=func.now() - func.make_interval(0, 0, 0, 1))
        )
        entries = await list_access(session, tables.audit_log, subject_id=subject)
        assert [e.action for e in entries] == ["late", "early"]

    async def test_only_the_subjects_entries(
        self, session: AsyncSession, tables: PlatformTables
    ) -> None:
        mine, theirs = uuid.uuid4(), uuid.uuid4()
        await record(session, tables, mine, "read")
        await record(session, tables, theirs, "read")
        await record(session, tables, None, "read")
        entries = await list_access(session, tables.audit_log, subject_id=mine)
        assert [e.subject_id for e in entries] == [mine]

    async def test_limit_keeps_the_newest(
        self, session: AsyncSession, tables: PlatformTables
    ) -> None:
        subject = uuid.uuid4()
        for i in range(5):
            await record(session, tables, subject, f"read-{i}")
        entries = await list_access(session, tables.audit_log, subject_id=subject, limit=2)
        assert [e.action for e in entries] == ["read-4", "read-3"]

    async def test_unknown_subject_is_empty(
        self, session: AsyncSession, tables: PlatformTables
    ) -> None:
        assert await list_access(session, tables.audit_log, subject_id=uuid.uuid4()) == []

    async def test_rejects_non_positive_limit(
        self, session: AsyncSession, tables: PlatformTables
    ) -> None:
        with pytest.raises(ValueError):
            await list_access(session, tables.audit_log, subject_id=uuid.uuid4(), limit=0)
