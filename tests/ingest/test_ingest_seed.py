"""`seed-demo`: the demo tenant and vendor, idempotently, with the secret kept in step."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

from talentflow.ingest import webhooks
from talentflow.ingest.seed import seed_demo


def demo_file(tmp_path: Path, *, secret: str, jurisdiction: str = "EU") -> tuple[Path, Any]:
    data = {
        "tenant": {"id": str(uuid.uuid4()), "name": "Demo Corp", "jurisdiction": jurisdiction},
        "vendor": {"id": str(uuid.uuid4()), "name": "Demo Vendor", "secret": secret},
        "job": {
            "id": str(uuid.uuid4()),
            "title": "Support engineer",
            "requirements": {"communication": 80},
            "rule": {"expression": "communication >= 80"},
        },
        "candidates": [
            {"id": str(uuid.uuid4()), "external_id": "c-1", "name": "Ada", "email": "a@x.io"}
        ],
    }
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path, data


class TestSeedDemo:
    async def test_seeding_twice_gives_one_tenant_one_vendor_one_secret(
        self, h, tmp_path: Path
    ) -> None:
        secret = webhooks.generate_secret()
        path, data = demo_file(tmp_path, secret=secret)

        await seed_demo(h.settings, path)
        await seed_demo(h.settings, path)

        tenant_id, vendor_id = uuid.UUID(data["tenant"]["id"]), uuid.UUID(data["vendor"]["id"])
        tenants = await h.rows("SELECT * FROM ingest.tenants WHERE id = :t", t=tenant_id)
        assert [(t["name"], t["jurisdiction"], t["biometrics_policy"]) for t in tenants] == [
            ("Demo Corp", "EU", "drop")
        ]
        vendors = await h.rows("SELECT * FROM ingest.vendors WHERE id = :v", v=vendor_id)
        assert [(v["tenant_id"], v["name"], v["enabled"]) for v in vendors] == [
            (tenant_id, "Demo Vendor", True)
        ]
        secrets = await h.rows(
            "SELECT * FROM ingest.vendor_secrets WHERE vendor_id = :v", v=vendor_id
        )
        assert len(secrets) == 1
        assert (await h.deliver(vendor_id, secret, h.payload())).status_code == 202

    async def test_a_changed_secret_replaces_the_old_one(self, h, tmp_path: Path) -> None:
        old, new = webhooks.generate_secret(), webhooks.generate_secret()
        path, data = demo_file(tmp_path, secret=old, jurisdiction="US")
        await seed_demo(h.settings, path)
        data["vendor"]["secret"] = new
        path.write_text(json.dumps(data), encoding="utf-8")

        await seed_demo(h.settings, path)

        vendor_id = uuid.UUID(data["vendor"]["id"])
        assert (await h.deliver(vendor_id, old, h.payload())).status_code == 401
        assert (await h.deliver(vendor_id, new, h.payload())).status_code == 202
        (tenant,) = await h.rows(
            "SELECT biometrics_policy FROM ingest.tenants WHERE id = :t", t=data["tenant"]["id"]
        )
        assert tenant["biometrics_policy"] == "keep_unusable"

    async def test_the_command_line_runs_it(self, h, tmp_path: Path) -> None:
        secret = webhooks.generate_secret()
        path, data = demo_file(tmp_path, secret=secret)
        env = {
            **os.environ,
            "TALENTFLOW_INGEST_DATABASE_URL": h.settings.database_url,
            "TALENTFLOW_INGEST_ENCRYPTION_KEY": h.settings.encryption_key.get_secret_value(),
        }

        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "talentflow.ingest", "seed-demo", str(path), env=env
        )

        assert await asyncio.wait_for(process.wait(), timeout=60) == 0
        vendor_id = uuid.UUID(data["vendor"]["id"])
        assert (await h.deliver(vendor_id, secret, h.payload())).status_code == 202
