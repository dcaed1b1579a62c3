"""What the webhook route works with instead of a transaction per request: the vendors'
settings (cached) and the group-commit writer.

A delivery is verified and normalized against a cached `VendorContext`; the writer re-reads
the vendor's state in the storing transaction and refuses deliveries checked against an older
one (`writer.VendorChanged`). Rejections are only ever decided on settings read for that
request (see `service.receive_webhook`), so the cache never turns away a delivery that
fresh settings would accept, nor stores one that they would refuse.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from standardwebhooks import Webhook

from talentflow.common.db import async_url, transaction
from talentflow.common.runtime import ServiceRuntime
from talentflow.ingest import webhooks
from talentflow.ingest.config import Settings
from talentflow.ingest.models import BiometricsPolicy, Vendor
from talentflow.ingest.results import repository
from talentflow.ingest.vendors import active_secret_values
from talentflow.ingest.writer import ResultWriter


@dataclass(frozen=True)
class VendorContext:
    """A vendor's settings as read at `loaded_at`, ready to check deliveries."""

    vendor: Vendor  # transient: not attached to any session
    policy: BiometricsPolicy  # the tenant's biometrics policy
    state: repository.VendorState
    verifiers: tuple[Webhook, ...]  # one per active secret
    loaded_at: float


class VendorCache:
    """Vendor contexts by id, for up to `ttl_s`; concurrent misses share one read."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        master_key: bytes,
        ttl_s: float = 60.0,
        max_entries: int = 10_000,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._master_key = master_key
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._entries: OrderedDict[uuid.UUID, VendorContext] = OrderedDict()
        self._loading: dict[uuid.UUID, asyncio.Task[VendorContext | None]] = {}

    async def get(
        self, vendor_id: uuid.UUID, *, fresh: bool = False
    ) -> tuple[VendorContext | None, bool]:
        """(the vendor's context or None if there is no such vendor, whether it came from the
        cache); `fresh` reads the database."""
        if not fresh:
            cached = self._entries.get(vendor_id)
            if cached is not None and time.monotonic() - cached.loaded_at < self._ttl_s:
                return cached, True
        loading = self._loading.get(vendor_id)
        if loading is None:
            # A task of its own: a cancelled request does not cancel the others' read.
            loading = asyncio.create_task(self._load(vendor_id))
            self._loading[vendor_id] = loading
            loading.add_done_callback(lambda _: self._loading.pop(vendor_id, None))
        return await asyncio.shield(loading), False

    async def _load(self, vendor_id: uuid.UUID) -> VendorContext | None:
        async with transaction(self._sessionmaker) as session:
            state = (await repository.vendor_states(session, [vendor_id])).get(vendor_id)
            secrets = (
                await active_secret_values(
                    session, master_key=self._master_key, vendor_id=vendor_id
                )
                if state is not None
                else []
            )
        if state is None:
            self._entries.pop(vendor_id, None)
            return None
        context = VendorContext(
            vendor=state.vendor_row(),
            policy=BiometricsPolicy(state.policy),
            state=state,
            verifiers=tuple(webhooks.verifiers(secrets)),
            loaded_at=time.monotonic(),
        )
        self._entries[vendor_id] = context
        self._entries.move_to_end(vendor_id)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return context


@dataclass(frozen=True)
class Intake:
    """The webhook route's resources, made in the app's lifespan."""

    vendors: VendorCache
    writer: ResultWriter
    max_body_bytes: int


@contextlib.asynccontextmanager
async def open_intake(
    runtime: ServiceRuntime, settings: Settings, *, master_key: bytes
) -> AsyncIterator[Intake]:
    """The webhook route's resources for the app's lifespan (the writer stores what it was
    handed before it stops)."""
    # The writer's own connections, one per batch in flight, kept from batch to batch: no
    # pre-ping round trips (a connection found closed is replaced; one that breaks during a
    # batch fails that batch with 503 and is replaced).
    engine = create_async_engine(
        async_url(settings.database_url),
        pool_size=settings.webhook_batch_concurrency,
        max_overflow=0,
    )
    writer = ResultWriter(
        engine,
        cipher=runtime.cipher,
        max_items=settings.webhook_batch_max_items,
        max_wait_s=settings.webhook_batch_max_wait_ms / 1000,
        concurrency=settings.webhook_batch_concurrency,
        after_commit=runtime.notify_outbox,
    )
    vendors = VendorCache(
        runtime.sessionmaker, master_key=master_key, ttl_s=settings.vendor_cache_ttl_s
    )
    writer.start()
    try:
        yield Intake(vendors=vendors, writer=writer, max_body_bytes=settings.webhook_max_body_bytes)
    finally:
        await writer.stop()
        await engine.dispose()
