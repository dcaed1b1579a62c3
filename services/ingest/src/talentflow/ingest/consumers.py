"""Kafka handlers: ingest reads `privacy.requests`, a person's erasure.

The handler runs in the consumer runner's transaction (talentflow.common.consumer), which also
makes a redelivered event id a no-op; deleting a key that is already gone is harmless as well.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.consumer import Handler
from talentflow.common.crypto import FieldCipher
from talentflow.common.events import Envelope, ErasureRequested
from talentflow.ingest import service
from talentflow.ingest.exceptions import UnexpectedEvent


def privacy_requests(cipher: FieldCipher) -> Handler:
    """The handler of `privacy.requests`, erasing with `cipher` (the process's own, so that
    its cache forgets the key at once)."""

    async def handle(session: AsyncSession, envelope: Envelope) -> None:
        event = envelope.event
        if not isinstance(event, ErasureRequested):
            raise UnexpectedEvent(f"not read from privacy.requests: {envelope.type}")
        await service.erase_person(session, cipher=cipher, request=event)

    return handle
