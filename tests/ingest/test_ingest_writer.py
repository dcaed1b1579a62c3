"""Group commit of webhook deliveries: shared transactions, each request answered on its own."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from pydantic import ValidationError
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from talentflow.common.crypto import FieldCipher, load_master_key
from talentflow.common.db import async_url, create_engine, create_sessionmaker
from talentflow.common.errors import Unavailable
from talentflow.common.events import CandidateContact
from talentflow.common.ids import candidate_id
from talentflow.devstack.testing import running_app
from talentflow.devstack.testing import service_settings_env as settings_env
from talentflow.ingest import storage
from talentflow.ingest.config import Settings
from talentflow.ingest.main import create_app
from talentflow.ingest.models import PLATFORM, BiometricsPolicy
from talentflow.ingest.normalize import Normalized
from talentflow.ingest.results import repository
from talentflow.ingest.writer import ResultWriter, VendorChanged

RECEIVED = "talentflow.ingest.InterviewResultReceived.v1"
CORRECTED = "talentflow.ingest.InterviewResultCorrected.v1"
LINGER_MS = 50  # long enough for concurrent test requests to land in one batch


@pytest.fixture
def settings(ingest_database_url: str, kafka: tuple[str, bool]) -> Settings:
    return Settings(
        **settings_env(database_url=ingest_database_url, kafka=kafka),
        webhook_batch_max_wait_ms=LINGER_MS,
        webhook_batch_concurrency=1,
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(app) as client:
        yield client


def writer_of(app: FastAPI) -> ResultWriter:
    writer: ResultWriter = app.state.intake.writer
    return writer


class TestGroupCommit:
    async def test_concurrent_deliveries_share_transactions_each_with_its_own_answer(
        self, h, app: FastAPI
    ) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)
        await h.deliver(vendor_id, secret, h.payload())  # the vendor is now cached
        batches_before = writer_of(app).stats["batches"]

        responses = await asyncio.gather(
            *(h.deliver(vendor_id, secret, h.payload()) for _ in range(30))
        )

        assert [r.status_code for r in responses] == [202] * 30
        result_ids = {r.json()["result_id"] for r in responses}
        assert len(result_ids) == 30
        rows = await h.rows("SELECT id FROM ingest.results WHERE vendor_id = :v", v=vendor_id)
        assert {str(r["id"]) for r in rows} >= result_ids and len(rows) == 31
        assert writer_of(app).stats["batches"] - batches_before < 10

    async def test_the_same_webhook_id_twice_in_one_batch_is_one_result(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)
        await h.deliver(vendor_id, secret, h.payload())
        payload = h.payload()

        responses = await asyncio.gather(
            *(h.deliver(vendor_id, secret, payload, webhook_id="msg_twice") for _ in range(5))
        )

        assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 202]
        assert len({r.json()["result_id"] for r in responses}) == 1
        outbox = await h.rows(
            "SELECT id FROM ingest.outbox WHERE subject = :s",
            s=f"results/{responses[0].json()['result_id']}",
        )
        assert len(outbox) == 1


class TestVendorSettingsChange:
    async def test_a_cached_vendor_disabled_since_gets_404(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)
        assert (await h.deliver(vendor_id, secret, h.payload())).status_code == 202

        await h.client.patch(
            f"/v1/vendors/{vendor_id}", json={"enabled": False}, headers=h.auth(tenant)
        )
        response = await h.deliver(vendor_id, secret, h.payload())

        assert response.status_code == 404

    async def test_a_secret_added_since_verifies_at_once(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, old = await h.vendor(tenant)
        assert (await h.deliver(vendor_id, old, h.payload())).status_code == 202

        added = await h.client.post(f"/v1/vendors/{vendor_id}/secrets", headers=h.auth(tenant))
        response = await h.deliver(vendor_id, added.json()["secret"], h.payload())

        assert response.status_code == 202

    async def test_a_policy_changed_since_applies_to_the_next_delivery(self, h) -> None:
        tenant = await h.tenant("US", "allow")
        vendor_id, secret = await h.vendor(tenant)
        assert (await h.deliver(vendor_id, secret, h.payload())).status_code == 202

        changed = await h.client.put(
            "/v1/tenant",
            json={"jurisdiction": "US", "biometrics_policy": "drop"},
            headers=h.auth(tenant),
        )
        assert changed.status_code == 200
        response = await h.deliver(vendor_id, secret, h.payload())

        (row,) = await h.rows(
            "SELECT biometrics_policy, biometrics_enc FROM ingest.results WHERE id = :id",
            id=uuid.UUID(response.json()["result_id"]),
        )
        assert row == {"biometrics_policy": "drop", "biometrics_enc": None}


def normalized(tenant: uuid.UUID, **overrides: Any) -> Normalized:
    external_id = f"ats-{uuid.uuid4().hex[:8]}"
    values: dict[str, Any] = {
        "vendor_result_id": f"r-{uuid.uuid4().hex[:8]}",
        "candidate_id": candidate_id(tenant, external_id),
        "candidate": CandidateContact(external_id=external_id, name="Grace Hopper"),
        "job_id": uuid.UUID(int=7),
        "interviewed_at": datetime(2026, 3, 1, tzinfo=UTC),
        "overall_score": 70.0,
        "competencies": {"communication": 80.0},
        "counts": {},
        "evidence": [],
        "policy": BiometricsPolicy.DROP,
        "stored_biometrics": None,
        "published_biometrics": {},
        "dropped_metrics": [],
        "report_url": None,
        "archive": b"{}",
        **overrides,
    }
    return Normalized(**values)


@contextlib.asynccontextmanager
async def own_writer(
    url: str, name: str, cipher: FieldCipher
) -> AsyncIterator[tuple[ResultWriter, Counter[str]]]:
    """A started writer of one slot, no lingering, on an engine as the app gives it (no
    pre-ping) whose connections are named `name`; and a count of the pool's checkouts and
    checkins. Stopped at the end, unless the test stopped it."""
    engine = create_async_engine(
        async_url(url),
        pool_size=2,
        max_overflow=0,
        connect_args={"server_settings": {"application_name": name}},
    )
    counts: Counter[str] = Counter()
    for kind in ("checkout", "checkin"):
        event.listen(engine.sync_engine.pool, kind, lambda *_, kind=kind: counts.update([kind]))
    writer = ResultWriter(engine, cipher=cipher, max_wait_s=0, concurrency=1)
    writer.start()
    try:
        yield writer, counts
    finally:
        await writer.stop()
        await engine.dispose()


class Deliveries:
    """Items of one vendor for a ResultWriter of the test's own, and what got stored."""

    def __init__(self, h, db: AsyncEngine, tenant: uuid.UUID, vendor_id: uuid.UUID) -> None:
        self.h, self.db, self.tenant, self.vendor_id = h, db, tenant, vendor_id
        self.cipher = self.new_cipher()

    def writer(
        self, engine: AsyncEngine | None = None, *, cipher: FieldCipher | None = None
    ) -> ResultWriter:
        return ResultWriter(
            engine or self.db, cipher=cipher or self.cipher, max_wait_s=LINGER_MS / 1000
        )

    def new_cipher(self) -> FieldCipher:
        """The cipher of another process: no key cached."""
        key = load_master_key(self.h.settings.encryption_key.get_secret_value())
        return FieldCipher(key, PLATFORM.subject_keys)

    def item(self, **overrides: Any) -> storage.Incoming:
        return storage.Incoming(
            tenant_id=self.tenant,
            vendor_id=self.vendor_id,
            format="talentflow.v1",
            result=normalized(self.tenant, **overrides),
            webhook_id=f"msg-{uuid.uuid4().hex}",
        )

    async def state(self) -> repository.VendorState:
        async with create_sessionmaker(self.db)() as session:
            return (await repository.vendor_states(session, [self.vendor_id]))[self.vendor_id]

    async def ddl(self, *statements: str) -> None:
        async with self.db.begin() as conn:
            for statement in statements:
                await conn.exec_driver_sql(statement)

    async def sql(self, statement: str, **params: Any) -> None:
        async with self.db.begin() as conn:
            await conn.execute(text(statement), params)

    async def stored(self) -> int:
        rows = await self.h.rows(
            "SELECT count(*) AS n FROM ingest.results WHERE vendor_id = :v", v=self.vendor_id
        )
        return int(rows[0]["n"])


@pytest.fixture
async def d(h, db: AsyncEngine) -> Deliveries:
    tenant = await h.tenant()
    vendor_id, _ = await h.vendor(tenant)
    return Deliveries(h, db, tenant, vendor_id)


class TestResultWriter:
    async def test_an_item_that_cannot_be_stored_fails_only_its_own_request(
        self, d: Deliveries
    ) -> None:
        writer = d.writer()
        writer.start()
        state = await d.state()
        items = [d.item() for _ in range(7)] + [d.item(overall_score=150.0)] + [d.item()]

        outcomes = await asyncio.gather(
            *(writer.write(i, vendor_state=state) for i in items), return_exceptions=True
        )
        await writer.stop()

        assert isinstance(outcomes[7], ValidationError)
        good = outcomes[:7] + outcomes[8:]
        assert all(isinstance(o, storage.Stored) and o.status == "accepted" for o in good)
        assert await d.stored() == 8

    async def test_a_database_failure_mid_batch_answers_503_to_all_and_stores_nothing(
        self, d: Deliveries
    ) -> None:
        doomed = uuid.uuid4()  # the candidate whose outbox row makes the server end the session
        name = f"die_{doomed.hex}"
        await d.ddl(
            f"CREATE FUNCTION ingest.{name}() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$",
            f"CREATE TRIGGER {name} BEFORE INSERT ON ingest.outbox FOR EACH ROW "
            f"WHEN (NEW.subject_id = '{doomed}') EXECUTE FUNCTION ingest.{name}()",
        )
        writer = d.writer()
        writer.start()
        state = await d.state()
        items = [d.item() for _ in range(4)] + [d.item(candidate_id=doomed)]
        try:
            outcomes = await asyncio.gather(
                *(writer.write(item, vendor_state=state) for item in items),
                return_exceptions=True,
            )
            await writer.stop()
        finally:
            await d.ddl(f"DROP FUNCTION ingest.{name}() CASCADE")

        assert all(isinstance(o, Unavailable) and o.status_code == 503 for o in outcomes)
        assert await d.stored() == 0

    async def test_a_bug_after_a_commit_fails_that_batch_and_the_slot_keeps_serving(
        self, d: Deliveries
    ) -> None:
        """Each slot is one task for the writer's life: an unexpected error in a batch must
        answer that batch's requests (here: the hook run after each commit raises once), not
        leave them waiting or take the slot down with it."""
        calls = 0

        def after_commit() -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("a bug in the hook")

        writer = ResultWriter(
            d.db, cipher=d.cipher, max_wait_s=0, concurrency=1, after_commit=after_commit
        )
        writer.start()
        state = await d.state()
        try:
            with pytest.raises(RuntimeError, match="a bug in the hook"):
                await asyncio.wait_for(writer.write(d.item(), vendor_state=state), 10)
            second = await asyncio.wait_for(writer.write(d.item(), vendor_state=state), 10)
        finally:
            await writer.stop()

        assert second.status == "accepted"
        assert await d.stored() == 2

    async def test_stop_stores_what_was_handed_in_and_then_refuses(self, d: Deliveries) -> None:
        writer = ResultWriter(d.db, cipher=d.cipher, max_wait_s=0.5, concurrency=2)
        writer.start()
        state = await d.state()
        pending = [
            asyncio.ensure_future(writer.write(d.item(), vendor_state=state)) for _ in range(5)
        ]
        await asyncio.sleep(0)  # handed in; the linger (0.5 s) has begun

        await asyncio.wait_for(writer.stop(), 10)

        assert all(p.done() and p.result().status == "accepted" for p in pending)
        assert await d.stored() == 5
        with pytest.raises(Unavailable):
            await writer.write(d.item(), vendor_state=state)

    async def test_an_unreachable_database_answers_503(self, d: Deliveries) -> None:
        engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:9/nowhere", pool_size=1)
        writer = d.writer(engine)
        writer.start()
        state = await d.state()
        try:
            outcomes = await asyncio.gather(
                *(writer.write(d.item(), vendor_state=state) for _ in range(3)),
                return_exceptions=True,
            )
            await writer.stop()
        finally:
            await engine.dispose()

        assert all(isinstance(o, Unavailable) for o in outcomes)

    async def test_a_burst_is_stored_in_capped_batches_two_in_flight(self, d: Deliveries) -> None:
        class Watched(ResultWriter):
            """Records each batch's size and how many batches were being stored at once."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.sizes: list[int] = []
                self.storing = self.most = 0

            async def _store_new(
                self, batch: Sequence[Any], slot: Any
            ) -> list[storage.Stored | None]:
                self.sizes.append(len(batch))
                self.storing += 1
                self.most = max(self.most, self.storing)
                try:
                    return await super()._store_new(batch, slot)
                finally:
                    self.storing -= 1

        writer = Watched(d.db, cipher=d.cipher, max_items=10, max_wait_s=0.05, concurrency=2)
        writer.start()
        state = await d.state()

        outcomes = await asyncio.gather(
            *(writer.write(d.item(), vendor_state=state) for _ in range(35))
        )
        await writer.stop()

        assert [o.status for o in outcomes] == ["accepted"] * 35
        assert max(writer.sizes) == 10 and sum(writer.sizes) == 35
        assert writer.most == 2  # the next batch is stored while one is in flight
        assert await d.stored() == 35

    async def test_each_batch_slot_keeps_its_connection_from_batch_to_batch(
        self, d: Deliveries, ingest_database_url: str
    ) -> None:
        async with own_writer(ingest_database_url, "writer-keeps", d.cipher) as (writer, pool):
            state = await d.state()
            outcomes = [await writer.write(d.item(), vendor_state=state) for _ in range(5)]
            checked_out = pool["checkout"]
            await writer.stop()

            assert [o.status for o in outcomes] == ["accepted"] * 5
            assert checked_out == 1  # one checkout for five batches
            assert pool["checkin"] == 1  # given back when the writer stops

    async def test_a_connection_the_server_ended_between_batches_is_replaced(
        self, d: Deliveries, ingest_database_url: str
    ) -> None:
        async with own_writer(ingest_database_url, "writer-replaced", d.cipher) as (writer, pool):
            state = await d.state()
            first = await writer.write(d.item(), vendor_state=state)
            await d.sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'writer-replaced'"
            )
            await asyncio.sleep(0.2)  # the server's goodbye reaches the idle connection
            second = await writer.write(d.item(), vendor_state=state)

        assert (first.status, second.status) == ("accepted", "accepted")
        assert pool["checkout"] == 2
        assert await d.stored() == 2

    async def test_stopping_stores_what_was_handed_in(self, d: Deliveries) -> None:
        writer = d.writer()
        writer.start()
        state = await d.state()
        writes = [asyncio.create_task(writer.write(d.item(), vendor_state=state)) for _ in range(4)]
        await asyncio.sleep(0)  # handed in, still lingering

        await writer.stop()

        assert [(await w).status for w in writes] == ["accepted"] * 4
        assert await d.stored() == 4


def stored_metric(path: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "talentflow_ingest_deliveries_stored_total", {"path": path, "status": status}
    )
    return value or 0.0


class TestOneStatementStore:
    """New results take one statement; everything else the transaction, with the same rules."""

    async def write_all(
        self, writer: ResultWriter, items: list[storage.Incoming], state: repository.VendorState
    ) -> list[storage.Stored | BaseException]:
        writer.start()
        try:
            return await asyncio.gather(
                *(writer.write(item, vendor_state=state) for item in items),
                return_exceptions=True,
            )
        finally:
            await writer.stop()

    async def events_of(self, d: Deliveries, result_id: uuid.UUID) -> list[dict[str, Any]]:
        return await d.h.rows(
            "SELECT event_type FROM ingest.outbox WHERE subject = :s ORDER BY id",
            s=f"results/{result_id}",
        )

    async def test_new_results_are_stored_in_one_statement_with_receipts_and_events(
        self, d: Deliveries
    ) -> None:
        writer = d.writer()
        items = [d.item() for _ in range(6)]
        before = stored_metric("one_statement", "accepted")

        outcomes = await self.write_all(writer, items, await d.state())

        assert [o.status for o in outcomes if isinstance(o, storage.Stored)] == ["accepted"] * 6
        assert writer.stats["one_statement"] == 6
        assert stored_metric("one_statement", "accepted") == before + 6
        for item, stored in zip(items, outcomes, strict=True):
            assert isinstance(stored, storage.Stored)
            (receipt,) = await d.h.rows(
                "SELECT result_id, result_version FROM ingest.webhook_receipts"
                " WHERE vendor_id = :v AND webhook_id = :w",
                v=d.vendor_id,
                w=item.webhook_id,
            )
            assert receipt == {"result_id": stored.result_id, "result_version": 1}
            assert await self.events_of(d, stored.result_id) == [{"event_type": RECEIVED}]
            (row,) = await d.h.rows(
                "SELECT contact_enc FROM ingest.results WHERE id = :id", id=stored.result_id
            )
            contact = await d.h.decrypt(item.result.candidate_id, row["contact_enc"])
            assert b"Grace Hopper" in contact

    async def test_redeliveries_and_corrections_in_a_batch_are_stored_in_order(
        self, d: Deliveries
    ) -> None:
        state = await d.state()
        earlier = d.item()
        await self.write_all(d.writer(), [earlier], state)
        new = d.item()
        again = storage.Incoming(**{**vars(new), "webhook_id": f"msg-{uuid.uuid4().hex}"})
        redelivered = storage.Incoming(**{**vars(new)})
        corrected = d.item(vendor_result_id=new.result.vendor_result_id, overall_score=12.0)
        correction_of_earlier = d.item(
            vendor_result_id=earlier.result.vendor_result_id, overall_score=99.0
        )
        writer = d.writer()
        before = {
            status: stored_metric("transaction", status) for status in ("duplicate", "corrected")
        }

        outcomes = await self.write_all(
            writer, [new, again, redelivered, corrected, correction_of_earlier], state
        )

        assert all(isinstance(o, storage.Stored) for o in outcomes)
        first = outcomes[0]
        assert isinstance(first, storage.Stored)
        assert [(o.result_id, o.version, o.status) for o in outcomes[:4]] == [  # type: ignore[union-attr]
            (first.result_id, 1, "accepted"),
            (first.result_id, 1, "duplicate"),  # the same content under another webhook id
            (first.result_id, 1, "duplicate"),  # the same webhook id again
            (first.result_id, 2, "corrected"),
        ]
        assert outcomes[4].version == 2 and outcomes[4].status == "corrected"  # type: ignore[union-attr]
        assert writer.stats["one_statement"] == 1  # only the first delivery of `new`
        assert stored_metric("transaction", "duplicate") == before["duplicate"] + 2
        assert stored_metric("transaction", "corrected") == before["corrected"] + 2
        assert [e["event_type"] for e in await self.events_of(d, first.result_id)] == [
            RECEIVED,
            CORRECTED,
        ]

    async def test_a_delivery_checked_against_an_older_vendor_state_is_not_stored(
        self, d: Deliveries
    ) -> None:
        state = await d.state()
        await d.sql("UPDATE ingest.vendors SET name = 'Renamed' WHERE id = :v", v=d.vendor_id)
        assert (await d.state()).digest != state.digest
        writer = d.writer()

        outcomes = await self.write_all(writer, [d.item(), d.item()], state)

        assert all(isinstance(o, VendorChanged) for o in outcomes)
        assert writer.stats["one_statement"] == 0
        assert await d.stored() == 0

    async def test_the_vendor_state_digest_follows_secrets_and_the_tenant_policy(
        self, d: Deliveries
    ) -> None:
        digests = {(await d.state()).digest}
        await d.sql(
            "UPDATE ingest.vendor_secrets SET retired_at = now() WHERE vendor_id = :v",
            v=d.vendor_id,
        )
        digests.add((await d.state()).digest)
        await d.sql(
            "UPDATE ingest.tenants SET biometrics_policy = 'allow' WHERE id = :t", t=d.tenant
        )
        digests.add((await d.state()).digest)

        assert len(digests) == 3

    async def test_a_candidate_whose_key_was_made_elsewhere_is_stored_with_that_key(
        self, d: Deliveries
    ) -> None:
        item = d.item()
        subject = item.result.candidate_id
        elsewhere = d.new_cipher()
        async with create_sessionmaker(d.db)() as session, session.begin():
            await elsewhere.data_keys(session, [subject])
        writer = d.writer()  # its cipher has never seen the candidate

        (stored,) = await self.write_all(writer, [item], await d.state())

        assert isinstance(stored, storage.Stored) and stored.status == "accepted"
        assert writer.stats["one_statement"] == 0  # the fresh key it offered lost
        (row,) = await d.h.rows(
            "SELECT contact_enc FROM ingest.results WHERE id = :id", id=stored.result_id
        )
        async with create_sessionmaker(d.db)() as session:
            assert b"Grace Hopper" in await elsewhere.decrypt(session, subject, row["contact_enc"])

    async def test_a_cached_key_is_used_only_while_it_is_still_stored(self, d: Deliveries) -> None:
        state = await d.state()
        first = d.item()
        subject = first.result.candidate_id
        writers = [d.writer() for _ in range(3)]  # one cipher: d.cipher
        await self.write_all(writers[0], [first], state)
        await self.write_all(writers[1], [d.item(candidate_id=subject)], state)
        assert writers[1].stats["one_statement"] == 1  # with the key cached by the first
        await d.sql("DELETE FROM ingest.subject_keys WHERE subject_id = :s", s=subject)  # erased

        (stored,) = await self.write_all(writers[2], [d.item(candidate_id=subject)], state)

        assert isinstance(stored, storage.Stored) and stored.status == "accepted"
        assert writers[2].stats["one_statement"] == 0  # the cached key is gone: the transaction
        (row,) = await d.h.rows(
            "SELECT contact_enc FROM ingest.results WHERE id = :id", id=stored.result_id
        )
        assert b"Grace Hopper" in await d.h.decrypt(subject, row["contact_enc"])

    async def test_two_writers_storing_the_same_new_result_store_it_once(
        self, d: Deliveries
    ) -> None:
        state = await d.state()
        item = d.item()
        twin = storage.Incoming(**{**vars(item), "webhook_id": f"msg-{uuid.uuid4().hex}"})
        one, other = d.writer(), d.writer()

        outcomes = await asyncio.gather(
            self.write_all(one, [item], state), self.write_all(other, [twin], state)
        )

        statuses = sorted(o.status for (o,) in outcomes)  # type: ignore[union-attr]
        assert statuses == ["accepted", "duplicate"]
        assert await d.stored() == 1
        ((a,), (b,)) = outcomes
        assert a.result_id == b.result_id  # type: ignore[union-attr]
        assert len(await self.events_of(d, a.result_id)) == 1  # type: ignore[union-attr]

    async def test_two_processes_with_a_new_candidate_agree_on_one_key(self, d: Deliveries) -> None:
        """Each offers a fresh key for the same new candidate; one key is stored, and the
        other process's result is encrypted with it, not with its own."""
        state = await d.state()
        first = d.item()
        subject = first.result.candidate_id
        second = d.item(candidate_id=subject)
        one, other = d.writer(cipher=d.new_cipher()), d.writer(cipher=d.new_cipher())

        outcomes = await asyncio.gather(
            self.write_all(one, [first], state), self.write_all(other, [second], state)
        )

        assert sorted(o.status for (o,) in outcomes) == ["accepted", "accepted"]  # type: ignore[union-attr]
        assert one.stats["one_statement"] + other.stats["one_statement"] >= 1
        keys = await d.h.rows(
            "SELECT count(*) AS n FROM ingest.subject_keys WHERE subject_id = :s", s=subject
        )
        assert keys == [{"n": 1}]
        for (stored,) in outcomes:
            (row,) = await d.h.rows(
                "SELECT contact_enc FROM ingest.results WHERE id = :id",
                id=stored.result_id,  # type: ignore[union-attr]
            )
            assert b"Grace Hopper" in await d.h.decrypt(subject, row["contact_enc"])

    async def test_two_new_results_of_one_new_candidate_in_a_batch_share_one_key(
        self, d: Deliveries
    ) -> None:
        """The batch offers one fresh key for a candidate the process does not know yet, and
        its one statement stores both results with it."""
        state = await d.state()
        first = d.item()
        subject = first.result.candidate_id
        second = d.item(candidate_id=subject)
        writer = d.writer()

        outcomes = await self.write_all(writer, [first, second], state)

        assert [o.status for o in outcomes] == ["accepted", "accepted"]  # type: ignore[union-attr]
        assert writer.stats["one_statement"] == 2
        assert writer.stats["batches"] == 1
        keys = await d.h.rows(
            "SELECT count(*) AS n FROM ingest.subject_keys WHERE subject_id = :s", s=subject
        )
        assert keys == [{"n": 1}]
        for stored in outcomes:
            (row,) = await d.h.rows(
                "SELECT contact_enc, evidence_enc FROM ingest.results WHERE id = :id",
                id=stored.result_id,  # type: ignore[union-attr]
            )
            assert b"Grace Hopper" in await d.h.decrypt(subject, row["contact_enc"])
            assert await d.h.decrypt(subject, row["evidence_enc"])
            assert len(await self.events_of(d, stored.result_id)) == 1  # type: ignore[union-attr]
