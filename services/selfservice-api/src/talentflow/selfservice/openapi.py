"""OpenAPI of the routes forwarded to internal services (the rest is talentflow.common's)."""

from __future__ import annotations

from typing import Any

from talentflow.common.openapi import problem_response


def passthrough(upstream: str, *, success: int = 200) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route forwarded to an internal service."""
    return {
        success: {
            "description": f"{upstream}'s response, passed through unchanged",
            "content": {"application/json": {"schema": {}}},
        },
        "4XX": problem_response(f"{upstream}'s problem+json, passed through unchanged"),
        503: problem_response(f"{upstream} unreachable or timed out"),
    }
