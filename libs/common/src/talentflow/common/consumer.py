"""Run a Kafka consumer whose every message is handled in one database transaction.

For each record: decode it (undecodable -> `<topic>.dlq` with the reason); open a transaction;
skip it if its event id was processed before by this consumer; run the handler; record the id;
commit; then commit the offset. A crash between the two commits redelivers the record, and the
recorded id makes the redelivery a no-op. An expected domain error (`ServiceError`) is logged and
acknowledged; an unexpected error is retried with backoff, and after `max_attempts` the record
goes to the dead-letter topic so one poison message cannot stop a partition.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talentflow.common.errors import ServiceError
from talentflow.common.events.base import Envelope
from talentflow.common.events.codec import UndecodableEvent, decode
from talentflow.common.events.registry import dead_letter_topic
from talentflow.common.logging import correlation_id, error_summary

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]


@dataclass
class ConsumerStats:
    handled: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    domain_errors: int = 0
    retries: int = 0


async def already_processed(
    session: AsyncSession, processed_events: Table, *, consumer: str, event_id: str
) -> bool:
    """Claim `event_id` for `consumer` in this transaction; False when it was new."""
    claimed = await session.execute(
        pg_insert(processed_events)
        .values(consumer=consumer, event_id=event_id)
        .on_conflict_do_nothing()
        .returning(processed_events.c.event_id)
    )
    return claimed.first() is None


class EventConsumer:
    """One consumer group over `topics`, dispatching decoded envelopes to `handler`."""

    def __init__(
        self,
        *,
        name: str,
        topics: Sequence[str],
        group_id: str,
        bootstrap: str,
        sessionmaker: async_sessionmaker[AsyncSession],
        processed_events: Table,
        handler: Handler,
        dlq_producer: AIOKafkaProducer,
        max_attempts: int = 5,
        retry_backoff: float = 0.5,
        session_timeout_ms: int = 10_000,
        heartbeat_interval_ms: int = 1_000,
        after_commit: Callable[[], None] | None = None,
        topic_prefix: str = "",
    ) -> None:
        self.name = name
        self.topics = list(topics)
        self._prefix = topic_prefix
        self._sessionmaker = sessionmaker
        self._processed = processed_events
        self._handler = handler
        self._dlq = dlq_producer
        self._max_attempts = max_attempts
        self._retry_backoff = retry_backoff
        self._after_commit = after_commit
        self.stats = ConsumerStats()
        self.consumer = AIOKafkaConsumer(
            *(topic_prefix + topic for topic in self.topics),
            bootstrap_servers=bootstrap,
            group_id=group_id,
            client_id=name,
            enable_auto_commit=False,
            # Design for Kafka, but never rely on "latest": start at the earliest record and
            # let processed-event ids absorb what was seen before.
            auto_offset_reset="earliest",
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=heartbeat_interval_ms,
            max_poll_records=100,
        )

    async def start(self) -> None:
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()

    async def run(self) -> None:
        """Consume until cancelled."""
        while True:
            batches = await self.consumer.getmany(timeout_ms=500)
            for tp, records in batches.items():
                for record in records:
                    await self._process(tp, record)

    async def _process(self, tp: TopicPartition, record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            envelope = decode(self._logical(record.topic), record.key, record.value, record.headers)
        except UndecodableEvent as exc:
            await self._dead_letter(record, f"undecodable: {exc}")
            await self._commit_offset(tp, record.offset)
            return
        token = correlation_id.set(envelope.id)
        try:
            await self._handle_with_retries(record, envelope)
        finally:
            correlation_id.reset(token)
        await self._commit_offset(tp, record.offset)
        if self._after_commit is not None:
            self._after_commit()

    async def _handle_with_retries(
        self, record: ConsumerRecord[bytes, bytes], envelope: Envelope
    ) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                await self.handle(envelope)
                return
            except asyncio.CancelledError:
                raise
            except ServiceError as exc:
                self.stats.domain_errors += 1
                log.warning(
                    "event rejected by the domain",
                    extra={"event_type": envelope.type, "error": exc.message},
                )
                await self._mark_processed(envelope)
                return
            except Exception as exc:
                if attempt >= self._max_attempts:
                    log.exception("event failed; sent to the dead-letter topic")
                    await self._dead_letter(record, f"failed {attempt} times: {exc!r}")
                    return
                self.stats.retries += 1
                log.warning(
                    "event failed; will retry",
                    extra={
                        "event_type": envelope.type,
                        "attempt": attempt,
                        "error": error_summary(exc),
                    },
                )
                await asyncio.sleep(self._retry_backoff * 2 ** (attempt - 1))

    async def handle(self, envelope: Envelope) -> bool:
        """Handle one envelope in its own transaction; False if it was a duplicate."""
        async with self._sessionmaker() as session, session.begin():
            if await already_processed(
                session, self._processed, consumer=self.name, event_id=envelope.id
            ):
                self.stats.duplicates += 1
                return False
            await self._handler(session, envelope)
        self.stats.handled += 1
        return True

    async def _mark_processed(self, envelope: Envelope) -> None:
        async with self._sessionmaker() as session, session.begin():
            await already_processed(
                session, self._processed, consumer=self.name, event_id=envelope.id
            )

    async def is_processed(self, event_id: str) -> bool:
        async with self._sessionmaker() as session:
            found = await session.scalar(
                select(self._processed.c.event_id).where(
                    self._processed.c.consumer == self.name,
                    self._processed.c.event_id == event_id,
                )
            )
        return found is not None

    def _logical(self, topic: str) -> str:
        return topic[len(self._prefix) :] if topic.startswith(self._prefix) else topic

    async def _commit_offset(self, tp: TopicPartition, offset: int) -> None:
        await self.consumer.commit({tp: offset + 1})

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        self.stats.dead_lettered += 1
        headers = [
            *(record.headers or ()),
            ("dlq_reason", reason[:1000].encode()),
            ("dlq_consumer", self.name.encode()),
            ("dlq_source", f"{record.topic}/{record.partition}/{record.offset}".encode()),
        ]
        await self._dlq.send_and_wait(
            self._prefix + dead_letter_topic(self._logical(record.topic)),
            value=record.value,
            key=record.key,
            headers=headers,
        )
        log.warning(
            "record dead-lettered",
            extra={"topic": record.topic, "partition": record.partition, "offset": record.offset},
        )
