"""API models of the screening HTTP API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from talentflow.common.events import ConditionResult
from talentflow.common.pagination import Page
from talentflow.common.text import OneLineText, StorableText
from talentflow.screening.outcomes import Outcome
from talentflow.screening.rules import MAX_LENGTH

OnFail = Literal["reject", "review"]
MetricName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$", to_lower=True)
]
Score = Annotated[float, Field(ge=0, le=100)]
Expression = Annotated[str, StringConstraints(min_length=1, max_length=MAX_LENGTH), StorableText]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), OneLineText
]


class RuleIn(BaseModel):
    expression: Expression = Field(examples=["communication >= 85 and customer_cases >= 2"])
    on_fail: OnFail = Field(
        default="review",
        description="What a failing candidate gets; 'reject' becomes 'review' when the job's "
        "auto_reject_enabled is false (GDPR Art. 22).",
    )


class JobCreate(BaseModel):
    title: Title
    requirements: dict[MetricName, Score] = Field(
        default_factory=dict, description="competency -> minimum score 0-100"
    )
    auto_reject_enabled: bool = True
    rule: RuleIn | None = Field(default=None, description="The first rule set (version 1).")


class RuleSetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    job_id: uuid.UUID
    version: int
    expression: str
    on_fail: OnFail
    active: bool
    created_by: uuid.UUID | None
    created_at: datetime


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    title: str
    requirements: dict[str, float]
    auto_reject_enabled: bool
    created_at: datetime
    active_rule: RuleSetOut | None = Field(description="The rule set decisions use now, if any.")


class JobPage(Page[JobOut]):
    pass


class RuleSetPage(Page[RuleSetOut]):
    pass


class PreviewIn(BaseModel):
    expression: Expression
    on_fail: OnFail = "review"
    competencies: dict[MetricName, Score] = Field(default_factory=dict)
    counts: dict[MetricName, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    overall: Score | None = None


class PreviewOut(BaseModel):
    holds: bool
    outcome: Outcome = Field(description="What the decision would be for this job.")
    conditions: list[ConditionResult]
    explanation: str


class DecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    result_id: uuid.UUID
    version: int = Field(
        description="The decision's version for its result: 1, then one more each time a "
        "corrected result changed the outcome."
    )
    result_version: int = Field(description="The version of the interview result it evaluated.")
    supersedes_id: uuid.UUID | None = Field(
        description="The decision this one replaces (a correction changed the outcome)."
    )
    candidate_id: uuid.UUID
    job_id: uuid.UUID
    outcome: Outcome
    rule_set_id: uuid.UUID | None
    rule_version: int | None
    conditions: list[ConditionResult]
    explanation: str
    decided_at: datetime


class DecisionPage(Page[DecisionOut]):
    pass
