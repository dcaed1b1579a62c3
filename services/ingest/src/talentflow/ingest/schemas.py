"""API models, and the `talentflow.v1` result format a vendor without an adapter sends."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from talentflow.ingest.models import BiometricsPolicy, Jurisdiction

# --- the talentflow.v1 vendor format ---------------------------------------------------------

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"[^@\s\x00-\x1f\x7f]{{1,64}}@{_LABEL}(?:\.{_LABEL})+")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _single_line(value: str) -> str:
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise PydanticCustomError("control_characters", "must not contain control characters")
    return value


def _email(value: str) -> str:
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise PydanticCustomError("email", "must be an e-mail address like name@example.com")
    return value


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in value):
        raise PydanticCustomError("url", "must be an https:// URL")
    return value


def _iso_datetime(value: Any) -> Any:
    if not isinstance(value, str) or not _ISO_DATETIME.match(value):
        raise PydanticCustomError(
            "datetime_format",
            "must be an ISO 8601 date-time with an offset, e.g. 2026-03-01T10:15:00+08:00",
        )
    return value


MetricName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Score = Annotated[float, Field(ge=0, le=100, strict=True, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=1_000_000_000, strict=True)]
Measure = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_single_line)
]
Email = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_email)]
HttpsUrl = Annotated[
    str,
    StringConstraints(max_length=2000),
    AfterValidator(_single_line),
    AfterValidator(_https_url),
]
IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CandidateV1(_Strict):
    external_id: Annotated[Text, Field(max_length=200, description="The vendor's/ATS's id")]
    name: Annotated[Text, Field(max_length=200)] | None = None
    email: Email | None = None
    locale: Literal["en", "zh-CN"] = "en"


class EvidenceV1(_Strict):
    competency: MetricName | None = None
    quote: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
    at_seconds: Annotated[float, Field(ge=0, strict=True, allow_inf_nan=False)] | None = None


class InterviewResultV1(_Strict):
    """One interview result in the `talentflow.v1` format (scores on 0-100)."""

    model_config = ConfigDict(
        title="InterviewResultV1",
        json_schema_extra={
            "examples": [
                {
                    "result_id": "res-20260301-0042",
                    "job_id": "8c1d3f0e-5a7b-4c2d-9e8f-0a1b2c3d4e5f",
                    "candidate": {
                        "external_id": "ats-123",
                        "name": "Ada Lovelace",
                        "email": "ada@example.com",
                        "locale": "en",
                    },
                    "interviewed_at": "2026-03-01T10:15:00+08:00",
                    "overall_score": 81,
                    "competencies": {"communication": 88, "logic": 74},
                    "counts": {"customer_cases": 3, "questions_asked": 5},
                    "evidence": [
                        {"competency": "communication", "quote": "...", "at_seconds": 312.5}
                    ],
                    "biometrics": {"smile_count": 14, "eye_contact_ratio": 0.71},
                    "report_url": "https://vendor.example/reports/res-20260301-0042",
                }
            ]
        },
    )

    result_id: Annotated[Text, Field(max_length=200, description="The vendor's result id")]
    job_id: uuid.UUID
    candidate: CandidateV1
    interviewed_at: IsoDatetime
    overall_score: Score | None = None
    competencies: Annotated[dict[MetricName, Score], Field(max_length=200)] = {}
    counts: Annotated[dict[MetricName, Count], Field(max_length=200)] = {}
    evidence: Annotated[list[EvidenceV1], Field(max_length=500)] = []
    biometrics: Annotated[dict[MetricName, Measure], Field(max_length=200)] = {}
    report_url: HttpsUrl | None = None


# --- API ---------------------------------------------------------------------------------------


class WebhookAccepted(BaseModel):
    result_id: uuid.UUID
    status: Literal["accepted", "duplicate"]


class TenantSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(max_length=200)] | None = None
    jurisdiction: Jurisdiction
    biometrics_policy: BiometricsPolicy | None = Field(
        default=None, description="Default: drop for EU, keep_unusable elsewhere"
    )


class TenantOut(BaseModel):
    id: uuid.UUID
    name: str | None
    jurisdiction: Jurisdiction
    biometrics_policy: BiometricsPolicy


class VendorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(max_length=200)]
    enabled: bool = True


class VendorPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(max_length=200)] | None = None
    enabled: bool | None = None


class SecretOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    retired_at: datetime | None


class NewSecret(SecretOut):
    secret: str = Field(description="whsec_<base64>; shown once, store it now")


class VendorOut(BaseModel):
    id: uuid.UUID
    name: str
    format: str
    enabled: bool
    created_at: datetime
    webhook_path: str = Field(description="Where the vendor posts results (POST)")
    secrets: list[SecretOut]


class VendorCreated(VendorOut):
    secret: NewSecret


class VendorList(BaseModel):
    items: list[VendorOut]


class CandidateOut(BaseModel):
    external_id: str
    name: str | None
    email: str | None
    locale: str


class EvidenceOut(BaseModel):
    competency: str | None
    quote: str
    at_seconds: float | None


class ResultOut(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    vendor_id: uuid.UUID
    vendor_result_id: str
    version: int
    format: str
    candidate_id: uuid.UUID
    candidate: CandidateOut
    job_id: uuid.UUID
    interviewed_at: datetime
    received_at: datetime
    overall_score: float | None
    competencies: dict[str, float]
    counts: dict[str, int]
    evidence: list[EvidenceOut]
    biometrics_policy: BiometricsPolicy
    biometrics: dict[str, float] | None = Field(
        description="Shown to the candidate when stored; to HR only under policy allow"
    )
    dropped_metrics: list[str] = Field(description="Facial/voice metrics withheld from screening")
    report_url: str | None
