"""The resources a service holds while it runs: engine, sessions, producer, relay, consumers.

Created in the app's lifespan (never at import) and closed on shutdown:

    runtime = ServiceRuntime(settings, service="screening", tables=TABLES)
    runtime.add_consumer("screening", [INTERVIEW_RESULTS], handle_result)
    async with runtime:
        app.state.runtime = runtime
        yield
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType

from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from talentflow.common import db, kafka
from talentflow.common.app import ReadinessCheck
from talentflow.common.consumer import EventConsumer, Handler
from talentflow.common.crypto import FieldCipher, load_master_key
from talentflow.common.events.registry import ALL_TOPICS, dead_letter_topic
from talentflow.common.logging import error_summary
from talentflow.common.outbox import OutboxRelay
from talentflow.common.settings import ServiceSettings
from talentflow.common.tables import PlatformTables

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _ConsumerSpec:
    name: str
    topics: Sequence[str]
    handler: Handler


class ServiceRuntime:
    """Owns a service's connections and background tasks."""

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        service: str,
        tables: PlatformTables,
        relay: bool = True,
    ) -> None:
        self.settings = settings
        self.service = service
        self.tables = tables
        self.cipher = FieldCipher(
            load_master_key(settings.encryption_key.get_secret_value()), tables.subject_keys
        )
        self._want_relay = relay
        self._specs: list[_ConsumerSpec] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._relay_task: asyncio.Task[None] | None = None
        self.engine: AsyncEngine | None = None
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None
        self._producer: AIOKafkaProducer | None = None
        self.relay: OutboxRelay | None = None
        self.consumers: list[EventConsumer] = []

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        assert self._sessionmaker is not None, "runtime not started"
        return self._sessionmaker

    @property
    def producer(self) -> AIOKafkaProducer:
        assert self._producer is not None, "runtime not started"
        return self._producer

    def add_consumer(self, name: str, topics: Sequence[str], handler: Handler) -> None:
        """Consume `topics` (logical names) in group `<service>.<name>` with `handler`.

        Ignored when the settings say `run_consumers=False`.
        """
        if not self.settings.run_consumers:
            return
        self._specs.append(_ConsumerSpec(name=name, topics=topics, handler=handler))

    def notify_outbox(self) -> None:
        """Wake the relay after a commit that wrote outbox rows."""
        if self.relay is not None:
            self.relay.notify()

    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        checks: dict[str, ReadinessCheck] = {}
        if self.engine is not None:
            engine = self.engine
            checks["database"] = lambda: db.ping(engine)
        if self._producer is not None:
            producer = self._producer
            checks["broker"] = lambda: kafka.ping(producer)
        return checks

    async def start(self) -> None:
        s = self.settings
        self.engine = db.create_engine(s.database_url, pool_size=s.database_pool_size)
        self._sessionmaker = db.create_sessionmaker(self.engine)
        topics = [s.kafka_topic_prefix + t for t in ALL_TOPICS]
        topics += [s.kafka_topic_prefix + dead_letter_topic(t) for t in ALL_TOPICS]
        await kafka.ensure_topics(
            s.kafka_bootstrap,
            topics,
            partitions=s.kafka_topic_partitions,
            replication_factor=s.kafka_replication_factor,
        )
        self._producer = kafka.create_producer(
            s.kafka_bootstrap, idempotence=s.kafka_idempotence, client_id=self.service
        )
        await self._producer.start()
        if self._want_relay:
            self.relay = OutboxRelay(
                self.sessionmaker,
                self.tables.outbox,
                self._producer,
                cipher=self.cipher,
                batch_size=s.outbox_batch_size,
                poll_interval=s.outbox_poll_interval_s,
                retention=timedelta(days=s.outbox_retention_days),
                topic_prefix=s.kafka_topic_prefix,
            )
            self._relay_task = asyncio.create_task(self.relay.run(), name=f"{self.service}-relay")
        self.consumers = [self._consumer(spec) for spec in self._specs]
        # Joining a group can take seconds: start every consumer at once.
        await asyncio.gather(*(consumer.start() for consumer in self.consumers))
        for consumer in self.consumers:
            self._tasks.append(asyncio.create_task(self._supervise(consumer), name=consumer.name))

    def _consumer(self, spec: _ConsumerSpec) -> EventConsumer:
        s = self.settings
        return EventConsumer(
            name=f"{self.service}.{spec.name}",
            topics=spec.topics,
            group_id=f"{s.kafka_topic_prefix}{self.service}.{spec.name}",
            bootstrap=s.kafka_bootstrap,
            sessionmaker=self.sessionmaker,
            processed_events=self.tables.processed_events,
            handler=spec.handler,
            dlq_producer=self.producer,
            max_attempts=s.consumer_max_attempts,
            session_timeout_ms=s.consumer_session_timeout_ms,
            heartbeat_interval_ms=s.consumer_heartbeat_interval_ms,
            after_commit=self.notify_outbox,
            topic_prefix=s.kafka_topic_prefix,
        )

    async def _supervise(self, consumer: EventConsumer) -> None:
        """Keep a consumer loop running; a crash is logged and the loop resumes."""
        while True:
            try:
                await consumer.run()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(
                    "consumer loop crashed; restarting", extra={"consumer": consumer.name}
                )
                await asyncio.sleep(1)

    async def stop(self, drain_timeout: float = 5.0) -> None:
        """Stop consuming, let the relay publish what is pending (bounded), then close."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        for consumer in self.consumers:
            with contextlib.suppress(Exception):
                await consumer.stop()
        self.consumers.clear()
        await self._stop_relay(drain_timeout)
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await self._producer.stop()
        if self.engine is not None:
            await self.engine.dispose()

    async def _stop_relay(self, drain_timeout: float) -> None:
        """End the relay between batches (never mid-batch: a batch sent but not yet marked
        published would be sent again by the next relay), then publish what is left."""
        if self.relay is None or self._relay_task is None:
            return
        relay, task = self.relay, self._relay_task
        self._relay_task = None
        relay.stop()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=drain_timeout)
        except (TimeoutError, Exception):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            return

        async def drain() -> None:
            while await relay.publish_batch():
                pass

        try:
            await asyncio.wait_for(drain(), timeout=drain_timeout)
        except Exception as exc:  # shutting down: what is left waits for the next start
            log.warning("outbox not drained at shutdown", extra={"error": error_summary(exc)})

    async def __aenter__(self) -> ServiceRuntime:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
