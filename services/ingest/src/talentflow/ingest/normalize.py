"""From a vendor's payload to a normalized result, with the tenant's biometrics policy applied.

`decode_and_normalize` (webhooks) and `normalize_document` (imports, dry-runs) read a payload
with the adapter of the vendor's format (`formats/`), which refuses what does not fit and
names every field at fault in the vendor's own document (InvalidInput, 422); a webhook body
that is not JSON is MalformedWebhook (400). Then the facial/voice metrics are sorted out:
those an adapter reports as biometrics, and any that slipped into competencies or counts
under a telltale name (smile, eye contact, emotion, ...), and the tenant's policy decides
what is stored, what is published, and what the archived raw payload keeps.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import pydantic_core
from pydantic import TypeAdapter

from talentflow.common.events import CandidateContact, EvidenceQuote
from talentflow.common.ids import candidate_id
from talentflow.ingest.formats.base import Adapter, dumps
from talentflow.ingest.formats.convert import is_biometric
from talentflow.ingest.formats.registry import adapter_for
from talentflow.ingest.formats.v1 import InterviewResultV1
from talentflow.ingest.models import BiometricsPolicy, Vendor

_M = TypeVar("_M", float, int)


@dataclass(frozen=True)
class Normalized:
    """A result ready to store and publish."""

    vendor_result_id: str
    candidate_id: uuid.UUID
    candidate: CandidateContact
    job_id: uuid.UUID
    interviewed_at: datetime
    overall_score: float | None
    competencies: dict[str, float]
    counts: dict[str, int]
    evidence: list[EvidenceQuote]
    policy: BiometricsPolicy
    stored_biometrics: dict[str, float] | None  # None: nothing to store
    published_biometrics: dict[str, float]
    dropped_metrics: list[str]
    report_url: str | None
    archive: bytes  # the payload as archived (without biometrics under policy drop)


def decode_and_normalize(
    body: bytes, *, vendor: Vendor, tenant_id: uuid.UUID, policy: BiometricsPolicy
) -> Normalized:
    """A webhook body in the vendor's format, normalized; MalformedWebhook if it is not JSON,
    InvalidInput naming every field at fault if it does not fit."""
    adapter = adapter_for(vendor)
    result, document = adapter.from_json(body)
    return _apply(result, adapter, tenant_id=tenant_id, policy=policy, body=body, document=document)


def normalize_document(
    document: Any, *, vendor: Vendor, tenant_id: uuid.UUID, policy: BiometricsPolicy
) -> Normalized:
    """An already-decoded document in the vendor's format, normalized; InvalidInput if unfit."""
    return normalize_with(adapter_for(vendor), document, tenant_id=tenant_id, policy=policy)


def normalize_with(
    adapter: Adapter, document: Any, *, tenant_id: uuid.UUID, policy: BiometricsPolicy
) -> Normalized:
    """`normalize_document` with a given adapter (a dry-run of settings not saved)."""
    result = adapter.from_document(document)
    return _apply(result, adapter, tenant_id=tenant_id, policy=policy, body=None, document=document)


def _apply(
    result: InterviewResultV1,
    adapter: Adapter,
    *,
    tenant_id: uuid.UUID,
    policy: BiometricsPolicy,
    body: bytes | None,
    document: Any,
) -> Normalized:
    """Derive the candidate id, apply the tenant's biometrics policy, choose what to archive."""
    competencies, biometric_scores = _split(result.competencies)
    counts, biometric_counts = _split(result.counts)
    biometrics: dict[str, float] = {k: float(v) for k, v in biometric_counts.items()}
    biometrics.update(biometric_scores)
    biometrics.update(result.biometrics)
    withheld = sorted(biometrics) if policy is not BiometricsPolicy.ALLOW else []
    stored = biometrics if biometrics and policy is not BiometricsPolicy.DROP else None
    published = biometrics if policy is BiometricsPolicy.ALLOW else {}
    if withheld and policy is BiometricsPolicy.DROP:
        if document is None:  # the fast path validated the bytes without decoding them
            document = pydantic_core.from_json(body or b"null")
        archive = dumps(adapter.redact(document, withheld))
    else:
        archive = body if body is not None else dumps(document)
    contact = result.candidate
    return Normalized(
        vendor_result_id=result.result_id,
        candidate_id=candidate_id(tenant_id, contact.external_id),
        # The contact and the quotes are copied into the event's models from the validated
        # result's fields (a model's __dict__ holds exactly its fields): for the quotes, one
        # call into pydantic-core instead of one model __init__ each, which was the largest
        # part of this function's cost. (model_construct would skip the checks, but is
        # slower still in pydantic 2: it runs in Python.)
        candidate=CandidateContact.model_validate(contact.__dict__),
        job_id=result.job_id,
        interviewed_at=result.interviewed_at,
        overall_score=result.overall_score,
        competencies=competencies,
        counts=counts,
        evidence=_QUOTES.validate_python([e.__dict__ for e in result.evidence]),
        policy=policy,
        stored_biometrics=stored,
        published_biometrics=published,
        dropped_metrics=withheld,
        report_url=result.report_url,
        archive=archive,
    )


_QUOTES: TypeAdapter[list[EvidenceQuote]] = TypeAdapter(list[EvidenceQuote])


def _split(metrics: Mapping[str, _M]) -> tuple[dict[str, _M], dict[str, _M]]:
    """`metrics` as (the others, those named for the face or the voice), in their order; one
    pass, so each name is tested once."""
    kept: dict[str, _M] = {}
    biometric: dict[str, _M] = {}
    for name, value in metrics.items():
        (biometric if is_biometric(name) else kept)[name] = value
    return kept, biometric
