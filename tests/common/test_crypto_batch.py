"""The batch forms of field encryption and of the outbox: one statement for many subjects."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talentflow.common.crypto import (
    FieldCipher,
    SubjectErased,
    generate_master_key,
    load_master_key,
)
from talentflow.common.db import driver_connection, driver_errors
from talentflow.common.events import CandidateContact, Envelope, InterviewResultReceived
from talentflow.common.outbox import enqueue_many
from talentflow.common.tables import PlatformTables


@pytest.fixture(scope="module")
def master_key() -> bytes:
    return load_master_key(generate_master_key())


@pytest.fixture
def cipher(master_key: bytes, tables: PlatformTables) -> FieldCipher:
    return FieldCipher(master_key, tables.subject_keys)


async def key_count(
    session: AsyncSession, tables: PlatformTables, subjects: list[uuid.UUID]
) -> int:
    table = tables.subject_keys
    stmt = select(func.count()).select_from(table).where(table.c.subject_id.in_(subjects))
    return int((await session.execute(stmt)).scalar_one())


class TestEncryptMany:
    async def test_round_trips_in_order_for_many_subjects(
        self, session: AsyncSession, cipher: FieldCipher, master_key: bytes, tables: PlatformTables
    ) -> None:
        subjects = [uuid.uuid4() for _ in range(50)]
        items = [(s, f"email-{i}@example.com") for i, s in enumerate(subjects)]
        items += [(subjects[0], b"\x00bytes too")]

        tokens = await cipher.encrypt_many(session, items)

        fresh = FieldCipher(master_key, tables.subject_keys)  # reads the stored keys
        clear = await fresh.decrypt_many(
            session, list(zip([s for s, _ in items], tokens, strict=True))
        )
        assert clear == [p.encode() if isinstance(p, str) else p for _, p in items]
        assert await key_count(session, tables, subjects) == 50

    async def test_reuses_existing_keys_and_creates_only_missing_ones(
        self, session: AsyncSession, cipher: FieldCipher, tables: PlatformTables
    ) -> None:
        known, new = uuid.uuid4(), uuid.uuid4()
        old_token = await cipher.encrypt(session, known, "before")

        tokens = await cipher.encrypt_many(session, [(known, "after"), (new, "first")])

        assert await key_count(session, tables, [known, new]) == 2
        both = await cipher.decrypt_many(session, [(known, old_token), (known, tokens[0])])
        assert both == [b"before", b"after"]

    async def test_a_key_copied_from_another_subject_is_refused(
        self, session: AsyncSession, master_key: bytes, tables: PlatformTables
    ) -> None:
        alice, mallory = uuid.uuid4(), uuid.uuid4()
        cipher = FieldCipher(master_key, tables.subject_keys)
        await cipher.encrypt_many(session, [(alice, "a"), (mallory, "m")])
        table = tables.subject_keys
        stolen = (
            await session.execute(select(table.c.wrapped_key).where(table.c.subject_id == alice))
        ).scalar_one()
        await session.execute(
            table.update().where(table.c.subject_id == mallory).values(wrapped_key=stolen)
        )

        fresh = FieldCipher(master_key, tables.subject_keys)
        with pytest.raises(Exception, match="unwrap"):
            await fresh.encrypt_many(session, [(mallory, "new data")])

    async def test_concurrent_batches_create_one_key_per_subject(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        master_key: bytes,
        tables: PlatformTables,
    ) -> None:
        subjects = [uuid.uuid4() for _ in range(20)]

        async def batch(order: list[uuid.UUID]) -> list[bytes]:
            cipher = FieldCipher(master_key, tables.subject_keys)
            async with sessionmaker() as session, session.begin():
                return await cipher.encrypt_many(session, [(s, str(s)) for s in order])

        try:
            results = await asyncio.wait_for(
                asyncio.gather(*(batch(subjects if n % 2 else subjects[::-1]) for n in range(4))),
                30,
            )
            async with sessionmaker() as session:
                assert await key_count(session, tables, subjects) == 20
                reader = FieldCipher(master_key, tables.subject_keys)
                for n, tokens in enumerate(results):
                    order = subjects if n % 2 else subjects[::-1]
                    clear = await reader.decrypt_many(
                        session, list(zip(order, tokens, strict=True))
                    )
                    assert clear == [str(s).encode() for s in order]
        finally:
            async with sessionmaker() as session, session.begin():
                table = tables.subject_keys
                await session.execute(delete(table).where(table.c.subject_id.in_(subjects)))


class TestOfferKeys:
    """Keys offered before the database is asked, for a statement that checks them."""

    async def test_a_cached_key_is_offered_as_it_is_stored_and_a_new_subject_gets_a_fresh_one(
        self, session: AsyncSession, cipher: FieldCipher, master_key: bytes, tables: PlatformTables
    ) -> None:
        cached, new = sorted([uuid.uuid4(), uuid.uuid4()])
        await cipher.encrypt_many(session, [(cached, "x")])
        table = tables.subject_keys
        stored = (
            await session.execute(select(table.c.wrapped_key).where(table.c.subject_id == cached))
        ).scalar_one()

        offer = cipher.offer_keys({new, cached})

        assert offer.subject_ids == [cached, new]
        assert offer.fresh == [False, True]
        assert offer.wrapped[0] == stored
        # The fresh key, once stored as offered, decrypts what was encrypted with it.
        token = offer.keys.encrypt(new, "secret")
        await session.execute(table.insert().values(subject_id=new, wrapped_key=offer.wrapped[1]))
        reader = FieldCipher(master_key, tables.subject_keys)
        assert await reader.decrypt(session, new, token) == b"secret"

    async def test_only_fresh_keys_the_database_took_are_remembered(
        self, cipher: FieldCipher
    ) -> None:
        taken, lost = uuid.uuid4(), uuid.uuid4()
        offer = cipher.offer_keys({taken, lost})

        cipher.accepted(offer, {taken})

        again = cipher.offer_keys({taken, lost})
        assert dict(zip(again.subject_ids, again.fresh, strict=True)) == {taken: False, lost: True}
        assert (
            again.wrapped[again.subject_ids.index(taken)]
            == offer.wrapped[offer.subject_ids.index(taken)]
        )


class TestDecryptMany:
    async def test_an_erased_subject_is_none_the_others_decrypt(
        self, session: AsyncSession, cipher: FieldCipher, master_key: bytes, tables: PlatformTables
    ) -> None:
        kept, erased = uuid.uuid4(), uuid.uuid4()
        tokens = await cipher.encrypt_many(session, [(kept, "kept"), (erased, "gone")])
        await cipher.shred(session, erased)

        fresh = FieldCipher(master_key, tables.subject_keys)
        clear = await fresh.decrypt_many(session, [(kept, tokens[0]), (erased, tokens[1])])

        assert clear == [b"kept", None]

    async def test_a_token_sealed_with_an_erased_key_is_none_after_a_new_key(
        self, session: AsyncSession, cipher: FieldCipher, master_key: bytes, tables: PlatformTables
    ) -> None:
        """Erased, then seen again: the new key does not open what the erased one sealed, and
        that token is as unreadable as if the subject were still erased."""
        subject = uuid.uuid4()
        (old,) = await cipher.encrypt_many(session, [(subject, "before erasure")])
        await cipher.shred(session, subject)
        (new,) = await cipher.encrypt_many(session, [(subject, "after")])

        for reader in (cipher, FieldCipher(master_key, tables.subject_keys)):  # cached, fresh
            clear = await reader.decrypt_many(session, [(subject, old), (subject, new)])
            assert clear == [None, b"after"]

    async def test_a_key_shredded_by_another_process_opens_nothing_though_cached_here(
        self, session: AsyncSession, cipher: FieldCipher, master_key: bytes, tables: PlatformTables
    ) -> None:
        """The relay's reader has the key in its cache (it just used it); another process
        erases the person. The next batch reads the keys as stored: nothing of theirs opens,
        and the cache forgets them. A single `decrypt` would still be served from the cache."""
        erased, kept = uuid.uuid4(), uuid.uuid4()
        relay = FieldCipher(master_key, tables.subject_keys)
        tokens = await relay.encrypt_many(session, [(erased, "gone"), (kept, "kept")])
        pairs = [(erased, tokens[0]), (kept, tokens[1])]
        assert await relay.decrypt_many(session, pairs) == [b"gone", b"kept"]

        await FieldCipher(master_key, tables.subject_keys).shred(session, erased)

        assert await relay.decrypt_many(session, pairs) == [None, b"kept"]
        with pytest.raises(SubjectErased):
            await relay.decrypt(session, erased, tokens[0])  # the cache forgot the key

    async def test_the_wrong_master_key_still_raises(
        self, session: AsyncSession, cipher: FieldCipher, tables: PlatformTables
    ) -> None:
        subject = uuid.uuid4()
        (token,) = await cipher.encrypt_many(session, [(subject, "x")])

        other = FieldCipher(load_master_key(generate_master_key()), tables.subject_keys)
        with pytest.raises(Exception, match="unwrap"):
            await other.decrypt_many(session, [(subject, token)])


class TestDriverErrors:
    async def test_driver_errors_surface_as_sqlalchemy_errors(self, session: AsyncSession) -> None:
        db = await driver_connection(session)
        savepoint = await session.begin_nested()

        with pytest.raises(IntegrityError), driver_errors():
            await db.execute("CREATE TEMP TABLE t (x int PRIMARY KEY)")
            await db.execute("INSERT INTO t VALUES (1), (1)")
        await savepoint.rollback()

    async def test_a_lost_connection_is_an_operational_error(self, session: AsyncSession) -> None:
        with pytest.raises(OperationalError), driver_errors():
            raise ConnectionResetError("connection reset by peer")


def result_event(candidate: uuid.UUID) -> InterviewResultReceived:
    return InterviewResultReceived(
        result_id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        vendor_id=uuid.uuid4(),
        vendor_result_id="r-1",
        candidate_id=candidate,
        candidate=CandidateContact(external_id="c-1", email="ada@example.com"),
        job_id=uuid.uuid4(),
        interviewed_at=datetime.now(UTC),
    )


class TestEnqueueMany:
    async def test_rows_in_order_encrypted_with_each_subjects_key(
        self, session: AsyncSession, cipher: FieldCipher, tables: PlatformTables
    ) -> None:
        subjects = [uuid.uuid4() for _ in range(3)]
        envelopes = [Envelope(event=result_event(s), source="/test") for s in subjects]

        await enqueue_many(session, tables.outbox, envelopes, cipher=cipher)

        outbox = tables.outbox
        rows = (
            await session.execute(
                select(outbox)
                .where(outbox.c.event_id.in_([uuid.UUID(e.id) for e in envelopes]))
                .order_by(outbox.c.id)
            )
        ).all()
        assert [str(r.event_id) for r in rows] == [e.id for e in envelopes]
        assert [r.subject_id for r in rows] == subjects
        assert all(b"ada@example.com" not in r.payload for r in rows)
        clear = await cipher.decrypt_many(session, [(r.subject_id, r.payload) for r in rows])
        assert [json.loads(c or b"")["candidate_id"] for c in clear] == [str(s) for s in subjects]
        assert {r.key for r in rows} == {str(s) for s in subjects}
        assert all(r.published_at is None and r.topic == "interview.results" for r in rows)

    async def test_without_a_cipher_payloads_are_plain_json(
        self, session: AsyncSession, tables: PlatformTables
    ) -> None:
        envelope = Envelope(event=result_event(uuid.uuid4()), source="/test")

        await enqueue_many(session, tables.outbox, [envelope])

        outbox = tables.outbox
        row = (
            await session.execute(select(outbox).where(outbox.c.event_id == uuid.UUID(envelope.id)))
        ).one()
        assert row.subject_id is None
        assert json.loads(row.payload)["candidate"]["email"] == "ada@example.com"
