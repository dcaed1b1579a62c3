"""OpenAPI details: documented problem responses, served as application/problem+json."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from talentflow.common.errors import PROBLEM_JSON
from talentflow.selfservice.schemas import Problem

_DESCRIPTIONS = {
    401: "Missing, invalid or expired bearer token",
    403: "The caller's role may not do this",
    404: "Not found (or not visible to the caller)",
    422: "Invalid input; `errors` names each field at fault",
    503: "A dependency (database, broker or internal service) is unavailable; retry later",
}

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for the given error statuses, all with a problem+json body."""
    return {code: {"model": Problem, "description": _DESCRIPTIONS[code]} for code in codes}


def passthrough(upstream: str, *, success: int = 200) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route forwarded to an internal service."""
    return {
        success: {
            "description": f"{upstream}'s response, passed through unchanged",
            "content": {"application/json": {"schema": {}}},
        },
        "4XX": {
            "description": f"{upstream}'s problem+json, passed through unchanged",
            "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
        },
        503: {"model": Problem, "description": f"{upstream} unreachable or timed out"},
    }


def install_openapi(app: FastAPI) -> None:
    """Generate the document once, with every error response typed as problem+json."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                _problem_json(operation.get("responses", {}))
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("Problem", Problem.model_json_schema())
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _problem_json(responses: dict[str, Any]) -> None:
    for status, response in responses.items():
        if not (status[:1] in "45" and status[:1].isdigit()):
            continue
        content = response.setdefault("content", {})
        schema = content.pop("application/json", {}).get("schema", PROBLEM_REF)
        if status == "422":
            schema = PROBLEM_REF
            response["description"] = _DESCRIPTIONS[422]
        content.setdefault(PROBLEM_JSON, {"schema": schema})
