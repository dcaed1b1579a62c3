"""API models of the self-service gateway (what frontends read)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from talentflow.common.pagination import Page
from talentflow.selfservice.models import PersonKind

Outcome = Literal["advance", "reject", "review"]
ReportStatus = Literal["complete", "awaiting_decision", "awaiting_result", "historical"]
Origin = Literal["webhook", "import"]


class Schema(BaseModel):
    model_config = ConfigDict(frozen=True)


class Profile(Schema):
    """The signed-in person."""

    id: uuid.UUID
    kind: PersonKind
    name: str | None = Field(description="null when unknown or erased")
    email: str | None = Field(description="null when unknown or erased")
    locale: str


class JobRef(Schema):
    id: uuid.UUID
    title: str | None = Field(description="null until screening's decision has arrived")


class CompetencyComparison(Schema):
    """One competency's score against the job's required minimum (both 0-100)."""

    competency: str
    score: float | None = Field(description="null when the interview did not score it")
    required: float | None = Field(description="the job's minimum; null when not required")
    gap: float | None = Field(
        description="points missing to reach the minimum (0 when met); null when unknown"
    )
    met: bool | None = Field(description="null when the job does not require this competency")


class EvidenceQuote(Schema):
    competency: str | None
    quote: str
    at_seconds: float | None


class ConditionOutcome(Schema):
    """One condition of the screening rule, the value it saw, and whether it held."""

    metric: str
    operator: str
    threshold: float
    actual: float | None
    held: bool


class DecisionView(Schema):
    decision_id: uuid.UUID
    outcome: Outcome
    explanation: str
    decided_at: datetime
    conditions: list[ConditionOutcome]


class Advice(Schema):
    """What to do about one unmet requirement."""

    competency: str
    score: float | None
    required: float
    gap: float | None
    title: str
    actions: list[str] = Field(description="concrete next steps, most useful first")


class InterviewReport(Schema):
    """A person's interview report: scores against the job's needs, decision, advice."""

    result_id: uuid.UUID
    status: ReportStatus = Field(
        description="complete; awaiting_decision (no screening decision yet); "
        "awaiting_result (the decision arrived before the interview result); historical (a "
        "past interview imported from the tenant's earlier system: never screened here, so "
        "no decision will come)"
    )
    job: JobRef
    interviewed_at: datetime | None
    overall_score: float | None
    competencies: list[CompetencyComparison]
    counts: dict[str, int]
    evidence: list[EvidenceQuote]
    decision: DecisionView | None = Field(
        description="the result's latest screening decision (a decision made again after a "
        "correction replaces the earlier one and says so in its explanation)"
    )
    advice: list[Advice]
    report_url: str | None
    version: int | None = Field(
        description="the result's version: 1, higher after the vendor corrected it (the "
        "report always shows the latest); null until the result has arrived"
    )
    origin: Origin | None = Field(
        description="webhook (a live interview) or import (a past one); null until the "
        "result has arrived"
    )


class CandidateSummary(Schema):
    id: uuid.UUID
    name: str | None = Field(description="null when unknown or erased")
    latest_outcome: Outcome | None
    latest_interviewed_at: datetime | None


class CandidatePage(Page[CandidateSummary]):
    """One page of the tenant's candidates."""

    model_config = ConfigDict(frozen=True)
