"""What every service app has: error handlers, request ids, /healthz, /readyz, /metrics, and
an OpenAPI document whose errors are problem+json."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from pydantic import BaseModel
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from talentflow.common.errors import install_error_handlers, problem
from talentflow.common.logging import (
    REQUEST_ID_HEADER as REQUEST_ID_HEADER,  # re-exported: callers import it from here
)
from talentflow.common.logging import (
    REQUEST_ID_SCOPE_KEY,
    correlation_id,
    new_correlation_id,
)
from talentflow.common.openapi import install_openapi

HTTP_REQUESTS = Counter(
    "talentflow_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "talentflow_http_request_seconds", "HTTP request latency", ["service", "method", "route"]
)

ReadinessCheck = Callable[[], Awaitable[None]]


class _RequestContext:
    """Pure ASGI middleware: request id in and out, request count and latency metrics; and
    a body sent compressed refused with 415 before anything reads it (no service decodes a
    Content-Encoding: its bytes would be read as JSON or lines that are not there). A request
    without a body is not refused for the header alone."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        rid = headers.get(REQUEST_ID_HEADER) or new_correlation_id()
        rid = rid[:100]
        scope[REQUEST_ID_SCOPE_KEY] = rid
        token = correlation_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, rid)
            await send(message)

        try:
            encoding = headers.get("content-encoding")
            if (
                encoding is not None
                and encoding.strip().lower() not in ("", "identity")
                and _has_body(headers)
            ):
                await _compressed(scope["path"])(scope, receive, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        finally:
            correlation_id.reset(token)
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(self.service, method, route, status).inc()
            HTTP_LATENCY.labels(self.service, method, route).observe(time.perf_counter() - started)


def _has_body(headers: Headers) -> bool:
    """Whether the request announces a body (a Content-Length above 0, or chunked)."""
    length = headers.get("content-length")
    return (length is not None and length.strip() != "0") or "transfer-encoding" in headers


def _compressed(path: str) -> Response:
    return problem(
        415,
        code="unsupported-content-encoding",
        title="Compressed request bodies are not accepted",
        detail="send the body uncompressed, without a Content-Encoding header",
        instance=path,
        errors=[
            {
                "field": "Content-Encoding",
                "in": "header",
                "pointer": "/content-encoding",
                "message": "must be absent or identity",
                "type": "content_encoding",
            }
        ],
        headers={"Accept-Encoding": "identity"},
    )


class _BodyLimit:
    """Pure ASGI middleware: a request body over `max_bytes` is answered 413 problem+json,
    by its Content-Length before anything is read, else as soon as the bytes read pass the
    limit. Paths starting with one of `unlimited` are left alone (routes that stream their
    body, or bound it themselves)."""

    def __init__(self, app: ASGIApp, max_bytes: int, unlimited: tuple[str, ...]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.unlimited = unlimited

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.unlimited):
            await self.app(scope, receive, send)
            return
        too_large = f"the request body must not exceed {self.max_bytes} bytes"
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = problem(
                413,
                code="payload-too-large",
                title="Request body too large",
                detail=too_large,
                instance=scope["path"],
            )
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:  # a chunked body: the handlers answer 413
                    # (an HTTPException: FastAPI turns anything else raised while it reads a
                    # body into a 400)
                    raise StarletteHTTPException(413, detail=too_large)
            return message

        await self.app(scope, limited, send)


def health_router(checks: Callable[[], dict[str, ReadinessCheck]]) -> APIRouter:
    """/healthz answers while the process lives; /readyz runs every dependency check."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Database and broker are reachable", response_model=None)
    async def readyz(request: Request) -> Response | dict[str, object]:
        results: dict[str, str] = {}
        for name, check in checks().items():
            try:
                await check()
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"unavailable: {type(exc).__name__}"
        if all(v == "ok" for v in results.values()):
            return {"status": "ok", "checks": results}
        response = problem(
            503,
            code="not-ready",
            title="Not ready",
            detail=", ".join(f"{k}: {v}" for k, v in results.items()),
            instance=request.url.path,
        )
        return response

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def install_platform(
    app: FastAPI,
    *,
    service: str,
    checks: Callable[[], dict[str, ReadinessCheck]],
    openapi_models: Sequence[type[BaseModel]] = (),
    max_body_bytes: int | None = None,
    unlimited_paths: Sequence[str] = (),
) -> None:
    """Add error handlers, the request-id middleware, the operations routes and the
    problem+json OpenAPI document to `app` (`openapi_models`: see `install_openapi`).
    `max_body_bytes`: request bodies over it are 413, except on paths starting with one of
    `unlimited_paths`."""
    install_error_handlers(app)
    if max_body_bytes is not None:
        app.add_middleware(_BodyLimit, max_bytes=max_body_bytes, unlimited=tuple(unlimited_paths))
    app.add_middleware(_RequestContext, service=service)
    app.include_router(health_router(checks))
    unlimited = tuple(unlimited_paths)
    install_openapi(
        app,
        models=openapi_models,
        body_limited=lambda path: max_body_bytes is not None and not path.startswith(unlimited),
    )
