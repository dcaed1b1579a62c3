"""OpenAPI of the routes forwarded to internal services (the rest is talentflow.common's)."""

from __future__ import annotations

from typing import Any

from talentflow.common.openapi import problem_response, problems


def passthrough(upstream: str, *, success: int = 200) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route forwarded to an internal service."""
    ok: dict[str, Any] = {"description": f"{upstream}'s response, passed through unchanged"}
    if success != 204:
        ok["content"] = {"application/json": {"schema": {}}}
    return {
        success: ok,
        "4XX": problem_response(f"{upstream}'s problem+json, passed through unchanged"),
        503: problem_response(f"{upstream} unreachable or timed out"),
    }


def forwarded(
    upstream: str, *, success: int = 200, path_params: bool = False
) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a forwarded route: the gateway's own 401 (and 422 for a malformed path
    parameter), then whatever the upstream answers."""
    own = problems(401, 422) if path_params else problems(401)
    return {**own, **passthrough(upstream, success=success)}


def json_body(what: str) -> dict[str, Any]:
    """`openapi_extra` of a forwarded route that takes a JSON body."""
    return {
        "requestBody": {
            "required": True,
            "description": f"{what}; validated by the internal service",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    }
