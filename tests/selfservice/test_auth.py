"""Bearer tokens and roles on the gateway's own routes."""

from __future__ import annotations

import uuid
from datetime import timedelta

from talentflow.common.auth import Role, issue_token


class TestAuthentication:
    async def test_missing_token_is_401(self, client) -> None:
        for path in ("/v1/me", "/v1/me/reports", "/v1/candidates", "/v1/jobs"):
            response = await client.get(path)
            assert response.status_code == 401, path
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json()["type"].endswith("/unauthorized")

    async def test_token_signed_with_another_secret_is_401(self, client) -> None:
        forged = issue_token(
            "not-the-secret-of-this-deployment-at-all-0123456789",
            subject=uuid.uuid4(),
            tenant_id=uuid.uuid4(),
            roles=[Role.HR],
        )
        response = await client.get("/v1/candidates", headers={"Authorization": f"Bearer {forged}"})
        assert response.status_code == 401

    async def test_expired_or_garbled_token_is_401(self, client, settings) -> None:
        expired = issue_token(
            settings.auth_secret.get_secret_value(),
            subject=uuid.uuid4(),
            tenant_id=uuid.uuid4(),
            roles=[Role.CANDIDATE],
            ttl=timedelta(seconds=-60),
        )
        for value in (f"Bearer {expired}", "Bearer not.a.jwt", "Basic dXNlcjpwdw=="):
            response = await client.get("/v1/me", headers={"Authorization": value})
            assert response.status_code == 401, value


class TestRoles:
    async def test_candidate_may_not_list_candidates(self, client, token) -> None:
        response = await client.get(
            "/v1/candidates", headers=token(uuid.uuid4(), uuid.uuid4(), Role.CANDIDATE)
        )
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"

    async def test_hr_has_no_own_interview_reports(self, client, token) -> None:
        response = await client.get(
            "/v1/me/reports", headers=token(uuid.uuid4(), uuid.uuid4(), Role.HR)
        )
        assert response.status_code == 403

    async def test_employee_reads_own_reports(self, client, token) -> None:
        response = await client.get(
            "/v1/me/reports", headers=token(uuid.uuid4(), uuid.uuid4(), Role.EMPLOYEE)
        )
        assert response.status_code == 200
        assert response.json() == []
