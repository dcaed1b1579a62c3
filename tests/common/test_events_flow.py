"""Outbox relay and consumer runner against a real PostgreSQL and a real Kafka-protocol broker."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from talentflow.common.consumer import EventConsumer
from talentflow.common.crypto import FieldCipher, generate_master_key, load_master_key
from talentflow.common.db import create_sessionmaker, make_metadata, transaction
from talentflow.common.errors import ServiceError
from talentflow.common.events import (
    INTERVIEW_RESULTS,
    CandidateContact,
    Envelope,
    InterviewResultReceived,
    dead_letter_topic,
)
from talentflow.common.events.codec import decode, encode
from talentflow.common.kafka import ensure_topics
from talentflow.common.outbox import OutboxRelay, enqueue, pending_count, replay
from talentflow.common.tables import PlatformTables, platform_tables
from talentflow.devstack.testing import engine_with_tables, started_producer, unique_name

SCHEMA = "events_flow_test"
METADATA = make_metadata(SCHEMA)
TABLES: PlatformTables = platform_tables(METADATA)


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_with_tables(database_url, METADATA) as engine:
        yield engine


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture(scope="module")
def cipher() -> FieldCipher:
    return FieldCipher(load_master_key(generate_master_key()), TABLES.subject_keys)


@pytest.fixture
def prefix() -> str:
    """Every test gets its own topics (the development broker dislikes reused names)."""
    return unique_name("t") + "."


def result_event(
    candidate: uuid.UUID | None = None, **overrides: object
) -> InterviewResultReceived:
    values: dict[str, object] = {
        "result_id": uuid.uuid4(),
        "tenant_id": uuid.uuid4(),
        "vendor_id": uuid.uuid4(),
        "vendor_result_id": "r-1",
        "candidate_id": candidate or uuid.uuid4(),
        "candidate": CandidateContact(
            external_id="c-1", name="Ada Lovelace", email="ada@example.com"
        ),
        "job_id": uuid.uuid4(),
        "interviewed_at": datetime.now(UTC),
        "competencies": {"communication": 91.0},
        "counts": {"customer_cases": 3},
    }
    values.update(overrides)
    return InterviewResultReceived.model_validate(values)


async def read_topic(bootstrap: str, topic: str, count: int, wait_s: float = 20) -> list:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list = []
    try:
        deadline = asyncio.get_running_loop().time() + wait_s
        while len(records) < count and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for recs in batch.values():
                records.extend(recs)
    finally:
        await consumer.stop()
    return records


class TestOutboxRelay:
    async def test_publishes_committed_events_as_cloudevents(
        self, sessionmaker, producer, kafka_bootstrap, prefix, cipher
    ) -> None:
        await ensure_topics(kafka_bootstrap, [prefix + INTERVIEW_RESULTS], partitions=2)
        events = [result_event() for _ in range(3)]
        async with transaction(sessionmaker) as session:
            for event in events:
                await enqueue(
                    session, TABLES.outbox, Envelope(event=event, source="/test"), cipher=cipher
                )
        relay = OutboxRelay(
            sessionmaker, TABLES.outbox, producer, cipher=cipher, topic_prefix=prefix
        )
        assert await relay.publish_batch() >= 3

        records = await read_topic(kafka_bootstrap, prefix + INTERVIEW_RESULTS, 3)
        decoded = [decode(INTERVIEW_RESULTS, r.key, r.value, r.headers) for r in records]
        by_id = {d.event.result_id: d.event for d in decoded}
        assert [by_id[e.result_id] for e in events] == events
        for record, envelope in zip(records, decoded, strict=True):
            headers = dict(record.headers)
            assert headers["ce_specversion"] == b"1.0"
            assert headers["ce_source"] == b"/test"
            assert record.key == str(envelope.event.candidate_id).encode()

    async def test_a_relay_waits_while_another_relays_batch_is_in_flight(
        self, sessionmaker, producer, kafka_bootstrap, prefix, cipher
    ) -> None:
        """Relays of one outbox take turns: while another holds the outbox's turn (mid-batch,
        its records not yet acknowledged), a relay publishes nothing, so no newer event can
        overtake an older one."""
        await ensure_topics(kafka_bootstrap, [prefix + INTERVIEW_RESULTS], partitions=1)
        async with transaction(sessionmaker) as session:
            for _ in range(3):
                event = Envelope(event=result_event(), source="/test")
                await enqueue(session, TABLES.outbox, event, cipher=cipher)
        relay = OutboxRelay(
            sessionmaker, TABLES.outbox, producer, cipher=cipher, topic_prefix=prefix
        )
        async with sessionmaker() as other, other.begin():
            await other.execute(
                select(func.pg_advisory_xact_lock(*relay.turn_key))  # the other relay's turn
            )

            assert await relay.publish_batch() == 0
            async with sessionmaker() as session:
                assert await pending_count(session, TABLES.outbox) >= 3

        assert await relay.publish_batch() >= 3

    async def test_relays_of_several_replicas_keep_each_candidates_order(
        self, sessionmaker, kafka, kafka_bootstrap, prefix, cipher
    ) -> None:
        """Three relays (each with a producer of its own, as in three replicas) publishing
        while events are written: each candidate's events reach the topic in the order they
        were written."""
        topic = prefix + INTERVIEW_RESULTS
        await ensure_topics(kafka_bootstrap, [topic], partitions=2)
        candidates = [uuid.uuid4() for _ in range(4)]
        async with contextlib.AsyncExitStack() as stack:
            relays = []
            for _ in range(3):
                own = await stack.enter_async_context(started_producer(kafka))
                relays.append(
                    OutboxRelay(
                        sessionmaker,
                        TABLES.outbox,
                        own,
                        cipher=cipher,
                        topic_prefix=prefix,
                        batch_size=7,
                        poll_interval=0.005,
                        gather_s=0,
                    )
                )
            tasks = [asyncio.create_task(relay.run()) for relay in relays]
            sequence = 0
            for _ in range(40):
                async with transaction(sessionmaker) as session:
                    for _ in range(6):
                        sequence += 1
                        event = result_event(
                            candidates[sequence % 4], vendor_result_id=f"seq-{sequence:04d}"
                        )
                        await enqueue(
                            session,
                            TABLES.outbox,
                            Envelope(event=event, source="/t"),
                            cipher=cipher,
                        )
                for relay in relays:
                    relay.notify()
                await asyncio.sleep(0)
            records = await read_topic(kafka_bootstrap, topic, sequence)
            for relay in relays:
                relay.stop()
            await asyncio.gather(*tasks)

        assert len(records) == sequence
        by_candidate: dict[bytes, list[str]] = {}
        for record in records:
            event = decode(INTERVIEW_RESULTS, record.key, record.value, record.headers).event
            by_candidate.setdefault(record.key, []).append(event.vendor_result_id)
        assert len(by_candidate) == 4
        for seen in by_candidate.values():
            assert seen == sorted(seen)

    async def test_rows_about_a_person_are_encrypted_at_rest(self, sessionmaker, cipher) -> None:
        event = result_event()
        async with transaction(sessionmaker) as session:
            await enqueue(session, TABLES.outbox, Envelope(event=event, source="/t"), cipher=cipher)
        async with sessionmaker() as session:
            payload = await session.scalar(
                select(TABLES.outbox.c.payload).where(
                    TABLES.outbox.c.subject_id == event.candidate_id
                )
            )
        assert payload is not None
        assert b"ada@example.com" not in payload and b"Ada Lovelace" not in payload

    @pytest.mark.parametrize("seen_again", [False, True], ids=["erased", "erased-then-new-key"])
    async def test_erased_subject_is_discarded_not_published(
        self, sessionmaker, producer, cipher, prefix, kafka_bootstrap, seen_again: bool
    ) -> None:
        """Also when the person came back after the erasure (a new key): the row was sealed
        with the erased key, and it must not hold up the outbox."""
        await ensure_topics(kafka_bootstrap, [prefix + INTERVIEW_RESULTS], partitions=1)
        event = result_event()
        async with transaction(sessionmaker) as session:
            await enqueue(session, TABLES.outbox, Envelope(event=event, source="/t"), cipher=cipher)
            await cipher.shred(session, event.candidate_id)
            if seen_again:
                await cipher.encrypt_many(session, [(event.candidate_id, "new data")])
        relay = OutboxRelay(
            sessionmaker, TABLES.outbox, producer, cipher=cipher, topic_prefix=prefix
        )
        while await relay.publish_batch():
            pass
        async with sessionmaker() as session:
            reason = await session.scalar(
                select(TABLES.outbox.c.discarded_reason).where(
                    TABLES.outbox.c.subject_id == event.candidate_id
                )
            )
        assert reason == "subject erased"

    async def test_erasure_in_another_process_stops_a_relay_that_has_the_key_cached(
        self, sessionmaker, producer, prefix, kafka_bootstrap
    ) -> None:
        """The relay runs in its own process with its own key cache: it has just published
        one event of the person, so their key is cached there. The erasure is committed by
        another process (the privacy consumer); the relay's next batch discards their second
        event instead of publishing it from the cache."""
        await ensure_topics(kafka_bootstrap, [prefix + INTERVIEW_RESULTS], partitions=1)
        master_key = load_master_key(generate_master_key())
        relay_cipher = FieldCipher(master_key, TABLES.subject_keys)
        service_cipher = FieldCipher(master_key, TABLES.subject_keys)
        person = uuid.uuid4()
        first = Envelope(event=result_event(person), source="/t")
        second = Envelope(event=result_event(person), source="/t")
        relay = OutboxRelay(
            sessionmaker, TABLES.outbox, producer, cipher=relay_cipher, topic_prefix=prefix
        )
        async with transaction(sessionmaker) as session:
            await enqueue(session, TABLES.outbox, first, cipher=service_cipher)
        assert await relay.publish_batch() == 1

        async with transaction(sessionmaker) as session:
            await enqueue(session, TABLES.outbox, second, cipher=service_cipher)
        async with transaction(sessionmaker) as session:
            assert await service_cipher.shred(session, person)
        while await relay.publish_batch():
            pass

        async with sessionmaker() as session:
            rows = (
                await session.execute(
                    select(TABLES.outbox.c.event_id, TABLES.outbox.c.discarded_reason).where(
                        TABLES.outbox.c.subject_id == person
                    )
                )
            ).all()
        reasons = {str(event_id): reason for event_id, reason in rows}
        assert reasons == {first.id: None, second.id: "subject erased"}

    async def test_replay_marks_a_time_range_pending_again(
        self, sessionmaker, producer, prefix, kafka_bootstrap
    ) -> None:
        await ensure_topics(kafka_bootstrap, [prefix + INTERVIEW_RESULTS], partitions=1)
        relay = OutboxRelay(sessionmaker, TABLES.outbox, producer, topic_prefix=prefix)
        while await relay.publish_batch():
            pass
        old = datetime(2020, 1, 1, tzinfo=UTC)
        async with transaction(sessionmaker) as session:
            await enqueue(
                session, TABLES.outbox, Envelope(event=result_event(), source="/t", time=old)
            )
        assert await relay.publish_batch() == 1
        async with transaction(sessionmaker) as session:
            assert await pending_count(session, TABLES.outbox) == 0
            replayed = await replay(
                session, TABLES.outbox, since=old, until=old + timedelta(days=1)
            )
        assert replayed == 1
        assert await relay.publish_batch() == 1
        records = await read_topic(kafka_bootstrap, prefix + INTERVIEW_RESULTS, 2)
        assert len(records) == 2


class TestEventConsumer:
    async def _consumer(
        self, *, sessionmaker, kafka_bootstrap, producer, prefix, handler, **kw
    ) -> EventConsumer:
        await ensure_topics(
            kafka_bootstrap,
            [prefix + INTERVIEW_RESULTS, prefix + dead_letter_topic(INTERVIEW_RESULTS)],
            partitions=1,
        )
        consumer = EventConsumer(
            name=unique_name("c"),
            topics=[INTERVIEW_RESULTS],
            group_id=unique_name("g"),
            bootstrap=kafka_bootstrap,
            sessionmaker=sessionmaker,
            processed_events=TABLES.processed_events,
            handler=handler,
            dlq_producer=producer,
            retry_backoff=0.01,
            session_timeout_ms=6000,
            heartbeat_interval_ms=500,
            topic_prefix=prefix,
            **kw,
        )
        await consumer.start()
        return consumer

    async def _run_until(self, consumer: EventConsumer, predicate, wait_s: float = 30) -> None:
        task = asyncio.create_task(consumer.run())
        try:
            deadline = asyncio.get_running_loop().time() + wait_s
            while not predicate():
                assert asyncio.get_running_loop().time() < deadline, consumer.stats
                await asyncio.sleep(0.05)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await consumer.stop()

    async def test_redelivered_event_has_no_second_effect(
        self, sessionmaker, kafka_bootstrap, producer, prefix
    ) -> None:
        seen: list[uuid.UUID] = []

        async def handler(session: AsyncSession, envelope: Envelope) -> None:
            seen.append(envelope.event.result_id)

        envelope = Envelope(event=result_event(), source="/t")
        record = encode(envelope)
        for _ in range(3):  # the same event id delivered three times
            await producer.send_and_wait(
                prefix + INTERVIEW_RESULTS, record.value, key=record.key, headers=record.headers
            )
        consumer = await self._consumer(
            sessionmaker=sessionmaker,
            kafka_bootstrap=kafka_bootstrap,
            producer=producer,
            prefix=prefix,
            handler=handler,
        )
        await self._run_until(
            consumer, lambda: consumer.stats.handled + consumer.stats.duplicates >= 3
        )
        assert seen == [envelope.event.result_id]
        assert consumer.stats.duplicates == 2
        assert await consumer.is_processed(envelope.id)

    async def test_undecodable_record_goes_to_the_dead_letter_topic(
        self, sessionmaker, kafka_bootstrap, producer, prefix
    ) -> None:
        async def handler(session: AsyncSession, envelope: Envelope) -> None:
            raise AssertionError("must not be called")

        await producer.send_and_wait(prefix + INTERVIEW_RESULTS, b"{not json", key=b"k")
        consumer = await self._consumer(
            sessionmaker=sessionmaker,
            kafka_bootstrap=kafka_bootstrap,
            producer=producer,
            prefix=prefix,
            handler=handler,
        )
        await self._run_until(consumer, lambda: consumer.stats.dead_lettered >= 1)
        dlq = await read_topic(kafka_bootstrap, prefix + dead_letter_topic(INTERVIEW_RESULTS), 1)
        assert dlq[0].value == b"{not json"
        assert dict(dlq[0].headers)["dlq_reason"].startswith(b"undecodable")

    async def test_failed_handler_rolls_back_and_retries(
        self, sessionmaker, kafka_bootstrap, producer, prefix
    ) -> None:
        calls = 0
        marker = TABLES.audit_log

        async def handler(session: AsyncSession, envelope: Envelope) -> None:
            nonlocal calls
            calls += 1
            await session.execute(
                marker.insert().values(actor_id=prefix, actor_roles="t", action="x", resource="y")
            )
            if calls < 3:
                raise RuntimeError("transient")

        record = encode(Envelope(event=result_event(), source="/t"))
        await producer.send_and_wait(
            prefix + INTERVIEW_RESULTS, record.value, key=record.key, headers=record.headers
        )
        consumer = await self._consumer(
            sessionmaker=sessionmaker,
            kafka_bootstrap=kafka_bootstrap,
            producer=producer,
            prefix=prefix,
            handler=handler,
        )
        await self._run_until(consumer, lambda: consumer.stats.handled >= 1)
        assert calls == 3 and consumer.stats.retries == 2
        async with sessionmaker() as session:
            rows = (await session.execute(select(marker).where(marker.c.actor_id == prefix))).all()
        assert len(rows) == 1  # the two failed attempts left nothing behind

    async def test_domain_error_is_acknowledged_without_retry(
        self, sessionmaker, kafka_bootstrap, producer, prefix
    ) -> None:
        calls = 0

        async def handler(session: AsyncSession, envelope: Envelope) -> None:
            nonlocal calls
            calls += 1
            raise ServiceError("unknown job")

        envelope = Envelope(event=result_event(), source="/t")
        record = encode(envelope)
        await producer.send_and_wait(
            prefix + INTERVIEW_RESULTS, record.value, key=record.key, headers=record.headers
        )
        consumer = await self._consumer(
            sessionmaker=sessionmaker,
            kafka_bootstrap=kafka_bootstrap,
            producer=producer,
            prefix=prefix,
            handler=handler,
        )
        await self._run_until(consumer, lambda: consumer.stats.domain_errors >= 1)
        assert calls == 1
        assert await consumer.is_processed(envelope.id)
