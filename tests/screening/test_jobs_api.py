"""HTTP API: jobs, versioned rule sets and rule previews."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from talentflow.common.auth import Role
from talentflow.screening.models import RuleSet

RULE = {"expression": "communication >= 85 and customer_cases >= 2", "on_fail": "reject"}


async def post_raw(api, url: str, body: dict[str, Any]):
    """POST `body` as ASCII JSON: lone surrogates travel as `\\udXXX` escapes, as from a browser
    (httpx's own `json=` encodes UTF-8 and cannot carry them)."""
    headers = {**api.headers(), "Content-Type": "application/json"}
    return await api.client.post(url, content=json.dumps(body), headers=headers)


class TestCreateJob:
    async def test_job_with_a_rule_gets_version_one_active(self, api) -> None:
        response = await api.client.post(
            "/v1/jobs",
            json={"title": "Support agent", "requirements": {"Communication": 80}, "rule": RULE},
            headers=api.headers(Role.HR_ADMIN),
        )
        assert response.status_code == 201, response.text
        job = response.json()
        assert response.headers["location"] == f"/v1/jobs/{job['id']}"
        assert job["tenant_id"] == str(api.tenant_id)
        assert job["requirements"] == {"communication": 80.0}
        assert job["auto_reject_enabled"] is True
        rule = job["active_rule"]
        assert (rule["version"], rule["active"], rule["on_fail"]) == (1, True, "reject")
        assert rule["expression"] == RULE["expression"]
        assert rule["created_by"] == str(api.hr_id)
        fetched = await api.client.get(f"/v1/jobs/{job['id']}", headers=api.headers())
        assert fetched.status_code == 200 and fetched.json() == job

    async def test_job_without_a_rule_has_no_active_rule(self, api) -> None:
        job = await api.create_job(auto_reject_enabled=False)
        assert job["active_rule"] is None and job["auto_reject_enabled"] is False

    async def test_bad_expression_is_422_with_the_field_and_position(self, api) -> None:
        response = await api.client.post(
            "/v1/jobs",
            json={
                "title": "x",
                "rule": {"expression": "communication >= 85 and", "on_fail": "review"},
            },
            headers=api.headers(),
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        [error] = response.json()["errors"]
        assert error["field"] == "rule.expression"
        assert error["position"] == 23
        assert "expected a condition" in error["message"]
        listed = await api.client.get("/v1/jobs", headers=api.headers())
        assert listed.json()["total"] == 0

    async def test_emotion_metric_in_a_rule_is_refused(self, api) -> None:
        response = await api.client.post(
            "/v1/jobs",
            json={"title": "x", "rule": {"expression": "logic > 50 or smile_count >= 3"}},
            headers=api.headers(),
        )
        assert response.status_code == 422
        [error] = response.json()["errors"]
        assert (error["field"], error["type"], error["position"]) == (
            "rule.expression", "prohibited-metric", 14,
        )  # fmt: skip
        assert "Art. 5(1)(f)" in error["message"]

    async def test_emotion_metric_in_requirements_is_refused(self, api) -> None:
        response = await api.client.post(
            "/v1/jobs",
            json={"title": "x", "requirements": {"eye_contact_ratio": 50}},
            headers=api.headers(),
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "requirements.eye_contact_ratio"

    async def test_requirement_out_of_range_names_the_field(self, api) -> None:
        response = await api.client.post(
            "/v1/jobs", json={"title": "x", "requirements": {"logic": 101}}, headers=api.headers()
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "requirements.logic"

    async def test_candidate_may_not_create_jobs(self, api) -> None:
        response = await api.client.post(
            "/v1/jobs", json={"title": "x"}, headers=api.headers(Role.CANDIDATE)
        )
        assert response.status_code == 403

    async def test_missing_token_is_401(self, api) -> None:
        response = await api.client.post("/v1/jobs", json={"title": "x"})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"


class TestReadJobs:
    async def test_list_is_paginated_with_the_total(self, api) -> None:
        created = [await api.create_job(title=f"Job {i}") for i in range(3)]
        response = await api.client.get("/v1/jobs?limit=2&offset=1", headers=api.headers())
        assert response.status_code == 200
        page = response.json()
        assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
        newest_first = [job["id"] for job in reversed(created)]
        assert [job["id"] for job in page["items"]] == newest_first[1:3]

    async def test_another_tenant_sees_neither_the_list_nor_the_job(self, api) -> None:
        job = await api.create_job()
        stranger = api.headers(tenant_id=uuid.uuid4())
        listed = await api.client.get("/v1/jobs", headers=stranger)
        assert listed.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
        response = await api.client.get(f"/v1/jobs/{job['id']}", headers=stranger)
        assert response.status_code == 404
        assert response.json()["type"].endswith("/job-not-found")

    async def test_page_size_over_the_limit_is_422(self, api) -> None:
        response = await api.client.get("/v1/jobs?limit=1000", headers=api.headers())
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "limit"


class TestRuleSets:
    async def test_each_new_version_becomes_the_only_active_one(self, api, sessionmaker) -> None:
        job = await api.create_job(rule=RULE)
        url = f"/v1/jobs/{job['id']}/rule-sets"
        for expression in ("logic >= 60", "(logic >= 60 or overall > 90) and not teamwork < 40"):
            response = await api.client.post(
                url, json={"expression": expression, "on_fail": "review"}, headers=api.headers()
            )
            assert response.status_code == 201, response.text
        assert response.json()["version"] == 3 and response.json()["active"] is True

        listed = (await api.client.get(url, headers=api.headers())).json()
        assert [(r["version"], r["active"]) for r in listed["items"]] == [
            (3, True),
            (2, False),
            (1, False),
        ]
        fetched = (await api.client.get(f"/v1/jobs/{job['id']}", headers=api.headers())).json()
        assert fetched["active_rule"]["version"] == 3
        async with sessionmaker() as session:
            active = await session.scalar(
                select(func.count()).where(
                    RuleSet.job_id == uuid.UUID(job["id"]), RuleSet.active.is_(True)
                )
            )
        assert active == 1

    async def test_bad_expression_is_422_and_stores_nothing(self, api) -> None:
        job = await api.create_job(rule=RULE)
        url = f"/v1/jobs/{job['id']}/rule-sets"
        response = await api.client.post(
            url, json={"expression": "communication => 85", "on_fail": "reject"},
            headers=api.headers(),
        )  # fmt: skip
        assert response.status_code == 422
        body = response.json()
        assert body["type"].endswith("/invalid-rule")
        [error] = body["errors"]
        assert (error["field"], error["position"]) == ("expression", 14)
        assert "unknown operator '=>'" in error["message"]
        listed = (await api.client.get(url, headers=api.headers())).json()
        assert listed["total"] == 1

    async def test_another_tenants_job_is_404(self, api) -> None:
        job = await api.create_job(rule=RULE)
        response = await api.client.post(
            f"/v1/jobs/{job['id']}/rule-sets",
            json={"expression": "logic > 1"},
            headers=api.headers(tenant_id=uuid.uuid4()),
        )
        assert response.status_code == 404

    async def test_candidate_may_not_list_rule_sets(self, api) -> None:
        job = await api.create_job(rule=RULE)
        response = await api.client.get(
            f"/v1/jobs/{job['id']}/rule-sets", headers=api.headers(Role.CANDIDATE)
        )
        assert response.status_code == 403


class TestPreview:
    async def test_preview_explains_without_storing_anything(self, api) -> None:
        job = await api.create_job(rule=RULE)
        response = await api.client.post(
            f"/v1/jobs/{job['id']}/rule-sets/preview",
            json={
                "expression": "communication >= 85 and customer_cases >= 2 or overall > 95.5",
                "on_fail": "reject",
                "competencies": {"communication": 90},
                "counts": {},
                "overall": 80,
            },
            headers=api.headers(),
        )
        assert response.status_code == 200, response.text
        preview = response.json()
        assert (preview["holds"], preview["outcome"]) == (False, "reject")
        assert [(c["metric"], c["actual"], c["held"]) for c in preview["conditions"]] == [
            ("communication", 90.0, True),
            ("customer_cases", None, False),
            ("overall", 80.0, False),
        ]
        assert preview["explanation"] == (
            "Rejected. The rule did not hold. Met: communication >= 85 (actual 90). Not met: "
            "customer_cases >= 2 (no value in the result); overall > 95.5 (actual 80)."
        )
        listed = (
            await api.client.get(f"/v1/jobs/{job['id']}/rule-sets", headers=api.headers())
        ).json()
        assert listed["total"] == 1

    async def test_preview_respects_auto_reject_off(self, api) -> None:
        job = await api.create_job(auto_reject_enabled=False)
        response = await api.client.post(
            f"/v1/jobs/{job['id']}/rule-sets/preview",
            json={"expression": "logic >= 70", "on_fail": "reject", "competencies": {"logic": 50}},
            headers=api.headers(),
        )
        assert response.json()["outcome"] == "review"

    async def test_preview_of_a_bad_expression_is_422(self, api) -> None:
        job = await api.create_job()
        response = await api.client.post(
            f"/v1/jobs/{job['id']}/rule-sets/preview",
            json={"expression": "(logic >= 70"},
            headers=api.headers(),
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["position"] == 12


class TestTextFields:
    """Free text PostgreSQL cannot store is a 422 naming the field: NUL (text_characters) and
    lone surrogates (pydantic's string_unicode). A title is one line besides: no control
    characters or line breaks inside it."""

    @pytest.mark.parametrize(
        ("title", "error_type", "message"),
        [
            ("a\u0000b", "text_characters", "U+0000 at position 1"),
            ("a\nb", "text_characters", "U+000A at position 1"),
            ("ab\rc", "text_characters", "U+000D at position 2"),
            ("a\u001bb", "text_characters", "U+001B at position 1"),
            ("a\u0085b", "text_characters", "U+0085 at position 1"),
            ("a\u2028b", "text_characters", "U+2028 at position 1"),
            ("a\ud800b", "string_unicode", "unicode"),
            ("\udfffab", "string_unicode", "unicode"),
        ],
        ids=["nul", "newline", "cr", "escape", "nel", "lsep", "high-surrogate", "low-surrogate"],
    )
    async def test_title_with_such_characters_is_422_naming_it(
        self, api, title, error_type, message
    ) -> None:
        response = await post_raw(api, "/v1/jobs", {"title": title})

        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        [error] = response.json()["errors"]
        assert (error["field"], error["in"], error["type"]) == ("title", "body", error_type)
        assert message in error["message"]
        listed = await api.client.get("/v1/jobs", headers=api.headers())
        assert listed.json()["total"] == 0

    async def test_title_keeps_other_unicode_and_loses_surrounding_whitespace(self, api) -> None:
        response = await post_raw(api, "/v1/jobs", {"title": "\t Kundenbetreuer:in \U0001f4de\n"})

        assert response.status_code == 201, response.text
        assert response.json()["title"] == "Kundenbetreuer:in \U0001f4de"

    @pytest.mark.parametrize(
        ("bad", "error_type"),
        [("\u0000", "text_characters"), ("\ud800", "string_unicode")],
        ids=["nul", "surrogate"],
    )
    async def test_expression_with_such_characters_is_422_on_every_route(
        self, api, bad, error_type
    ) -> None:
        job = await api.create_job(rule=RULE)
        expression = f"logic >= 60{bad} and teamwork > 1"
        attempts = [
            ("/v1/jobs", {"title": "x", "rule": {"expression": expression}}, "rule.expression"),
            (f"/v1/jobs/{job['id']}/rule-sets", {"expression": expression}, "expression"),
            (f"/v1/jobs/{job['id']}/rule-sets/preview", {"expression": expression}, "expression"),
        ]
        for url, body, field in attempts:
            response = await post_raw(api, url, body)

            assert response.status_code == 422, (url, response.text)
            [error] = response.json()["errors"]
            assert (error["field"], error["type"]) == (field, error_type), url
        listed = await api.client.get(f"/v1/jobs/{job['id']}/rule-sets", headers=api.headers())
        assert listed.json()["total"] == 1

    async def test_expression_may_span_lines(self, api) -> None:
        job = await api.create_job()
        response = await post_raw(
            api,
            f"/v1/jobs/{job['id']}/rule-sets",
            {"expression": "logic >= 60\n\tand teamwork > 1"},
        )

        assert response.status_code == 201, response.text

    @pytest.mark.parametrize("key", ["a\u0000b", "a\ud800b"], ids=["nul", "surrogate"])
    async def test_requirement_name_with_such_characters_is_422(self, api, key) -> None:
        response = await post_raw(api, "/v1/jobs", {"title": "x", "requirements": {key: 50}})

        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert error["field"].startswith("requirements.")


class TestBodyLimit:
    async def test_a_body_over_the_limit_is_413_problem_json(self, api) -> None:
        limit = api.settings.api_max_body_bytes
        body = json.dumps({"title": "x", "padding": "x" * limit})

        response = await api.client.post(
            "/v1/jobs",
            content=body,
            headers={**api.headers(), "Content-Type": "application/json"},
        )

        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == f"the request body must not exceed {limit} bytes"
        listed = await api.client.get("/v1/jobs", headers=api.headers())
        assert listed.json()["total"] == 0

    async def test_a_body_under_the_limit_is_served(self, api) -> None:
        padding = "x" * (api.settings.api_max_body_bytes - 100)

        response = await post_raw(api, "/v1/jobs", {"title": "x", "padding": padding})

        assert response.status_code == 201, response.text
