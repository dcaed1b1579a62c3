"""Outbox relay benchmark: how fast pending outbox rows reach the broker.

    python bench/relay.py [--rows 50000] [--baseline-rows 3000]

Starts an embedded PostgreSQL (ingest's migrations) and the Tansu broker, writes `--rows`
pending rows to ingest's outbox the way ingest does (`InterviewResultReceived` events of
distinct candidates, ~3 KB, each encrypted with its candidate's key), then lets the relay
(`talentflow.common.outbox.OutboxRelay`, the producer `talentflow.common.kafka` makes) publish
them all, and counts events per second until the outbox is empty.

Baseline, measured in the same run: the same relay publishing one row at a time (batch size
1: a transaction, a key lookup and decryption, and an acknowledged send per row; the producer
does not linger) over `--baseline-rows` more rows. Ends with one summary line: the relay's
rate and its ratio to the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import stack

from talentflow.common import kafka
from talentflow.common.crypto import FieldCipher, load_master_key
from talentflow.common.db import create_engine, create_sessionmaker, transaction
from talentflow.common.events import (
    CandidateContact,
    Envelope,
    EvidenceQuote,
    InterviewResultReceived,
)
from talentflow.common.events.registry import ALL_TOPICS
from talentflow.common.outbox import OutboxRelay, enqueue_many, pending_count
from talentflow.common.settings import DEV_ENCRYPTION_KEY
from talentflow.ingest.models import PLATFORM

CHUNK = 1000  # rows written per transaction while filling the outbox


def event(i: int) -> InterviewResultReceived:
    """A realistic InterviewResultReceived of its own candidate (~3 KB as JSON)."""
    return InterviewResultReceived(
        result_id=uuid.uuid4(),
        tenant_id=uuid.UUID(int=1),
        vendor_id=uuid.UUID(int=2),
        vendor_result_id=f"relay-{i:08d}",
        candidate_id=uuid.uuid4(),
        candidate=CandidateContact(
            external_id=f"ats-{i:08d}", name="Amara Okafor-Lindqvist", email="amara@example.com"
        ),
        job_id=uuid.UUID(int=42),
        interviewed_at=datetime(2026, 3, 1, 10, 15, tzinfo=UTC),
        overall_score=81.5,
        competencies={"communication": 88.0, "logic": 74.5, "teamwork": 91.0, "empathy": 67.0},
        counts={"questions_asked": 6, "customer_cases": 3},
        evidence=[
            EvidenceQuote(competency="communication", quote=quote, at_seconds=60.0 * n)
            for n, quote in enumerate(stack.QUOTES * 2)
        ],
        dropped_metrics=["eye_contact_ratio", "smile_count"],
        report_url=f"https://vendor.example/reports/relay-{i:08d}",
    )


async def fill(url: str, cipher: FieldCipher, start: int, rows: int) -> None:
    engine = create_engine(url, pool_size=1)
    try:
        for first in range(start, start + rows, CHUNK):
            envelopes = [
                Envelope(event=event(i), source="/ingest")
                for i in range(first, min(first + CHUNK, start + rows))
            ]
            async with transaction(create_sessionmaker(engine)) as session:
                await enqueue_many(session, PLATFORM.outbox, envelopes, cipher=cipher)
    finally:
        await engine.dispose()


async def drain(url: str, bootstrap: str, cipher: FieldCipher, batch_size: int) -> float:
    """Publish every pending row with a relay of `batch_size`; the seconds it took."""
    engine = create_engine(url, pool_size=2)
    sessionmaker = create_sessionmaker(engine)
    if batch_size == 1:
        # One row at a time: every send is awaited alone, so do not linger for company.
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", linger_ms=0, compression_type="gzip"
        )
    else:
        producer = kafka.create_producer(bootstrap, idempotence=False, client_id="bench-relay")
    await producer.start()
    relay = OutboxRelay(
        sessionmaker, PLATFORM.outbox, producer, cipher=cipher, batch_size=batch_size
    )
    try:
        started = time.perf_counter()
        while await relay.publish_batch():
            pass
        elapsed = time.perf_counter() - started
        async with sessionmaker() as session:
            assert await pending_count(session, PLATFORM.outbox) == 0
        return elapsed
    finally:
        await producer.stop()
        await engine.dispose()


async def run(url: str, bootstrap: str, rows: int, baseline_rows: int) -> tuple[float, float]:
    await kafka.ensure_topics(bootstrap, ALL_TOPICS, partitions=4)
    cipher = FieldCipher(load_master_key(DEV_ENCRYPTION_KEY), PLATFORM.subject_keys)
    await fill(url, cipher, 0, rows)
    relay_rate = rows / await drain(url, bootstrap, cipher, batch_size=500)
    print(f"relay (batches of 500): {relay_rate:,.0f} events/s over {rows:,} rows")
    # A fresh cipher: the baseline finds no key in the cache, as a relay after a restart.
    cipher = FieldCipher(load_master_key(DEV_ENCRYPTION_KEY), PLATFORM.subject_keys)
    await fill(url, cipher, rows, baseline_rows)
    baseline_rate = baseline_rows / await drain(url, bootstrap, cipher, batch_size=1)
    print(f"one row at a time: {baseline_rate:,.0f} events/s over {baseline_rows:,} rows")
    engine = create_engine(url, pool_size=1)
    async with engine.connect() as conn:
        size = (await conn.execute(text("SELECT avg(length(payload)) FROM ingest.outbox"))).scalar()
    await engine.dispose()
    print(f"average payload (encrypted): {float(size or 0):,.0f} bytes")
    return relay_rate, baseline_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--baseline-rows", type=int, default=3_000)
    args = parser.parse_args()
    with stack.workdir() as work, stack.postgres(work) as pg, stack.broker(work) as broker:
        url = stack.migrated_ingest_database(pg)
        relay_rate, baseline_rate = asyncio.run(
            run(url, broker.bootstrap, args.rows, args.baseline_rows)
        )
    print(
        f"relay: {relay_rate:,.0f} events/s = {relay_rate / baseline_rate:.1f}x one row at a "
        f"time ({baseline_rate:,.0f}/s); {args.rows:,} rows drained in "
        f"{args.rows / relay_rate:.1f} s"
    )


if __name__ == "__main__":
    main()
