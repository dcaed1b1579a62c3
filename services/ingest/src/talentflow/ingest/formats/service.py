"""Dry-runs: map a sample payload as a vendor's webhook would be, or a CSV sample as an import
would read it; store and publish nothing."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.errors import InvalidInput
from talentflow.common.openapi import ProblemFieldError
from talentflow.ingest import normalize, tenants, vendors
from talentflow.ingest.formats.base import MAX_DEPTH, Adapter, TooDeep, nested_deeper_than
from talentflow.ingest.formats.registry import adapter_for, build_adapter, config_errors
from talentflow.ingest.formats.schemas import (
    DryRunFailed,
    DryRunIn,
    DryRunSucceeded,
    NormalizedOut,
    VendorDryRunIn,
)
from talentflow.ingest.imports import csvfile
from talentflow.ingest.imports.exceptions import InvalidCsvHeader
from talentflow.ingest.schemas import CandidateOut, EvidenceOut

log = logging.getLogger(__name__)


async def dry_run_vendor(
    session: AsyncSession, *, tenant_id: uuid.UUID, vendor_id: uuid.UUID, request: VendorDryRunIn
) -> DryRunSucceeded | DryRunFailed:
    """Map a sample with a vendor's saved format settings and the tenant's policy."""
    _check_one_sample(request)
    vendor = await vendors.tenant_vendor(session, tenant_id=tenant_id, vendor_id=vendor_id)
    return await _dry_run(session, adapter_for(vendor), tenant_id=tenant_id, request=request)


async def dry_run(
    session: AsyncSession, *, tenant_id: uuid.UUID, request: DryRunIn
) -> DryRunSucceeded | DryRunFailed:
    """Map a sample with format settings not saved anywhere (422 if they do not fit)."""
    _check_one_sample(request)
    has_mapping = request.mapping is not None
    errors = config_errors(request.format, request.score_scale, has_mapping=has_mapping)
    if errors:
        raise InvalidInput("the format settings do not fit together", errors=errors)
    adapter = build_adapter(request.format, request.score_scale, request.mapping)
    return await _dry_run(session, adapter, tenant_id=tenant_id, request=request)


def _check_one_sample(request: VendorDryRunIn) -> None:
    """Exactly one of `sample` and `csv_sample`, and a `sample` nested no deeper than a
    webhook body may be (422 naming the field otherwise)."""
    has_json = "sample" in request.model_fields_set
    if has_json == (request.csv_sample is not None):
        field, problem = ("csv_sample", "not both") if has_json else ("sample", "one of them")
        message = f"give `sample` (JSON) or `csv_sample` (CSV): {problem}"
        kind = "missing" if field == "sample" else "extra_forbidden"
        raise InvalidInput(
            "the dry-run needs one sample", errors=[_body_error(field, message, kind)]
        )
    if has_json and nested_deeper_than(request.sample, MAX_DEPTH):
        raise InvalidInput(
            "the sample is nested too deeply",
            errors=[_body_error("sample", str(TooDeep()), "json_invalid")],
        )


def _body_error(field: str, message: str, kind: str) -> dict[str, Any]:
    return {"field": field, "in": "body", "pointer": f"/{field}", "message": message, "type": kind}


async def _dry_run(
    session: AsyncSession, adapter: Adapter, *, tenant_id: uuid.UUID, request: VendorDryRunIn
) -> DryRunSucceeded | DryRunFailed:
    tenant = await tenants.get_tenant(session, tenant_id=tenant_id)
    sample, layout = request.sample, None
    if request.csv_sample is not None:
        try:
            layout, sample, problems = await csvfile.read_sample(
                request.csv_sample, csvfile.layout_for(adapter)
            )
        except InvalidCsvHeader as exc:
            return _failed(adapter, exc.errors)
        if sample is None or problems:
            return _failed(adapter, [_csv_error(p.field, p.message, p.type) for p in problems])
        if not layout.native:
            adapter = csvfile.V1_ADAPTER
    try:
        result = normalize.normalize_with(
            adapter, sample, tenant_id=tenant_id, policy=tenant.biometrics_policy
        )
    except InvalidInput as exc:
        errors = exc.errors
        if layout is not None:
            errors = [{**e, "field": layout.column_of(str(e.get("field", "")))} for e in errors]
        return _failed(adapter, errors)
    return DryRunSucceeded(result=_out(result), dropped_metrics=result.dropped_metrics)


def _csv_error(column: str, message: str, kind: str) -> dict[str, Any]:
    """A CSV sample's fault: its column, or the whole `csv_sample`."""
    where = {"field": column or "csv_sample", "in": "body", "pointer": "/csv_sample"}
    return {**where, "message": message, "type": kind}


def _failed(adapter: Adapter, errors: list[dict[str, Any]]) -> DryRunFailed:
    log.info("dry-run failed", extra={"format": adapter.format.value, "errors": len(errors)})
    return DryRunFailed(errors=[ProblemFieldError.model_validate(e) for e in errors])


def _out(result: normalize.Normalized) -> NormalizedOut:
    return NormalizedOut(
        vendor_result_id=result.vendor_result_id,
        candidate_id=result.candidate_id,
        candidate=CandidateOut.model_validate(result.candidate.model_dump()),
        job_id=result.job_id,
        interviewed_at=result.interviewed_at,
        overall_score=result.overall_score,
        competencies=result.competencies,
        counts=result.counts,
        evidence=[EvidenceOut.model_validate(e.model_dump()) for e in result.evidence],
        biometrics_policy=result.policy,
        biometrics=result.stored_biometrics,
        published_biometrics=result.published_biometrics,
        report_url=result.report_url,
    )
