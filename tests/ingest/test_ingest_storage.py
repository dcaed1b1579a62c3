"""storage.store: versions, duplicates, receipts and events; set-based, safe under concurrency."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from talentflow.common.crypto import FieldCipher, load_master_key
from talentflow.common.db import create_sessionmaker
from talentflow.common.events import CandidateContact, EvidenceQuote
from talentflow.common.ids import candidate_id
from talentflow.ingest import storage
from talentflow.ingest.config import Settings
from talentflow.ingest.models import PLATFORM, BiometricsPolicy
from talentflow.ingest.normalize import Normalized
from talentflow.ingest.results import repository

RECEIVED = "talentflow.ingest.InterviewResultReceived.v1"
CORRECTED = "talentflow.ingest.InterviewResultCorrected.v1"


def normalized(tenant: uuid.UUID, vendor_result_id: str, **overrides: Any) -> Normalized:
    """A normalized result of a fresh candidate; `overrides` replace fields."""
    external_id = overrides.pop("external_id", f"ats-{uuid.uuid4().hex[:8]}")
    result = Normalized(
        vendor_result_id=vendor_result_id,
        candidate_id=candidate_id(tenant, external_id),
        candidate=CandidateContact(
            external_id=external_id, name="Grace Hopper", email="grace.hopper@example.com"
        ),
        job_id=uuid.UUID(int=7),
        interviewed_at=datetime(2026, 3, 1, 10, 15, tzinfo=UTC),
        overall_score=70.0,
        competencies={"communication": 80.0},
        counts={"questions_asked": 4},
        evidence=[EvidenceQuote(competency="communication", quote="We shipped the fix first")],
        policy=BiometricsPolicy.KEEP_UNUSABLE,
        stored_biometrics={"smile_count": 3.0},
        published_biometrics={},
        dropped_metrics=["smile_count"],
        report_url="https://vendor.example/r/1",
        archive=b'{"raw": "payload of Grace Hopper"}',
    )
    return replace(result, **overrides)


class Store:
    """A tenant and vendor of their own, storing through `storage.store` in committed
    transactions, and the rows that came out."""

    def __init__(self, db: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.db = db
        self.sessionmaker = sessionmaker
        self.tenant = uuid.uuid4()
        self.vendor = uuid.uuid4()
        self.cipher = FieldCipher(
            load_master_key(Settings().encryption_key.get_secret_value()), PLATFORM.subject_keys
        )

    async def setup(self) -> None:
        async with self.db.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO ingest.tenants (id, jurisdiction, biometrics_policy) "
                    "VALUES (:t, 'US', 'keep_unusable')"
                ),
                {"t": self.tenant},
            )
            await conn.execute(
                text(
                    "INSERT INTO ingest.vendors (id, tenant_id, name, format, enabled) "
                    "VALUES (:v, :t, 'Vendor', 'talentflow.v1', true)"
                ),
                {"v": self.vendor, "t": self.tenant},
            )

    def item(self, vendor_result_id: str, webhook_id: str | None = None, **fields: Any):
        return storage.Incoming(
            tenant_id=self.tenant,
            vendor_id=self.vendor,
            format="talentflow.v1",
            result=normalized(self.tenant, vendor_result_id, **fields),
            webhook_id=webhook_id,
        )

    async def store(self, items: list[storage.Incoming]) -> list[storage.Stored]:
        async with self.sessionmaker() as session, session.begin():
            return await storage.store(session, cipher=self.cipher, items=items)

    async def store_counting(
        self, items: list[storage.Incoming]
    ) -> tuple[list[storage.Stored], list[str]]:
        """`store`, and the statements about ingest's tables that reached the database."""
        sent: list[str] = []
        async with self.sessionmaker() as session, session.begin():
            conn = await session.connection()
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None

            def record(query: Any) -> None:
                if "ingest." in query.query:
                    sent.append(query.query)

            driver.add_query_logger(record)
            try:
                stored = await storage.store(session, cipher=self.cipher, items=items)
            finally:
                driver.remove_query_logger(record)
        return stored, sent

    async def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        async with self.db.connect() as conn:
            result = await conn.execute(text(sql), {"v": self.vendor, **params})
            return [dict(row._mapping) for row in result]

    async def results(self) -> list[tuple[str, int]]:
        rows = await self.rows(
            "SELECT vendor_result_id, version FROM ingest.results WHERE vendor_id = :v "
            "ORDER BY vendor_result_id, version"
        )
        return [(r["vendor_result_id"], r["version"]) for r in rows]

    async def events(self) -> list[dict[str, Any]]:
        """This vendor's outbox events, decrypted, in outbox order (results are about a person,
        so their events are encrypted; other tests' events without a subject are skipped)."""
        rows = await self.rows(
            "SELECT subject_id, payload FROM ingest.outbox WHERE subject_id IS NOT NULL ORDER BY id"
        )
        async with self.sessionmaker() as session:
            clear = await self.cipher.decrypt_many(
                session, [(r["subject_id"], r["payload"]) for r in rows]
            )
        events = [json.loads(payload) for payload in clear if payload is not None]
        return [e for e in events if e["vendor_id"] == str(self.vendor)]


@pytest.fixture
async def s(db: AsyncEngine) -> AsyncIterator[Store]:
    store = Store(db, create_sessionmaker(db))
    await store.setup()
    yield store


class TestStore:
    async def test_first_content_is_version_one_with_a_received_event(self, s: Store) -> None:
        item = s.item("r-1")

        (stored,) = await s.store([item])

        assert (stored.version, stored.status) == (1, "accepted")
        assert await s.results() == [("r-1", 1)]
        (received,) = await s.events()
        assert received["event_type"] == RECEIVED and received["version"] == 1
        assert received["result_id"] == str(stored.result_id)
        assert received["candidate"]["email"] == "grace.hopper@example.com"

    async def test_same_content_again_is_a_duplicate_also_under_a_new_webhook_id(
        self, s: Store
    ) -> None:
        (first,) = await s.store([s.item("r-1", webhook_id="msg-1", external_id="c-1")])

        (again,) = await s.store([s.item("r-1", external_id="c-1")])
        (new_id,) = await s.store([s.item("r-1", webhook_id="msg-2", external_id="c-1")])

        expected = storage.Stored(first.result_id, 1, "duplicate")
        assert again == expected and new_id == expected
        assert await s.results() == [("r-1", 1)]
        assert len(await s.events()) == 1
        receipts = await s.rows(
            "SELECT webhook_id, result_id, result_version FROM ingest.webhook_receipts "
            "WHERE vendor_id = :v ORDER BY webhook_id"
        )
        assert [(r["webhook_id"], r["result_id"], r["result_version"]) for r in receipts] == [
            ("msg-1", first.result_id, 1),
            ("msg-2", first.result_id, 1),
        ]

    async def test_new_content_is_the_next_version_with_a_corrected_event(self, s: Store) -> None:
        (first,) = await s.store([s.item("r-1", external_id="c-1")])

        (second,) = await s.store([s.item("r-1", external_id="c-1", overall_score=75.0)])

        assert second == storage.Stored(first.result_id, 2, "corrected")
        assert await s.results() == [("r-1", 1), ("r-1", 2)]
        received, corrected = await s.events()
        assert (received["event_type"], received["version"]) == (RECEIVED, 1)
        assert (corrected["event_type"], corrected["version"]) == (CORRECTED, 2)
        assert corrected["previous_version"] == 1 and corrected["overall_score"] == 75.0
        assert corrected["result_id"] == str(first.result_id)

    async def test_a_mixed_batch_of_a_thousand_is_stored_in_order_with_few_statements(
        self, s: Store
    ) -> None:
        stored_before = await s.store(
            [s.item(f"old-{i}", external_id=f"c-old-{i}") for i in range(5)]
        )
        batch = []
        for i in range(600):  # new results, each with its own candidate
            batch.append(s.item(f"new-{i}", webhook_id=f"w-{i}", external_id=f"c-{i}"))
        for i in range(200):  # the same content again later in the batch
            batch.append(s.item(f"new-{i}", external_id=f"c-{i}"))
        for i in range(190):  # corrections of results earlier in the batch, twice each
            batch.append(
                s.item(f"new-{i % 95}", external_id=f"c-{i % 95}", overall_score=i / 2 + 0.25)
            )
        for i in range(5):  # a correction and a duplicate of results stored before
            batch.append(s.item(f"old-{i}", external_id=f"c-old-{i}", overall_score=99.0))
        for i in range(5):
            batch.append(s.item(f"new-{i}", webhook_id=f"w-{i}", overall_score=1.0))  # redelivery
        assert len(batch) == 1000

        stored, sent = await s.store_counting(batch)

        assert len(sent) <= 6  # set-based: not one statement per item
        assert [x.status for x in stored[:600]] == ["accepted"] * 600
        assert all(x.version == 1 for x in stored[:600])
        assert stored[600:800] == [
            storage.Stored(stored[i].result_id, 1, "duplicate") for i in range(200)
        ]
        corrections = stored[800:990]
        assert [x.version for x in corrections] == [2] * 95 + [3] * 95
        assert [x.result_id for x in corrections] == [stored[i % 95].result_id for i in range(190)]
        assert [x.status for x in corrections] == ["corrected"] * 190
        assert [(x.result_id, x.version, x.status) for x in stored[990:995]] == [
            (before.result_id, 2, "corrected") for before in stored_before
        ]
        assert stored[995:] == [
            storage.Stored(stored[i].result_id, 1, "duplicate") for i in range(5)
        ]
        rows = await s.results()
        assert len(rows) == 5 + 5 + 600 + 190
        events = await s.events()
        assert len(events) == len(rows)
        assert sum(e["event_type"] == CORRECTED for e in events) == 195
        by_result: dict[str, list[int]] = {}
        for e in events:  # a result's versions are published in order
            by_result.setdefault(e["result_id"], []).append(e["version"])
        assert all(v == sorted(v) for v in by_result.values())

    async def test_concurrent_batches_with_overlapping_ids_get_consistent_versions(
        self, s: Store
    ) -> None:
        ids = [f"r-{i}" for i in range(40)]

        def batch(order: list[str], score: float) -> list[storage.Incoming]:
            return [s.item(r, external_id=f"c-{r}", overall_score=score) for r in order]

        # Opposite orders, so locks taken in item order would deadlock.
        batches = [batch(ids if n % 2 else ids[::-1], float(n)) for n in range(6)]
        outcomes = await asyncio.wait_for(asyncio.gather(*(s.store(b) for b in batches)), 30)

        rows = await s.results()
        assert sorted(rows) == sorted((r, v) for r in ids for v in range(1, 7))
        for i, r in enumerate(ids):
            mine = [o[i if n % 2 else len(ids) - 1 - i] for n, o in enumerate(outcomes)]
            assert sorted(x.version for x in mine) == [1, 2, 3, 4, 5, 6], r
            assert len({x.result_id for x in mine}) == 1

    async def test_concurrent_deliveries_of_one_webhook_id_store_one_result(self, s: Store) -> None:
        async def deliver() -> list[storage.Stored]:
            return await s.store([s.item("r-1", webhook_id="msg-race", external_id="c-1")])

        outcomes = await asyncio.gather(*(deliver() for _ in range(5)))

        statuses = sorted(o[0].status for o in outcomes)
        assert statuses == ["accepted"] + ["duplicate"] * 4
        assert len({o[0].result_id for o in outcomes}) == 1
        assert await s.results() == [("r-1", 1)] and len(await s.events()) == 1

    async def test_a_webhook_delivered_five_times_is_one_result_and_one_event(
        self, s: Store
    ) -> None:
        def delivery() -> storage.Incoming:
            return s.item("r-1", webhook_id="msg-5", external_id="c-1")

        in_one_batch = await s.store([delivery(), delivery()])
        later = [(await s.store([delivery()]))[0] for _ in range(3)]

        first = in_one_batch[0]
        assert first.status == "accepted"
        assert [x.status for x in in_one_batch[1:] + later] == ["duplicate"] * 4
        assert {x.result_id for x in in_one_batch + later} == {first.result_id}
        assert await s.results() == [("r-1", 1)] and len(await s.events()) == 1

    async def test_a_known_webhook_id_answers_with_its_result_whatever_it_carries(
        self, s: Store
    ) -> None:
        (first,) = await s.store([s.item("r-1", webhook_id="msg-1", external_id="c-1")])

        (again,) = await s.store([s.item("r-2", webhook_id="msg-1", overall_score=10.0)])

        assert again == storage.Stored(first.result_id, 1, "duplicate")
        assert await s.results() == [("r-1", 1)]

    async def test_personal_data_is_only_stored_encrypted(self, s: Store) -> None:
        item = s.item("r-1", webhook_id="msg-1", external_id="c-secret-1")

        (stored,) = await s.store([item])

        (row,) = await s.rows("SELECT * FROM ingest.results WHERE vendor_id = :v")
        outbox = await s.rows(
            "SELECT * FROM ingest.outbox WHERE subject = :s", s=f"results/{stored.result_id}"
        )
        dump = json.dumps(
            [row, *outbox], default=lambda v: bytes(v).hex() if isinstance(v, bytes) else str(v)
        )
        raw = b"".join(v for r in [row, *outbox] for v in r.values() if isinstance(v, bytes))
        for clear in ("Grace Hopper", "grace.hopper@example.com", "shipped the fix", "c-secret-1"):
            assert clear not in dump and clear.encode() not in raw
        assert "smile_count" not in json.dumps(row["competencies"])
        subject = item.result.candidate_id
        async with s.sessionmaker() as session:
            contact, evidence, biometrics, archive = await s.cipher.decrypt_many(
                session,
                [
                    (subject, row["contact_enc"]),
                    (subject, row["evidence_enc"]),
                    (subject, row["biometrics_enc"]),
                    (subject, row["raw_payload_enc"]),
                ],
            )
        assert json.loads(contact or b"")["email"] == "grace.hopper@example.com"
        assert json.loads(evidence or b"")[0]["quote"] == "We shipped the fix first"
        assert json.loads(biometrics or b"") == {"smile_count": 3.0}
        assert archive == item.result.archive

    async def test_an_empty_batch_stores_nothing(self, s: Store) -> None:
        stored, sent = await s.store_counting([])

        assert stored == [] and sent == []


class TestContentHash:
    def test_is_pinned_because_stored_digests_decide_what_is_a_duplicate(self) -> None:
        # Digests are stored with every version: a change of form would turn every redelivery
        # of an already stored result into a "correction". Same value as when first stored.
        result = replace(
            normalized(uuid.UUID(int=1), "r-1", external_id="ats-1"),
            competencies={"teamwork": 61.5, "communication": 80.0},
            counts={"questions_asked": 4, "customer_cases": 2},
        )

        assert storage.content_hash(result).hex() == (
            "9f2fd818c60f00a7aa87f64ba1064ffc1e11e640bbde7ecd357696597fcfc3f9"
        )
        assert storage.content_hash(replace(result, stored_biometrics=None)).hex() == (
            "071f640c45769748d5356557b3bd029924cf11d3adaf643da5d9fb6973e17a26"
        )

    def test_key_order_of_mappings_does_not_matter_but_values_do(self) -> None:
        result = normalized(uuid.UUID(int=1), "r-1", external_id="ats-1")
        a = replace(result, competencies={"logic": 70.0, "communication": 80.0})
        b = replace(result, competencies={"communication": 80.0, "logic": 70.0})
        c = replace(result, competencies={"communication": 80.0, "logic": 70.5})

        assert storage.content_hash(a) == storage.content_hash(b)
        assert storage.content_hash(a) != storage.content_hash(c)


class TestCiphertextColumns:
    async def test_are_stored_without_compression_attempts(self, s: Store) -> None:
        # Ciphertext does not compress: EXTERNAL spares PostgreSQL a pglz attempt per value.
        rows = await s.rows(
            "SELECT c.relname, a.attname, a.attstorage::text AS attstorage FROM pg_attribute AS a"
            " JOIN pg_class AS c ON c.oid = a.attrelid"
            " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'ingest' AND c.relname IN ('results', 'outbox')"
            " AND a.attname IN ('contact_enc', 'evidence_enc', 'biometrics_enc',"
            " 'raw_payload_enc', 'payload')"
        )

        assert {(r["relname"], r["attname"]): r["attstorage"] for r in rows} == {
            ("results", "contact_enc"): "e",
            ("results", "evidence_enc"): "e",
            ("results", "biometrics_enc"): "e",
            ("results", "raw_payload_enc"): "e",
            ("outbox", "payload"): "e",
        }


class TestRowTypes:
    """The row types batches are bound as must mirror the tables they are inserted into."""

    ATTRIBUTES = (
        "SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type"
        " FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid"
        " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'ingest' AND c.relname = :relation"
        " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
    )

    @pytest.mark.parametrize("row", repository.ROW_TYPES, ids=lambda row: row.name)
    async def test_each_type_has_the_columns_written_in_order_typed_as_the_table(
        self, s: Store, row: repository.RowType
    ) -> None:
        attributes = [
            (r["name"], r["type"]) for r in await s.rows(self.ATTRIBUTES, relation=row.name)
        ]
        table = {
            r["name"]: r["type"] for r in await s.rows(self.ATTRIBUTES, relation=row.table.name)
        }

        assert attributes == [(name, table[name]) for name in row.columns]

    @pytest.mark.parametrize("row", repository.ROW_TYPES, ids=lambda row: row.name)
    async def test_every_column_without_a_default_is_written(self, row: repository.RowType) -> None:
        required = {
            column.name
            for column in row.table.c
            if not column.nullable
            and column.server_default is None
            and column.autoincrement is not True  # a serial id
        }

        assert required <= set(row.columns)
