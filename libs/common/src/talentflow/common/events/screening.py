"""Events published by screening on `screening.decisions`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from talentflow.common.events.base import Event
from talentflow.common.events.ingest import CandidateContact

SCREENING_DECISIONS = "screening.decisions"

Outcome = Literal["advance", "reject", "review"]


class ConditionResult(BaseModel):
    """One condition of a rule, the value it saw, and whether it held."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    metric: str
    operator: str
    threshold: float
    actual: float | None
    held: bool


class ScreeningDecisionMade(Event):
    """Screening decided advance, reject or human review for one interview result."""

    topic: ClassVar[str] = SCREENING_DECISIONS
    event_type: Literal["talentflow.screening.ScreeningDecisionMade.v1"] = (
        "talentflow.screening.ScreeningDecisionMade.v1"
    )

    decision_id: uuid.UUID
    result_id: uuid.UUID
    tenant_id: uuid.UUID
    candidate_id: uuid.UUID
    candidate: CandidateContact
    job_id: uuid.UUID
    job_title: str
    # The job's requirement profile (competency -> minimum 0-100) the result was read against.
    requirements: dict[str, float] = Field(default_factory=dict)
    outcome: Outcome
    rule_set_id: uuid.UUID | None = None
    rule_version: int | None = None
    rule_expression: str | None = None
    conditions: list[ConditionResult] = Field(default_factory=list)
    explanation: str
    decided_at: datetime

    def partition_key(self) -> str:
        return str(self.candidate_id)

    def subject(self) -> str | None:
        return f"decisions/{self.decision_id}"

    def subject_id(self) -> uuid.UUID | None:
        return self.candidate_id
