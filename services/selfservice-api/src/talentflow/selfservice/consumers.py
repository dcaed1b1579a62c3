"""Kafka handlers: each runs in the consumer's transaction and calls one service function."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.consumer import Handler
from talentflow.common.crypto import FieldCipher
from talentflow.common.events import Envelope, InterviewResult, ScreeningDecisionMade
from talentflow.selfservice import service
from talentflow.selfservice.exceptions import UnexpectedEvent


def result_handler(cipher: FieldCipher) -> Handler:
    """`interview.results`: store the result (received, corrected or imported) and its candidate."""

    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.event
        if not isinstance(event, InterviewResult):
            raise UnexpectedEvent(f"results consumer got {envelope.type}")
        await service.record_result(session, cipher=cipher, event=event)

    return handle


def decision_handler(cipher: FieldCipher) -> Handler:
    """`screening.decisions`: store the decision (its result may come later)."""

    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.event
        if not isinstance(event, ScreeningDecisionMade):
            raise UnexpectedEvent(f"decisions consumer got {envelope.type}")
        await service.record_decision(session, cipher=cipher, event=event)

    return handle
