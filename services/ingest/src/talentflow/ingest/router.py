"""HTTP routes: parse, call one service function, return."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from starlette.routing import Match, Route
from starlette.types import Scope

from talentflow.common.auth import PrincipalDep
from talentflow.common.dependencies import RuntimeDep, SessionDep
from talentflow.common.openapi import problems
from talentflow.ingest import service, tenants, vendors, webhooks
from talentflow.ingest.dependencies import HrAdminDep, MasterKeyDep
from talentflow.ingest.exceptions import VendorNotFound
from talentflow.ingest.formats import service as format_service
from talentflow.ingest.formats.schemas import DryRunIn, DryRunOut, VendorDryRunIn
from talentflow.ingest.intake import Intake
from talentflow.ingest.schemas import (
    NewSecret,
    ResultOut,
    TenantOut,
    TenantSettings,
    VendorCreated,
    VendorIn,
    VendorList,
    VendorOut,
    VendorPatch,
    WebhookAccepted,
)

# Only what the generic texts of talentflow.common.openapi do not say.
WEBHOOK_PROBLEMS = {
    401: "No signature matches an active secret, or the timestamp is stale",
    404: "No such vendor, or it is disabled",
    415: "The body was sent compressed: sign and send the JSON itself, without Content-Encoding",
}
ERASED = {410: "The candidate's personal data was erased"}

VendorIdPath = Annotated[uuid.UUID, Path(description="The vendor's id")]
router = APIRouter(prefix="/v1")

# --- webhooks (no bearer token: the signature is the authentication) ---------------------------


@router.post(
    "/webhooks/{vendor_id}",
    tags=["webhooks"],
    summary="Receive a signed interview result from a vendor",
    description=(
        "Standard Webhooks: `webhook-id`, `webhook-timestamp` (Unix seconds, within 5 minutes) "
        "and `webhook-signature` (space-separated `v1,<base64>` HMAC-SHA256 of "
        "`id.timestamp.body`; any valid one passes). Body (at most 1 MiB): the vendor's format, "
        "`talentflow.v1` (the schema below) unless the vendor was set to `assessment-partner.v1`, "
        "`hr-open.v1`, `ai-interview.v1` or `mapping.v1`. 202 once stored and committed (new "
        "content for a known vendor result id is its next version); the same `webhook-id` "
        "again, or content equal to the result's latest version, answers 200 `duplicate` with "
        "the same `result_id` and publishes nothing."
    ),
    status_code=status.HTTP_202_ACCEPTED,
    response_model=WebhookAccepted,
    responses={
        200: {
            "model": WebhookAccepted,
            "description": "Already received: the same webhook-id, or the latest version's content",
        },
        **problems(400, 401, 404, 413, 415, 422, 503, descriptions=WEBHOOK_PROBLEMS),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/InterviewResultV1"}}
            },
        }
    },
)
async def receive_webhook(
    vendor_id: Annotated[str, Path(description="The vendor's id (a UUID)")],
    request: Request,
) -> Response:
    """The documented operation; requests are served by `webhook_route` (same code)."""
    return await serve_webhook(request)


async def serve_webhook(request: Request) -> Response:
    """Receive one delivery: verify, normalize, store; answer once its batch committed."""
    intake: Intake = request.app.state.intake
    body = await webhooks.read_body(request, intake.max_body_bytes)
    signed = webhooks.parse_headers(request.headers)
    try:
        vendor_id = uuid.UUID(request.path_params["vendor_id"])
    except ValueError:
        raise VendorNotFound() from None
    accepted = await service.receive_webhook(
        intake=intake, vendor_id=vendor_id, signed=signed, body=body
    )
    duplicate = accepted.status == "duplicate"
    return Response(
        accepted.model_dump_json(),
        status_code=status.HTTP_200_OK if duplicate else status.HTTP_202_ACCEPTED,
        media_type="application/json",
    )


# The webhook is the route vendors load: it is served by a plain Starlette route placed in
# front of the FastAPI routes (see `main.create_app`). FastAPI's per-request work on an
# APIRoute (matching through included routers, solving dependencies, handling the response
# model) cost ~130 µs of the ~560 µs of CPU a delivery took; `serve_webhook` needs none of
# it, reads its one path parameter itself and returns the response ready-made. Errors are
# raised as elsewhere and answered by the app's exception handlers (problem+json).
class _PlainRoute(Route):
    """A Starlette route that names itself in the request's scope, as FastAPI's routes do
    (the request metrics are labelled with the route's path)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


webhook_route = _PlainRoute("/v1/webhooks/{vendor_id}", serve_webhook, methods=["POST"])


# --- tenant settings ------------------------------------------------------------------------


@router.get(
    "/tenant",
    tags=["tenant"],
    summary="The caller's tenant: jurisdiction and biometrics policy",
    response_model=TenantOut,
    responses=problems(401, 403, 503),
)
async def get_tenant(session: SessionDep, principal: HrAdminDep) -> TenantOut:
    return await tenants.get_tenant(session, tenant_id=principal.tenant_id)


@router.put(
    "/tenant",
    tags=["tenant"],
    summary="Set the tenant's jurisdiction and biometrics policy",
    response_model=TenantOut,
    responses=problems(401, 403, 422, 503),
)
async def configure_tenant(
    body: TenantSettings, session: SessionDep, principal: HrAdminDep
) -> TenantOut:
    return await tenants.configure_tenant(session, tenant_id=principal.tenant_id, settings=body)


# --- vendors ------------------------------------------------------------------------------------


@router.post(
    "/vendors",
    tags=["vendors"],
    summary="Register a vendor; returns its first signing secret (shown once)",
    status_code=status.HTTP_201_CREATED,
    response_model=VendorCreated,
    responses=problems(401, 403, 409, 422, 503),
)
async def create_vendor(
    body: VendorIn, session: SessionDep, principal: HrAdminDep, master_key: MasterKeyDep
) -> VendorCreated:
    return await vendors.create_vendor(
        session,
        master_key=master_key,
        tenant_id=principal.tenant_id,
        name=body.name,
        enabled=body.enabled,
        format=body.format,
        score_scale=body.score_scale,
        mapping=body.mapping,
    )


@router.get(
    "/vendors",
    tags=["vendors"],
    summary="The tenant's vendors",
    response_model=VendorList,
    responses=problems(401, 403, 503),
)
async def list_vendors(session: SessionDep, principal: HrAdminDep) -> VendorList:
    return VendorList(items=await vendors.list_vendors(session, tenant_id=principal.tenant_id))


@router.get(
    "/vendors/{vendor_id}",
    tags=["vendors"],
    summary="One vendor, with its secrets' ids and dates",
    response_model=VendorOut,
    responses=problems(401, 403, 404, 422, 503),
)
async def get_vendor(
    vendor_id: VendorIdPath, session: SessionDep, principal: HrAdminDep
) -> VendorOut:
    return await vendors.get_vendor(session, tenant_id=principal.tenant_id, vendor_id=vendor_id)


@router.patch(
    "/vendors/{vendor_id}",
    tags=["vendors"],
    summary="Rename a vendor, enable/disable it, or change its format, scale or mapping",
    response_model=VendorOut,
    responses=problems(401, 403, 404, 409, 422, 503),
)
async def update_vendor(
    vendor_id: VendorIdPath, body: VendorPatch, session: SessionDep, principal: HrAdminDep
) -> VendorOut:
    return await vendors.update_vendor(
        session,
        tenant_id=principal.tenant_id,
        vendor_id=vendor_id,
        name=body.name,
        enabled=body.enabled,
        format=body.format,
        score_scale=body.score_scale,
        mapping=body.mapping,
    )


@router.post(
    "/vendors/{vendor_id}/secrets",
    tags=["vendors"],
    summary="Add a signing secret (rotation); returns it (shown once)",
    status_code=status.HTTP_201_CREATED,
    response_model=NewSecret,
    responses=problems(401, 403, 404, 422, 503),
)
async def add_secret(
    vendor_id: VendorIdPath, session: SessionDep, principal: HrAdminDep, master_key: MasterKeyDep
) -> NewSecret:
    return await vendors.add_secret(
        session, master_key=master_key, tenant_id=principal.tenant_id, vendor_id=vendor_id
    )


@router.delete(
    "/vendors/{vendor_id}/secrets/{secret_id}",
    tags=["vendors"],
    summary="Retire a signing secret",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problems(401, 403, 404, 409, 422, 503),
)
async def retire_secret(
    vendor_id: VendorIdPath,
    secret_id: Annotated[uuid.UUID, Path(description="The secret's id")],
    session: SessionDep,
    principal: HrAdminDep,
) -> Response:
    await vendors.retire_secret(
        session, tenant_id=principal.tenant_id, vendor_id=vendor_id, secret_id=secret_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- dry-runs of vendor formats (nothing stored, nothing published) ---------------------------

DRY_RUN = (
    "The sample is `sample` (JSON, as a webhook body) or `csv_sample` (a CSV header and a "
    "record, read as an import reads them: the talentflow.v1 columns, or a mapping vendor's "
    "own), exactly one of them. "
    "200 either way: `ok: true` with the normalized result (personal fields included: the "
    "caller sent them) and the metrics the tenant's policy withholds, or `ok: false` with "
    "every field at fault (`field`: its path in the sample, or the CSV column; for a mapping "
    "expression that is not a plain path, `mapping.fields.<target>`)."
)


@router.post(
    "/vendors/{vendor_id}/dry-run",
    tags=["vendors"],
    summary="Map a sample payload with the vendor's saved format; stores nothing",
    description=DRY_RUN,
    response_model=DryRunOut,
    responses=problems(401, 403, 404, 422, 503),
)
async def dry_run_vendor(
    vendor_id: VendorIdPath, body: VendorDryRunIn, session: SessionDep, principal: HrAdminDep
) -> DryRunOut:
    return await format_service.dry_run_vendor(
        session, tenant_id=principal.tenant_id, vendor_id=vendor_id, request=body
    )


@router.post(
    "/mappings/dry-run",
    tags=["vendors"],
    summary="Map a sample payload with a format, scale and mapping not saved; stores nothing",
    description=DRY_RUN
    + " A request whose settings are invalid (an expression that does not compile, a "
    "mapping without a required target, a mapping for another format) is 422.",
    response_model=DryRunOut,
    responses=problems(401, 403, 422, 503),
)
async def dry_run_mapping(body: DryRunIn, session: SessionDep, principal: HrAdminDep) -> DryRunOut:
    return await format_service.dry_run(session, tenant_id=principal.tenant_id, request=body)


# --- results ------------------------------------------------------------------------------------


@router.get(
    "/results/{result_id}",
    tags=["results"],
    summary="A normalized interview result (its candidate, or HR of the tenant; audited)",
    response_model=ResultOut,
    responses=problems(401, 404, 410, 422, 503, descriptions=ERASED),
)
async def read_result(
    result_id: Annotated[uuid.UUID, Path(description="The result's id")],
    session: SessionDep,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    version: Annotated[
        int | None,
        Query(ge=1, le=2**31 - 1, description="A given version; the latest when omitted"),
    ] = None,
) -> ResultOut:
    return await service.read_result(
        session, cipher=runtime.cipher, principal=principal, result_id=result_id, version=version
    )
