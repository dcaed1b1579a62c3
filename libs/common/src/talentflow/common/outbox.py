"""Transactional outbox: write the event with the state change, publish after the commit.

`enqueue` adds a row in the caller's transaction. `OutboxRelay` reads pending rows in batches
(`FOR UPDATE SKIP LOCKED`, so relays of several replicas share the work), publishes them with
acks=all, waits for every acknowledgement, then marks them published in one statement.
Published rows are kept for `retention` so an operator can replay a time range.

Payloads about a person are encrypted with that person's key: erasing the person makes the
row unreadable, and such a row is discarded instead of published.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talentflow.common.crypto import FieldCipher, SubjectErased
from talentflow.common.events.base import Envelope
from talentflow.common.events.codec import KafkaRecord, encode_parts

log = logging.getLogger(__name__)


async def enqueue(
    session: AsyncSession,
    outbox: Table,
    envelope: Envelope,
    *,
    cipher: FieldCipher | None = None,
) -> None:
    """Add `envelope` to the outbox in the caller's transaction (encrypted if about a person)."""
    event = envelope.event
    payload = event.model_dump_json().encode()
    subject_id = event.subject_id() if cipher is not None else None
    if subject_id is not None and cipher is not None:
        payload = await cipher.encrypt(session, subject_id, payload)
    await session.execute(
        insert(outbox).values(
            event_id=envelope.id,
            topic=event.topic,
            key=envelope.key or event.partition_key(),
            event_type=event.event_type,
            source=envelope.source,
            subject=envelope.subject or event.subject(),
            occurred_at=envelope.time,
            subject_id=subject_id,
            payload=payload,
        )
    )


@dataclass
class RelayStats:
    published: int = 0
    discarded: int = 0
    failures: int = 0


class OutboxRelay:
    """Publishes pending outbox rows; run `run()` as a background task, stop with `stop()`."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox: Table,
        producer: AIOKafkaProducer,
        *,
        cipher: FieldCipher | None = None,
        batch_size: int = 500,
        poll_interval: float = 0.1,
        retention: timedelta = timedelta(days=14),
        topic_prefix: str = "",
    ) -> None:
        self._sessionmaker = sessionmaker
        self._outbox = outbox
        self._producer = producer
        self._cipher = cipher
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._retention = retention
        self._topic_prefix = topic_prefix
        self._wake = asyncio.Event()
        self._stopping = False
        self.stats = RelayStats()

    def notify(self) -> None:
        """Wake the relay now (call after committing a transaction that enqueued events)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Publish until stopped; back off on broker or database errors, never give up."""
        backoff = self._poll_interval
        last_purge = datetime.min.replace(tzinfo=UTC)
        while not self._stopping:
            try:
                published = await self.publish_batch()
                backoff = self._poll_interval
                now = datetime.now(UTC)
                if now - last_purge > timedelta(minutes=10):
                    await self.purge(before=now - self._retention)
                    last_purge = now
                if published >= self._batch_size:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.stats.failures += 1
                log.warning("outbox relay failed", extra={"error": repr(exc)})
                backoff = min(backoff * 2, 5.0)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)

    async def publish_batch(self) -> int:
        """Publish one batch of pending rows; return how many were published."""
        table = self._outbox
        async with self._sessionmaker() as session, session.begin():
            rows = (
                await session.execute(
                    select(table)
                    .where(table.c.published_at.is_(None), table.c.discarded_reason.is_(None))
                    .order_by(table.c.id)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            sent_ids: list[int] = []
            discarded_ids: list[int] = []
            futures = []
            for row in rows:
                try:
                    record = await self._record(session, row)
                except SubjectErased:
                    discarded_ids.append(row.id)
                    continue
                futures.append(
                    await self._producer.send(
                        self._topic_prefix + row.topic,
                        value=record.value,
                        key=record.key,
                        headers=record.headers,
                    )
                )
                sent_ids.append(row.id)
            await asyncio.gather(*futures)
            now = datetime.now(UTC)
            if sent_ids:
                await session.execute(
                    update(table).where(table.c.id.in_(sent_ids)).values(published_at=now)
                )
            if discarded_ids:
                await session.execute(
                    update(table)
                    .where(table.c.id.in_(discarded_ids))
                    .values(discarded_reason="subject erased")
                )
        self.stats.published += len(sent_ids)
        self.stats.discarded += len(discarded_ids)
        return len(sent_ids)

    async def _record(self, session: AsyncSession, row: object) -> KafkaRecord:
        payload: bytes = row.payload  # type: ignore[attr-defined]
        subject_id = row.subject_id  # type: ignore[attr-defined]
        if subject_id is not None:
            if self._cipher is None:
                raise RuntimeError("outbox row is encrypted but the relay has no cipher")
            payload = await self._cipher.decrypt(session, subject_id, payload)
        return encode_parts(
            event_id=str(row.event_id),  # type: ignore[attr-defined]
            event_type=row.event_type,  # type: ignore[attr-defined]
            source=row.source,  # type: ignore[attr-defined]
            time=row.occurred_at,  # type: ignore[attr-defined]
            subject=row.subject,  # type: ignore[attr-defined]
            key=row.key,  # type: ignore[attr-defined]
            payload=payload,
        )

    async def purge(self, *, before: datetime) -> int:
        """Delete published or discarded rows older than `before`; return how many."""
        table = self._outbox
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(
                delete(table).where(
                    func.coalesce(table.c.published_at, table.c.created_at) < before,
                    (table.c.published_at.is_not(None)) | (table.c.discarded_reason.is_not(None)),
                )
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def replay(session: AsyncSession, outbox: Table, *, since: datetime, until: datetime) -> int:
    """Mark events that occurred in [since, until) as pending again; the relay republishes them.

    Consumers record processed event ids, so a replay only fills in what a topic lost.
    """
    result = await session.execute(
        update(outbox)
        .where(
            outbox.c.occurred_at >= since,
            outbox.c.occurred_at < until,
            outbox.c.published_at.is_not(None),
        )
        .values(published_at=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def pending_count(session: AsyncSession, outbox: Table) -> int:
    """How many rows wait to be published."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.published_at.is_(None), outbox.c.discarded_reason.is_(None))
        )
        or 0
    )


def decode_plain_payload(payload: bytes) -> dict[str, object]:
    """Decode an unencrypted outbox payload (for tests and operators)."""
    return dict(json.loads(payload))
