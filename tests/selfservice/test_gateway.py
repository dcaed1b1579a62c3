"""The gateway forwards to internal services: a real upstream HTTP server on a free port."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from talentflow.common.auth import Role
from talentflow.selfservice.config import Settings
from talentflow.selfservice.main import create_app

UPSTREAM_PROBLEM = {
    "type": "https://talentflow.dev/problems/job-not-found",
    "title": "Job not found",
    "status": 404,
    "detail": "no such job",
}


@dataclass
class Upstream:
    url: str
    requests: list[str] = field(default_factory=list)  # "METHOD path" of each request seen


def echo_app(seen: list[str], release: asyncio.Event) -> FastAPI:
    """Answers with what it received; a problem for /v1/jobs/{id}; never answers /v1/tasks."""
    app = FastAPI()

    @app.middleware("http")
    async def record(request: Request, call_next):  # type: ignore[no-untyped-def]
        seen.append(f"{request.method} {request.url.path}")
        return await call_next(request)

    async def echo(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "headers": dict(request.headers),
                "body": (await request.body()).decode(),
            },
            status_code=201 if request.method == "POST" else 200,
        )

    app.add_api_route("/v1/jobs", echo, methods=["GET", "POST"])
    app.add_api_route("/v1/jobs/{job_id}/rule-sets", echo, methods=["POST"])
    app.add_api_route("/v1/reports/funnel", echo, methods=["GET"])

    @app.get("/v1/jobs/{job_id}")
    async def missing_job(job_id: str) -> JSONResponse:
        return JSONResponse(
            UPSTREAM_PROBLEM, status_code=404, media_type="application/problem+json"
        )

    @app.get("/v1/tasks")
    async def hang() -> JSONResponse:
        await release.wait()
        return JSONResponse({})

    return app


@pytest.fixture(scope="module")
async def upstream(serve) -> AsyncIterator[Upstream]:
    """A real uvicorn server running `echo_app` on a free port."""
    release = asyncio.Event()
    seen: list[str] = []
    async with serve(echo_app(seen, release)) as url:
        yield Upstream(url=url, requests=seen)
        release.set()


@pytest.fixture
def app(settings: Settings, upstream: Upstream, closed_url: str) -> FastAPI:
    closed = closed_url  # nothing listens there
    return create_app(
        settings.model_copy(
            update={
                "screening_url": upstream.url,
                "analytics_url": upstream.url,
                "notify_url": upstream.url,
                "ingest_url": closed,
                "upstream_timeout_s": 0.5,
            }
        )
    )


class TestGateway:
    async def test_forwards_authorization_request_id_and_query(
        self, client, token, upstream
    ) -> None:
        headers = token(uuid.uuid4(), uuid.uuid4(), Role.HR) | {"X-Request-ID": "req-42"}
        response = await client.get("/v1/jobs", params={"limit": 5}, headers=headers)
        assert response.status_code == 200, response.text
        assert upstream.requests[-1] == "GET /v1/jobs"
        seen = response.json()
        assert seen["headers"]["authorization"] == headers["Authorization"]
        assert seen["headers"]["x-request-id"] == "req-42"
        assert (seen["method"], seen["path"], seen["query"]) == ("GET", "/v1/jobs", "limit=5")
        assert response.headers["x-request-id"] == "req-42"

    async def test_generated_request_id_goes_upstream_too(self, client, token) -> None:
        response = await client.get(
            "/v1/reports/funnel", headers=token(uuid.uuid4(), uuid.uuid4(), Role.HR)
        )
        assert response.status_code == 200
        assert response.json()["headers"]["x-request-id"] == response.headers["x-request-id"]

    async def test_post_body_and_status_pass_through(self, client, token) -> None:
        job_id = uuid.uuid4()
        response = await client.post(
            f"/v1/jobs/{job_id}/rule-sets",
            json={"expression": "communication >= 85"},
            headers=token(uuid.uuid4(), uuid.uuid4(), Role.HR_ADMIN),
        )
        assert response.status_code == 201
        assert response.json()["path"] == f"/v1/jobs/{job_id}/rule-sets"
        assert response.json()["body"] == '{"expression":"communication >= 85"}'
        assert response.json()["headers"]["content-type"] == "application/json"

    async def test_upstream_problem_passes_through_unchanged(self, client, token) -> None:
        response = await client.get(
            f"/v1/jobs/{uuid.uuid4()}", headers=token(uuid.uuid4(), uuid.uuid4(), Role.HR)
        )
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json() == UPSTREAM_PROBLEM

    async def test_unreachable_upstream_is_503(self, client, token) -> None:
        response = await client.get(
            "/v1/vendors", headers=token(uuid.uuid4(), uuid.uuid4(), Role.HR)
        )
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "upstream ingest unavailable"

    async def test_upstream_timing_out_is_503(self, client, token) -> None:
        response = await client.get("/v1/tasks", headers=token(uuid.uuid4(), uuid.uuid4(), Role.HR))
        assert response.status_code == 503
        assert response.json()["detail"] == "upstream notify unavailable"

    async def test_nothing_is_forwarded_without_a_valid_token(self, client, upstream) -> None:
        before = len(upstream.requests)
        response = await client.post("/v1/jobs", json={"title": "x"})
        assert response.status_code == 401
        assert response.json()["type"].endswith("/unauthorized")
        assert len(upstream.requests) == before
