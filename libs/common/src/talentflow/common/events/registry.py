"""Every topic, the event types it carries, and one decoding TypeAdapter per topic."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from talentflow.common.events.base import Event
from talentflow.common.events.ingest import (
    INTERVIEW_RESULTS,
    InterviewResultCorrected,
    InterviewResultReceived,
)
from talentflow.common.events.notify import NOTIFICATIONS, NotificationSent
from talentflow.common.events.screening import SCREENING_DECISIONS, ScreeningDecisionMade
from talentflow.common.events.selfservice import (
    HR_OUTCOMES,
    PRIVACY_REQUESTS,
    EmploymentOutcomeRecorded,
    ErasureRequested,
)

# A topic with a single type still decodes through a union, so adding a type changes one line.
InterviewResultsEvent = Annotated[
    InterviewResultReceived | InterviewResultCorrected, Field(discriminator="event_type")
]
ScreeningDecisionsEvent = Annotated[ScreeningDecisionMade, Field(discriminator="event_type")]
NotificationsEvent = Annotated[NotificationSent, Field(discriminator="event_type")]
HrOutcomesEvent = Annotated[EmploymentOutcomeRecorded, Field(discriminator="event_type")]
PrivacyRequestsEvent = Annotated[ErasureRequested, Field(discriminator="event_type")]

TOPIC_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    INTERVIEW_RESULTS: TypeAdapter(InterviewResultsEvent),
    SCREENING_DECISIONS: TypeAdapter(ScreeningDecisionsEvent),
    NOTIFICATIONS: TypeAdapter(NotificationsEvent),
    HR_OUTCOMES: TypeAdapter(HrOutcomesEvent),
    PRIVACY_REQUESTS: TypeAdapter(PrivacyRequestsEvent),
}

EVENT_TYPES: dict[str, type[Event]] = {
    cls.model_fields["event_type"].default: cls
    for cls in (
        InterviewResultReceived,
        InterviewResultCorrected,
        ScreeningDecisionMade,
        NotificationSent,
        EmploymentOutcomeRecorded,
        ErasureRequested,
    )
}

ALL_TOPICS: tuple[str, ...] = tuple(TOPIC_ADAPTERS)


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"
