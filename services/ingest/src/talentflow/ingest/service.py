"""Ingest's use cases: receive a signed webhook, read a result, purge old receipts.

Vendor and tenant management lives in `vendors.py`. Functions only flush: the request's or
the command's transaction commits.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.audit import record_access
from talentflow.common.auth import Principal, Role
from talentflow.common.crypto import FieldCipher, SubjectErased
from talentflow.ingest import normalize, repository, storage, webhooks
from talentflow.ingest.exceptions import ResultErased, ResultNotFound, VendorNotFound
from talentflow.ingest.models import (
    PLATFORM,
    BiometricsPolicy,
    VendorFormat,
)
from talentflow.ingest.schemas import CandidateOut, EvidenceOut, ResultOut, WebhookAccepted
from talentflow.ingest.vendors import active_secret_values

log = logging.getLogger(__name__)

SOURCE = "/ingest"


async def receive_webhook(
    session: AsyncSession,
    *,
    cipher: FieldCipher,
    master_key: bytes,
    vendor_id: uuid.UUID,
    signed: webhooks.SignedHeaders,
    body: bytes,
) -> WebhookAccepted:
    """Verify, deduplicate, normalize and store one vendor webhook with its outbox event."""
    vendor = await repository.get_vendor(session, vendor_id)
    if vendor is None or not vendor.enabled:
        raise VendorNotFound()
    secrets = await active_secret_values(session, master_key=master_key, vendor_id=vendor.id)
    webhooks.verify(secrets, body, signed)

    # A redelivery waits here until the first delivery's transaction ends, then sees its receipt.
    await repository.lock(session, f"ingest:webhook:{vendor.id}:{signed.webhook_id}")
    receipt = await repository.get_receipt(
        session, vendor_id=vendor.id, webhook_id=signed.webhook_id
    )
    if receipt is not None:
        log.info(
            "duplicate webhook delivery",
            extra={"vendor_id": str(vendor.id), "result_id": str(receipt.result_id)},
        )
        return WebhookAccepted(result_id=receipt.result_id, status="duplicate")

    parsed = normalize.parse(body, VendorFormat(vendor.format))
    tenant = await repository.get_tenant(session, vendor.tenant_id)
    assert tenant is not None  # vendors.tenant_id is a foreign key
    policy = BiometricsPolicy(tenant.biometrics_policy)
    result = normalize.normalize(parsed, tenant_id=tenant.id, policy=policy)

    [stored] = await storage.store(
        session,
        cipher=cipher,
        items=[
            storage.Incoming(
                tenant_id=tenant.id,
                vendor_id=vendor.id,
                format=vendor.format,
                result=result,
                webhook_id=signed.webhook_id,
            )
        ],
    )
    log.info(
        "interview result stored",
        extra={
            "vendor_id": str(vendor.id),
            "result_id": str(stored.result_id),
            "version": stored.version,
            "status": stored.status,
            "dropped_metrics": len(result.dropped_metrics),
        },
    )
    return WebhookAccepted(
        result_id=stored.result_id,
        status="duplicate" if stored.status == "duplicate" else "accepted",
    )


async def read_result(
    session: AsyncSession,
    *,
    cipher: FieldCipher,
    principal: Principal,
    result_id: uuid.UUID,
    version: int | None,
) -> ResultOut:
    """A result (latest version by default) for its candidate or HR of its tenant (audited)."""
    row = await repository.get_result(session, result_id, version=version)
    if row is None or row.tenant_id != principal.tenant_id:
        raise ResultNotFound()
    own = principal.subject == row.candidate_id
    if not own and not principal.has(Role.HR, Role.HR_ADMIN):
        raise ResultNotFound()  # never tell a stranger that the result exists
    subject = row.candidate_id
    try:
        contact = await cipher.decrypt_json(session, subject, row.contact_enc)
        evidence = await cipher.decrypt_json(session, subject, row.evidence_enc)
        show_biometrics = own or row.biometrics_policy == BiometricsPolicy.ALLOW
        biometrics = (
            await cipher.decrypt_json(session, subject, row.biometrics_enc)
            if show_biometrics and row.biometrics_enc is not None
            else None
        )
    except SubjectErased:
        raise ResultErased() from None
    if not own:
        await record_access(
            session,
            PLATFORM.audit_log,
            actor_id=str(principal.subject),
            actor_roles=[role.value for role in principal.roles],
            tenant_id=row.tenant_id,
            subject_id=subject,
            action="read",
            resource=f"ingest/results/{row.id}",
            details={"version": row.version},
        )
    return ResultOut(
        id=row.id,
        tenant_id=row.tenant_id,
        vendor_id=row.vendor_id,
        vendor_result_id=row.vendor_result_id,
        version=row.version,
        format=row.format,
        candidate_id=subject,
        candidate=CandidateOut.model_validate(contact),
        job_id=row.job_id,
        interviewed_at=row.interviewed_at,
        received_at=row.received_at,
        overall_score=row.overall_score,
        competencies=row.competencies,
        counts=row.counts,
        evidence=[EvidenceOut.model_validate(item) for item in evidence],
        biometrics_policy=BiometricsPolicy(row.biometrics_policy),
        biometrics=biometrics,
        dropped_metrics=row.dropped_metrics,
        report_url=row.report_url,
    )


async def purge_receipts(session: AsyncSession, *, retention: timedelta) -> int:
    """Delete webhook receipts older than `retention` (never less than 7 days)."""
    if retention < timedelta(days=7):
        raise ValueError("webhook receipts are kept at least 7 days")
    return await repository.purge_receipts(session, before=datetime.now(UTC) - retention)
