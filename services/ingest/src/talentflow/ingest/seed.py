"""`python -m talentflow.ingest seed-demo FILE`: the demo tenant and its vendor, idempotently."""

from __future__ import annotations

import logging
from pathlib import Path

from talentflow.common.crypto import load_master_key
from talentflow.common.db import create_engine, create_sessionmaker, transaction
from talentflow.common.demo import DemoData
from talentflow.common.settings import ServiceSettings
from talentflow.ingest import tenants, vendors
from talentflow.ingest.models import Jurisdiction
from talentflow.ingest.schemas import TenantSettings

log = logging.getLogger(__name__)


async def seed_demo(settings: ServiceSettings, path: Path) -> None:
    """Load the demo tenant (policy from its jurisdiction) and vendor (id and secret)."""
    demo = DemoData.load(path)
    master_key = load_master_key(settings.encryption_key.get_secret_value())
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            await tenants.configure_tenant(
                session,
                tenant_id=demo.tenant.id,
                settings=TenantSettings(
                    name=demo.tenant.name, jurisdiction=Jurisdiction(demo.tenant.jurisdiction)
                ),
            )
            await vendors.install_vendor(
                session,
                master_key=master_key,
                tenant_id=demo.tenant.id,
                vendor_id=demo.vendor.id,
                name=demo.vendor.name,
                secret=demo.vendor.secret,
            )
    finally:
        await engine.dispose()
    ids = {"tenant_id": str(demo.tenant.id), "vendor_id": str(demo.vendor.id)}
    log.info("demo data seeded", extra=ids)
