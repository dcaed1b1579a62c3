"""The whole road across real processes: vendor webhook -> ingest -> screening -> notify -> mail,
and the candidate reading the result through the gateway.

Five uvicorn processes started by the same Stack that `make run` uses (the `stack` fixture of
tests/e2e/conftest.py), talking over a real Kafka-protocol broker and a real PostgreSQL, with
notify sending through a real SMTP server (aiosmtpd) that keeps every message as a file. These
tests use the demo's two candidates and count their emails: other e2e modules use candidates
of their own.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import time
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from talentflow.devstack.demo import sample_result, with_new_result_id
from talentflow.devstack.stack import Stack
from talentflow.devstack.webhooks import signed_request

pytestmark = pytest.mark.e2e

T = TypeVar("T")


def bearer(stack: Stack, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.credentials.tokens[role]}"}


async def eventually(probe: Callable[[], Awaitable[T | None]], *, within: float = 30) -> T:
    """Poll `probe` until it returns something, or fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing after {within}s")
        await asyncio.sleep(0.2)


def mails_to(mail_dir: Path, address: str) -> list[EmailMessage]:
    found = []
    for path in sorted(mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in str(message["To"]):
            found.append(message)  # type: ignore[arg-type]
    return found


async def post_result(
    http: httpx.AsyncClient,
    stack: Stack,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> tuple[httpx.Response, dict[str, str]]:
    vendor = stack.credentials.vendors[0]
    data, signed = signed_request(vendor.secret, body)
    response = await http.post(vendor.webhook_url, content=data, headers=headers or signed)
    return response, signed


class TestThinPath:
    async def test_signed_result_reaches_the_candidates_report_and_mailbox(
        self, stack: Stack, http: httpx.AsyncClient
    ) -> None:
        candidate = stack.demo.candidates[0]
        body = with_new_result_id(sample_result(stack.demo))
        started = time.monotonic()

        response, headers = await post_result(http, stack, body)
        assert response.status_code == 202, response.text
        result_id = response.json()["result_id"]

        async def report() -> dict[str, Any] | None:
            r = await http.get(
                f"{stack.urls['selfservice-api']}/v1/me/reports/{result_id}",
                headers=bearer(stack, "candidate"),
            )
            # The read model shows a decision that arrives before its result (they come on
            # two topics) at once: wait for both.
            if r.status_code == 200 and r.json()["decision"] is not None and r.json()["evidence"]:
                return dict(r.json())
            return None

        seen = await eventually(report)
        assert seen["job"]["id"] == str(stack.demo.job.id)
        assert seen["job"]["title"] == stack.demo.job.title
        assert seen["decision"]["outcome"] == "advance"
        conditions = {c["metric"]: c for c in seen["decision"]["conditions"]}
        assert conditions["communication"]["actual"] == body["competencies"]["communication"]
        assert conditions["communication"]["held"] is True
        assert conditions["customer_cases"]["actual"] == body["counts"]["customer_cases"]
        scored = {c["competency"]: c for c in seen["competencies"]}
        assert scored["communication"]["required"] == stack.demo.job.requirements["communication"]
        assert [e["quote"] for e in seen["evidence"]] == [e["quote"] for e in body["evidence"]]

        mail = await eventually(
            lambda: asyncio.to_thread(lambda: mails_to(stack.mail_dir, candidate.email) or None)
        )
        assert len(mail) == 1
        assert time.monotonic() - started < 30
        text = mail[0].get_body(preferencelist=("plain",))
        assert text is not None and stack.demo.job.title in text.get_content()

        # The vendor retries the same delivery: same answer, nothing happens twice.
        again = await http.post(
            stack.credentials.vendors[0].webhook_url,
            content=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
            headers=headers,
        )
        assert again.status_code == 200
        assert again.json()["result_id"] == result_id
        await asyncio.sleep(2)
        assert len(mails_to(stack.mail_dir, candidate.email)) == 1

    async def test_hr_reads_the_candidate_through_the_gateway(
        self, stack: Stack, http: httpx.AsyncClient
    ) -> None:
        candidate = stack.demo.candidates[0]
        gateway = stack.urls["selfservice-api"]

        async def reports() -> list[dict[str, Any]] | None:
            r = await http.get(
                f"{gateway}/v1/candidates/{candidate.id}/reports", headers=bearer(stack, "hr")
            )
            return list(r.json()) if r.status_code == 200 and r.json() else None

        assert (await eventually(reports))[0]["decision"]["outcome"] == "advance"

        jobs = await http.get(f"{gateway}/v1/jobs", headers=bearer(stack, "hr"))
        assert jobs.status_code == 200, jobs.text
        assert str(stack.demo.job.id) in jobs.text

        forbidden = await http.get(f"{gateway}/v1/candidates", headers=bearer(stack, "candidate"))
        assert forbidden.status_code == 403
        assert forbidden.headers["content-type"] == "application/problem+json"

    async def test_a_failing_candidate_is_routed_to_review_and_told_so(
        self, stack: Stack, http: httpx.AsyncClient
    ) -> None:
        second = stack.demo.candidates[1]
        body = with_new_result_id(sample_result(stack.demo))
        body["candidate"] = {
            "external_id": second.external_id,
            "name": second.name,
            "email": second.email,
            "locale": second.locale,
        }
        body["competencies"]["communication"] = 60
        response, _ = await post_result(http, stack, body)
        assert response.status_code == 202, response.text
        result_id = response.json()["result_id"]

        async def decided() -> dict[str, Any] | None:
            r = await http.get(
                f"{stack.urls['selfservice-api']}/v1/me/reports/{result_id}",
                headers=bearer(stack, "second_candidate"),
            )
            ok = r.status_code == 200 and r.json()["decision"] is not None
            return dict(r.json()) if ok else None

        report = await eventually(decided)
        assert report["decision"]["outcome"] == "review"
        failed = [c for c in report["decision"]["conditions"] if not c["held"]]
        assert [(c["metric"], c["actual"]) for c in failed] == [("communication", 60)]
        assert any(a["competency"] == "communication" for a in report["advice"])

        mail = await eventually(
            lambda: asyncio.to_thread(lambda: mails_to(stack.mail_dir, second.email) or None)
        )
        assert len(mail) == 1

        async def task() -> list[dict[str, Any]] | None:
            r = await http.get(
                f"{stack.urls['selfservice-api']}/v1/tasks", headers=bearer(stack, "hr")
            )
            if r.status_code != 200:
                return None
            items = r.json()["items"]
            return [t for t in items if t["candidate_id"] == str(second.id)] or None

        (review,) = await eventually(task)

        # HR reads the decision and completes the review, all through the gateway.
        gateway, hr = stack.urls["selfservice-api"], bearer(stack, "hr")
        decision = await http.get(f"{gateway}/v1/decisions/{review['decision_id']}", headers=hr)
        assert decision.status_code == 200, decision.text
        assert decision.json()["outcome"] == "review"
        done = await http.post(f"{gateway}/v1/tasks/{review['id']}/complete", headers=hr)
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "done"
        again = await http.post(f"{gateway}/v1/tasks/{review['id']}/complete", headers=hr)
        assert again.status_code == 409
        read = await http.get(f"{gateway}/v1/tasks/{review['id']}", headers=hr)
        assert read.json()["status"] == "done" and read.json()["completed_at"] is not None

    async def test_bad_signature_is_refused_and_nothing_is_stored(
        self, stack: Stack, http: httpx.AsyncClient
    ) -> None:
        body = with_new_result_id(sample_result(stack.demo))
        _, headers = signed_request(stack.credentials.vendors[0].secret, body)
        headers["webhook-signature"] = "v1,ZmFrZQ=="
        response, _ = await post_result(http, stack, body, headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    def test_every_service_is_ready_and_documented(self, stack: Stack) -> None:
        with httpx.Client(timeout=5) as client:
            for name, url in stack.urls.items():
                assert client.get(f"{url}/readyz").status_code == 200, name
                assert client.get(f"{url}/openapi.json").json()["paths"], name
