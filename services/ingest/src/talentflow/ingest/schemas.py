"""API models; the `talentflow.v1` result format lives in `formats.v1` (re-exported here)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from talentflow.ingest.formats.spec import Mapping
from talentflow.ingest.formats.v1 import InterviewResultV1 as InterviewResultV1  # re-exported
from talentflow.ingest.formats.v1 import Text
from talentflow.ingest.models import BiometricsPolicy, Jurisdiction, ScoreScale, VendorFormat

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


SCALE_HELP = "Scores' scale where the format does not fix it; converted linearly onto 0-100"
MAPPING_HELP = "The declarative mapping: required for format mapping.v1, refused for others"


class VendorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(max_length=200)]
    enabled: bool = True
    format: VendorFormat = VendorFormat.TALENTFLOW_V1
    score_scale: ScoreScale = Field(default=ScoreScale.PERCENT, description=SCALE_HELP)
    mapping: Mapping | None = Field(default=None, description=MAPPING_HELP)


class VendorPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(max_length=200)] | None = None
    enabled: bool | None = None
    format: VendorFormat | None = Field(
        default=None, description="Switching away from mapping.v1 removes the mapping"
    )
    score_scale: ScoreScale | None = Field(default=None, description=SCALE_HELP)
    mapping: Mapping | None = Field(default=None, description=MAPPING_HELP)


class SecretOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    retired_at: datetime | None


class NewSecret(SecretOut):
    secret: str = Field(description="whsec_<base64>; shown once, store it now")


class VendorOut(BaseModel):
    id: uuid.UUID
    name: str
    format: VendorFormat
    score_scale: ScoreScale
    mapping: Mapping | None
    mapping_version: int = Field(description="Goes up with every change of the mapping")
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
