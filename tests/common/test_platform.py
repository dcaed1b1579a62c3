"""Settings, problem+json errors, the operations routes and bearer identity."""

from __future__ import annotations

import gzip
import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel, Field, ValidationError

from talentflow.common.app import REQUEST_ID_HEADER, install_platform
from talentflow.common.auth import PrincipalDep, Role, decode_token, issue_token, require_roles
from talentflow.common.db import create_engine, ping
from talentflow.common.errors import Conflict, Unauthorized
from talentflow.common.logging import configure_logging, correlation_id, error_summary
from talentflow.common.openapi import ProblemFieldError
from talentflow.common.settings import DEV_AUTH_SECRET, Environment, ServiceSettings

SECRET = "test-secret-0123456789-0123456789-0123"


class Settings(ServiceSettings):
    pass


class Item(BaseModel):
    name: str = Field(min_length=1)
    score: float = Field(ge=0, le=100)


def build_app(*, ready: bool = True) -> FastAPI:
    app = FastAPI()
    app.state.settings = Settings(auth_secret=SECRET)

    async def ok() -> None:
        return None

    async def down() -> None:
        raise ConnectionRefusedError("no")

    install_platform(
        app, service="test", checks=lambda: {"database": ok, "broker": ok if ready else down}
    )

    @app.post("/items")
    async def create(item: Item) -> Item:
        return item

    @app.get("/conflict")
    async def conflict() -> None:
        raise Conflict("already there", errors=[{"field": "name", "message": "taken"}])

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    @app.get("/db-down")
    async def db_down() -> None:
        engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
        try:
            await ping(engine)
        finally:
            await engine.dispose()

    @app.get("/me")
    async def me(principal: PrincipalDep) -> dict[str, str]:
        return {"subject": str(principal.subject), "rid": correlation_id.get() or ""}

    @app.get("/hr-only", dependencies=[require_roles(Role.HR, Role.HR_ADMIN)])
    async def hr_only() -> dict[str, bool]:
        return {"ok": True}

    return app


@pytest.fixture
async def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=build_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


def token(*roles: Role, secret: str = SECRET, ttl: timedelta = timedelta(minutes=5)) -> str:
    return issue_token(secret, subject=uuid.uuid4(), tenant_id=uuid.uuid4(), roles=roles, ttl=ttl)


class TestSettings:
    def test_production_refuses_development_secrets(self) -> None:
        with pytest.raises(ValidationError, match="auth_secret"):
            Settings(environment=Environment.PRODUCTION)

    def test_production_with_real_secrets(self) -> None:
        s = Settings(environment="production", auth_secret="x" * 40, encryption_key="y" * 44)
        assert s.environment is Environment.PRODUCTION

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"auth_secret": "x" * 31}, "auth_secret must be at least 32 bytes"),
            ({"auth_secret": "REPLACE_ME" * 4}, "auth_secret still holds"),
            ({"encryption_key": "REPLACE_ME"}, "encryption_key still holds"),
            (
                {"database_url": "postgresql+asyncpg://t:REPLACE_ME@db.internal:5432/t"},
                "database_url still holds",
            ),
        ],
        ids=["short-auth-secret", "auth-placeholder", "key-placeholder", "url-placeholder"],
    )
    def test_production_refuses_weak_or_template_values(
        self, overrides: dict[str, str], field: str
    ) -> None:
        """The Secret template's REPLACE_ME left in place, or an HS256 key shorter than 32
        bytes (RFC 7518 3.2), would let tokens be forged or connect with a template value."""
        values = {"auth_secret": "x" * 40, "encryption_key": "y" * 44, **overrides}
        with pytest.raises(ValidationError, match=field):
            Settings(environment="production", **values)
        assert Settings(environment="development", **values).environment == "development"

    def test_development_defaults(self) -> None:
        assert Settings().auth_secret.get_secret_value() == DEV_AUTH_SECRET

    def test_env_prefix(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TALENTFLOW_KAFKA_BOOTSTRAP", "kafka:9092")
        assert Settings().kafka_bootstrap == "kafka:9092"


class TestProblemDetails:
    async def test_validation_error_names_each_field(self, client: httpx.AsyncClient) -> None:
        r = await client.post("/items", json={"name": "", "score": 101})
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["status"] == 422 and body["type"].endswith("/invalid-input")
        assert {e["field"] for e in body["errors"]} == {"name", "score"}
        assert all(e["in"] == "body" and e["pointer"].startswith("/") for e in body["errors"])

    async def test_malformed_json_is_a_4xx(self, client: httpx.AsyncClient) -> None:
        r = await client.post(
            "/items", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert r.status_code == 422

    async def test_service_error(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/conflict")
        assert r.status_code == 409
        assert r.json()["detail"] == "already there"
        assert r.json()["errors"] == [{"field": "name", "message": "taken"}]
        assert r.json()["instance"] == "/conflict"

    async def test_unknown_route_is_problem_json(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/nowhere")
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"

    async def test_unexpected_error_hides_internals(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/boom")
        assert r.status_code == 500
        assert "secret internal detail" not in r.text

    async def test_database_down_is_503(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/db-down")
        assert r.status_code == 503
        assert r.headers["retry-after"] == "5"


class TestOperations:
    async def test_healthz(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/healthz")).json() == {"status": "ok"}

    async def test_readyz_ok(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/readyz")
        assert r.status_code == 200
        assert r.json()["checks"] == {"database": "ok", "broker": "ok"}

    async def test_readyz_reports_the_failing_dependency(self) -> None:
        transport = httpx.ASGITransport(app=build_app(ready=False))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/readyz")
        assert r.status_code == 503
        assert "broker: unavailable" in r.json()["detail"]

    async def test_request_id_is_echoed_and_set_in_context(self, client: httpx.AsyncClient) -> None:
        r = await client.get(
            "/me", headers={REQUEST_ID_HEADER: "abc123", "Authorization": f"Bearer {token()}"}
        )
        assert r.headers[REQUEST_ID_HEADER] == "abc123"
        assert r.json()["rid"] == "abc123"

    async def test_request_id_is_generated(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/healthz")
        assert len(r.headers[REQUEST_ID_HEADER]) == 32

    async def test_metrics(self, client: httpx.AsyncClient) -> None:
        await client.get("/healthz")
        r = await client.get("/metrics")
        assert 'talentflow_http_requests_total{method="GET",route="/healthz"' in r.text


class TestBearerIdentity:
    async def test_missing_token_is_401_with_challenge(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/me")
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"

    @pytest.mark.parametrize(
        "header",
        ["Bearer nonsense", "Basic dXNlcjpwdw==", "Bearer " + "a.b.c", "Bearer"],
    )
    async def test_bad_tokens_are_401(self, client: httpx.AsyncClient, header: str) -> None:
        assert (await client.get("/me", headers={"Authorization": header})).status_code == 401

    async def test_token_signed_with_another_secret(self, client: httpx.AsyncClient) -> None:
        bad = token(secret="another-secret-0123456789-0123456789")
        assert (
            await client.get("/me", headers={"Authorization": f"Bearer {bad}"})
        ).status_code == 401

    async def test_expired_token(self, client: httpx.AsyncClient) -> None:
        old = token(ttl=timedelta(seconds=-5))
        assert (
            await client.get("/me", headers={"Authorization": f"Bearer {old}"})
        ).status_code == 401

    async def test_roles_are_enforced(self, client: httpx.AsyncClient) -> None:
        cand = {"Authorization": f"Bearer {token(Role.CANDIDATE)}"}
        hr = {"Authorization": f"Bearer {token(Role.HR)}"}
        assert (await client.get("/hr-only", headers=cand)).status_code == 403
        assert (await client.get("/hr-only", headers=hr)).status_code == 200

    def test_round_trip(self) -> None:
        subject, tenant = uuid.uuid4(), uuid.uuid4()
        raw = issue_token(SECRET, subject=subject, tenant_id=tenant, roles=[Role.HR_ADMIN])
        principal = decode_token(SECRET, raw)
        assert (principal.subject, principal.tenant_id) == (subject, tenant)
        assert principal.roles == frozenset({Role.HR_ADMIN})

    def test_unknown_role_is_refused(self) -> None:
        import jwt

        raw = jwt.encode(
            {
                "iss": "talentflow",
                "sub": str(uuid.uuid4()),
                "tenant": str(uuid.uuid4()),
                "roles": ["god"],
                "exp": 4102444800,
            },
            SECRET,
            algorithm="HS256",
        )
        with pytest.raises(Unauthorized):
            decode_token(SECRET, raw)


class TestLogging:
    def test_json_lines_carry_service_and_correlation_id(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        import json

        configure_logging("ingest", "INFO")
        token_ = correlation_id.set("rid-1")
        try:
            logging.getLogger("x").info("stored", extra={"result_id": "r1"})
        finally:
            correlation_id.reset(token_)
            logging.getLogger().handlers.clear()
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        assert line["message"] == "stored" and line["service"] == "ingest"
        assert line["correlation_id"] == "rid-1" and line["result_id"] == "r1"
        assert line["level"] == "INFO"

    def test_a_logged_exception_keeps_its_types_and_frames_not_its_messages(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Exception messages may quote personal data (a database error's DETAIL, a KeyError's
        key); the log keeps each exception's type, where it was raised and the chain, and an
        OSError's message (an address)."""
        import json

        def store(email: str) -> None:
            try:
                raise ConnectionRefusedError(111, "Connect call failed ('10.0.0.7', 5432)")
            except OSError as exc:
                raise KeyError(email) from exc

        email, complaint = "grace.hopper@example.com", "Grace Hopper is not a valid name"
        configure_logging("ingest", "INFO")
        try:
            try:
                store(email)
            except KeyError:
                try:
                    raise ValueError(complaint)
                except ValueError:
                    logging.getLogger("x").exception("storing failed")
        finally:
            logging.getLogger().handlers.clear()
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        trace = line["exc_info"]
        assert "Grace" not in trace and "grace.hopper" not in trace
        assert (
            trace.index("ConnectionRefusedError: [Errno 111] Connect call failed")
            < trace.index("direct cause")
            < trace.index("\nKeyError\n")
            < trace.index("During handling")
            < trace.rindex("ValueError")
        )
        assert "raise KeyError(email) from exc" in trace and "in store" in trace

    def test_an_error_summary_names_the_type_and_keeps_only_an_oserrors_message(self) -> None:
        """What `extra={"error": ...}` carries in place of repr(exc)."""
        email = "grace.hopper@example.com"

        assert error_summary(KeyError(email)) == "KeyError"
        assert error_summary(ValueError(f"invalid input: {email}")) == "ValueError"
        assert (
            error_summary(json.JSONDecodeError("bad", email, 3)) == "json.decoder.JSONDecodeError"
        )
        assert (
            error_summary(ConnectionRefusedError(111, "Connect call failed"))
            == "ConnectionRefusedError: [Errno 111] Connect call failed"
        )
        assert error_summary(TimeoutError()) == "TimeoutError"


class TestBodyLimit:
    """`install_platform(max_body_bytes=...)`: bodies over the limit are 413 problem+json."""

    @pytest.fixture
    async def limited(self) -> AsyncIterator[tuple[httpx.AsyncClient, list[int]]]:
        app = FastAPI()
        app.state.settings = Settings(auth_secret=SECRET)
        install_platform(
            app, service="test", checks=dict, max_body_bytes=100, unlimited_paths=("/stream",)
        )
        served: list[int] = []

        @app.post("/items")
        async def create(item: Item) -> Item:
            served.append(1)
            return item

        @app.post("/stream")
        async def stream(request: Request) -> dict[str, int]:
            return {"bytes": len(await request.body())}

        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            yield c, served

    async def test_a_body_declared_too_large_is_refused_unread(self, limited) -> None:
        client, served = limited
        body = json.dumps({"name": "x" * 200, "score": 1}).encode()

        response = await client.post("/items", content=body)

        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "the request body must not exceed 100 bytes"
        assert "x-request-id" in response.headers and served == []

    async def test_a_chunked_body_is_stopped_once_past_the_limit(self, limited) -> None:
        client, served = limited

        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"name": "'
            for _ in range(10):
                yield b"x" * 20
            yield b'", "score": 1}'

        response = await client.post("/items", content=chunks())

        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/payload-too-large")
        assert response.json()["title"] == "Request body too large"
        assert response.json()["detail"] == "the request body must not exceed 100 bytes"
        assert served == []

    async def test_a_body_within_the_limit_and_an_unlimited_path_pass(self, limited) -> None:
        client, served = limited

        small = await client.post("/items", json={"name": "Ada", "score": 90})
        large = await client.post("/stream", content=b"x" * 10_000)

        assert small.status_code == 200 and served == [1]
        assert large.json() == {"bytes": 10_000}

    @pytest.mark.parametrize("path", ["/items", "/stream"])
    async def test_a_compressed_body_is_415_on_every_path_unread(self, limited, path) -> None:
        """No service decodes a Content-Encoding: a gzip body would be read as JSON (or
        lines) it does not hold, so it is refused before any handler sees it."""
        client, served = limited
        body = gzip.compress(json.dumps({"name": "Ada", "score": 90}).encode())

        response = await client.post(
            path,
            content=body,
            headers={"content-encoding": "gzip", REQUEST_ID_HEADER: "req-gz-1"},
        )

        assert response.status_code == 415
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["accept-encoding"] == "identity"
        assert response.headers[REQUEST_ID_HEADER] == "req-gz-1"
        problem = response.json()
        assert problem["type"].endswith("/unsupported-content-encoding")
        (error,) = problem["errors"]
        assert ProblemFieldError.model_validate(error).pointer == "/content-encoding"
        assert (error["field"], error["in"]) == ("Content-Encoding", "header")
        assert served == []

    async def test_a_request_without_a_body_is_not_refused_for_the_header(self, limited) -> None:
        client, _ = limited

        response = await client.get("/healthz", headers={"content-encoding": "gzip"})

        assert response.status_code == 200

    async def test_an_identity_encoding_is_no_encoding(self, limited) -> None:
        client, served = limited

        response = await client.post(
            "/items", json={"name": "Ada", "score": 90}, headers={"content-encoding": "Identity"}
        )

        assert response.status_code == 200 and served == [1]


class TestUnhandledErrorLog:
    async def test_the_log_and_the_answer_carry_the_requests_id(
        self, client: httpx.AsyncClient
    ) -> None:
        seen: list[str | None] = []

        class Recorder(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if record.getMessage() == "unhandled error":
                    seen.append(correlation_id.get())

        handler = Recorder()
        logging.getLogger("talentflow.common.errors").addHandler(handler)
        try:
            response = await client.get("/boom", headers={REQUEST_ID_HEADER: "req-boom-1"})
        finally:
            logging.getLogger("talentflow.common.errors").removeHandler(handler)

        assert response.status_code == 500
        assert seen == ["req-boom-1"]
        assert response.headers[REQUEST_ID_HEADER] == "req-boom-1"
