"""Events published by the self-service gateway on `hr.outcomes` and `privacy.requests`."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from talentflow.common.events.base import Event

HR_OUTCOMES = "hr.outcomes"
PRIVACY_REQUESTS = "privacy.requests"


class EmploymentOutcomeRecorded(Event):
    """An HR system reported what became of a hired candidate (performance, retention)."""

    topic: ClassVar[str] = HR_OUTCOMES
    event_type: Literal["talentflow.selfservice.EmploymentOutcomeRecorded.v1"] = (
        "talentflow.selfservice.EmploymentOutcomeRecorded.v1"
    )

    outcome_id: uuid.UUID
    tenant_id: uuid.UUID
    candidate_id: uuid.UUID
    job_id: uuid.UUID | None = None
    hired: bool
    performance_rating: float | None = Field(default=None, ge=0, le=100)
    still_employed: bool | None = None
    measured_on: date
    recorded_at: datetime

    def partition_key(self) -> str:
        return str(self.candidate_id)


class ErasureRequested(Event):
    """A person asked to be forgotten: every service deletes that subject's key and data."""

    topic: ClassVar[str] = PRIVACY_REQUESTS
    event_type: Literal["talentflow.selfservice.ErasureRequested.v1"] = (
        "talentflow.selfservice.ErasureRequested.v1"
    )

    request_id: uuid.UUID
    tenant_id: uuid.UUID
    person_id: uuid.UUID
    requested_at: datetime

    def partition_key(self) -> str:
        return str(self.person_id)
