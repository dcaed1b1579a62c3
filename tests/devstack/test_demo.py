"""The demo tenant, the sample vendor result and the demo credentials."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path

from talentflow.common.auth import Role, decode_token
from talentflow.common.demo import DemoData
from talentflow.common.ids import candidate_id
from talentflow.devstack.demo import (
    Credentials,
    build_credentials,
    load_or_create_demo,
    sample_result,
    with_new_result_id,
)

SECRET = "test-auth-secret-at-least-32-bytes-long"
URLS = {
    "selfservice-api": "http://127.0.0.1:8000",
    "ingest": "http://127.0.0.1:8001",
    "screening": "http://127.0.0.1:8002",
    "analytics": "http://127.0.0.1:8003",
    "notify": "http://127.0.0.1:8004",
}


class TestDemoData:
    def test_is_created_once_and_reused(self, tmp_path: Path) -> None:
        path = tmp_path / "dev" / "demo.json"
        first = load_or_create_demo(path)
        text = path.read_text(encoding="utf-8")
        second = load_or_create_demo(path)

        assert second == first
        assert path.read_text(encoding="utf-8") == text
        assert DemoData.load(path) == first

    def test_candidate_ids_are_the_shared_derivation(self, tmp_path: Path) -> None:
        demo = load_or_create_demo(tmp_path / "demo.json")

        assert len(demo.candidates) == 2
        for person in demo.candidates:
            assert person.id == candidate_id(demo.tenant.id, person.external_id)
        assert [p.locale for p in demo.candidates] == ["en", "zh-CN"]

    def test_tenant_vendor_job_and_users(self, tmp_path: Path) -> None:
        demo = load_or_create_demo(tmp_path / "demo.json")

        assert demo.tenant.jurisdiction == "EU"
        assert demo.vendor.secret.startswith("whsec_")
        assert len(base64.b64decode(demo.vendor.secret.removeprefix("whsec_"))) == 24
        assert demo.job.title == "Customer Success Manager"
        assert demo.job.requirements == {
            "communication": 80,
            "teamwork": 70,
            "problem_solving": 65,
        }
        assert demo.job.rule.expression == "communication >= 85 and customer_cases >= 2"
        assert demo.job.rule.on_fail == "review"
        assert sorted(u.role for u in demo.users) == ["employee", "hr", "hr_admin"]

    def test_each_new_demo_has_a_fresh_vendor_secret(self, tmp_path: Path) -> None:
        a = load_or_create_demo(tmp_path / "a.json")
        b = load_or_create_demo(tmp_path / "b.json")
        assert a.vendor.secret != b.vendor.secret
        assert a.tenant.id != b.tenant.id


class TestSampleResult:
    def test_fields_of_the_talentflow_v1_body(self, tmp_path: Path) -> None:
        demo = load_or_create_demo(tmp_path / "demo.json")
        body = sample_result(demo)
        person = demo.candidates[0]

        assert set(body) == {
            "result_id",
            "job_id",
            "candidate",
            "interviewed_at",
            "overall_score",
            "competencies",
            "counts",
            "evidence",
            "biometrics",
            "report_url",
        }
        assert body["job_id"] == str(demo.job.id)
        assert body["candidate"] == {
            "external_id": person.external_id,
            "name": person.name,
            "email": person.email,
            "locale": person.locale,
        }
        assert datetime.fromisoformat(body["interviewed_at"]).utcoffset() is not None
        assert set(body["competencies"]) == set(demo.job.requirements)
        assert all(0 <= v <= 100 for v in body["competencies"].values())
        assert 0 <= body["overall_score"] <= 100
        assert body["counts"] == {"customer_cases": 3, "questions_asked": 4}
        assert body["biometrics"] == {"smile_count": 14}
        for item in body["evidence"]:
            assert set(item) == {"competency", "quote", "at_seconds"}
            assert item["competency"] in body["competencies"]
        assert body["report_url"].startswith("https://")
        json.dumps(body)  # plain JSON

    def test_passes_the_demo_rule(self, tmp_path: Path) -> None:
        body = sample_result(load_or_create_demo(tmp_path / "demo.json"))
        assert body["competencies"]["communication"] >= 85
        assert body["counts"]["customer_cases"] >= 2

    def test_every_call_has_a_fresh_result_id(self, tmp_path: Path) -> None:
        demo = load_or_create_demo(tmp_path / "demo.json")
        ids = {sample_result(demo)["result_id"] for _ in range(5)}
        assert len(ids) == 5

    def test_with_new_result_id_keeps_everything_else(self, tmp_path: Path) -> None:
        body = sample_result(load_or_create_demo(tmp_path / "demo.json"))
        again = with_new_result_id(body)

        assert again["result_id"] != body["result_id"]
        assert again["report_url"].endswith(again["result_id"])
        rest = {k: v for k, v in again.items() if k not in ("result_id", "report_url")}
        assert rest == {k: v for k, v in body.items() if k not in ("result_id", "report_url")}


class TestCredentials:
    def _credentials(self, tmp_path: Path) -> tuple[DemoData, Credentials]:
        demo = load_or_create_demo(tmp_path / "demo.json")
        creds = build_credentials(
            demo, auth_secret=SECRET, services=URLS, mail_dir=tmp_path / "mail"
        )
        return demo, creds

    def test_tokens_decode_to_the_demo_roles(self, tmp_path: Path) -> None:
        demo, creds = self._credentials(tmp_path)
        users = {u.role: u for u in demo.users}
        expected = {
            "candidate": (demo.candidates[0].id, {Role.CANDIDATE}),
            "second_candidate": (demo.candidates[1].id, {Role.CANDIDATE}),
            "hr": (users["hr"].id, {Role.HR}),
            "hr_admin": (users["hr_admin"].id, {Role.HR, Role.HR_ADMIN}),
            "employee": (users["employee"].id, {Role.EMPLOYEE}),
        }

        assert set(creds.tokens) == set(expected)
        for name, (subject, roles) in expected.items():
            principal = decode_token(SECRET, creds.tokens[name])
            assert principal.subject == subject, name
            assert principal.tenant_id == demo.tenant.id, name
            assert principal.roles == roles, name

    def test_vendor_webhook_services_and_mail_folder(self, tmp_path: Path) -> None:
        demo, creds = self._credentials(tmp_path)

        [vendor] = creds.vendors
        assert (vendor.id, vendor.secret) == (demo.vendor.id, demo.vendor.secret)
        assert vendor.webhook_url == f"http://127.0.0.1:8001/v1/webhooks/{demo.vendor.id}"
        assert creds.tenant.id == demo.tenant.id
        assert creds.services == URLS
        assert creds.mail_dir == str(tmp_path / "mail")

    def test_round_trips_through_json(self, tmp_path: Path) -> None:
        _, creds = self._credentials(tmp_path)
        path = tmp_path / "credentials.json"
        path.write_text(creds.model_dump_json(indent=2), encoding="utf-8")
        assert Credentials.load(path) == creds
