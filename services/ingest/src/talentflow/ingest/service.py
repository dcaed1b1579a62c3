"""Ingest's use cases: receive a signed webhook, read a result, purge old receipts, erase a
person.

Tenant settings live in `tenants.py`, vendors and their secrets in `vendors.py`. Functions
only flush: the request's or the command's transaction commits.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.audit import record_access
from talentflow.common.auth import Principal, Role
from talentflow.common.crypto import FieldCipher, SubjectErased
from talentflow.common.errors import ServiceError, Unavailable
from talentflow.common.events import ErasureRequested
from talentflow.ingest import normalize, repository, storage, webhooks
from talentflow.ingest.exceptions import (
    ErasureOfAnotherTenant,
    ResultErased,
    ResultNotFound,
    VendorNotFound,
)
from talentflow.ingest.intake import Intake, VendorContext
from talentflow.ingest.models import (
    PLATFORM,
    BiometricsPolicy,
)
from talentflow.ingest.schemas import CandidateOut, EvidenceOut, ResultOut, WebhookAccepted
from talentflow.ingest.writer import RETRY_AFTER, VendorChanged

log = logging.getLogger(__name__)

SOURCE = "/ingest"
# A delivery checked against cached vendor settings, then fresh ones, then once more if the
# settings changed meanwhile; after that, 503.
MAX_ATTEMPTS = 3


async def receive_webhook(
    *, intake: Intake, vendor_id: uuid.UUID, signed: webhooks.SignedHeaders, body: bytes
) -> WebhookAccepted:
    """Verify, normalize and store one vendor webhook; answered after its batch commits.

    No transaction of its own: the vendor's settings come from the cache, the storing from
    the group-commit writer (which checks them again). A rejection (404, 401, 400, 422) is
    only ever decided on settings read from the database for this request.
    """
    now = time.time()  # one instant for every attempt: staleness cannot flip on a retry
    fresh = False
    for _ in range(MAX_ATTEMPTS):
        context, cached = await intake.vendors.get(vendor_id, fresh=fresh)
        try:
            if context is None or not context.vendor.enabled:
                raise VendorNotFound()
            item = _incoming(context, signed, body, now=now)
            stored = await intake.writer.write(item, vendor_state=context.state)
        except ServiceError as exc:
            if not cached or isinstance(exc, Unavailable):
                raise
            fresh = True
            continue
        except VendorChanged:
            fresh = True
            continue
        log.debug(
            "interview result stored",
            extra={
                "vendor_id": str(vendor_id),
                "result_id": str(stored.result_id),
                "version": stored.version,
                "status": stored.status,
            },
        )
        return WebhookAccepted(
            result_id=stored.result_id,
            status="duplicate" if stored.status == "duplicate" else "accepted",
        )
    raise Unavailable("the vendor's settings keep changing; retry", headers=RETRY_AFTER)


def _incoming(
    context: VendorContext, signed: webhooks.SignedHeaders, body: bytes, *, now: float
) -> storage.Incoming:
    """Check a delivery against the vendor's settings and normalize it (no database)."""
    vendor = context.vendor
    webhooks.verify(context.verifiers, body, signed, now=now)
    result = normalize.decode_and_normalize(
        body, vendor=vendor, tenant_id=vendor.tenant_id, policy=context.policy
    )
    return storage.Incoming(
        tenant_id=vendor.tenant_id,
        vendor_id=vendor.id,
        format=vendor.format,
        result=result,
        webhook_id=signed.webhook_id,
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
        await cipher.require_key(session, subject)  # erased by any process: 410 at once
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


async def erase_person(
    session: AsyncSession, *, cipher: FieldCipher, request: ErasureRequested
) -> bool:
    """A person asked to be forgotten (`privacy.requests`): delete their data key, so that
    nothing ingest holds about them can be read again (crypto-shredding): the contact fields,
    the evidence, the archived payloads and the events still in the outbox. Their results
    answer 410 from then on. Returns whether a key was deleted (False: none, or already gone).

    Refused (`ErasureOfAnotherTenant`) when the person's results belong to another tenant
    than the request's. A result delivered later creates a new key: it is new data.
    """
    tenants = await repository.tenants_of_candidate(session, request.person_id)
    if tenants - {request.tenant_id}:
        raise ErasureOfAnotherTenant()
    deleted = await cipher.shred(session, request.person_id)
    log.info(
        "erasure request handled",
        extra={"request_id": str(request.request_id), "key_deleted": deleted},
    )
    return deleted
