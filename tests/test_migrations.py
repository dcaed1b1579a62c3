"""Each service's Alembic history builds exactly the schema its models describe."""

from __future__ import annotations

import asyncio
import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from talentflow.common.db import create_engine
from talentflow.common.migrations import only_schema, upgrade
from talentflow.devstack.makemigration import migrations_dir
from talentflow.devstack.testing import create_database

SERVICES = {
    "ingest": "talentflow.ingest.models",
    "screening": "talentflow.screening.models",
    "analytics": "talentflow.analytics.models",
    "notify": "talentflow.notify.models",
    "selfservice": "talentflow.selfservice.models",
}


@pytest.fixture(scope="module")
async def migrated_url(postgres_url: str) -> str:
    url = await create_database(postgres_url, "migrations")
    for service in SERVICES:
        await asyncio.to_thread(upgrade, migrations_dir(service), url)
    return url


@pytest.mark.parametrize("service", sorted(SERVICES))
class TestMigrations:
    async def test_models_match_the_migrated_schema(self, migrated_url: str, service: str) -> None:
        metadata: MetaData = importlib.import_module(SERVICES[service]).Base.metadata
        engine = create_engine(migrated_url, pool_size=1)
        try:
            async with engine.connect() as conn:

                def diff(sync_conn: object) -> list[object]:
                    context = MigrationContext.configure(
                        sync_conn,  # type: ignore[arg-type]
                        opts={
                            "include_schemas": True,
                            "include_name": only_schema(metadata.schema or ""),
                            "compare_type": True,
                        },
                    )
                    return list(compare_metadata(context, metadata))

                differences = await conn.run_sync(diff)
                tables = await conn.run_sync(
                    lambda c: inspect(c).get_table_names(schema=metadata.schema)
                )
        finally:
            await engine.dispose()
        assert differences == [], f"models and migrations differ: {differences}"
        assert {"outbox", "processed_events", "subject_keys", "audit_log"} <= set(tables)

    async def test_upgrade_is_idempotent(self, migrated_url: str, service: str) -> None:
        await asyncio.to_thread(upgrade, migrations_dir(service), migrated_url)
