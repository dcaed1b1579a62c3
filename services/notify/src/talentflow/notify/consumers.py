"""Kafka handlers: each runs inside the consumer runner's transaction for one event."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.consumer import Handler
from talentflow.common.crypto import FieldCipher
from talentflow.common.events import Envelope, ScreeningDecisionMade
from talentflow.notify import service
from talentflow.notify.mailer import Mailer

log = logging.getLogger(__name__)


def decision_handler(*, cipher: FieldCipher, mailer: Mailer) -> Handler:
    """The handler of `screening.decisions`: notify the candidate, open HR review tasks."""

    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.event
        if not isinstance(event, ScreeningDecisionMade):
            log.info("event type ignored", extra={"event_type": envelope.type})
            return
        await service.notify_decision(session, event=event, cipher=cipher, mailer=mailer)

    return handle
