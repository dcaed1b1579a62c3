"""Transactional outbox: write the event with the state change, publish after the commit.

`enqueue` adds a row in the caller's transaction. `OutboxRelay` reads the oldest pending rows
in batches, publishes them with acks=all, waits for every acknowledgement, then marks them
published in one statement. Published rows are kept for `retention` so an operator can replay a
time range.

Relays take turns: each batch's transaction first takes the outbox's advisory lock (a
transaction-scoped `pg_try_advisory_xact_lock`), and a relay that does not get it publishes
nothing that round. So however many processes run a relay of one service (every replica of a
service does), one batch is in flight at a time, and the next starts after the last one's
records were acknowledged: the events about one record key reach the topic in the order they
were written. Were batches published side by side, two events about one candidate could
reach the topic the other way round.

Payloads about a person are encrypted with that person's key: erasing the person makes the
row unreadable, and such a row is discarded instead of published.

Metrics (`/metrics` of the process that runs the relay), labelled by service:
`talentflow_outbox_events_published_total`, `talentflow_outbox_events_discarded_total`,
`talentflow_outbox_failures_total` (failed attempts; the relay retries), and the backlog:
`talentflow_outbox_pending_events` and `talentflow_outbox_oldest_pending_age_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Delete, Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talentflow.common.crypto import FieldCipher, SubjectKeys
from talentflow.common.db import DriverConnection, driver_connection, driver_errors, insert_rows
from talentflow.common.events.base import Envelope
from talentflow.common.events.codec import KafkaRecord, encode_parts
from talentflow.common.logging import error_summary

log = logging.getLogger(__name__)

_CHUNK = 50  # rows the relay encodes and sends between two chances for other tasks to run
# The first key of every relay's turn lock (the second names the outbox table).
RELAY_LOCK_CLASS = 0x7466_6F62  # "tfob"


def _int4(value: int) -> int:
    """An unsigned 32-bit value as PostgreSQL's signed int4."""
    return value - 2**32 if value >= 2**31 else value


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


async def enqueue_many(
    session: AsyncSession | DriverConnection,
    outbox: Table,
    envelopes: Sequence[Envelope],
    *,
    cipher: FieldCipher | None = None,
    keys: SubjectKeys | None = None,
) -> None:
    """`enqueue` for many envelopes at once: one statement, rows (and ids) in the given order,
    the payloads about people encrypted in one batch (with `keys` where they hold the
    subject's key, read in this transaction; else with `cipher`)."""
    if not envelopes:
        return
    if cipher is not None:
        subjects = {e.event.subject_id() for e in envelopes} - {None}
        missing = {s for s in subjects if s is not None and (keys is None or s not in keys)}
        if missing:
            more = await cipher.data_keys(session, missing)
            keys = more if keys is None else keys | more
    await insert_rows(session, outbox, outbox_rows(envelopes, keys=keys))


OUTBOX_COLUMNS = (
    "event_id",
    "topic",
    "key",
    "event_type",
    "source",
    "subject",
    "occurred_at",
    "subject_id",
    "payload",
)
"""The columns `outbox_row` gives, in its order."""


def outbox_row(envelope: Envelope, *, keys: SubjectKeys | None) -> tuple[Any, ...]:
    """The outbox row of `envelope` (`OUTBOX_COLUMNS`); a payload about a person encrypted
    with their key from `keys` (KeyError if it is not there), plain JSON when `keys` is None."""
    event = envelope.event
    subject_id = event.subject_id() if keys is not None else None
    payload = event.model_dump_json().encode()
    return (
        envelope.id,
        event.topic,
        envelope.key or event.partition_key(),
        event.event_type,
        envelope.source,
        envelope.subject or event.subject(),
        envelope.time,
        subject_id,
        payload if subject_id is None or keys is None else keys.encrypt(subject_id, payload),
    )


def outbox_rows(envelopes: Sequence[Envelope], *, keys: SubjectKeys | None) -> dict[str, list[Any]]:
    """The outbox rows of `envelopes` (`outbox_row`), column by column, for `insert_rows`."""
    rows = [outbox_row(envelope, keys=keys) for envelope in envelopes]
    return {name: [row[i] for row in rows] for i, name in enumerate(OUTBOX_COLUMNS)}


OUTBOX_PUBLISHED = Counter(
    "talentflow_outbox_events_published_total", "Outbox events published", ["service"]
)
OUTBOX_DISCARDED = Counter(
    "talentflow_outbox_events_discarded_total",
    "Outbox events discarded instead of published (their subject was erased)",
    ["service"],
)
OUTBOX_FAILURES = Counter(
    "talentflow_outbox_failures_total",
    "Failed relay attempts (broker or database errors; the relay backs off and retries)",
    ["service"],
)


@dataclass
class _Backlog:
    pending: int
    oldest_age_s: float | None  # as the database saw it when measured; None: nothing pending
    measured_at: float  # time.monotonic() of the measurement


class BacklogCollector(Collector):
    """The outbox backlog per service, as each relay last measured it (`OutboxRelay` does, at
    most once per `backlog_interval_s`). The oldest row's age is advanced to the moment of the
    scrape: a relay whose loop is stuck (a hung broker) still shows the backlog ageing."""

    def __init__(self) -> None:
        self._backlogs: dict[str, _Backlog] = {}

    def update(self, service: str, pending: int, oldest_age_s: float | None) -> None:
        self._backlogs[service] = _Backlog(pending, oldest_age_s, time.monotonic())

    def collect(self) -> Iterator[Metric]:
        pending = GaugeMetricFamily(
            "talentflow_outbox_pending_events",
            "Outbox events waiting to be published (as of the relay's last look, <= ~1 s)",
            labels=["service"],
        )
        oldest = GaugeMetricFamily(
            "talentflow_outbox_oldest_pending_age_seconds",
            "Age of the oldest outbox event waiting to be published; 0 when none waits",
            labels=["service"],
        )
        now = time.monotonic()
        for service, backlog in list(self._backlogs.items()):
            pending.add_metric([service], backlog.pending)
            age = 0.0
            if backlog.oldest_age_s is not None:
                age = max(0.0, backlog.oldest_age_s) + (now - backlog.measured_at)
            oldest.add_metric([service], age)
        yield pending
        yield oldest


OUTBOX_BACKLOG = BacklogCollector()
REGISTRY.register(OUTBOX_BACKLOG)


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
        gather_s: float = 0.05,
        service: str | None = None,
        backlog_interval_s: float = 1.0,
    ) -> None:
        """`service` labels the metrics (default: the outbox table's schema, which is the
        service's name); the backlog is measured at most every `backlog_interval_s`."""
        self._sessionmaker = sessionmaker
        self._outbox = outbox
        self._producer = producer
        self._cipher = cipher
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._retention = retention
        self._topic_prefix = topic_prefix
        self._gather_s = gather_s
        table = outbox.fullname  # our own metadata's name: no injection below
        columns = "id, event_id, topic, key, event_type, source, subject, occurred_at, subject_id"
        pending = "published_at IS NULL AND discarded_reason IS NULL ORDER BY id"
        # No row locks: the turn lock below keeps other relays out, and nothing else writes
        # pending rows (a replay changes published ones). Locking each row would write it.
        self._sql_pending = f"SELECT {columns}, payload FROM {table} WHERE {pending} LIMIT $1"  # noqa: S608
        # The turn of this outbox (two int4 keys: a key space apart from the bigint locks).
        self._sql_turn = "SELECT pg_try_advisory_xact_lock($1, $2)"
        self.turn_key = (RELAY_LOCK_CLASS, _int4(zlib.crc32(table.encode())))
        self._sql_published = f"UPDATE {table} SET published_at = $2 WHERE id = ANY($1::bigint[])"  # noqa: S608
        self._sql_discarded = (
            f"UPDATE {table} SET discarded_reason = $2 WHERE id = ANY($1::bigint[])"  # noqa: S608
        )
        # Count and oldest age of the pending rows: one statement, the partial index on the
        # pending rows (the oldest is the first in id order, the next to be published).
        waiting = "published_at IS NULL AND discarded_reason IS NULL"
        oldest = f"SELECT extract(epoch FROM clock_timestamp() - created_at) FROM {table}"  # noqa: S608
        self._sql_backlog = (
            f"SELECT count(*), ({oldest} WHERE {waiting} ORDER BY id LIMIT 1)"  # noqa: S608
            f" FROM {table} WHERE {waiting}"
        )
        self._wake = asyncio.Event()
        self._stopping = False
        self.service = service or outbox.schema or outbox.name
        self._backlog_interval_s = backlog_interval_s
        # The label children, made once (and so exported as 0 before the first event).
        self._published = OUTBOX_PUBLISHED.labels(self.service)
        self._discarded = OUTBOX_DISCARDED.labels(self.service)
        self._failures = OUTBOX_FAILURES.labels(self.service)

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
        loop = asyncio.get_running_loop()
        last_batch = 0.0
        next_backlog = 0.0
        while not self._stopping:
            # The backlog gauges: a query per interval, not per batch, whatever the rate.
            if loop.time() >= next_backlog:
                await self.measure_backlog()
                next_backlog = loop.time() + self._backlog_interval_s
            try:
                last_batch = loop.time()
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
                self._failures.inc()
                log.warning("outbox relay failed", extra={"error": error_summary(exc)})
                backoff = min(backoff * 2, 5.0)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)
            # Let rows gather: a batch per commit costs a transaction and a produce request
            # for a handful of rows (events wait at most `gather_s` for company).
            await asyncio.sleep(max(0.0, self._gather_s - (loop.time() - last_batch)))

    async def publish_batch(self) -> int:
        """Publish one batch of pending rows; return how many were published."""
        async with self._sessionmaker() as session, session.begin():
            db = await driver_connection(session)
            with driver_errors():
                if not await db.fetchval(self._sql_turn, *self.turn_key):
                    return 0  # another relay's batch is in flight; its rows are older
                rows = await db.fetch(self._sql_pending, self._batch_size)
            if not rows:
                return 0
            sent_ids: list[int] = []
            discarded_ids: list[int] = []
            futures = []
            for start in range(0, len(rows), _CHUNK):
                chunk = rows[start : start + _CHUNK]
                for row, record in zip(chunk, await self._records(session, chunk), strict=True):
                    if record is None:
                        discarded_ids.append(row["id"])
                        continue
                    futures.append(
                        await self._producer.send(
                            self._topic_prefix + row["topic"],
                            value=record.value,
                            key=record.key,
                            headers=record.headers,
                        )
                    )
                    sent_ids.append(row["id"])
                await asyncio.sleep(0)  # a big batch must not hold up the other tasks
            await asyncio.gather(*futures)
            with driver_errors():
                if sent_ids:
                    await db.execute(self._sql_published, sent_ids, datetime.now(UTC))
                if discarded_ids:
                    await db.execute(self._sql_discarded, discarded_ids, "subject erased")
        self._published.inc(len(sent_ids))
        self._discarded.inc(len(discarded_ids))
        return len(sent_ids)

    async def measure_backlog(self) -> None:
        """Count the pending rows and the oldest one's age for the backlog gauges. A failure
        (the database is down) leaves the last values, logged at debug level only: the relay's
        own attempts fail too, and count and log as failures."""
        try:
            async with self._sessionmaker() as session, session.begin():
                db = await driver_connection(session)
                with driver_errors():
                    row = await db.fetchrow(self._sql_backlog)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.debug("measuring the outbox backlog failed", extra={"error": error_summary(exc)})
            return
        oldest = None if row[1] is None else float(row[1])
        OUTBOX_BACKLOG.update(self.service, int(row[0]), oldest)

    async def _records(
        self, session: AsyncSession, rows: Sequence[Any]
    ) -> list[KafkaRecord | None]:
        """The Kafka records of `rows`, decrypted in one batch; None for an erased subject."""
        payloads: list[bytes | None] = [row["payload"] for row in rows]
        personal = [i for i, row in enumerate(rows) if row["subject_id"] is not None]
        if personal:
            if self._cipher is None:
                raise RuntimeError("outbox row is encrypted but the relay has no cipher")
            clear = await self._cipher.decrypt_many(
                session, [(rows[i]["subject_id"], rows[i]["payload"]) for i in personal]
            )
            for i, payload in zip(personal, clear, strict=True):
                payloads[i] = payload
        return [
            None
            if payload is None
            else encode_parts(
                event_id=str(row["event_id"]),
                event_type=row["event_type"],
                source=row["source"],
                time=row["occurred_at"],
                subject=row["subject"],
                key=row["key"],
                payload=payload,
            )
            for row, payload in zip(rows, payloads, strict=True)
        ]

    async def purge(self, *, before: datetime) -> int:
        """Delete the rows published before `before`, and those discarded (never published)
        that were created before it; return how many. Pending rows are never deleted."""
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(self.purge_statement(before=before))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def purge_statement(self, *, before: datetime) -> Delete:
        """`purge`'s statement. Both its conditions are on `published_at` first, so that
        `ix_outbox_published_at` finds the rows (a range, and the few rows without a time)
        instead of a scan of the whole table, which holds every row of the retention period."""
        table = self._outbox
        return delete(table).where(
            (table.c.published_at < before)
            | (
                table.c.published_at.is_(None)
                & table.c.discarded_reason.is_not(None)
                & (table.c.created_at < before)
            )
        )


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
