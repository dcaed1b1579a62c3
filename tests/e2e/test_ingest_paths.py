"""Issue #3's paths across the real processes: a vendor's correction reaching the candidate,
HR admins reaching ingest through the gateway, and a historical import streamed through it.

Uses the session's stack (tests/e2e/conftest.py). Each test that sends results does so for a
candidate of its own (a fresh external id and mailbox, a token issued for them), so the demo
candidates' mail counts in test_thin_path stay theirs.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from talentflow.common.auth import Role, issue_token
from talentflow.common.ids import candidate_id
from talentflow.devstack.demo import sample_result
from talentflow.devstack.stack import Stack
from talentflow.devstack.webhooks import signed_request

pytestmark = pytest.mark.e2e

T = TypeVar("T")
CORRECTED = "The interview result was corrected (now version 2) and screened again"


async def eventually(probe: Callable[[], Awaitable[T | None]], *, within: float = 20) -> T:
    """Poll `probe` until it returns something, or fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing after {within}s")
        await asyncio.sleep(0.2)


def bearer(stack: Stack, role: str) -> dict[str, str]:
    assert stack.credentials is not None
    return {"Authorization": f"Bearer {stack.credentials.tokens[role]}"}


def own_candidate(stack: Stack) -> tuple[dict[str, str], uuid.UUID, dict[str, str]]:
    """A candidate of the test's own: the contact for a payload, their id, their bearer header."""
    assert stack.demo is not None
    external_id = f"e2e-{uuid.uuid4().hex[:10]}"
    contact = {
        "external_id": external_id,
        "name": "Test Candidate",
        "email": f"{external_id}@example.com",
        "locale": "en",
    }
    person = candidate_id(stack.demo.tenant.id, external_id)
    token = issue_token(
        stack.auth_secret, subject=person, tenant_id=stack.demo.tenant.id, roles=[Role.CANDIDATE]
    )
    return contact, person, {"Authorization": f"Bearer {token}"}


async def send_result(http: httpx.AsyncClient, stack: Stack, payload: dict[str, Any]) -> str:
    """POST `payload` to the demo vendor's webhook, signed, with a new webhook-id; 202 expected."""
    assert stack.credentials is not None
    vendor = stack.credentials.vendors[0]
    data, headers = signed_request(vendor.secret, payload)
    response = await http.post(vendor.webhook_url, content=data, headers=headers)
    assert response.status_code == 202, response.text
    return str(response.json()["result_id"])


def mail_subjects(stack: Stack, address: str) -> list[str]:
    subjects = []
    for path in sorted(stack.mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in str(message["To"]):
            subjects.append(str(message["Subject"]))
    return subjects


async def mails(stack: Stack, address: str, count: int) -> list[str]:
    """Wait until `address` has `count` emails; return their subjects."""

    async def enough() -> list[str] | None:
        found = await asyncio.to_thread(mail_subjects, stack, address)
        return found if len(found) >= count else None

    return await eventually(enough)


class TestCorrectedResult:
    async def test_correction_reaches_the_report_as_version_2_and_mails_the_new_outcome(
        self, stack: Stack, http: httpx.AsyncClient
    ) -> None:
        assert stack.demo is not None
        contact, _, own = own_candidate(stack)
        body = sample_result(stack.demo)
        body["candidate"] = contact
        reports = f"{stack.urls['selfservice-api']}/v1/me/reports"

        async def decided(result_id: str, version: int) -> dict[str, Any] | None:
            r = await http.get(f"{reports}/{result_id}", headers=own)
            if r.status_code != 200:
                return None
            report: dict[str, Any] = r.json()
            if report["version"] != version or report["decision"] is None:
                return None
            # Version 2 may be stored before screening's new decision about it has arrived.
            superseding = report["decision"]["explanation"].startswith(CORRECTED)
            return report if superseding == (version == 2) else None

        result_id = await send_result(http, stack, body)
        first = await eventually(lambda: decided(result_id, 1))
        assert first["decision"]["outcome"] == "advance"
        await mails(stack, contact["email"], 1)

        body["competencies"] = {**body["competencies"], "communication": 60}
        # The same vendor result id with new content: the same result, corrected.
        assert await send_result(http, stack, body) == result_id

        second = await eventually(lambda: decided(result_id, 2))
        assert second["decision"]["outcome"] == "review"
        assert second["decision"]["decision_id"] != first["decision"]["decision_id"]
        assert "changed the outcome from advance to review" in second["decision"]["explanation"]
        scored = {c["competency"]: c for c in second["competencies"]}
        assert (scored["communication"]["score"], scored["communication"]["met"]) == (60, False)
        assert len(await mails(stack, contact["email"], 2)) == 2


class TestIngestThroughTheGateway:
    async def test_hr_admin_reads_the_tenant_and_vendor_through_the_gateway(
        self, stack: Stack, http: httpx.AsyncClient
    ) -> None:
        assert stack.demo is not None
        gateway = stack.urls["selfservice-api"]

        tenant = await http.get(f"{gateway}/v1/tenant", headers=bearer(stack, "hr_admin"))
        assert tenant.status_code == 200, tenant.text
        assert tenant.json()["jurisdiction"] == "EU"

        vendor = await http.get(
            f"{gateway}/v1/vendors/{stack.demo.vendor.id}", headers=bearer(stack, "hr_admin")
        )
        assert vendor.status_code == 200, vendor.text
        assert vendor.json()["name"] == stack.demo.vendor.name
        assert stack.demo.vendor.secret not in vendor.text

        # Ingest decides who may: its problem comes back through the gateway unchanged.
        refused = await http.get(f"{gateway}/v1/tenant", headers=bearer(stack, "candidate"))
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"


class TestHistoricalImport:
    async def test_import_streams_through_the_gateway_and_becomes_history_without_a_decision(
        self, stack: Stack, http: httpx.AsyncClient
    ) -> None:
        assert stack.demo is not None
        gateway = stack.urls["selfservice-api"]
        admin = bearer(stack, "hr_admin")
        contact, person, own = own_candidate(stack)
        past = sample_result(stack.demo)
        past["candidate"] = contact
        past["interviewed_at"] = (datetime.now(UTC) - timedelta(days=700)).isoformat()
        lines = [json.dumps(past).encode() + b"\n", b'{"result_id": "broken"}\n']

        async def upload() -> AsyncIterator[bytes]:
            for line in lines:
                yield line

        headers = {
            **admin,
            "Content-Type": "application/x-ndjson",
            "Idempotency-Key": f"e2e-{uuid.uuid4().hex}",
        }
        target = f"{gateway}/v1/imports?vendor_id={stack.demo.vendor.id}"
        created = await http.post(target, content=upload(), headers=headers)
        assert created.status_code == 201, created.text
        summary = created.json()
        assert (summary["status"], summary["accepted"], summary["failed"]) == ("completed", 1, 1)
        again = await http.post(target, content=b"".join(lines), headers=headers)
        assert (again.status_code, again.json()["id"]) == (200, summary["id"])
        errors = await http.get(f"{gateway}/v1/imports/{summary['id']}/errors", headers=admin)
        assert errors.status_code == 200, errors.text
        assert {e["line"] for e in errors.json()["items"]} == {2}

        async def history() -> list[dict[str, Any]] | None:
            r = await http.get(f"{gateway}/v1/me/reports", headers=own)
            return list(r.json()) if r.status_code == 200 and r.json() else None

        [report] = await eventually(history)
        assert (report["status"], report["origin"], report["decision"]) == (
            "historical",
            "import",
            None,
        )

        # A live interview of the same candidate follows the import on the same partition:
        # once it is decided and mailed, screening has passed over the historical one.
        live = sample_result(stack.demo)
        live["candidate"] = contact
        live_id = await send_result(http, stack, live)
        await mails(stack, contact["email"], 1)
        decisions = await http.get(
            f"{stack.urls['screening']}/v1/decisions",
            params={"candidate_id": str(person)},
            headers=bearer(stack, "hr"),
        )
        assert decisions.status_code == 200, decisions.text
        assert [d["result_id"] for d in decisions.json()["items"]] == [live_id]
        assert len(await asyncio.to_thread(mail_subjects, stack, contact["email"])) == 1
