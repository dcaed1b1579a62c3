"""Field encryption with per-subject keys, against a real PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import uuid
import zlib

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talentflow.common import crypto
from talentflow.common.crypto import (
    DecryptionError,
    FieldCipher,
    KeyErased,
    SubjectErased,
    generate_master_key,
    load_master_key,
    seal,
    unseal,
)
from talentflow.common.tables import PlatformTables

EMAIL = "ada.lovelace@example.com"


@pytest.fixture(scope="module")
def master_key() -> bytes:
    return load_master_key(generate_master_key())


@pytest.fixture
def cipher(master_key: bytes, tables: PlatformTables) -> FieldCipher:
    return FieldCipher(master_key, tables.subject_keys)


async def key_rows(session: AsyncSession, tables: PlatformTables, subject_id: uuid.UUID) -> int:
    table = tables.subject_keys
    stmt = select(func.count()).select_from(table).where(table.c.subject_id == subject_id)
    return int((await session.execute(stmt)).scalar_one())


async def wrapped_key(
    session: AsyncSession, tables: PlatformTables, subject_id: uuid.UUID
) -> bytes:
    table = tables.subject_keys
    stmt = select(table.c.wrapped_key).where(table.c.subject_id == subject_id)
    return bytes((await session.execute(stmt)).scalar_one())


def flip(token: bytes, index: int) -> bytes:
    return token[:index] + bytes([token[index] ^ 0x01]) + token[index + 1 :]


class TestMasterKey:
    def test_generated_key_loads_as_32_bytes(self) -> None:
        assert len(load_master_key(generate_master_key())) == 32

    def test_generated_keys_differ(self) -> None:
        assert generate_master_key() != generate_master_key()

    def test_accepts_unpadded_and_surrounding_whitespace(self) -> None:
        text = generate_master_key()
        assert load_master_key(f"  {text.rstrip('=')}\n") == load_master_key(text)

    def test_rejects_wrong_length(self) -> None:
        with pytest.raises(ValueError, match="32 bytes"):
            load_master_key(base64.urlsafe_b64encode(b"x" * 16).decode())

    def test_rejects_non_base64_without_echoing_it(self) -> None:
        with pytest.raises(ValueError) as caught:
            load_master_key("not*base64*secret!")
        assert "secret" not in str(caught.value)

    def test_cipher_rejects_short_master_key(self, tables: PlatformTables) -> None:
        with pytest.raises(ValueError):
            FieldCipher(b"short", tables.subject_keys)


class TestRoundTrip:
    async def test_text(self, session: AsyncSession, cipher: FieldCipher) -> None:
        subject = uuid.uuid4()
        token = await cipher.encrypt(session, subject, "Zoë Ångström")
        assert await cipher.decrypt_text(session, subject, token) == "Zoë Ångström"

    async def test_bytes(self, session: AsyncSession, cipher: FieldCipher) -> None:
        subject = uuid.uuid4()
        data = bytes(range(256))
        token = await cipher.encrypt(session, subject, data)
        assert await cipher.decrypt(session, subject, token) == data

    async def test_json(self, session: AsyncSession, cipher: FieldCipher) -> None:
        subject = uuid.uuid4()
        value = {"name": "Ada", "skills": ["math", "poetry"], "years": 12, "remote": None}
        token = await cipher.encrypt_json(session, subject, value)
        assert await cipher.decrypt_json(session, subject, token) == value

    async def test_empty_plaintext(self, session: AsyncSession, cipher: FieldCipher) -> None:
        subject = uuid.uuid4()
        token = await cipher.encrypt(session, subject, b"")
        assert await cipher.decrypt(session, subject, token) == b""

    async def test_same_plaintext_gives_different_tokens(
        self, session: AsyncSession, cipher: FieldCipher
    ) -> None:
        subject = uuid.uuid4()
        first = await cipher.encrypt(session, subject, EMAIL)
        assert first != await cipher.encrypt(session, subject, EMAIL)

    async def test_fresh_cipher_decrypts_from_the_stored_key(
        self, session: AsyncSession, cipher: FieldCipher, master_key: bytes, tables: PlatformTables
    ) -> None:
        subject = uuid.uuid4()
        token = await cipher.encrypt(session, subject, EMAIL)
        other_process = FieldCipher(master_key, tables.subject_keys)
        assert await other_process.decrypt_text(session, subject, token) == EMAIL


class TestSubjectKeys:
    async def test_key_created_once_and_reused(
        self, session: AsyncSession, cipher: FieldCipher, tables: PlatformTables
    ) -> None:
        subject = uuid.uuid4()
        assert await key_rows(session, tables, subject) == 0
        first = await cipher.encrypt(session, subject, "one")
        stored = await wrapped_key(session, tables, subject)
        second = await cipher.encrypt(session, subject, "two")
        assert await key_rows(session, tables, subject) == 1
        assert await wrapped_key(session, tables, subject) == stored
        assert await cipher.decrypt_text(session, subject, first) == "one"
        assert await cipher.decrypt_text(session, subject, second) == "two"

    async def test_subjects_get_different_keys(
        self, session: AsyncSession, cipher: FieldCipher, master_key: bytes, tables: PlatformTables
    ) -> None:
        alice, bob = uuid.uuid4(), uuid.uuid4()
        token = await cipher.encrypt(session, alice, EMAIL)
        await cipher.encrypt(session, bob, "bob")
        with pytest.raises(DecryptionError):
            await cipher.decrypt(session, bob, token)
        uncached = FieldCipher(master_key, tables.subject_keys)
        with pytest.raises(DecryptionError):
            await uncached.decrypt(session, bob, token)

    async def test_wrapped_key_copied_to_another_subject_does_not_unwrap(
        self, session: AsyncSession, master_key: bytes, tables: PlatformTables
    ) -> None:
        alice, mallory = uuid.uuid4(), uuid.uuid4()
        cipher = FieldCipher(master_key, tables.subject_keys)
        token = await cipher.encrypt(session, alice, EMAIL)
        await cipher.encrypt(session, mallory, "x")
        table = tables.subject_keys
        stolen = await wrapped_key(session, tables, alice)
        await session.execute(
            update(table).where(table.c.subject_id == mallory).values(wrapped_key=stolen)
        )
        fresh = FieldCipher(master_key, tables.subject_keys)
        with pytest.raises(DecryptionError):
            await fresh.decrypt(session, mallory, token)
        # Nor does new data for mallory end up under alice's key.
        with pytest.raises(DecryptionError):
            await fresh.encrypt(session, mallory, "new data")

    async def test_rolled_back_key_is_not_reused(
        self, session: AsyncSession, cipher: FieldCipher, master_key: bytes, tables: PlatformTables
    ) -> None:
        subject = uuid.uuid4()
        savepoint = await session.begin_nested()
        await cipher.encrypt(session, subject, "lost")
        await savepoint.rollback()
        assert await key_rows(session, tables, subject) == 0
        token = await cipher.encrypt(session, subject, EMAIL)
        assert await key_rows(session, tables, subject) == 1
        fresh = FieldCipher(master_key, tables.subject_keys)
        assert await fresh.decrypt_text(session, subject, token) == EMAIL

    async def test_concurrent_first_use_creates_one_key(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        master_key: bytes,
        tables: PlatformTables,
    ) -> None:
        subject = uuid.uuid4()

        async def encrypt_committed(value: str) -> bytes:
            cipher = FieldCipher(master_key, tables.subject_keys)
            async with sessionmaker() as session, session.begin():
                return await cipher.encrypt(session, subject, value)

        values = [f"value-{i}" for i in range(6)]
        try:
            tokens = await asyncio.gather(*(encrypt_committed(v) for v in values))
            async with sessionmaker() as session:
                assert await key_rows(session, tables, subject) == 1
                reader = FieldCipher(master_key, tables.subject_keys)
                decrypted = [await reader.decrypt_text(session, subject, t) for t in tokens]
            assert decrypted == values
        finally:
            async with sessionmaker() as session, session.begin():
                table = tables.subject_keys
                await session.execute(delete(table).where(table.c.subject_id == subject))


class TestTampering:
    @pytest.mark.parametrize("index", [0, 1, 12, 13, -1])
    async def test_flipped_byte_fails(
        self, session: AsyncSession, cipher: FieldCipher, index: int
    ) -> None:
        subject = uuid.uuid4()
        token = await cipher.encrypt(session, subject, EMAIL)
        with pytest.raises(DecryptionError):
            await cipher.decrypt(session, subject, flip(token, index % len(token)))

    @pytest.mark.parametrize("length", [0, 1, 13, 28])
    async def test_truncated_token_fails(
        self, session: AsyncSession, cipher: FieldCipher, length: int
    ) -> None:
        subject = uuid.uuid4()
        token = await cipher.encrypt(session, subject, EMAIL)
        with pytest.raises(DecryptionError):
            await cipher.decrypt(session, subject, token[:length])

    async def test_wrong_master_key_cannot_unwrap(
        self, session: AsyncSession, cipher: FieldCipher, tables: PlatformTables
    ) -> None:
        subject = uuid.uuid4()
        token = await cipher.encrypt(session, subject, EMAIL)
        intruder = FieldCipher(load_master_key(generate_master_key()), tables.subject_keys)
        with pytest.raises(DecryptionError):
            await intruder.decrypt(session, subject, token)
        with pytest.raises(DecryptionError):
            await intruder.encrypt(session, subject, "overwrite attempt")
        assert await key_rows(session, tables, subject) == 1


class TestShred:
    async def test_shred_erases_key_and_data(
        self, session: AsyncSession, cipher: FieldCipher, tables: PlatformTables
    ) -> None:
        subject = uuid.uuid4()
        token = await cipher.encrypt(session, subject, EMAIL)
        assert await cipher.decrypt_text(session, subject, token) == EMAIL  # now cached
        assert await cipher.shred(session, subject) is True
        assert await key_rows(session, tables, subject) == 0
        with pytest.raises(SubjectErased) as caught:
            await cipher.decrypt(session, subject, token)
        assert caught.value.subject_id == subject

    async def test_shred_unknown_subject_returns_false(
        self, session: AsyncSession, cipher: FieldCipher
    ) -> None:
        assert await cipher.shred(session, uuid.uuid4()) is False

    async def test_other_subjects_survive(self, session: AsyncSession, cipher: FieldCipher) -> None:
        erased, kept = uuid.uuid4(), uuid.uuid4()
        await cipher.encrypt(session, erased, "gone")
        token = await cipher.encrypt(session, kept, "kept")
        await cipher.shred(session, erased)
        assert await cipher.decrypt_text(session, kept, token) == "kept"

    async def test_encrypt_after_shred_uses_a_new_key(
        self, session: AsyncSession, cipher: FieldCipher
    ) -> None:
        subject = uuid.uuid4()
        old = await cipher.encrypt(session, subject, "before")
        await cipher.shred(session, subject)
        new = await cipher.encrypt(session, subject, "after")
        assert await cipher.decrypt_text(session, subject, new) == "after"
        # The old token's key is gone: erased data, which callers show as such (not a fault).
        with pytest.raises(KeyErased) as caught:
            await cipher.decrypt(session, subject, old)
        assert isinstance(caught.value, SubjectErased) and caught.value.subject_id == subject
        assert isinstance(caught.value, DecryptionError)

    async def test_shred_elsewhere_is_seen_once_cache_entry_expires(
        self, session: AsyncSession, master_key: bytes, tables: PlatformTables
    ) -> None:
        subject = uuid.uuid4()
        reader = FieldCipher(master_key, tables.subject_keys, cache_ttl=0.0)
        token = await reader.encrypt(session, subject, EMAIL)
        await FieldCipher(master_key, tables.subject_keys).shred(session, subject)
        with pytest.raises(SubjectErased):
            await reader.decrypt(session, subject, token)


class TestCache:
    async def test_decrypt_served_from_cache(
        self, session: AsyncSession, master_key: bytes, tables: PlatformTables
    ) -> None:
        subject = uuid.uuid4()
        cipher = FieldCipher(master_key, tables.subject_keys, max_cached_keys=2)
        token = await cipher.encrypt(session, subject, EMAIL)
        table = tables.subject_keys
        await session.execute(delete(table).where(table.c.subject_id == subject))
        assert await cipher.decrypt_text(session, subject, token) == EMAIL

    async def test_least_recently_used_key_is_evicted(
        self, session: AsyncSession, master_key: bytes, tables: PlatformTables
    ) -> None:
        first, second = uuid.uuid4(), uuid.uuid4()
        cipher = FieldCipher(master_key, tables.subject_keys, max_cached_keys=1)
        token = await cipher.encrypt(session, first, EMAIL)
        await cipher.encrypt(session, second, "pushes the first key out")
        table = tables.subject_keys
        await session.execute(delete(table).where(table.c.subject_id == first))
        with pytest.raises(SubjectErased):
            await cipher.decrypt(session, first, token)


class TestAtRest:
    async def test_database_dump_holds_neither_plaintext_nor_data_key(
        self,
        session: AsyncSession,
        cipher: FieldCipher,
        tables: PlatformTables,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        data_keys: list[bytes] = []

        class KeySpy:
            """Stands in for AESGCM to learn the data key the cipher generates."""

            @staticmethod
            def generate_key(bit_length: int) -> bytes:
                key = AESGCM.generate_key(bit_length)
                data_keys.append(key)
                return key

            def __new__(cls, key: bytes) -> AESGCM:  # type: ignore[misc]
                return AESGCM(key)

        monkeypatch.setattr(crypto, "AESGCM", KeySpy)
        subject = uuid.uuid4()
        token = await cipher.encrypt(session, subject, EMAIL)
        (data_key,) = data_keys
        # The key really is the one that opens the token (associated data as documented).
        aad = b"\x01talentflow/field/v1:" + subject.bytes
        assert AESGCM(data_key).decrypt(token[1:13], token[13:], aad) == EMAIL.encode()

        dump = await wrapped_key(session, tables, subject)
        assert data_key not in dump
        assert EMAIL.encode() not in dump
        assert EMAIL.encode() not in token
        assert data_key not in token

    async def test_token_layout(self, session: AsyncSession, cipher: FieldCipher) -> None:
        token = await cipher.encrypt(session, uuid.uuid4(), EMAIL)
        assert token[0] == 1
        assert len(token) == 1 + 12 + len(EMAIL.encode()) + 16


class TestDeflate:
    """Personal fields of 512 bytes or more are deflated before encryption (version 2)."""

    # A realistic evidence list: compresses to well under half.
    EVIDENCE = json.dumps(
        [
            {"competency": "communication", "quote": f"I asked the customer {i} what", "at": i}
            for i in range(30)
        ]
    )

    async def test_long_field_is_deflated_and_round_trips(
        self, session: AsyncSession, cipher: FieldCipher
    ) -> None:
        subject = uuid.uuid4()
        token = await cipher.encrypt(session, subject, self.EVIDENCE)
        assert token[0] == 2
        assert len(token) < len(self.EVIDENCE.encode()) / 2
        assert await cipher.decrypt_text(session, subject, token) == self.EVIDENCE
        keys = await cipher.data_keys(session, {subject})
        batch_token = keys.encrypt(subject, self.EVIDENCE)
        assert batch_token[0] == 2
        assert await cipher.decrypt_many(session, [(subject, batch_token)]) == [
            self.EVIDENCE.encode()
        ]

    async def test_short_or_incompressible_field_stays_version_1(
        self, session: AsyncSession, cipher: FieldCipher
    ) -> None:
        subject = uuid.uuid4()
        just_short = "x" * (crypto.DEFLATE_MIN_BYTES - 1)
        noise = os.urandom(4096)
        for plaintext in (just_short, noise):
            token = await cipher.encrypt(session, subject, plaintext)
            assert token[0] == 1
            expected = plaintext.encode() if isinstance(plaintext, str) else plaintext
            assert await cipher.decrypt(session, subject, token) == expected

    async def test_version_1_tokens_still_decrypt(
        self, session: AsyncSession, cipher: FieldCipher
    ) -> None:
        """Tokens written before deflating existed (long ones included) stay readable."""
        subject = uuid.uuid4()
        keys = await cipher.data_keys(session, {subject})
        aad = b"talentflow/field/v1:" + subject.bytes
        old = crypto._seal_with(keys.aead(subject), self.EVIDENCE.encode(), aad)
        assert old[0] == 1
        assert await cipher.decrypt_text(session, subject, old) == self.EVIDENCE

    async def test_deflated_plaintext_is_a_standard_zlib_stream(
        self, session: AsyncSession, cipher: FieldCipher
    ) -> None:
        """Version 2 tokens hold a zlib stream (RFC 1950), whoever made it: the standard
        library's zlib reads what is written now (ISA-L), and tokens deflated by zlib itself,
        as they were written before, still decrypt."""
        subject = uuid.uuid4()
        keys = await cipher.data_keys(session, {subject})
        aead = keys.aead(subject)
        aad = b"\x02talentflow/field/v1:" + subject.bytes

        token = keys.encrypt(subject, self.EVIDENCE)
        assert token[0] == 2
        deflated = aead.decrypt(token[1:13], token[13:], aad)
        assert zlib.decompress(deflated) == self.EVIDENCE.encode()

        nonce = os.urandom(12)
        for level in (1, 6, 9):
            packed = zlib.compress(self.EVIDENCE.encode(), level)
            old = b"\x02" + nonce + aead.encrypt(nonce, packed, aad)
            assert await cipher.decrypt_text(session, subject, old) == self.EVIDENCE

    async def test_version_byte_is_authenticated(
        self, session: AsyncSession, cipher: FieldCipher
    ) -> None:
        """Relabelling a deflated token as version 1 (or the reverse) fails: the version is
        part of the associated data."""
        subject = uuid.uuid4()
        deflated = await cipher.encrypt(session, subject, self.EVIDENCE)
        plain = await cipher.encrypt(session, subject, os.urandom(600))  # incompressible
        assert (deflated[0], plain[0]) == (2, 1)
        with pytest.raises(DecryptionError):
            await cipher.decrypt(session, subject, b"\x01" + deflated[1:])
        with pytest.raises(DecryptionError):
            await cipher.decrypt(session, subject, b"\x02" + plain[1:])
        with pytest.raises(DecryptionError):
            await cipher.decrypt(session, subject, b"\x03" + deflated[1:])

    async def test_corrupt_deflate_stream_is_a_decryption_error(
        self, session: AsyncSession, cipher: FieldCipher
    ) -> None:
        """A well-authenticated version 2 token whose content is not a deflate stream (only a
        bug could make one) is refused as undecryptable, not raised as zlib's error."""
        subject = uuid.uuid4()
        keys = await cipher.data_keys(session, {subject})
        aad = b"talentflow/field/v1:" + subject.bytes
        nonce = os.urandom(12)
        bogus = b"\x02" + nonce + keys.aead(subject).encrypt(nonce, b"not deflate", b"\x02" + aad)
        with pytest.raises(DecryptionError):
            await cipher.decrypt(session, subject, bogus)

    def test_secrets_are_never_deflated(self, master_key: bytes) -> None:
        long_secret = b"a" * 4096
        token = seal(master_key, long_secret, context=b"vendor:acme")
        assert token[0] == 1
        assert unseal(master_key, token, context=b"vendor:acme") == long_secret


class TestSeal:
    def test_round_trip(self, master_key: bytes) -> None:
        token = seal(master_key, b"whsec_vendor", context=b"vendor:acme")
        assert unseal(master_key, token, context=b"vendor:acme") == b"whsec_vendor"

    def test_token_hides_secret_and_is_randomised(self, master_key: bytes) -> None:
        token = seal(master_key, b"whsec_vendor", context=b"vendor:acme")
        assert b"whsec_vendor" not in token
        assert token != seal(master_key, b"whsec_vendor", context=b"vendor:acme")

    def test_context_mismatch_fails(self, master_key: bytes) -> None:
        token = seal(master_key, b"whsec_vendor", context=b"vendor:acme")
        with pytest.raises(DecryptionError):
            unseal(master_key, token, context=b"vendor:globex")

    def test_wrong_master_key_fails(self, master_key: bytes) -> None:
        token = seal(master_key, b"whsec_vendor", context=b"vendor:acme")
        with pytest.raises(DecryptionError):
            unseal(load_master_key(generate_master_key()), token, context=b"vendor:acme")

    def test_tampered_token_fails(self, master_key: bytes) -> None:
        token = seal(master_key, b"whsec_vendor", context=b"vendor:acme")
        with pytest.raises(DecryptionError):
            unseal(master_key, flip(token, len(token) - 1), context=b"vendor:acme")

    def test_rejects_short_master_key(self) -> None:
        with pytest.raises(ValueError):
            seal(b"short", b"secret", context=b"c")
