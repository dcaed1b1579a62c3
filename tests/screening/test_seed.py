"""`seed-demo`: the demo job and its rule, loaded idempotently."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from talentflow.screening.__main__ import COMMANDS
from talentflow.screening.models import Job, RuleSet
from talentflow.screening.seed import seed_demo


def demo_file(tmp_path: Path, tenant_id: uuid.UUID, job_id: uuid.UUID, expression: str) -> Path:
    data: dict[str, Any] = {
        "tenant": {"id": str(tenant_id), "name": "Demo GmbH"},
        "vendor": {"id": str(uuid.uuid4()), "name": "Vendor", "secret": "whsec_c2VjcmV0"},
        "job": {
            "id": str(job_id),
            "title": "Customer support agent",
            "requirements": {"communication": 85, "teamwork": 70},
            "rule": {"expression": expression, "on_fail": "reject"},
        },
        "candidates": [
            {"id": str(uuid.uuid4()), "external_id": "c-1", "name": "Ada", "email": "a@x.test"}
        ],
        "users": [{"id": str(uuid.uuid4()), "role": "hr_admin", "name": "H", "email": "h@x.test"}],
    }
    path = tmp_path / f"demo-{uuid.uuid4().hex}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


async def rule_sets(sessionmaker, job_id: uuid.UUID) -> list[tuple[int, str, bool]]:
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(RuleSet).where(RuleSet.job_id == job_id).order_by(RuleSet.version)
        )
        return [(r.version, r.expression, r.active) for r in rows]


class TestSeedDemo:
    async def test_loads_the_job_with_its_rule_once(self, settings, sessionmaker, tmp_path) -> None:
        tenant_id, job_id = uuid.uuid4(), uuid.uuid4()
        path = demo_file(tmp_path, tenant_id, job_id, "communication >= 85 and customer_cases >= 2")
        assert COMMANDS.seed_demo is seed_demo
        await seed_demo(settings, path)
        await seed_demo(settings, path)
        async with sessionmaker() as session:
            job = await session.get(Job, job_id)
        assert job is not None and job.tenant_id == tenant_id
        assert job.title == "Customer support agent"
        assert job.requirements == {"communication": 85.0, "teamwork": 70.0}
        assert await rule_sets(sessionmaker, job_id) == [
            (1, "communication >= 85 and customer_cases >= 2", True)
        ]

    async def test_a_changed_demo_rule_becomes_the_active_version(
        self, settings, sessionmaker, tmp_path
    ) -> None:
        tenant_id, job_id = uuid.uuid4(), uuid.uuid4()
        await seed_demo(settings, demo_file(tmp_path, tenant_id, job_id, "communication >= 85"))
        await seed_demo(settings, demo_file(tmp_path, tenant_id, job_id, "communication >= 80"))
        assert await rule_sets(sessionmaker, job_id) == [
            (1, "communication >= 85", False),
            (2, "communication >= 80", True),
        ]
