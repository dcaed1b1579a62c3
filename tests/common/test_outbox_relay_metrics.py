"""The outbox relay's metrics, against a real PostgreSQL and broker: events published, discarded
and failed attempts (counters), and the backlog (pending rows, the oldest one's age); and its
purge of old rows."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from talentflow.common.crypto import FieldCipher, generate_master_key, load_master_key
from talentflow.common.db import create_sessionmaker, make_metadata, transaction
from talentflow.common.events import (
    INTERVIEW_RESULTS,
    CandidateContact,
    Envelope,
    InterviewResultReceived,
)
from talentflow.common.kafka import ensure_topics
from talentflow.common.outbox import OutboxRelay, enqueue
from talentflow.common.tables import PlatformTables, platform_tables
from talentflow.devstack.testing import engine_with_tables, unique_name

SCHEMA = unique_name("relay_metrics")  # also the metrics' service label
METADATA = make_metadata(SCHEMA)
TABLES: PlatformTables = platform_tables(METADATA)

PENDING = "talentflow_outbox_pending_events"
OLDEST = "talentflow_outbox_oldest_pending_age_seconds"
PUBLISHED = "talentflow_outbox_events_published_total"
DISCARDED = "talentflow_outbox_events_discarded_total"
FAILURES = "talentflow_outbox_failures_total"


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_with_tables(database_url, METADATA) as engine:
        yield engine


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
async def prefix(kafka_bootstrap: str) -> str:
    """Topics of the test's own."""
    prefix = unique_name("t") + "."
    await ensure_topics(kafka_bootstrap, [prefix + INTERVIEW_RESULTS], partitions=1)
    return prefix


def metric(name: str, service: str = SCHEMA) -> float | None:
    """The metric's value for `service` as /metrics would show it (None: not exported)."""
    return REGISTRY.get_sample_value(name, {"service": service})


def envelope() -> Envelope:
    event = InterviewResultReceived.model_validate(
        {
            "result_id": uuid.uuid4(),
            "tenant_id": uuid.uuid4(),
            "vendor_id": uuid.uuid4(),
            "vendor_result_id": "r-1",
            "candidate_id": uuid.uuid4(),
            "candidate": CandidateContact(external_id="c-1", name="Ada Lovelace"),
            "job_id": uuid.uuid4(),
            "interviewed_at": datetime.now(UTC),
            "competencies": {"communication": 91.0},
            "counts": {"customer_cases": 3},
        }
    )
    return Envelope(event=event, source="/test")


async def enqueue_rows(
    sessionmaker: async_sessionmaker[AsyncSession], count: int, *, first_aged_s: int = 0
) -> None:
    """Commit `count` outbox rows; the first one `first_aged_s` seconds old."""
    async with transaction(sessionmaker) as session:
        for _ in range(count):
            await enqueue(session, TABLES.outbox, envelope())
        if first_aged_s:
            outbox = TABLES.outbox
            first = select(func.min(outbox.c.id)).where(outbox.c.published_at.is_(None))
            await session.execute(
                update(outbox)
                .where(outbox.c.id == first.scalar_subquery())
                .values(created_at=func.now() - timedelta(seconds=first_aged_s))
            )


async def drained(relay: OutboxRelay) -> OutboxRelay:
    while await relay.publish_batch():
        pass
    return relay


async def until(condition: Callable[[], bool], wait_s: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + wait_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


class TestBacklog:
    async def test_measures_pending_rows_and_the_oldest_ones_age(
        self, sessionmaker, producer, prefix
    ) -> None:
        relay = await drained(
            OutboxRelay(sessionmaker, TABLES.outbox, producer, topic_prefix=prefix)
        )
        assert relay.service == SCHEMA  # the schema names the service
        await relay.measure_backlog()
        assert (metric(PENDING), metric(OLDEST)) == (0, 0)

        await enqueue_rows(sessionmaker, 3, first_aged_s=3600)
        await relay.measure_backlog()
        assert metric(PENDING) == 3
        age = metric(OLDEST)
        assert age is not None and 3600 <= age < 3660
        await asyncio.sleep(0.3)
        later = metric(OLDEST)  # no new measurement: the age goes on with the clock
        assert later is not None and later - age >= 0.25

        await drained(relay)
        assert metric(PENDING) == 3, "measured by the relay's loop, not by each batch"
        await relay.measure_backlog()
        assert (metric(PENDING), metric(OLDEST)) == (0, 0)

    async def test_the_loop_measures_at_most_once_per_interval(
        self, sessionmaker, producer, prefix
    ) -> None:
        await drained(OutboxRelay(sessionmaker, TABLES.outbox, producer, topic_prefix=prefix))
        await enqueue_rows(sessionmaker, 2)
        published = metric(PUBLISHED) or 0.0
        slow = OutboxRelay(
            sessionmaker,
            TABLES.outbox,
            producer,
            topic_prefix=prefix,
            poll_interval=0.01,
            backlog_interval_s=3600,
        )
        task = asyncio.create_task(slow.run())
        try:
            await until(lambda: metric(PUBLISHED) == published + 2)
            await asyncio.sleep(0.2)  # many more turns of the loop
        finally:
            slow.stop()
            await asyncio.wait_for(task, 10)
        assert metric(PENDING) == 2, "measured once, when the loop started"

        fast = OutboxRelay(
            sessionmaker,
            TABLES.outbox,
            producer,
            topic_prefix=prefix,
            poll_interval=0.01,
            backlog_interval_s=0.1,
        )
        task = asyncio.create_task(fast.run())
        try:
            await until(lambda: metric(PENDING) == 0)
        finally:
            fast.stop()
            await asyncio.wait_for(task, 10)


class TestCounters:
    async def test_published_and_discarded_events(self, sessionmaker, producer, prefix) -> None:
        relay = await drained(
            OutboxRelay(sessionmaker, TABLES.outbox, producer, topic_prefix=prefix)
        )
        published, discarded = metric(PUBLISHED), metric(DISCARDED)
        assert published is not None and discarded is not None  # exported from the start

        cipher = FieldCipher(load_master_key(generate_master_key()), TABLES.subject_keys)
        relay = OutboxRelay(
            sessionmaker, TABLES.outbox, producer, cipher=cipher, topic_prefix=prefix
        )
        erased = envelope()
        async with transaction(sessionmaker) as session:
            await enqueue(session, TABLES.outbox, erased, cipher=cipher)
            for _ in range(2):
                await enqueue(session, TABLES.outbox, envelope(), cipher=cipher)
            await cipher.shred(session, erased.event.subject_id())
        await drained(relay)
        assert metric(PUBLISHED) == published + 2
        assert metric(DISCARDED) == discarded + 1

    async def test_failed_attempts(self, sessionmaker, producer, prefix) -> None:
        """A relay whose outbox is not there (a schema not yet migrated) fails and retries;
        each attempt counts, and the backlog it cannot measure is not made up."""
        missing = platform_tables(make_metadata(unique_name("missing"))).outbox
        relay = OutboxRelay(
            sessionmaker, missing, producer, topic_prefix=prefix, poll_interval=0.01
        )
        assert metric(FAILURES, relay.service) == 0
        task = asyncio.create_task(relay.run())
        try:
            await until(lambda: (metric(FAILURES, relay.service) or 0) >= 2)
        finally:
            relay.stop()
            await asyncio.wait_for(task, 10)
        assert metric(PENDING, relay.service) is None


NOW = datetime.now(UTC)
LONG_AGO, RECENTLY = NOW - timedelta(days=20), NOW - timedelta(hours=1)


async def outbox_row_in(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    created: datetime,
    published: datetime | None = None,
    discarded: str | None = None,
) -> int:
    """An outbox row in the given state; its id."""
    outbox = TABLES.outbox
    async with transaction(sessionmaker) as session:
        await enqueue(session, outbox, item := envelope())
        return int(
            await session.scalar(
                update(outbox)
                .where(outbox.c.event_id == item.id)
                .values(created_at=created, published_at=published, discarded_reason=discarded)
                .returning(outbox.c.id)
            )
        )


class TestPurge:
    async def test_deletes_what_was_published_or_discarded_before_the_cut_only(
        self, sessionmaker, producer
    ) -> None:
        gone = {
            await outbox_row_in(sessionmaker, created=LONG_AGO, published=LONG_AGO),
            await outbox_row_in(sessionmaker, created=LONG_AGO, discarded="subject erased"),
        }
        kept = {
            await outbox_row_in(
                sessionmaker, created=LONG_AGO, published=RECENTLY
            ),  # published late
            await outbox_row_in(sessionmaker, created=RECENTLY, published=RECENTLY),
            await outbox_row_in(sessionmaker, created=RECENTLY, discarded="subject erased"),
            await outbox_row_in(sessionmaker, created=LONG_AGO),  # still pending: never purged
        }
        relay = OutboxRelay(sessionmaker, TABLES.outbox, producer)

        purged = await relay.purge(before=NOW - timedelta(days=14))

        assert purged == 2
        async with sessionmaker() as session:
            left = set((await session.scalars(select(TABLES.outbox.c.id))).all())
        assert gone.isdisjoint(left) and kept <= left

    async def test_finds_its_rows_through_the_published_at_index(
        self, sessionmaker, producer
    ) -> None:
        """The plan when a scan of the whole table is made as costly as it would be on a
        large outbox: the purge's condition must be one the index can serve."""
        relay = OutboxRelay(sessionmaker, TABLES.outbox, producer)
        statement = relay.purge_statement(before=NOW)
        async with sessionmaker() as session, session.begin():
            await session.execute(text("SET LOCAL enable_seqscan = off"))
            compiled = statement.compile(session.bind, compile_kwargs={"literal_binds": True})
            plan = "\n".join((await session.scalars(text(f"EXPLAIN {compiled}"))).all())

        assert "ix_outbox_published_at" in plan
        assert "Seq Scan" not in plan
