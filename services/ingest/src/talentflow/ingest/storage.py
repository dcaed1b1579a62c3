"""Storing normalized results: versions, duplicates, encryption, the outbox event.

Every way a result enters Talentflow (a webhook, a historical import) ends here, so the rules
are the same: the first content for a vendor's result id is version 1 and publishes
`InterviewResultReceived`; different content for the same vendor result id is the next
version and publishes `InterviewResultCorrected`; the same content again is a duplicate and
changes nothing. A webhook-id already answered (for that vendor) is answered again with the
same result and changes nothing. Personal fields are encrypted with the candidate's key; the
outbox rows are written in the caller's transaction.

`store` is set-based: one batch (up to ~1,000 items) costs the same handful of statements as
one item, and items are taken in order, so two deliveries of one result in one batch are a
version and its correction (or a duplicate).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pydantic_core
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.crypto import FieldCipher, SubjectKeys
from talentflow.common.db import DriverConnection, driver_connection
from talentflow.common.events import (
    Envelope,
    EvidenceQuote,
    InterviewResult,
    InterviewResultCorrected,
    InterviewResultReceived,
)
from talentflow.common.events.ingest import Origin
from talentflow.common.outbox import outbox_row
from talentflow.ingest.normalize import Normalized
from talentflow.ingest.results import repository
from talentflow.ingest.results.repository import LatestVersion, json_text

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


_EVIDENCE = TypeAdapter(list[EvidenceQuote])


@dataclass(frozen=True, slots=True)
class _Parts:
    """A result's parts in a fixed form (models in field order, mappings sorted by key):
    hashed to spot duplicates, and the same bytes stored (JSON columns, encrypted fields)."""

    candidate: bytes
    competencies: bytes
    counts: bytes
    evidence: bytes
    biometrics: bytes  # b"null" when nothing is stored

    @classmethod
    def of(cls, result: Normalized) -> _Parts:
        return cls(
            candidate=result.candidate.model_dump_json().encode(),
            competencies=_sorted_json(result.competencies),
            counts=_sorted_json(result.counts),
            evidence=_EVIDENCE.dump_json(result.evidence),
            biometrics=_sorted_json(result.stored_biometrics),
        )


def content_hash(result: Normalized, *, parts: _Parts | None = None) -> bytes:
    """A digest of what the result says (not of how it was encoded), to spot true duplicates.

    Each part in a fixed form, length-prefixed; `parts` if the caller has them already.
    """
    parts = parts or _Parts.of(result)
    fields = (
        parts.candidate,
        str(result.job_id).encode(),
        result.interviewed_at.isoformat().encode(),
        repr(result.overall_score).encode(),
        parts.competencies,
        parts.counts,
        parts.evidence,
        parts.biometrics,
        repr(result.report_url).encode(),
    )
    digest = hashlib.sha256()
    for field in fields:
        digest.update(len(field).to_bytes(4, "big"))
        digest.update(field)
    return digest.digest()


def _sorted_json(mapping: dict[str, Any] | None) -> bytes:
    return b"null" if mapping is None else pydantic_core.to_json(dict(sorted(mapping.items())))


@dataclass(frozen=True, slots=True)
class _NewVersion:
    item: Incoming
    stored: Stored
    digest: bytes
    parts: _Parts
    previous: int | None  # the version it follows, if any


async def store(
    session: AsyncSession | DriverConnection, *, cipher: FieldCipher, items: Sequence[Incoming]
) -> list[Stored]:
    """Store `items` in the caller's transaction; one Stored per item, in order.

    `session` may also be the asyncpg connection of a transaction (what the webhook writer
    uses). Call it once per transaction: its locks are taken in one sweep, in an order shared
    by every caller, so concurrent batches never deadlock.
    """
    if not items:
        return []
    result_keys = {(item.vendor_id, item.result.vendor_result_id) for item in items}
    receipt_keys = {
        (item.vendor_id, item.webhook_id) for item in items if item.webhook_id is not None
    }
    db = await driver_connection(session)
    # Deliveries of the same vendor result, or of the same webhook id, are serialized.
    await repository.lock_all(db, _lock_keys(result_keys, receipt_keys))
    latest, answered = await repository.known(db, result_keys, receipt_keys)

    out: list[Stored] = []
    versions: list[_NewVersion] = []
    receipts: list[tuple[Incoming, Stored]] = []
    for item in items:  # in order: a later item sees what an earlier one stored
        receipt_key = (item.vendor_id, item.webhook_id) if item.webhook_id is not None else None
        if receipt_key is not None and receipt_key in answered:
            result_id, version = answered[receipt_key]
            out.append(Stored(result_id=result_id, version=version, status="duplicate"))
            continue
        key = (item.vendor_id, item.result.vendor_result_id)
        parts = _Parts.of(item.result)
        digest = content_hash(item.result, parts=parts)
        previous = latest.get(key)
        if previous is not None and previous.content_hash == digest:
            stored = Stored(previous.result_id, previous.version, "duplicate")
        else:
            stored = Stored(
                result_id=previous.result_id if previous is not None else uuid.uuid4(),
                version=previous.version + 1 if previous is not None else 1,
                status="accepted" if previous is None else "corrected",
            )
            versions.append(
                _NewVersion(item, stored, digest, parts, previous.version if previous else None)
            )
            latest[key] = LatestVersion(stored.result_id, stored.version, digest)
        if receipt_key is not None:
            answered[receipt_key] = (stored.result_id, stored.version)
            receipts.append((item, stored))
        out.append(stored)

    if versions or receipts:
        events = [
            Envelope(event=event_for(v.item, v.stored, previous_version=v.previous), source=SOURCE)
            for v in versions
        ]
        keys = await cipher.data_keys(db, {v.item.result.candidate_id for v in versions})
        await repository.add_versions(
            db,
            _result_rows(versions, keys),
            _receipt_rows(receipts),
            _outbox_rows(events, keys),
        )
    return out


async def store_new(
    db: DriverConnection,
    *,
    cipher: FieldCipher,
    items: Sequence[Incoming],
    vendor_digests: Sequence[str],
) -> list[Stored | None]:
    """Store the items that are first deliveries of new results, as version 1, in one
    statement that commits when it returns; None for every other item, for the caller to
    `store` afterwards in order.

    For webhook batches (the group-commit writer): `db` is an asyncpg connection outside any
    transaction, and each item comes with the digest of the vendor's state it was checked
    against (`VendorState.digest`). The common case, a new result, costs one round trip
    instead of a transaction's seven. Left to `store`: redeliveries, corrections, duplicates,
    an item whose result or webhook id an earlier item of the batch has, a candidate whose
    data key exists but is not cached here, a vendor changed since the item was checked, and
    items without a webhook id.
    """
    out: list[Stored | None] = [None] * len(items)
    positions: list[int] = []
    versions: list[_NewVersion] = []
    digests: list[str] = []
    results: set[tuple[uuid.UUID, str]] = set()
    webhooks: set[tuple[uuid.UUID, str]] = set()
    for position, (item, vendor_digest) in enumerate(zip(items, vendor_digests, strict=True)):
        if item.webhook_id is None:
            continue
        result_key = (item.vendor_id, item.result.vendor_result_id)
        receipt_key = (item.vendor_id, item.webhook_id)
        if result_key in results or receipt_key in webhooks:
            continue  # a version or a duplicate of an earlier item: `store` decides
        results.add(result_key)
        webhooks.add(receipt_key)
        parts = _Parts.of(item.result)
        stored = Stored(result_id=uuid.uuid4(), version=1, status="accepted")
        versions.append(
            _NewVersion(item, stored, content_hash(item.result, parts=parts), parts, None)
        )
        positions.append(position)
        digests.append(vendor_digest)
    if not versions:
        return out

    offer = cipher.offer_keys({v.item.result.candidate_id for v in versions})
    events = [
        Envelope(event=event_for(v.item, v.stored, previous_version=None), source=SOURCE)
        for v in versions
    ]
    claim = repository.Claim(
        lock_keys=_lock_keys(results, webhooks),
        vendors=[v.item.vendor_id for v in versions],
        vendor_results=[v.item.result.vendor_result_id for v in versions],
        webhook_ids=[v.item.webhook_id or "" for v in versions],
        vendor_digests=digests,
        subjects=[v.item.result.candidate_id for v in versions],
        key_subjects=offer.subject_ids,
        key_wrapped=offer.wrapped,
        key_fresh=offer.fresh,
    )
    taken = await repository.add_new_versions(
        db,
        claim,
        _result_rows(versions, offer.keys),
        _receipt_rows([(v.item, v.stored) for v in versions]),
        _outbox_rows(events, offer.keys),
    )
    cipher.accepted(offer, {versions[index].item.result.candidate_id for index in taken})
    for index in taken:
        out[positions[index]] = versions[index].stored
    return out


def _lock_keys(
    results: Collection[tuple[uuid.UUID, str]], webhooks: Collection[tuple[uuid.UUID, str]]
) -> list[str]:
    """The advisory locks that serialize deliveries of one vendor result or one webhook id."""
    return [f"ingest:result:{vendor}:{result}" for vendor, result in results] + [
        f"ingest:webhook:{vendor}:{webhook}" for vendor, webhook in webhooks
    ]


def _result_rows(versions: Sequence[_NewVersion], keys: SubjectKeys) -> list[repository.Row]:
    """The new result rows (`repository.RESULT_ROW`), personal fields encrypted."""
    rows: list[repository.Row] = []
    for v in versions:
        item, result, parts = v.item, v.item.result, v.parts
        subject = result.candidate_id
        rows.append(
            (
                v.stored.result_id,
                v.stored.version,
                item.tenant_id,
                item.vendor_id,
                result.vendor_result_id,
                item.format,
                item.origin,
                v.digest,
                subject,
                result.job_id,
                result.interviewed_at,
                result.overall_score,
                parts.competencies.decode(),
                parts.counts.decode(),
                result.policy.value,
                json_text(result.dropped_metrics),
                result.report_url,
                keys.encrypt(subject, parts.candidate),
                keys.encrypt(subject, parts.evidence),
                None
                if result.stored_biometrics is None
                else keys.encrypt(subject, parts.biometrics),
                keys.encrypt(subject, result.archive),
            )
        )
    return rows


def _receipt_rows(receipts: Sequence[tuple[Incoming, Stored]]) -> list[repository.Row]:
    """The webhook receipts' rows (`repository.RECEIPT_ROW`)."""
    return [
        (item.vendor_id, item.webhook_id, stored.result_id, stored.version)
        for item, stored in receipts
    ]


def _outbox_rows(events: Sequence[Envelope], keys: SubjectKeys) -> list[repository.Row]:
    """The events' outbox rows (`repository.OUTBOX_ROW`), payloads encrypted."""
    return [outbox_row(envelope, keys=keys) for envelope in events]


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
