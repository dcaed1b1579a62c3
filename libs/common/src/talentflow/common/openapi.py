"""OpenAPI for problem+json: the `Problem` schema, `responses=` entries, the document fix-up.

talentflow.common.errors renders every error response as an RFC 9457 application/problem+json
body. `install_openapi` (called by `install_platform`) makes each service's document say so:
every 4xx/5xx response is typed as problem+json with the `Problem` schema below, and FastAPI's
own HTTPValidationError/ValidationError schemas, which no response has, are removed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema, models_json_schema

from talentflow.common.errors import PROBLEM_BASE, PROBLEM_JSON

REF_PREFIX = "#/components/schemas/"
PROBLEM_REF = {"$ref": REF_PREFIX + "Problem"}
_FASTAPI_VALIDATION_ERROR = {"$ref": REF_PREFIX + "HTTPValidationError"}

DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing, invalid or expired bearer token",
    403: "The caller's roles do not allow this",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with the current state",
    413: "Request body too large",
    415: "The body was sent compressed: send it without a Content-Encoding",
    422: "Invalid input; `errors` names each field at fault",
    503: "A dependency (database, broker or another service) is unavailable; retry later",
}


def _no_default(schema: JsonDict) -> None:
    schema.pop("default", None)


def _omitted(description: str) -> Any:
    """An optional member that `problem()` leaves out when empty (never sends null)."""
    return Field(default=None, description=description, json_schema_extra=_no_default)


class ProblemFieldError(BaseModel):
    """One field at fault in a request; a service may add members (a rule error's `position`)."""

    model_config = ConfigDict(extra="allow", validate_by_name=True, serialize_by_alias=True)

    field: str = Field(description="The field's name, dotted for nested fields.")
    in_: str = Field(alias="in", description="Where the field is: query, path, header or body.")
    pointer: str = Field(description="JSON pointer to the field within that part.")
    message: str = Field(description="What is wrong with it.")
    type: str = Field(description="A machine-readable error type, e.g. `missing`.")


class Problem(BaseModel):
    """An RFC 9457 problem document: the body of every error response."""

    type: str = Field(description="URI of the problem type.", examples=[PROBLEM_BASE + "not-found"])
    title: str = Field(description="A short summary of the problem type.")
    status: int = Field(description="The HTTP status code.")
    detail: str | SkipJsonSchema[None] = _omitted("What went wrong this time.")
    instance: str | SkipJsonSchema[None] = _omitted("The request path.")
    errors: list[ProblemFieldError] | SkipJsonSchema[None] = _omitted(
        "For invalid input: each field at fault."
    )


def problem_response(description: str) -> dict[str, Any]:
    """One `responses=` entry: an error with a problem+json body."""
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}


def problems(
    *codes: int, descriptions: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for error statuses; `descriptions` replace the generic texts."""
    texts = {**DESCRIPTIONS, **(descriptions or {})}
    return {code: problem_response(texts.get(code) or HTTPStatus(code).phrase) for code in codes}


def install_openapi(
    app: FastAPI,
    *,
    models: Sequence[type[BaseModel]] = (),
    body_limited: Callable[[str], bool] = lambda path: False,
) -> None:
    """Generate `app`'s document once, with every error response typed as problem+json.

    `models` are request bodies that routes refer to by hand (a `$ref` in `openapi_extra`,
    e.g. a body read raw), which FastAPI cannot see; they are added to the components.
    `body_limited(path)`: the platform answers 413 to a body too large on that path.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = with_platform_answers(generate(), body_limited=body_limited)
            app.openapi_schema = as_problem_json(document, models=models)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def with_platform_answers(
    document: dict[str, Any], *, body_limited: Callable[[str], bool]
) -> dict[str, Any]:
    """Declare what the platform answers on a route before its handler runs, where the route
    does not already: 415 to a compressed body and 413 to one too large (routes that take a
    body), 503 when a dependency is down (every `/v1` route)."""
    for path, item in document.get("paths", {}).items():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            added = []
            if "requestBody" in operation:
                added.append(415)
                if body_limited(path):
                    added.append(413)
            if path.startswith("/v1/"):
                added.append(503)
            for status in added:
                responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
    return document


def as_problem_json(
    document: dict[str, Any], *, models: Sequence[type[BaseModel]] = ()
) -> dict[str, Any]:
    """Type `document`'s error responses as problem+json and add the schemas they refer to."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                if status[:1] in ("4", "5"):
                    _as_problem(status, response)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    _, extra = models_json_schema(
        [(Problem, "serialization"), *((model, "validation") for model in models)],
        ref_template=REF_PREFIX + "{model}",
    )
    for name, schema in extra.get("$defs", {}).items():
        schemas.setdefault(name, schema)
    return document


def _as_problem(status: str, response: dict[str, Any]) -> None:
    """FastAPI files a response model under application/json; errors are problem+json."""
    content = response.setdefault("content", {})
    schema = content.pop("application/json", {}).get("schema")
    if schema is None or schema == _FASTAPI_VALIDATION_ERROR:
        schema = PROBLEM_REF
        if status == "422" and response.get("description") == "Validation Error":
            response["description"] = DESCRIPTIONS[422]
    content.setdefault(PROBLEM_JSON, {"schema": schema})
