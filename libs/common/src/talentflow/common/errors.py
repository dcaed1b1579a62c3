"""One error hierarchy and RFC 9457 problem+json rendering for every service."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from talentflow.common.logging import REQUEST_ID_HEADER, REQUEST_ID_SCOPE_KEY, correlation_id

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://talentflow.dev/problems/"


class ServiceError(Exception):
    """A domain error with the HTTP status it maps to. Subclass per case."""

    status_code: int = 400
    code: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        errors: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.errors = list(errors or [])
        self.headers = headers or {}


class InvalidInput(ServiceError):
    status_code = 422
    code = "invalid-input"
    title = "The request has invalid fields"


class Unauthorized(ServiceError):
    status_code = 401
    code = "unauthorized"
    title = "Authentication required"

    def __init__(self, message: str = "authentication required", **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kw)


class Forbidden(ServiceError):
    status_code = 403
    code = "forbidden"
    title = "Not allowed"


class NotFound(ServiceError):
    status_code = 404
    code = "not-found"
    title = "Not found"


class Conflict(ServiceError):
    status_code = 409
    code = "conflict"
    title = "Conflict"


class Unavailable(ServiceError):
    status_code = 503
    code = "unavailable"
    title = "Temporarily unavailable"


def problem(
    status: int,
    *,
    code: str,
    title: str,
    detail: str | None = None,
    instance: str | None = None,
    errors: Sequence[dict[str, Any]] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build an RFC 9457 problem+json response; `errors` lists {field, in, pointer, message,
    type} items (documented as talentflow.common.openapi.ProblemFieldError)."""
    body: dict[str, Any] = {"type": PROBLEM_BASE + code, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = list(errors)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def field_errors(raw: Sequence[Any]) -> list[dict[str, Any]]:
    """Turn pydantic error dicts into {field, message, type} with a dotted/JSON-pointer field."""
    out = []
    for err in raw:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header"):
            where, loc = loc[0], loc[1:]
        else:
            where = "body"
        out.append(
            {
                "field": ".".join(loc) if loc else where,
                "in": where,
                "pointer": "/" + "/".join(loc),
                "message": err.get("msg", "invalid"),
                "type": err.get("type", "invalid"),
            }
        )
    return out


# Problem types of HTTP errors raised by the platform itself, named as their ServiceError
# counterparts are (a body over the limit: `app._BodyLimit`, by its length or as it is read).
# Statuses Starlette raises (or the platform does, as HTTPException) with their problem type
# and title; the exception's own text becomes the detail.
_HTTP_PROBLEMS = {413: ("payload-too-large", "Request body too large")}


def install_error_handlers(app: FastAPI) -> None:
    """Render every error of `app` as problem+json; never leak internals, never a bare 500."""

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        return problem(
            exc.status_code,
            code=exc.code,
            title=exc.title,
            detail=exc.message,
            instance=request.url.path,
            errors=exc.errors,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(
            422,
            code="invalid-input",
            title="The request has invalid fields",
            detail="see errors for each field at fault",
            instance=request.url.path,
            errors=field_errors(exc.errors()),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        known = _HTTP_PROBLEMS.get(exc.status_code)
        code, title = known or (f"http-{exc.status_code}", str(exc.detail))
        detail = str(exc.detail) if known and str(exc.detail) != title else None
        return problem(
            exc.status_code,
            code=code,
            title=title,
            detail=detail,
            instance=request.url.path,
            headers=dict(exc.headers or {}),
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(PoolTimeout)
    @app.exception_handler(ConnectionError)
    async def _database_down(request: Request, exc: Exception) -> JSONResponse:
        log.error("dependency unavailable", extra={"error": type(exc).__name__})
        return problem(
            503,
            code="unavailable",
            title="Temporarily unavailable",
            detail="a dependency is unavailable; retry later",
            instance=request.url.path,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Called outside every middleware, once the request-id middleware has returned: the
        # request's id is taken back from the scope, for the log and for the answer.
        rid = request.scope.get(REQUEST_ID_SCOPE_KEY)
        token = correlation_id.set(rid)
        try:
            log.exception("unhandled error", extra={"error": type(exc).__name__})
        finally:
            correlation_id.reset(token)
        return problem(
            500,
            code="internal",
            title="Internal error",
            instance=request.url.path,
            headers={REQUEST_ID_HEADER: rid} if rid else None,
        )
