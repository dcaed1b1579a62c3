"""HTTP routes of historical imports: parse, call one service function, return."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response, status

from talentflow.common.dependencies import RuntimeDep, SessionDep
from talentflow.common.openapi import problems
from talentflow.common.pagination import PaginationDep
from talentflow.ingest.dependencies import HrAdminDep, SettingsDep
from talentflow.ingest.imports import runner, service
from talentflow.ingest.imports.models import ImportFormat
from talentflow.ingest.imports.parsing import media_format
from talentflow.ingest.imports.schemas import ImportErrorPage, ImportOut, ImportPage

router = APIRouter(prefix="/v1/imports", tags=["imports"])

# An Idempotency-Key: visible ASCII, so that it is stored as sent (PostgreSQL text holds no
# NUL) and reads the same everywhere; the header and the listing's filter alike.
KEY_PATTERN = r"^[\x21-\x7e]+$"
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=KEY_PATTERN,
        description="Names the upload (the CLI sends the file's SHA-256): the same key for the "
        "same vendor resumes the import, or answers its summary once completed",
    ),
]
ImportIdPath = Annotated[uuid.UUID, Path(description="The import's id")]
_BINARY = {"schema": {"type": "string", "format": "binary"}}
UPLOAD_PROBLEMS = {
    400: "The body broke off (the import is left interrupted at its checkpoint)",
    404: "No such vendor for the caller's tenant",
    409: "The Idempotency-Key names an import of another format or of a different body, or "
    "another request is working on it",
    415: "Not application/x-ndjson or text/csv (UTF-8)",
    422: "Invalid query or header, or a CSV header with unknown, duplicate or missing columns "
    "(for a mapping vendor: unnamed or duplicate columns, or without one its mapping requires)",
}


@router.post(
    "",
    summary="Import historical results (NDJSON or CSV), streamed; resumable and idempotent",
    description=(
        "The body is `application/x-ndjson` (one document in the vendor's format per line) or "
        "`text/csv` (talentflow.v1 columns; for a vendor with a declarative mapping, its own "
        "columns, read by the mapping: see the README), processed as it streams in, "
        "committed every `import_chunk_rows` rows with the import's checkpoint. A row that "
        "does not validate is recorded by line and field (never its values) and the rest go "
        "on. Results are published with origin `import`. 201 with the summary for a new "
        "import; 200 when the Idempotency-Key named an existing one (resumed from its "
        "checkpoint, or already completed: then the body is not read)."
    ),
    status_code=status.HTTP_201_CREATED,
    response_model=ImportOut,
    responses={
        200: {"model": ImportOut, "description": "The import this Idempotency-Key names"},
        **problems(400, 401, 403, 404, 409, 415, 422, 503, descriptions=UPLOAD_PROBLEMS),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-ndjson": _BINARY, "text/csv": _BINARY},
        }
    },
)
async def create_import(
    vendor_id: Annotated[uuid.UUID, Query(description="The tenant's vendor the rows come from")],
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    settings: SettingsDep,
    principal: HrAdminDep,
    idempotency_key: IdempotencyKey = None,
) -> ImportOut:
    headers = request.headers
    fmt = ImportFormat(media_format(headers.get("content-type"), headers.get("content-encoding")))
    outcome = await runner.run_import(
        runtime,
        tenant_id=principal.tenant_id,
        vendor_id=vendor_id,
        key=idempotency_key,
        fmt=fmt,
        body=request.stream(),
        chunk_rows=settings.import_chunk_rows,
        max_line_bytes=settings.import_max_line_bytes,
    )
    if not outcome.created:
        response.status_code = status.HTTP_200_OK
    return outcome.summary


@router.get(
    "",
    summary="The tenant's imports, newest first",
    response_model=ImportPage,
    responses=problems(401, 403, 422, 503),
)
async def list_imports(
    session: SessionDep,
    principal: HrAdminDep,
    page: PaginationDep,
    vendor_id: Annotated[uuid.UUID | None, Query(description="Only this vendor's")] = None,
    idempotency_key: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=KEY_PATTERN,
            description="Only the import this key names",
        ),
    ] = None,
) -> ImportPage:
    return await service.list_imports(
        session,
        tenant_id=principal.tenant_id,
        vendor_id=vendor_id,
        key=idempotency_key,
        page=page,
    )


@router.get(
    "/{import_id}",
    summary="One import: status, checkpoint, counts and its first errors",
    response_model=ImportOut,
    responses=problems(401, 403, 404, 422, 503),
)
async def get_import(
    import_id: ImportIdPath, session: SessionDep, principal: HrAdminDep
) -> ImportOut:
    return await service.get_import(session, tenant_id=principal.tenant_id, import_id=import_id)


@router.get(
    "/{import_id}/errors",
    summary="An import's errors by line and field (never the values sent)",
    response_model=ImportErrorPage,
    responses=problems(401, 403, 404, 422, 503),
)
async def list_import_errors(
    import_id: ImportIdPath, session: SessionDep, principal: HrAdminDep, page: PaginationDep
) -> ImportErrorPage:
    return await service.list_errors(
        session, tenant_id=principal.tenant_id, import_id=import_id, page=page
    )
