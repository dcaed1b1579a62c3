"""The demo tenant of `make run`, the sample vendor result and the credentials to try it with.

The demo data is created once and kept in `var/dev/demo.json`, so ids, the vendor secret and
the tokens' subjects stay the same across restarts. Every service's `seed-demo` loads that file.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from talentflow.common.auth import Role, issue_token
from talentflow.common.demo import (
    DemoData,
    DemoJob,
    DemoPerson,
    DemoRule,
    DemoTenant,
    DemoUser,
    DemoVendor,
)
from talentflow.common.ids import candidate_id

# Where a vendor posts results: ingest's public route (the only one the Ingress exposes).
WEBHOOK_PATH = "/v1/webhooks/{vendor_id}"

# Roles a demo token carries. hr_admin also holds hr, so it can do everything HR can.
TOKEN_ROLES: dict[str, tuple[Role, ...]] = {
    "candidate": (Role.CANDIDATE,),
    "second_candidate": (Role.CANDIDATE,),
    "hr": (Role.HR,),
    "hr_admin": (Role.HR, Role.HR_ADMIN),
    "employee": (Role.EMPLOYEE,),
}


def new_webhook_secret() -> str:
    """A fresh Standard Webhooks signing secret: `whsec_` + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def create_demo() -> DemoData:
    """A new demo tenant with fresh ids and a fresh vendor secret."""
    tenant = DemoTenant(id=uuid.uuid4(), name="Demo GmbH", jurisdiction="EU")
    people = [
        ("cand-en-001", "Alex Morgan", "alex.morgan@example.com", "en"),
        ("cand-zh-002", "王芳", "wang.fang@example.com", "zh-CN"),
    ]
    return DemoData(
        tenant=tenant,
        vendor=DemoVendor(id=uuid.uuid4(), name="Demo Interview AI", secret=new_webhook_secret()),
        job=DemoJob(
            id=uuid.uuid4(),
            title="Customer Success Manager",
            requirements={"communication": 80, "teamwork": 70, "problem_solving": 65},
            rule=DemoRule(
                expression="communication >= 85 and customer_cases >= 2", on_fail="review"
            ),
        ),
        candidates=[
            DemoPerson(
                id=candidate_id(tenant.id, external_id),
                external_id=external_id,
                name=name,
                email=email,
                locale=locale,
            )
            for external_id, name, email, locale in people
        ],
        users=[
            DemoUser(id=uuid.uuid4(), role="hr", name="Hanna Richter", email="hr@example.com"),
            DemoUser(
                id=uuid.uuid4(), role="hr_admin", name="Jonas Weber", email="hr.admin@example.com"
            ),
            DemoUser(
                id=uuid.uuid4(), role="employee", name="Maria Rossi", email="maria@example.com"
            ),
        ],
    )


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` so that a reader never sees a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_or_create_demo(path: Path) -> DemoData:
    """The demo data in `path`; created (and written) the first time only."""
    if path.exists():
        return DemoData.load(path)
    demo = create_demo()
    write_atomic(path, demo.model_dump_json(indent=2) + "\n")
    return demo


def sample_result(demo: DemoData) -> dict[str, Any]:
    """A talentflow.v1 vendor result for the first candidate, with a fresh result_id."""
    person = demo.candidates[0]
    result_id = f"res_{uuid.uuid4().hex}"
    interviewed_at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    return {
        "result_id": result_id,
        "job_id": str(demo.job.id),
        "candidate": {
            "external_id": person.external_id,
            "name": person.name,
            "email": person.email,
            "locale": person.locale,
        },
        "interviewed_at": interviewed_at.isoformat(),
        "overall_score": 84,
        "competencies": {"communication": 88, "teamwork": 79, "problem_solving": 72},
        "counts": {"customer_cases": 3, "questions_asked": 4},
        "evidence": [
            {
                "competency": "communication",
                "quote": "I walked the customer through the fix step by step and confirmed "
                "in writing what we had agreed.",
                "at_seconds": 142,
            },
            {
                "competency": "problem_solving",
                "quote": "We traced the failed invoices to a time-zone bug and patched the "
                "export the same day.",
                "at_seconds": 415,
            },
        ],
        "biometrics": {"smile_count": 14},
        "report_url": f"https://vendor.example.com/reports/{result_id}",
    }


def with_new_result_id(body: Mapping[str, Any]) -> dict[str, Any]:
    """`body` with a fresh result_id (and report URL), so ingest treats it as a new result."""
    result_id = f"res_{uuid.uuid4().hex}"
    new = dict(body)
    old = str(body.get("result_id", ""))
    new["result_id"] = result_id
    report = body.get("report_url")
    if isinstance(report, str) and old and old in report:
        new["report_url"] = report.replace(old, result_id)
    return new


class VendorCredentials(BaseModel):
    id: uuid.UUID
    name: str
    secret: str
    webhook_url: str


class Credentials(BaseModel):
    """What a developer needs to try the running stack (var/dev/credentials.json)."""

    tenant: DemoTenant
    vendors: list[VendorCredentials]
    job: DemoJob
    candidates: list[DemoPerson]
    users: list[DemoUser]
    tokens: dict[str, str]  # demo role -> bearer token
    services: dict[str, str]  # service name -> base URL
    mail_dir: str

    @classmethod
    def load(cls, path: Path) -> Credentials:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))


def issue_demo_tokens(
    demo: DemoData, auth_secret: str, ttl: timedelta = timedelta(hours=24)
) -> dict[str, str]:
    """A bearer token per demo role, signed with the services' shared auth secret."""
    users = {u.role: u for u in demo.users}
    second = demo.candidates[1] if len(demo.candidates) > 1 else None
    subjects = {
        "candidate": demo.candidates[0].id,
        "second_candidate": second.id if second else None,
        "hr": users["hr"].id if "hr" in users else None,
        "hr_admin": users["hr_admin"].id if "hr_admin" in users else None,
        "employee": users["employee"].id if "employee" in users else None,
    }
    return {
        name: issue_token(
            auth_secret, subject=subject, tenant_id=demo.tenant.id, roles=TOKEN_ROLES[name], ttl=ttl
        )
        for name, subject in subjects.items()
        if subject is not None
    }


def build_credentials(
    demo: DemoData,
    *,
    auth_secret: str,
    services: Mapping[str, str],
    mail_dir: Path,
    ttl: timedelta = timedelta(hours=24),
) -> Credentials:
    """Credentials for `demo` against services at `services` (name -> base URL)."""
    ingest = services.get("ingest", "http://127.0.0.1:8001").rstrip("/")
    vendor = demo.vendor
    return Credentials(
        tenant=demo.tenant,
        vendors=[
            VendorCredentials(
                id=vendor.id,
                name=vendor.name,
                secret=vendor.secret,
                webhook_url=ingest + WEBHOOK_PATH.format(vendor_id=vendor.id),
            )
        ],
        job=demo.job,
        candidates=list(demo.candidates),
        users=list(demo.users),
        tokens=issue_demo_tokens(demo, auth_secret, ttl),
        services=dict(services),
        mail_dir=str(mail_dir),
    )


def dump_json(data: Any) -> str:
    """Pretty JSON as the stack writes it (UTF-8, not ASCII-escaped)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
