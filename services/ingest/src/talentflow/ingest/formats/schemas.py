"""API models of the dry-runs: a sample payload mapped, nothing stored."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from talentflow.common.openapi import ProblemFieldError
from talentflow.ingest.formats.spec import Mapping
from talentflow.ingest.models import BiometricsPolicy, ScoreScale, VendorFormat
from talentflow.ingest.schemas import CandidateOut, EvidenceOut


class VendorDryRunIn(BaseModel):
    """A sample to map: `sample` (JSON) or `csv_sample` (CSV), exactly one of them."""

    model_config = ConfigDict(extra="forbid")

    sample: Any = Field(default=None, description="A payload as the vendor would send it (JSON)")
    csv_sample: str | None = Field(
        default=None,
        max_length=1_048_576,
        description="Instead of `sample`: a CSV header line and a record, as in an import "
        "file. The first record is mapped as an import would map it (the talentflow.v1 "
        "columns, or for a mapping vendor its own); errors name the column.",
    )


class DryRunIn(VendorDryRunIn):
    format: VendorFormat
    score_scale: ScoreScale = ScoreScale.PERCENT
    mapping: Mapping | None = Field(default=None, description="Required for mapping.v1")


class NormalizedOut(BaseModel):
    """What ingest would store and publish (nothing is stored by a dry-run)."""

    vendor_result_id: str
    candidate_id: uuid.UUID
    candidate: CandidateOut
    job_id: uuid.UUID
    interviewed_at: datetime
    overall_score: float | None
    competencies: dict[str, float]
    counts: dict[str, int]
    evidence: list[EvidenceOut]
    biometrics_policy: BiometricsPolicy
    biometrics: dict[str, float] | None = Field(description="Stored, encrypted (null: dropped)")
    published_biometrics: dict[str, float] = Field(description="Published for screening")
    report_url: str | None


class DryRunSucceeded(BaseModel):
    ok: Literal[True] = True
    result: NormalizedOut
    dropped_metrics: list[str] = Field(description="Facial/voice metrics withheld from screening")


class DryRunFailed(BaseModel):
    ok: Literal[False] = False
    errors: list[ProblemFieldError] = Field(
        description="Every field at fault, named by its path in the sample"
    )


DryRunOut = DryRunSucceeded | DryRunFailed
