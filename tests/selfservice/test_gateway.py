"""The gateway forwards to internal services: a real upstream HTTP server on a free port."""

from __future__ import annotations

import asyncio
import gzip
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from talentflow.common.auth import Role
from talentflow.selfservice.config import MIB, Settings
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
        answer = JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "headers": dict(request.headers),
                "body": (await request.body()).decode(),
            },
            status_code=201 if request.method == "POST" else 200,
        )
        # The entity tag asked for comes back as the current one, byte for byte.
        answer.raw_headers += [
            (b"etag", v) for k, v in request.headers.raw if k == b"if-none-match"
        ]
        answer.raw_headers += [(b"link", b'</v1/jobs?page=2>; rel="next"')] * 2
        return answer

    app.add_api_route("/v1/jobs", echo, methods=["GET", "POST"])
    app.add_api_route("/v1/jobs/{job_id}/rule-sets", echo, methods=["GET", "POST"])
    app.add_api_route("/v1/jobs/{job_id}/rule-sets/preview", echo, methods=["POST"])
    app.add_api_route("/v1/decisions", echo, methods=["GET"])
    app.add_api_route("/v1/decisions/{decision_id}", echo, methods=["GET"])
    app.add_api_route("/v1/reports/funnel", echo, methods=["GET"])
    app.add_api_route("/v1/reports/competencies", echo, methods=["GET"])
    app.add_api_route("/v1/tasks/{task_id}", echo, methods=["GET"])
    app.add_api_route("/v1/tasks/{task_id}/complete", echo, methods=["POST"])
    app.add_api_route("/v1/deliveries", echo, methods=["GET"])

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

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/v1/jobs/{id}/rule-sets"),
            ("POST", "/v1/jobs/{id}/rule-sets/preview"),
            ("GET", "/v1/decisions"),
            ("GET", "/v1/decisions/{id}"),
            ("GET", "/v1/reports/competencies"),
            ("GET", "/v1/tasks/{id}"),
            ("POST", "/v1/tasks/{id}/complete"),
            ("GET", "/v1/deliveries"),
        ],
    )
    async def test_hr_reviews_decisions_and_tasks_through_the_gateway(
        self, client, token, upstream, method: str, path: str
    ) -> None:
        """What an HR frontend needs besides jobs: rule versions and previews, decisions,
        the competency report, one task and its completion (a review done), deliveries."""
        path = path.replace("{id}", str(uuid.uuid4()))
        body = {"json": {"expression": "logic >= 60"}} if method == "POST" else {}

        response = await client.request(
            method,
            path,
            params={"limit": 3},
            headers=token(uuid.uuid4(), uuid.uuid4(), Role.HR),
            **body,
        )

        assert response.status_code in (200, 201), response.text
        assert upstream.requests[-1] == f"{method} {path}"
        assert (response.json()["path"], response.json()["query"]) == (path, "limit=3")

    async def test_a_malformed_id_is_the_gateways_own_422(self, client, token, upstream) -> None:
        before = len(upstream.requests)
        response = await client.post(
            "/v1/tasks/not-a-uuid/complete", headers=token(uuid.uuid4(), uuid.uuid4(), Role.HR)
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "task_id"
        assert len(upstream.requests) == before

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

    async def test_header_bytes_beyond_ascii_go_upstream_as_sent(
        self, client, token, upstream
    ) -> None:
        # Starlette reads header values as latin-1; httpx sends a str value only if it is ASCII.
        sent = {
            "X-Request-ID": b"caf\xe9",
            "Accept-Language": b"fr-\xe9",
            "If-None-Match": b'"\xe9tag"',
            "Idempotency-Key": b"k\xe9y",
            "Content-Type": b"application/json; x=\xe9",
        }
        headers = token(uuid.uuid4(), uuid.uuid4(), Role.HR) | sent
        response = await client.get("/v1/jobs", headers=headers)
        assert response.status_code == 200, response.text
        seen = response.json()["headers"]
        assert {name: seen[name.lower()].encode("latin-1") for name in sent} == sent
        assert (b"x-request-id", b"caf\xe9") in response.headers.raw
        assert (b"etag", b'"\xe9tag"') in response.headers.raw

        posted = await client.post("/v1/jobs", content=b"{}", headers=headers)
        assert posted.status_code == 201, posted.text
        assert posted.json()["headers"]["idempotency-key"].encode("latin-1") == b"k\xe9y"

    async def test_upstream_headers_come_back_as_sent(self, client, token) -> None:
        # UTF-8 that is not latin-1: httpx decodes it as UTF-8, Starlette encodes latin-1.
        etag = '"\u20ac"'.encode()
        response = await client.get(
            "/v1/jobs", headers=token(uuid.uuid4(), uuid.uuid4(), Role.HR) | {"If-None-Match": etag}
        )
        assert response.status_code == 200, response.text
        assert (b"etag", etag) in response.headers.raw
        assert response.headers.get_list("link") == ['</v1/jobs?page=2>; rel="next"'] * 2

    async def test_a_compressed_body_is_415_and_not_forwarded(
        self, client, token, upstream
    ) -> None:
        """The gateway passes no Content-Encoding upstream, so a gzip body would arrive as
        JSON it is not: refused where it comes in."""
        before = len(upstream.requests)
        response = await client.post(
            "/v1/jobs",
            content=gzip.compress(b'{"title": "Support engineer"}'),
            headers=token(uuid.uuid4(), uuid.uuid4(), Role.HR)
            | {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        assert response.status_code == 415
        assert response.json()["errors"][0]["field"] == "Content-Encoding"
        assert len(upstream.requests) == before


class TestBodyLimit:
    LIMIT = 2 * MIB  # the default of api_max_body_bytes

    async def test_a_body_declared_too_large_is_413_and_not_forwarded(
        self, client, token, upstream
    ) -> None:
        before = len(upstream.requests)
        response = await client.post(
            "/v1/jobs",
            content=b" " * (self.LIMIT + 1),
            headers=token(uuid.uuid4(), uuid.uuid4(), Role.HR)
            | {"Content-Type": "application/json"},
        )
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/payload-too-large")
        assert len(upstream.requests) == before

    async def test_a_chunked_body_is_413_once_past_the_limit(self, client, token, upstream) -> None:
        sent = 0

        async def body() -> AsyncIterator[bytes]:
            nonlocal sent
            for _ in range(64):  # 4 MiB, if it were all read
                sent += 64 * 1024
                yield b" " * (64 * 1024)

        before = len(upstream.requests)
        response = await client.post(
            "/v1/jobs/" + str(uuid.uuid4()) + "/rule-sets",
            content=body(),
            headers=token(uuid.uuid4(), uuid.uuid4(), Role.HR_ADMIN),
        )
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert len(upstream.requests) == before
        assert sent <= self.LIMIT + 64 * 1024  # reading stopped right past the limit

    async def test_a_body_within_the_limit_is_forwarded(self, client, token) -> None:
        body = b'{"title": "' + b"x" * (self.LIMIT - 64) + b'"}'
        response = await client.post(
            "/v1/jobs",
            content=body,
            headers=token(uuid.uuid4(), uuid.uuid4(), Role.HR)
            | {"Content-Type": "application/json"},
        )
        assert response.status_code == 201, response.text[:200]
        assert len(response.json()["body"]) == len(body)

    def test_the_limit_is_a_setting(self, settings: Settings, monkeypatch) -> None:
        monkeypatch.setenv("TALENTFLOW_SELFSERVICE_API_MAX_BODY_BYTES", str(MIB))
        assert (
            Settings(**settings.model_dump(exclude={"api_max_body_bytes"})).api_max_body_bytes
            == MIB
        )
