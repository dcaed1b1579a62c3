"""Events published by ingest on `interview.results`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from talentflow.common.events.base import Event

INTERVIEW_RESULTS = "interview.results"


class CandidateContact(BaseModel):
    """Who the candidate is and how to reach them (personal data: encrypted at rest)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    external_id: str
    name: str | None = None
    email: str | None = None
    locale: str = "en"


class EvidenceQuote(BaseModel):
    """A behavioural evidence quote from the interview."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    competency: str | None = None
    quote: str
    at_seconds: float | None = None


Origin = Literal["webhook", "import"]


class InterviewResult(Event):
    """The normalized result every interview-result event carries (not published by itself)."""

    topic: ClassVar[str] = INTERVIEW_RESULTS

    result_id: uuid.UUID
    version: int = 1
    tenant_id: uuid.UUID
    vendor_id: uuid.UUID
    vendor_result_id: str
    candidate_id: uuid.UUID
    candidate: CandidateContact
    job_id: uuid.UUID
    interviewed_at: datetime
    overall_score: float | None = Field(default=None, ge=0, le=100)
    competencies: dict[str, float] = Field(default_factory=dict)
    counts: dict[str, int] = Field(default_factory=dict)
    evidence: list[EvidenceQuote] = Field(default_factory=list)
    biometrics: dict[str, float] = Field(default_factory=dict)
    dropped_metrics: list[str] = Field(default_factory=list)
    report_url: str | None = None
    # "import": a historical result brought in by a bulk import. Screening does not decide on
    # it and nobody is notified; read models and analytics take it like any other.
    origin: Origin = "webhook"

    def partition_key(self) -> str:
        return str(self.candidate_id)

    def subject(self) -> str | None:
        return f"results/{self.result_id}"

    def subject_id(self) -> uuid.UUID | None:
        return self.candidate_id


class InterviewResultReceived(InterviewResult):
    """A vendor's interview result was verified, normalized and stored (its first version)."""

    event_type: Literal["talentflow.ingest.InterviewResultReceived.v1"] = (
        "talentflow.ingest.InterviewResultReceived.v1"
    )


class InterviewResultCorrected(InterviewResult):
    """A vendor sent new content for a result it sent before: `version` supersedes the rest."""

    event_type: Literal["talentflow.ingest.InterviewResultCorrected.v1"] = (
        "talentflow.ingest.InterviewResultCorrected.v1"
    )

    previous_version: int
