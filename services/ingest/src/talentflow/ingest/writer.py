"""Group commit for webhook deliveries: many concurrent requests, few statements.

Each request verifies, parses and normalizes its delivery itself, then hands the result to
`ResultWriter.write` and waits. The writer gathers what concurrent requests hand in (up to
`max_items`, lingering up to `max_wait_s` for company when few are waiting) and stores them
together; each request is answered only after the commit that stored it, with its own
outcome.

- First deliveries of new results, the common case, are stored in one statement that
  commits on its own (`storage.store_new`: one round trip for the batch). The rest of the
  batch (redeliveries, corrections, anything that statement left) is then stored, in order,
  with `storage.store` in one transaction.
- Both check that each delivery's vendor is still in the state (row, tenant policy, active
  secret ids) the delivery was checked against: one checked against an older state fails
  with `VendorChanged`, so its request can check it again (a retired secret or a disabled
  vendor never gets a 2xx).
- Each of the `concurrency` slots is a task with a connection of its own, kept from batch
  to batch: no pool checkout and no new task per batch. A free slot gathers the next batch
  (one slot at a time) and stores it itself, so its statement goes out in the same turn of
  the event loop as the linger ends. A connection found closed before a batch is replaced
  first; one that fails during a batch is dropped, and the slot's next batch opens a new
  one.
- The database unavailable: every request not yet stored gets `Unavailable` (503, retry),
  and nothing of theirs is stored.
- Anything else that fails is an item's fault or a bug: the transaction's batch is split
  in halves and retried until the failing item is alone, and only its request gets the error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from prometheus_client import Counter as Metric
from prometheus_client import Histogram
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from talentflow.common.crypto import FieldCipher
from talentflow.common.db import DriverConnection, driver_errors
from talentflow.common.errors import Unavailable
from talentflow.ingest import storage
from talentflow.ingest.results import repository

log = logging.getLogger(__name__)

BATCH_ITEMS = Histogram(
    "talentflow_ingest_write_batch_items",
    "Webhook deliveries stored per commit (group commit: one statement or one transaction)",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)

STORED = Metric(
    "talentflow_ingest_deliveries_stored_total",
    "Webhook deliveries answered after a commit, by how they were stored (one_statement: new "
    "results; transaction: the rest) and outcome (accepted, corrected, duplicate)",
    ["path", "status"],
)

RETRY_AFTER = {"Retry-After": "5"}


class VendorChanged(Exception):
    """The vendor's settings changed after the delivery was checked: check it again."""


@dataclass(slots=True)
class _Slot:
    """One batch in flight at a time, and the connection it keeps between batches."""

    conn: AsyncConnection | None = None
    db: DriverConnection | None = None


@dataclass(frozen=True, slots=True)
class _Pending:
    item: storage.Incoming
    vendor_state: repository.VendorState
    future: asyncio.Future[storage.Stored]


class ResultWriter:
    """Stores webhook deliveries in shared transactions; `start()` it, `await stop()` it."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        cipher: FieldCipher,
        max_items: int = 64,
        max_wait_s: float = 0.002,
        concurrency: int = 2,
        after_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._engine = engine
        self._cipher = cipher
        self._max_items = max_items
        self._max_wait_s = max_wait_s
        self._concurrency = concurrency
        self._after_commit = after_commit
        self._queue: deque[_Pending] = deque()
        self._arrived = asyncio.Event()
        self._full = asyncio.Event()
        self._gate = asyncio.Lock()  # one free slot gathers the next batch at a time
        self._slot_tasks: list[asyncio.Task[None]] = []
        self._closed = False
        self.stats: Counter[str] = Counter()

    def start(self) -> None:
        self._slot_tasks = [
            asyncio.create_task(self._serve(_Slot()), name=f"ingest-result-writer-{n}")
            for n in range(self._concurrency)
        ]

    async def stop(self) -> None:
        """Store what was handed in, then stop."""
        self._closed = True
        self._arrived.set()  # a slot waiting for deliveries sees there will be none
        self._full.set()  # one lingering stores what it has at once
        await asyncio.gather(*self._slot_tasks, return_exceptions=True)

    async def write(
        self, item: storage.Incoming, *, vendor_state: repository.VendorState
    ) -> storage.Stored:
        """Store `item` in the next batch; return once that batch has committed."""
        if self._closed:
            raise Unavailable("the service is shutting down; retry", headers=RETRY_AFTER)
        future: asyncio.Future[storage.Stored] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(item, vendor_state, future))
        self._arrived.set()
        if len(self._queue) >= self._max_items:
            self._full.set()
        return await future

    async def _serve(self, slot: _Slot) -> None:
        """One batch in flight at a time on `slot`: gather it (while no other free slot
        does), then store it in this same task, so the statement goes out as soon as the
        linger ends. Until stopped and nothing is left to store."""
        try:
            while True:
                async with self._gate:
                    batch = await self._gather()
                if not batch:
                    return
                try:
                    await self._commit(batch, slot)
                except Exception as exc:  # a bug: fail this batch, keep the slot serving
                    log.exception("storing a batch failed", extra={"error": type(exc).__name__})
                    for p in batch:
                        _fail(p, exc)
        finally:
            await self._disconnect(slot)

    async def _gather(self) -> list[_Pending]:
        """The next batch: wait for a delivery, linger briefly if few are waiting, take up to
        `max_items`. Empty once stopped with nothing left."""
        while not self._queue:
            if self._closed:
                return []
            self._arrived.clear()
            await self._arrived.wait()
        if len(self._queue) < self._max_items and self._max_wait_s > 0 and not self._closed:
            self._full.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._max_wait_s):
                    await self._full.wait()
        return [self._queue.popleft() for _ in range(min(self._max_items, len(self._queue)))]

    async def _commit(self, batch: Sequence[_Pending], slot: _Slot) -> None:
        """Store `batch` and answer each of its requests: the new results in one statement,
        then the rest (in order) in one transaction."""
        if not batch:
            return
        try:
            stored = await self._store_new(batch, slot)
        except Exception as exc:
            if unavailable(exc):
                self._unavailable(batch, exc)
                return
            # An item's fault or a bug: the transaction below finds the item at fault.
            log.warning("the one-statement store failed", extra={"error": type(exc).__name__})
            stored = [None] * len(batch)
        new = [(p, s) for p, s in zip(batch, stored, strict=True) if s is not None]
        if new:
            self.stats["one_statement"] += len(new)
            self._answer(new, batch_items=len(new), path="one_statement")
        await self._commit_in_transaction(
            [p for p, s in zip(batch, stored, strict=True) if s is None], slot
        )

    async def _commit_in_transaction(self, batch: Sequence[_Pending], slot: _Slot) -> None:
        """Store `batch` in one transaction and answer each of its requests."""
        if not batch:
            return
        try:
            live, stored = await self._store(batch, slot)
        except Exception as exc:
            if unavailable(exc):
                self._unavailable(batch, exc)
            elif len(batch) > 1:
                middle = len(batch) // 2
                await self._commit_in_transaction(batch[:middle], slot)
                await self._commit_in_transaction(batch[middle:], slot)
            else:
                log.exception("storing a delivery failed", extra={"error": type(exc).__name__})
                self.stats["failed"] += 1
                _fail(batch[0], exc)
            return
        self._answer(
            list(zip(live, stored, strict=True)), batch_items=len(batch), path="transaction"
        )
        for p in batch:
            _fail(p, VendorChanged())  # only those not answered above

    def _answer(
        self, answers: Sequence[tuple[_Pending, storage.Stored]], *, batch_items: int, path: str
    ) -> None:
        """After a commit: wake the relay, count, answer each request with its outcome."""
        self._after_commit()
        statuses: Counter[str] = Counter(s.status for _, s in answers)
        self.stats.update(statuses)
        for status, count in statuses.items():
            STORED.labels(path, status).inc(count)
        self.stats["batches"] += 1
        self.stats["items"] += batch_items
        BATCH_ITEMS.observe(batch_items)
        log.debug("stored a batch", extra={"items": batch_items, **statuses})
        for p, result in answers:
            if not p.future.done():
                p.future.set_result(result)

    def _unavailable(self, batch: Sequence[_Pending], exc: BaseException) -> None:
        log.error(
            "storing a batch failed: database unavailable",
            extra={"items": len(batch), "error": type(exc).__name__},
        )
        self.stats["unavailable"] += len(batch)
        for p in batch:
            _fail(p, Unavailable("the database is unavailable; retry", headers=RETRY_AFTER))

    async def _store_new(
        self, batch: Sequence[_Pending], slot: _Slot
    ) -> list[storage.Stored | None]:
        """The batch's new results in one statement, outside a transaction (`store_new`)."""
        async with self._driver(slot) as db:
            return await storage.store_new(
                db,
                cipher=self._cipher,
                items=[p.item for p in batch],
                vendor_digests=[p.vendor_state.digest for p in batch],
            )

    async def _store(
        self, batch: Sequence[_Pending], slot: _Slot
    ) -> tuple[list[_Pending], list[storage.Stored]]:
        """One transaction straight on the driver (no session: a batch of one costs little
        more than its statements): the vendors' state, then `storage.store`."""
        async with self._driver(slot) as db:
            with driver_errors():
                async with db.transaction():
                    vendors = {p.item.vendor_id for p in batch}
                    states = await repository.vendor_states(db, vendors)
                    live = [p for p in batch if states.get(p.item.vendor_id) == p.vendor_state]
                    items = [p.item for p in live]
                    return live, await storage.store(db, cipher=self._cipher, items=items)

    @contextlib.asynccontextmanager
    async def _driver(self, slot: _Slot) -> AsyncIterator[DriverConnection]:
        """The slot's asyncpg connection: the one it kept, unless that was closed meanwhile
        (the server ended it, say), else a new one from the engine. Dropped if the database
        went away during the batch, or if it was left in a transaction."""
        if slot.db is not None and slot.db.is_closed():
            await self._disconnect(slot, invalidate=True)
        if slot.conn is None or slot.db is None:
            slot.conn = await self._engine.connect()
            slot.db = (await slot.conn.get_raw_connection()).driver_connection
            assert slot.db is not None
        db = slot.db
        try:
            yield db
        except Exception as exc:
            if unavailable(exc):
                await self._disconnect(slot, invalidate=True)
            raise
        finally:
            if slot.db is db and db.is_in_transaction():  # never hand on a half transaction
                await self._disconnect(slot, invalidate=True)

    @staticmethod
    async def _disconnect(slot: _Slot, *, invalidate: bool = False) -> None:
        """Give the slot's connection back to the engine (closed for good if `invalidate`)."""
        conn, slot.conn, slot.db = slot.conn, None, None
        if conn is None:
            return
        with contextlib.suppress(Exception):  # it may be broken already: nothing to save
            if invalidate:
                await conn.invalidate()
            await conn.close()


def unavailable(exc: BaseException) -> bool:
    """True when `exc` says the database cannot be reached (not that a statement failed)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError | PoolTimeout | OSError)


def _fail(pending: _Pending, exc: BaseException) -> None:
    if not pending.future.done():
        pending.future.set_exception(exc)
