"""Dry-runs: map a sample payload as a vendor's webhook would be, store and publish nothing."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.errors import InvalidInput
from talentflow.common.openapi import ProblemFieldError
from talentflow.ingest import normalize, tenants, vendors
from talentflow.ingest.formats.base import Adapter
from talentflow.ingest.formats.registry import adapter_for, build_adapter, config_errors
from talentflow.ingest.formats.schemas import DryRunFailed, DryRunIn, DryRunSucceeded, NormalizedOut
from talentflow.ingest.schemas import CandidateOut, EvidenceOut

log = logging.getLogger(__name__)


async def dry_run_vendor(
    session: AsyncSession, *, tenant_id: uuid.UUID, vendor_id: uuid.UUID, sample: Any
) -> DryRunSucceeded | DryRunFailed:
    """Map a sample with a vendor's saved format settings and the tenant's policy."""
    vendor = await vendors.tenant_vendor(session, tenant_id=tenant_id, vendor_id=vendor_id)
    return await _dry_run(session, adapter_for(vendor), tenant_id=tenant_id, sample=sample)


async def dry_run(
    session: AsyncSession, *, tenant_id: uuid.UUID, request: DryRunIn
) -> DryRunSucceeded | DryRunFailed:
    """Map a sample with format settings not saved anywhere (422 if they do not fit)."""
    has_mapping = request.mapping is not None
    errors = config_errors(request.format, request.score_scale, has_mapping=has_mapping)
    if errors:
        raise InvalidInput("the format settings do not fit together", errors=errors)
    adapter = build_adapter(request.format, request.score_scale, request.mapping)
    return await _dry_run(session, adapter, tenant_id=tenant_id, sample=request.sample)


async def _dry_run(
    session: AsyncSession, adapter: Adapter, *, tenant_id: uuid.UUID, sample: Any
) -> DryRunSucceeded | DryRunFailed:
    tenant = await tenants.get_tenant(session, tenant_id=tenant_id)
    try:
        result = normalize.normalize_with(
            adapter, sample, tenant_id=tenant_id, policy=tenant.biometrics_policy
        )
    except InvalidInput as exc:
        log.info(
            "dry-run failed", extra={"format": adapter.format.value, "errors": len(exc.errors)}
        )
        return DryRunFailed(errors=[ProblemFieldError.model_validate(e) for e in exc.errors])
    return DryRunSucceeded(result=_out(result), dropped_metrics=result.dropped_metrics)


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
