"""`seed-demo` loads the demo tenant's people, idempotently."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from talentflow.common.auth import Role
from talentflow.common.demo import DemoData
from talentflow.common.ids import candidate_id
from talentflow.selfservice.models import Person
from talentflow.selfservice.seed import seed_demo


def demo_data(tenant: uuid.UUID, *, candidate_ids: dict[str, uuid.UUID] | None = None) -> DemoData:
    ids = candidate_ids or {ext: candidate_id(tenant, ext) for ext in ("demo-1", "demo-2")}
    return DemoData.model_validate(
        {
            "tenant": {"id": tenant, "name": "Demo"},
            "vendor": {"id": uuid.uuid4(), "name": "Vendor", "secret": "whsec_c2VjcmV0"},
            "job": {
                "id": uuid.uuid4(),
                "title": "Support Engineer",
                "requirements": {"communication": 80},
                "rule": {"expression": "communication >= 80"},
            },
            "candidates": [
                {
                    "id": pid,
                    "external_id": ext,
                    "name": f"Candidate {ext}",
                    "email": f"{ext}@x.test",
                    "locale": "zh-CN",
                }
                for ext, pid in ids.items()
            ],
            "users": [
                {"id": uuid.uuid4(), "role": "hr", "name": "Hana HR", "email": "hr@x.test"},
                {"id": uuid.uuid4(), "role": "employee", "name": "Emil", "email": "emil@x.test"},
            ],
        }
    )


class TestSeedDemo:
    async def test_seeding_twice_creates_each_person_once(
        self, client, settings, sessionmaker, token, tmp_path: Path
    ) -> None:
        tenant = uuid.uuid4()
        data = demo_data(tenant)
        path = tmp_path / "demo.json"
        path.write_text(data.model_dump_json(), encoding="utf-8")

        await seed_demo(settings, path)
        env = os.environ | {
            "TALENTFLOW_SELFSERVICE_ENVIRONMENT": "test",
            "TALENTFLOW_SELFSERVICE_DATABASE_URL": settings.database_url,
        }
        cli = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "talentflow.selfservice", "seed-demo", str(path), env=env
        )
        assert await cli.wait() == 0

        async with sessionmaker() as session:
            people = (await session.scalars(select(Person).where(Person.tenant_id == tenant))).all()
        kinds = sorted((p.kind, p.external_id) for p in people)
        assert kinds == [
            ("candidate", "demo-1"),
            ("candidate", "demo-2"),
            ("employee", None),
            ("hr", None),
        ]
        hr_user = data.users[0]
        me = await client.get("/v1/me", headers=token(hr_user.id, tenant, Role.HR))
        assert me.json() == {
            "id": str(hr_user.id),
            "kind": "hr",
            "name": "Hana HR",
            "email": "hr@x.test",
            "locale": "en",
        }
        candidate = data.candidates[0]
        me = await client.get("/v1/me", headers=token(candidate.id, tenant, Role.CANDIDATE))
        assert (me.json()["name"], me.json()["locale"]) == (candidate.name, "zh-CN")

    async def test_a_candidate_id_not_derived_from_the_external_id_is_refused(
        self, settings, tmp_path: Path
    ) -> None:
        path = tmp_path / "demo.json"
        data = demo_data(uuid.uuid4(), candidate_ids={"demo-1": uuid.uuid4()})
        path.write_text(data.model_dump_json(), encoding="utf-8")
        with pytest.raises(ValueError, match="candidate_id"):
            await seed_demo(settings, path)
