"""`python -m talentflow.screening seed-demo FILE`: the demo job and its active rule."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common import db
from talentflow.common.demo import DemoData
from talentflow.common.settings import ServiceSettings
from talentflow.screening import service
from talentflow.screening.exceptions import JobNotFound
from talentflow.screening.schemas import JobCreate, RuleIn

log = logging.getLogger(__name__)


async def seed_demo(settings: ServiceSettings, path: Path) -> None:
    """Load the demo tenant's job from `path` in one transaction (idempotent)."""
    data = DemoData.load(path)
    engine = db.create_engine(settings.database_url, pool_size=1)
    try:
        async with db.transaction(db.create_sessionmaker(engine)) as session:
            await load_demo(session, data)
    finally:
        await engine.dispose()


async def load_demo(session: AsyncSession, data: DemoData) -> None:
    """Create the demo job, or make the demo rule its active rule set if it changed."""
    demo = data.job
    tenant_id = data.tenant.id
    rule = RuleIn(expression=demo.rule.expression, on_fail=demo.rule.on_fail)
    author = _author(data)
    try:
        job = await service.get_job(session, tenant_id=tenant_id, job_id=demo.id)
    except JobNotFound:
        job_in = JobCreate(title=demo.title, requirements=demo.requirements, rule=rule)
        await service.create_job(
            session, tenant_id=tenant_id, job_in=job_in, created_by=author, job_id=demo.id
        )
        log.info("demo job created", extra={"job_id": str(demo.id)})
        return
    active = job.active_rule
    if active is None or (active.expression, active.on_fail) != (rule.expression, rule.on_fail):
        await service.add_rule_set(
            session,
            tenant_id=tenant_id,
            job_id=demo.id,
            expression=rule.expression,
            on_fail=rule.on_fail,
            created_by=author,
        )
        log.info("demo rule updated", extra={"job_id": str(demo.id)})


def _author(data: DemoData) -> uuid.UUID | None:
    for role in ("hr_admin", "hr"):
        for user in data.users:
            if user.role == role:
                return user.id
    return None
