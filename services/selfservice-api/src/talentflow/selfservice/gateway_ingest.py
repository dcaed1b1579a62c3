"""Routes forwarded to ingest: tenant settings, vendors and their secrets, mapping dry-runs,
normalized results and bulk imports of historical results (for HR admins; ingest checks).

The gateway authenticates the caller (401 here without a valid token); ingest decides what
the caller's roles allow. Query strings and the Idempotency-Key header are passed on as sent;
the parameters listed for them are ingest's. An import's body is streamed both ways
(`forward_streaming`): the gateway never holds a whole upload.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from talentflow.common.auth import get_principal
from talentflow.selfservice.dependencies import UpstreamsDep
from talentflow.selfservice.openapi import forwarded, json_body
from talentflow.selfservice.proxy import forward, forward_streaming

router = APIRouter(prefix="/v1", tags=["hr"], dependencies=[Depends(get_principal)])

VendorId = Annotated[uuid.UUID, Path(description="the vendor's id")]
SecretId = Annotated[uuid.UUID, Path(description="the signing secret's id")]
ResultId = Annotated[uuid.UUID, Path(description="the interview result's id")]
ImportId = Annotated[uuid.UUID, Path(description="the import's id")]

# Gateway paths whose body streams to ingest (`forward_streaming`, up to hundreds of MB): the
# gateway's request body limit (`api_max_body_bytes`) spares every path starting so.
STREAMED_PATHS = ("/v1/imports",)


def _parameters(*specs: tuple[str, str, dict[str, Any], str, bool]) -> dict[str, Any]:
    """`openapi_extra` listing parameters the gateway passes on without reading them."""
    return {
        "parameters": [
            {"name": name, "in": where, "schema": schema, "description": text, "required": req}
            for name, where, schema, text, req in specs
        ]
    }


_UUID = {"type": "string", "format": "uuid"}
_PAGE = (
    ("limit", "query", {"type": "integer", "minimum": 1, "maximum": 100}, "Page size", False),
    ("offset", "query", {"type": "integer", "minimum": 0}, "How many to skip", False),
)
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "description": "One result per line in the vendor's format (NDJSON), or talentflow.v1 "
        "columns (CSV, UTF-8); streamed to ingest as it arrives, up to hundreds of MB",
        "content": {"application/x-ndjson": _BINARY, "text/csv": _BINARY},
    },
    **_parameters(
        ("vendor_id", "query", _UUID, "The tenant's vendor the rows come from", True),
        (
            "Idempotency-Key",
            "header",
            {"type": "string", "maxLength": 200},
            "Names the upload: the same key resumes an interrupted import or answers the "
            "completed one's summary",
            False,
        ),
    ),
}


@router.get(
    "/tenant",
    summary="The tenant's jurisdiction and biometrics policy (ingest)",
    response_model=None,
    responses=forwarded("ingest"),
)
async def get_tenant(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(request, upstreams=upstreams, upstream="ingest", path="/v1/tenant")


@router.put(
    "/tenant",
    summary="Set the tenant's jurisdiction and biometrics policy (ingest)",
    response_model=None,
    responses=forwarded("ingest"),
    openapi_extra=json_body("{name?, jurisdiction, biometrics_policy?}"),
)
async def configure_tenant(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(request, upstreams=upstreams, upstream="ingest", path="/v1/tenant")


@router.get(
    "/vendors",
    summary="List interview vendors (ingest)",
    response_model=None,
    responses=forwarded("ingest"),
)
async def list_vendors(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(request, upstreams=upstreams, upstream="ingest", path="/v1/vendors")


@router.post(
    "/vendors",
    summary="Register an interview vendor (ingest)",
    response_model=None,
    status_code=201,
    responses=forwarded("ingest", success=201),
    openapi_extra=json_body("the vendor"),
)
async def create_vendor(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(request, upstreams=upstreams, upstream="ingest", path="/v1/vendors")


@router.get(
    "/vendors/{vendor_id}",
    summary="One vendor with its secrets' ids and dates (ingest)",
    response_model=None,
    responses=forwarded("ingest", path_params=True),
)
async def get_vendor(vendor_id: VendorId, request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="ingest", path=f"/v1/vendors/{vendor_id}"
    )


@router.patch(
    "/vendors/{vendor_id}",
    summary="Change a vendor's settings, e.g. rename, enable or disable it (ingest)",
    response_model=None,
    responses=forwarded("ingest", path_params=True),
    openapi_extra=json_body("the fields to change"),
)
async def update_vendor(vendor_id: VendorId, request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="ingest", path=f"/v1/vendors/{vendor_id}"
    )


@router.post(
    "/vendors/{vendor_id}/secrets",
    summary="Add a vendor signing secret for rotation; shown once (ingest)",
    response_model=None,
    status_code=201,
    responses=forwarded("ingest", success=201, path_params=True),
)
async def add_vendor_secret(
    vendor_id: VendorId, request: Request, upstreams: UpstreamsDep
) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="ingest", path=f"/v1/vendors/{vendor_id}/secrets"
    )


@router.delete(
    "/vendors/{vendor_id}/secrets/{secret_id}",
    summary="Retire a vendor signing secret (ingest)",
    response_model=None,
    status_code=204,
    responses=forwarded("ingest", success=204, path_params=True),
)
async def retire_vendor_secret(
    vendor_id: VendorId, secret_id: SecretId, request: Request, upstreams: UpstreamsDep
) -> Response:
    path = f"/v1/vendors/{vendor_id}/secrets/{secret_id}"
    return await forward(request, upstreams=upstreams, upstream="ingest", path=path)


@router.post(
    "/vendors/{vendor_id}/dry-run",
    summary="Normalize a sample payload with the vendor's format; stores nothing (ingest)",
    response_model=None,
    responses=forwarded("ingest", path_params=True),
    openapi_extra=json_body(
        "`sample`: a payload as the vendor would send it; or `csv_sample`: a CSV header and a "
        "row, as in an import file"
    ),
)
async def dry_run_vendor(
    vendor_id: VendorId, request: Request, upstreams: UpstreamsDep
) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="ingest", path=f"/v1/vendors/{vendor_id}/dry-run"
    )


@router.post(
    "/mappings/dry-run",
    summary="Try a declarative field mapping on a sample payload; stores nothing (ingest)",
    response_model=None,
    responses=forwarded("ingest"),
    openapi_extra=json_body("the mapping and a sample payload (`sample` or `csv_sample`)"),
)
async def dry_run_mapping(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="ingest", path="/v1/mappings/dry-run"
    )


@router.get(
    "/results/{result_id}",
    summary="A normalized interview result, for its candidate or HR (ingest; audited)",
    response_model=None,
    responses=forwarded("ingest", path_params=True),
    openapi_extra=_parameters(
        ("version", "query", {"type": "integer", "minimum": 1}, "A given version", False)
    ),
)
async def get_result(result_id: ResultId, request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="ingest", path=f"/v1/results/{result_id}"
    )


@router.post(
    "/imports",
    summary="Import historical results, NDJSON or CSV, streamed; resumable (ingest)",
    description="The body streams through the gateway to ingest as it arrives (chunked) and "
    "ingest's answer streams back; the call may last minutes (`upstream_streaming_timeout_s`). "
    "201 with the import's summary, 200 when the Idempotency-Key named an existing import.",
    response_model=None,
    status_code=201,
    responses=forwarded("ingest", success=201),
    openapi_extra=_IMPORT_BODY,
)
async def create_import(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward_streaming(
        request, upstreams=upstreams, upstream="ingest", path="/v1/imports"
    )


@router.get(
    "/imports",
    summary="The tenant's imports, newest first (ingest)",
    response_model=None,
    responses=forwarded("ingest"),
    openapi_extra=_parameters(
        ("vendor_id", "query", _UUID, "Only this vendor's", False),
        ("idempotency_key", "query", {"type": "string"}, "Only the import this key names", False),
        *_PAGE,
    ),
)
async def list_imports(request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(request, upstreams=upstreams, upstream="ingest", path="/v1/imports")


@router.get(
    "/imports/{import_id}",
    summary="One import: status, checkpoint, counts and its first errors (ingest)",
    response_model=None,
    responses=forwarded("ingest", path_params=True),
)
async def get_import(import_id: ImportId, request: Request, upstreams: UpstreamsDep) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="ingest", path=f"/v1/imports/{import_id}"
    )


@router.get(
    "/imports/{import_id}/errors",
    summary="An import's row errors by line and field (ingest)",
    response_model=None,
    responses=forwarded("ingest", path_params=True),
    openapi_extra=_parameters(*_PAGE),
)
async def list_import_errors(
    import_id: ImportId, request: Request, upstreams: UpstreamsDep
) -> Response:
    return await forward(
        request, upstreams=upstreams, upstream="ingest", path=f"/v1/imports/{import_id}/errors"
    )
