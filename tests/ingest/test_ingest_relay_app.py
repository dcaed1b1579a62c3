"""`python -m talentflow.ingest.relay` as operators see it: /healthz, /readyz and /metrics (the
outbox backlog), in-process and as the real process, which publishes and ends on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from talentflow.common.events import (
    INTERVIEW_RESULTS,
    CandidateContact,
    Envelope,
    InterviewResultReceived,
)
from talentflow.common.outbox import enqueue
from talentflow.devstack.broker import free_port
from talentflow.devstack.testing import running_app
from talentflow.devstack.testing import service_settings_env as settings_env
from talentflow.ingest import relay
from talentflow.ingest.config import Settings
from talentflow.ingest.models import PLATFORM

OUTBOX = PLATFORM.outbox


@pytest.fixture
def settings(ingest_database_url: str, kafka: tuple[str, bool]) -> Settings:
    env = settings_env(database_url=ingest_database_url, kafka=kafka)
    return Settings(**env, relay_port=free_port())


def metrics(text: str, service: str = "ingest") -> dict[str, float]:
    """The `talentflow_outbox_*` samples of `service` in a /metrics answer."""
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("talentflow_outbox_") and sample.labels == {"service": service}
    }


async def wait_for_metrics(
    client: httpx.AsyncClient, condition: Callable[[dict[str, float]], bool], wait_s: float = 15
) -> dict[str, float]:
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        response = await client.get("/metrics")
        assert response.status_code == 200
        found = metrics(response.text)
        if condition(found):
            return found
        assert asyncio.get_running_loop().time() < deadline, found
        await asyncio.sleep(0.1)


async def enqueue_results(
    db: AsyncEngine, vendor_id: uuid.UUID, count: int, *, first_aged: timedelta | None = None
) -> list[uuid.UUID]:
    """Commit `count` pending `interview.results` events of `vendor_id`; return their ids."""
    envelopes = [
        Envelope(
            event=InterviewResultReceived.model_validate(
                {
                    "result_id": uuid.uuid4(),
                    "tenant_id": uuid.uuid4(),
                    "vendor_id": vendor_id,
                    "vendor_result_id": f"r-{i}",
                    "candidate_id": uuid.uuid4(),
                    "candidate": CandidateContact(external_id=f"c-{i}"),
                    "job_id": uuid.uuid4(),
                    "interviewed_at": datetime.now(UTC),
                    "competencies": {"communication": 80.0},
                    "counts": {},
                }
            ),
            source="/ingest",
        )
        for i in range(count)
    ]
    async with AsyncSession(db) as session, session.begin():
        for envelope in envelopes:
            await enqueue(session, OUTBOX, envelope)
        if first_aged is not None:
            await session.execute(
                update(OUTBOX)
                .where(OUTBOX.c.event_id == envelopes[0].id)
                .values(created_at=func.now() - first_aged)
            )
    return [e.id for e in envelopes]


async def lock(conn: AsyncConnection, event_ids: list[uuid.UUID]) -> None:
    """Hold `event_ids`' rows (as another relay's batch would): the relay skips them."""
    await conn.begin()
    rows = await conn.execute(
        select(OUTBOX.c.id).where(OUTBOX.c.event_id.in_(event_ids)).with_for_update()
    )
    assert len(rows.all()) == len(event_ids)


async def published(db: AsyncEngine, event_ids: list[uuid.UUID]) -> bool:
    async with db.connect() as conn:
        unpublished = await conn.scalar(
            select(func.count()).where(
                OUTBOX.c.event_id.in_(event_ids), OUTBOX.c.published_at.is_(None)
            )
        )
    return unpublished == 0


class TestRelayApp:
    async def test_answers_health_readiness_and_metrics(self, settings: Settings) -> None:
        async with running_app(relay.create_app(settings)) as client:
            healthz = await client.get("/healthz")
            assert (healthz.status_code, healthz.json()) == (200, {"status": "ok"})
            readyz = await client.get("/readyz")
            assert readyz.status_code == 200, readyz.text
            assert readyz.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
            found = await wait_for_metrics(
                client, lambda m: "talentflow_outbox_pending_events" in m
            )
            for name in (
                "talentflow_outbox_oldest_pending_age_seconds",
                "talentflow_outbox_events_published_total",
                "talentflow_outbox_events_discarded_total",
                "talentflow_outbox_failures_total",
            ):
                assert name in found, name
            assert (await client.get("/v1/vendors")).status_code == 404  # no business routes

    async def test_backlog_gauges_show_pending_rows_until_published(
        self, settings: Settings, db: AsyncEngine, events
    ) -> None:
        vendor_id = uuid.uuid4()
        ids = await enqueue_results(db, vendor_id, 3, first_aged=timedelta(hours=1))
        async with db.connect() as holder:
            await lock(holder, ids)
            async with running_app(relay.create_app(settings)) as client:
                # Whatever other tests left pending is published; these 3 wait, held.
                held = await wait_for_metrics(
                    client, lambda m: m.get("talentflow_outbox_pending_events") == 3
                )
                assert 3600 <= held["talentflow_outbox_oldest_pending_age_seconds"] < 3700
                assert not await published(db, ids)

                await holder.rollback()  # the rows stay (committed before); the lock goes
                done = await wait_for_metrics(
                    client, lambda m: m.get("talentflow_outbox_pending_events") == 0
                )
                assert done["talentflow_outbox_oldest_pending_age_seconds"] == 0
                assert (
                    done["talentflow_outbox_events_published_total"]
                    >= held["talentflow_outbox_events_published_total"] + 3
                )
                assert await published(db, ids)
                assert len(await events(INTERVIEW_RESULTS, 3, vendor_id)) == 3


@pytest.fixture
def relay_process(settings: Settings, tmp_path: Path) -> Iterator[subprocess.Popen]:
    """`python -m talentflow.ingest.relay` on the test database, broker, topics and port."""
    p = "TALENTFLOW_INGEST_"
    env = {k: v for k, v in os.environ.items() if not k.startswith(p)}
    env |= {
        p + "ENVIRONMENT": "test",
        p + "DATABASE_URL": settings.database_url,
        p + "KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        p + "KAFKA_IDEMPOTENCE": str(settings.kafka_idempotence).lower(),
        p + "KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
        p + "KAFKA_TOPIC_PARTITIONS": str(settings.kafka_topic_partitions),
        p + "OUTBOX_POLL_INTERVAL_S": str(settings.outbox_poll_interval_s),
        p + "RELAY_PORT": str(settings.relay_port),
    }
    log = tmp_path / "relay.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(  # our own module
            [sys.executable, "-m", "talentflow.ingest.relay"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    proc.log = log  # type: ignore[attr-defined]
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


class TestRelayProcess:
    async def test_publishes_serves_its_port_and_exits_0_on_sigterm(
        self, settings: Settings, db: AsyncEngine, events, relay_process
    ) -> None:
        vendor_id = uuid.uuid4()
        ids = await enqueue_results(db, vendor_id, 1)
        url = f"http://127.0.0.1:{settings.relay_port}"
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:
            deadline = asyncio.get_running_loop().time() + 60
            while True:
                assert relay_process.poll() is None, relay_process.log.read_text()
                try:
                    readyz = await client.get("/readyz")
                    if readyz.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert asyncio.get_running_loop().time() < deadline, "not ready in time"
                await asyncio.sleep(0.2)
            assert readyz.json()["checks"] == {"database": "ok", "broker": "ok"}
            assert (await client.get("/healthz")).status_code == 200
            # Background work: the process lowered its CPU priority (RELAY_NICE, default 10).
            ours = os.getpriority(os.PRIO_PROCESS, 0)
            assert os.getpriority(os.PRIO_PROCESS, relay_process.pid) == max(10, ours)

            (envelope,) = await events(INTERVIEW_RESULTS, 1, vendor_id)
            assert envelope.id == ids[0]
            found = await wait_for_metrics(
                client, lambda m: m.get("talentflow_outbox_pending_events") == 0
            )
            assert found["talentflow_outbox_events_published_total"] >= 1

        relay_process.send_signal(signal.SIGTERM)
        returncode = await asyncio.to_thread(relay_process.wait, 30)
        log = relay_process.log.read_text()
        assert returncode == 0, log
        assert "Traceback" not in log, log
        assert await published(db, ids)


class TestLowerPriority:
    """In a child process: niceness is per process, and this one must keep its own."""

    @staticmethod
    def niceness_after(*steps: int) -> list[int]:
        code = (
            "import sys; from talentflow.ingest.relay import lower_priority; "
            "print(*(lower_priority(int(n)) for n in sys.argv[1:]))"
        )
        out = subprocess.run(  # noqa: S603 - our own module and numbers
            [sys.executable, "-c", code, *map(str, steps)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return [int(n) for n in out.stdout.split()]

    def test_lowers_but_never_raises_it_again(self) -> None:
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert self.niceness_after(15, 10) == [max(15, ours), max(15, ours)]

    def test_zero_leaves_a_process_as_started(self) -> None:
        assert self.niceness_after(0) == [os.getpriority(os.PRIO_PROCESS, 0)]
