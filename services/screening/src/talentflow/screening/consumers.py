"""Kafka handlers: each runs in the consumer's transaction (see talentflow.common.consumer)."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.consumer import Handler
from talentflow.common.crypto import FieldCipher
from talentflow.common.events import Envelope, InterviewResult
from talentflow.screening import decisions

log = logging.getLogger(__name__)


def result_handler(cipher: FieldCipher) -> Handler:
    """The `interview.results` handler: decide each result, received or corrected (historical
    ones are acknowledged undecided; ResultForUnknownJob is logged and acknowledged)."""

    async def handle_result(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.event
        if not isinstance(event, InterviewResult):
            log.info("event type ignored", extra={"event_type": envelope.type})
            return
        await decisions.decide(session, result=event, cipher=cipher)

    return handle_result
