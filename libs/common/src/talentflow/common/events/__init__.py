"""Typed event payloads (one module per producing service), envelopes, and the Kafka codec."""

from talentflow.common.events.base import Envelope, Event
from talentflow.common.events.ingest import (
    INTERVIEW_RESULTS,
    CandidateContact,
    EvidenceQuote,
    InterviewResult,
    InterviewResultCorrected,
    InterviewResultReceived,
)
from talentflow.common.events.notify import NOTIFICATIONS, NotificationSent
from talentflow.common.events.registry import (
    ALL_TOPICS,
    EVENT_TYPES,
    TOPIC_ADAPTERS,
    dead_letter_topic,
)
from talentflow.common.events.screening import (
    SCREENING_DECISIONS,
    ConditionResult,
    ScreeningDecisionMade,
)
from talentflow.common.events.selfservice import (
    HR_OUTCOMES,
    PRIVACY_REQUESTS,
    EmploymentOutcomeRecorded,
    ErasureRequested,
)

__all__ = [
    "ALL_TOPICS",
    "EVENT_TYPES",
    "HR_OUTCOMES",
    "INTERVIEW_RESULTS",
    "NOTIFICATIONS",
    "PRIVACY_REQUESTS",
    "SCREENING_DECISIONS",
    "TOPIC_ADAPTERS",
    "CandidateContact",
    "ConditionResult",
    "EmploymentOutcomeRecorded",
    "Envelope",
    "ErasureRequested",
    "Event",
    "EvidenceQuote",
    "InterviewResult",
    "InterviewResultCorrected",
    "InterviewResultReceived",
    "NotificationSent",
    "ScreeningDecisionMade",
    "dead_letter_topic",
]
