"""Alembic glue: each service keeps its own history, in its own schema.

A service's `migrations/env.py` calls `run_alembic_env(...)`; `upgrade(...)` runs a service's
migrations programmatically (its `migrate` command).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from talentflow.common.db import async_url, create_engine


def alembic_config(script_location: Path, database_url: str) -> Config:
    """An Alembic Config for a service's migrations folder and a database URL."""
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", async_url(database_url).replace("%", "%%"))
    return cfg


def upgrade(script_location: Path, database_url: str, revision: str = "head") -> None:
    """Upgrade the service's schema to `revision` (idempotent)."""
    command.upgrade(alembic_config(script_location, database_url), revision)


def only_schema(schema: str) -> Callable[[str | None, str, Any], bool]:
    """Autogenerate filter: look at this service's schema only, never at other services'."""

    def include(name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ == "schema":
            return name == schema
        return not (type_ == "table" and name == "alembic_version")

    return include


def run_alembic_env(metadata: MetaData) -> None:
    """Body of a service's env.py: online, async, version table inside the service's schema."""
    schema = metadata.schema
    assert schema, "a service's metadata must name its schema"
    url = context.config.get_main_option("sqlalchemy.url")
    assert url

    def _run(connection: Connection) -> None:
        # Replicas starting together migrate one at a time; the others then find nothing to do.
        connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:lock))"), {"lock": f"migrate:{schema}"}
        )
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=only_schema(schema),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def _main() -> None:
        engine = create_engine(url, pool_size=1)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(_run)
        finally:
            await engine.dispose()

    asyncio.run(_main())
