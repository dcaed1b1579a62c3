"""Storing normalized results: versions, duplicates, encryption, the outbox event.

Every way a result enters Talentflow (a webhook, a historical import) ends here, so the rules
are the same: the first content for a vendor's result id is version 1 and publishes
`InterviewResultReceived`; different content for the same vendor result id is the next
version and publishes `InterviewResultCorrected`; the same content again is a duplicate and
changes nothing. Personal fields are encrypted with the candidate's key; the outbox row is
written in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.crypto import FieldCipher
from talentflow.common.events import (
    Envelope,
    InterviewResult,
    InterviewResultCorrected,
    InterviewResultReceived,
)
from talentflow.common.events.ingest import Origin
from talentflow.common.outbox import enqueue
from talentflow.ingest import repository
from talentflow.ingest.models import PLATFORM, Result, WebhookReceipt
from talentflow.ingest.normalize import Normalized

SOURCE = "/ingest"

StoreStatus = Literal["accepted", "corrected", "duplicate"]


@dataclass(frozen=True)
class Incoming:
    """A normalized result on its way in, with where it came from."""

    tenant_id: uuid.UUID
    vendor_id: uuid.UUID
    format: str
    result: Normalized
    origin: Origin = "webhook"
    webhook_id: str | None = None  # webhook deliveries: the idempotency key


@dataclass(frozen=True)
class Stored:
    result_id: uuid.UUID
    version: int
    status: StoreStatus


def content_hash(result: Normalized) -> bytes:
    """A digest of what the result says (not of how it was encoded), to spot true duplicates."""
    canonical = {
        "candidate": result.candidate.model_dump(mode="json"),
        "job_id": str(result.job_id),
        "interviewed_at": result.interviewed_at.isoformat(),
        "overall_score": result.overall_score,
        "competencies": result.competencies,
        "counts": result.counts,
        "evidence": [e.model_dump(mode="json") for e in result.evidence],
        "biometrics": result.stored_biometrics,
        "report_url": result.report_url,
    }
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).digest()


async def store(
    session: AsyncSession, *, cipher: FieldCipher, items: Sequence[Incoming]
) -> list[Stored]:
    """Store `items` in the caller's transaction; one Stored per item, in order."""
    return [await _store_one(session, cipher=cipher, item=item) for item in items]


async def _store_one(session: AsyncSession, *, cipher: FieldCipher, item: Incoming) -> Stored:
    result = item.result
    # Deliveries of the same vendor result are serialized: versions never collide.
    await repository.lock(session, f"ingest:result:{item.vendor_id}:{result.vendor_result_id}")
    previous = await repository.latest_vendor_result(
        session, vendor_id=item.vendor_id, vendor_result_id=result.vendor_result_id
    )
    digest = content_hash(result)
    if previous is not None and previous.content_hash == digest:
        stored = Stored(result_id=previous.id, version=previous.version, status="duplicate")
        await _receipt(session, item, stored)
        return stored
    version = previous.version + 1 if previous is not None else 1
    subject = result.candidate_id
    row = Result(
        id=previous.id if previous is not None else uuid.uuid4(),
        tenant_id=item.tenant_id,
        vendor_id=item.vendor_id,
        vendor_result_id=result.vendor_result_id,
        version=version,
        format=item.format,
        origin=item.origin,
        content_hash=digest,
        candidate_id=subject,
        job_id=result.job_id,
        interviewed_at=result.interviewed_at,
        overall_score=result.overall_score,
        competencies=result.competencies,
        counts=result.counts,
        biometrics_policy=result.policy.value,
        dropped_metrics=result.dropped_metrics,
        report_url=result.report_url,
        contact_enc=await cipher.encrypt_json(session, subject, result.candidate.model_dump()),
        evidence_enc=await cipher.encrypt_json(
            session, subject, [e.model_dump() for e in result.evidence]
        ),
        biometrics_enc=(
            await cipher.encrypt_json(session, subject, result.stored_biometrics)
            if result.stored_biometrics is not None
            else None
        ),
        raw_payload_enc=await cipher.encrypt(session, subject, result.archive),
    )
    await repository.add(session, row)
    stored = Stored(
        result_id=row.id,
        version=version,
        status="accepted" if previous is None else "corrected",
    )
    await _receipt(session, item, stored)
    event = event_for(item, stored, previous_version=previous.version if previous else None)
    await enqueue(session, PLATFORM.outbox, Envelope(event=event, source=SOURCE), cipher=cipher)
    return stored


async def _receipt(session: AsyncSession, item: Incoming, stored: Stored) -> None:
    if item.webhook_id is None:
        return
    await repository.add(
        session,
        WebhookReceipt(
            vendor_id=item.vendor_id,
            webhook_id=item.webhook_id,
            result_id=stored.result_id,
            result_version=stored.version,
        ),
    )


def event_for(item: Incoming, stored: Stored, *, previous_version: int | None) -> InterviewResult:
    """The event announcing a stored version: Received for the first, Corrected after."""
    result = item.result
    fields = {
        "result_id": stored.result_id,
        "version": stored.version,
        "tenant_id": item.tenant_id,
        "vendor_id": item.vendor_id,
        "vendor_result_id": result.vendor_result_id,
        "candidate_id": result.candidate_id,
        "candidate": result.candidate,
        "job_id": result.job_id,
        "interviewed_at": result.interviewed_at,
        "overall_score": result.overall_score,
        "competencies": result.competencies,
        "counts": result.counts,
        "evidence": result.evidence,
        "biometrics": result.published_biometrics,
        "dropped_metrics": result.dropped_metrics,
        "report_url": result.report_url,
        "origin": item.origin,
    }
    if previous_version is None:
        return InterviewResultReceived.model_validate(fields)
    return InterviewResultCorrected.model_validate({**fields, "previous_version": previous_version})
