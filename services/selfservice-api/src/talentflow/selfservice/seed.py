"""`seed-demo`: the demo tenant's candidates and users as people (idempotent)."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common import db
from talentflow.common.crypto import FieldCipher, load_master_key
from talentflow.common.demo import DemoData
from talentflow.common.ids import candidate_id
from talentflow.common.settings import ServiceSettings
from talentflow.selfservice import service
from talentflow.selfservice.models import PLATFORM, PersonKind

log = logging.getLogger(__name__)


async def seed_people(session: AsyncSession, *, cipher: FieldCipher, data: DemoData) -> int:
    """Create or refresh a person per demo candidate and user; return how many."""
    tenant = data.tenant.id
    for person in data.candidates:
        if person.id != candidate_id(tenant, person.external_id):
            raise ValueError(
                f"demo candidate {person.id} is not candidate_id(tenant, {person.external_id!r})"
            )
        await service.upsert_person(
            session,
            cipher=cipher,
            person_id=person.id,
            tenant_id=tenant,
            kind=PersonKind.CANDIDATE,
            external_id=person.external_id,
            name=person.name,
            email=person.email,
            locale=person.locale,
        )
    for user in data.users:
        await service.upsert_person(
            session,
            cipher=cipher,
            person_id=user.id,
            tenant_id=tenant,
            kind=PersonKind(user.role),
            external_id=None,
            name=user.name,
            email=user.email,
            locale="en",
        )
    return len(data.candidates) + len(data.users)


async def seed_demo(settings: ServiceSettings, path: Path) -> None:
    """Load the demo file's people into the selfservice schema (runs at every `make run`)."""
    data = DemoData.load(path)
    engine = db.create_engine(settings.database_url, pool_size=1)
    try:
        cipher = FieldCipher(
            load_master_key(settings.encryption_key.get_secret_value()), PLATFORM.subject_keys
        )
        async with db.transaction(db.create_sessionmaker(engine)) as session:
            count = await seed_people(session, cipher=cipher, data=data)
    finally:
        await engine.dispose()
    log.info("demo people seeded", extra={"tenant_id": str(data.tenant.id), "people": count})
