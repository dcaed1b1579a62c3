"""Kafka handlers: each event of the three topics analytics reads goes to one service function.

They run in the consumer runner's transaction (talentflow.common.consumer), which also makes a
redelivered event id a no-op; the service's upserts make a re-sent result harmless as well.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.analytics import service
from talentflow.analytics.exceptions import UnexpectedEvent
from talentflow.common.events import (
    EmploymentOutcomeRecorded,
    Envelope,
    InterviewResult,
    ScreeningDecisionMade,
)


async def handle_result(session: AsyncSession, envelope: Envelope) -> None:
    """`interview.results`: copy the result, received or corrected, into the read model."""
    event = envelope.event
    if not isinstance(event, InterviewResult):
        raise UnexpectedEvent(f"not read from interview.results: {envelope.type}")
    await service.record_result(session, event=event, received_at=envelope.time)


async def handle_decision(session: AsyncSession, envelope: Envelope) -> None:
    """`screening.decisions`: copy the decision into the read model."""
    event = envelope.event
    if not isinstance(event, ScreeningDecisionMade):
        raise UnexpectedEvent(f"not read from screening.decisions: {envelope.type}")
    await service.record_decision(session, event=event)


async def handle_outcome(session: AsyncSession, envelope: Envelope) -> None:
    """`hr.outcomes`: copy the employment outcome into the read model."""
    event = envelope.event
    if not isinstance(event, EmploymentOutcomeRecorded):
        raise UnexpectedEvent(f"not read from hr.outcomes: {envelope.type}")
    await service.record_outcome(session, event=event)
