"""From a vendor's payload to a normalized result, with the tenant's biometrics policy applied.

Parsing refuses what is not JSON (400) and what does not fit the vendor's format (422 naming
every field at fault). Normalizing derives the candidate id and sorts the facial/voice metrics
out: those sent under `biometrics`, and any that a vendor slipped into `competencies` or
`counts` under a telltale name (smile, eye contact, emotion, ...).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from talentflow.common.errors import InvalidInput, field_errors
from talentflow.common.events import CandidateContact, EvidenceQuote
from talentflow.common.ids import candidate_id
from talentflow.ingest.exceptions import MalformedWebhook
from talentflow.ingest.models import BiometricsPolicy, VendorFormat
from talentflow.ingest.schemas import InterviewResultV1

# Parts of a metric name that mark it as derived from the face or the voice.
BIOMETRIC_MARKERS = (
    "smile",
    "eye_contact",
    "gaze",
    "blink",
    "facial",
    "face_",
    "emotion",
    "expression",
    "voice",
    "vocal",
    "pitch",
    "head_pose",
    "head_movement",
)


def is_biometric(name: str) -> bool:
    """True when a metric name says it comes from the face or the voice."""
    return any(marker in name for marker in BIOMETRIC_MARKERS)


@dataclass(frozen=True)
class Parsed:
    """A payload that fits its format, with the JSON document it came from."""

    result: InterviewResultV1
    document: dict[str, Any]
    body: bytes


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


def parse(body: bytes, fmt: VendorFormat) -> Parsed:
    """Parse a webhook body in `fmt`; MalformedWebhook if not JSON, InvalidInput if unfit."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedWebhook("the body is not valid JSON") from None
    try:
        result = InterviewResultV1.model_validate_json(body)
    except ValidationError as exc:
        problems = [err for err in exc.errors() if err["type"] != "json_invalid"]
        if not problems:
            raise MalformedWebhook("the body is not valid JSON") from None
        located = [{**err, "loc": ("body", *err["loc"])} for err in problems]
        raise InvalidInput(
            f"the result does not fit the {fmt.value} format",
            errors=field_errors(located),
        ) from None
    if not isinstance(document, dict):  # unreachable: the model accepted an object
        raise MalformedWebhook("the body is not a JSON object")
    return Parsed(result=result, document=document, body=body)


def normalize(parsed: Parsed, *, tenant_id: uuid.UUID, policy: BiometricsPolicy) -> Normalized:
    """Derive the candidate id and apply the tenant's biometrics policy."""
    result = parsed.result
    competencies = {k: v for k, v in result.competencies.items() if not is_biometric(k)}
    counts = {k: v for k, v in result.counts.items() if not is_biometric(k)}
    biometrics: dict[str, float] = {
        **{k: float(v) for k, v in result.counts.items() if is_biometric(k)},
        **{k: v for k, v in result.competencies.items() if is_biometric(k)},
        **result.biometrics,
    }
    withheld = sorted(biometrics) if policy is not BiometricsPolicy.ALLOW else []
    stored = biometrics if biometrics and policy is not BiometricsPolicy.DROP else None
    published = biometrics if policy is BiometricsPolicy.ALLOW else {}
    contact = result.candidate
    return Normalized(
        vendor_result_id=result.result_id,
        candidate_id=candidate_id(tenant_id, contact.external_id),
        candidate=CandidateContact(
            external_id=contact.external_id,
            name=contact.name,
            email=contact.email,
            locale=contact.locale,
        ),
        job_id=result.job_id,
        interviewed_at=result.interviewed_at,
        overall_score=result.overall_score,
        competencies=competencies,
        counts=counts,
        evidence=[
            EvidenceQuote(competency=e.competency, quote=e.quote, at_seconds=e.at_seconds)
            for e in result.evidence
        ],
        policy=policy,
        stored_biometrics=stored,
        published_biometrics=published,
        dropped_metrics=withheld,
        report_url=result.report_url,
        archive=_archive(parsed, drop=withheld if policy is BiometricsPolicy.DROP else []),
    )


def _archive(parsed: Parsed, *, drop: list[str]) -> bytes:
    """The payload to archive: as received, minus the metrics that must not be stored."""
    if not drop:
        return parsed.body
    document = dict(parsed.document)
    document.pop("biometrics", None)
    for key in ("competencies", "counts"):
        if isinstance(document.get(key), dict):
            document[key] = {k: v for k, v in document[key].items() if k not in drop}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
