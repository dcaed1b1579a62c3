"""Field-level encryption of personal data with one key per subject (crypto-shredding).

A master key (KEK, 32 bytes from the service's settings) wraps a random 32-byte data key per
subject; the wrapped keys live in the service's `subject_keys` table. Personal fields are
encrypted with AES-256-GCM under the subject's data key, with the subject id as associated
data, so a token only decrypts for the subject it was made for. Erasing a person is deleting
one row (`FieldCipher.shred`): every copy of their data, backups included, becomes noise.

Token layout (fields and sealed secrets alike): one version byte, the 12-byte nonce, then the
GCM ciphertext with its 16-byte tag. Version 1: the plaintext as given. Version 2 (personal
fields of 512 bytes or more, when it makes them smaller): the plaintext deflated before
encryption, as a zlib stream (RFC 1950) made by ISA-L at its level 1, which compresses as far
as zlib's level 1 in about half the time; any zlib reads it, and it reads any zlib stream.
Results' raw payloads, evidence and events shrink to about a third, which is the largest part
of what ingest writes to PostgreSQL. Only the stored size can tell how well a field
compressed, and no one who could choose part of a field's content sees the stored tokens. A
field token's associated data is the version byte, b"talentflow/field/v1:" and the 16 bytes
of the subject id, so the version is authenticated too. Wrapping keys and sealing keys are
derived from the master key with HKDF under distinct labels, so a sealed secret can never
pass for a wrapped key or the other way round.

`seal`/`unseal` protect secrets that belong to no person (vendor signing secrets, API tokens)
with the master key alone, bound to a caller-chosen context.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import time
import uuid
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from isal import isal_zlib
from sqlalchemy import Table, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.db import DriverConnection, driver_connection, driver_errors

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
VERSION = b"\x01"  # the plaintext as given
VERSION_DEFLATED = b"\x02"  # the plaintext deflated before encryption (personal fields)
DEFLATE_MIN_BYTES = 512  # shorter fields gain too little to be worth the time
DEFLATE_LEVEL = 1  # ISA-L's levels are 0 - 3; 0 is faster still but its output ~25% larger
# isal's stub declares its error as an instance of Exception; it is the class.
_InflateError = cast(type[Exception], isal_zlib.error)
_HEADER_BYTES = len(VERSION) + NONCE_BYTES
_WRAP_LABEL = b"talentflow/subject-key-wrap/v1"
_SEAL_LABEL = b"talentflow/seal/v1"
_WRAP_AAD = b"talentflow/subject-key/v1:"
_FIELD_AAD = b"talentflow/field/v1:"


class DecryptionError(Exception):
    """The token is malformed or tampered with, belongs to another subject or master key."""


class SubjectErased(Exception):
    """The subject has no data key (shredded, or never had one): their data is gone."""

    def __init__(self, subject_id: uuid.UUID) -> None:
        super().__init__(self._message(subject_id))
        self.subject_id = subject_id

    @staticmethod
    def _message(subject_id: uuid.UUID) -> str:
        return f"no data key for subject {subject_id}"


class KeyErased(SubjectErased, DecryptionError):
    """The token does not open with the subject's data key as stored now.

    Keys change in one way only: erased, then a new one made when new data for the subject
    arrives. So a token of theirs that their current key cannot open was sealed with a key
    erased since, and its data is gone like all data of an erased subject. AES-GCM cannot tell
    that apart from a token damaged or copied from another subject's row: both are a
    `DecryptionError` too.
    """

    @staticmethod
    def _message(subject_id: uuid.UUID) -> str:
        return f"the token does not open with the current data key of subject {subject_id}"


def load_master_key(text: str) -> bytes:
    """Decode a urlsafe-base64 master key from settings; ValueError unless it is 32 bytes."""
    cleaned = text.strip()
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        key = base64.b64decode(cleaned, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        # The message never repeats the text: it is a secret, even when malformed.
        raise ValueError("master key is not valid urlsafe base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"master key must decode to {KEY_BYTES} bytes, got {len(key)}")
    return key


def generate_master_key() -> str:
    """Return a new random master key as urlsafe base64 text (for settings and .env files)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def _check_master_key(master_key: bytes) -> None:
    if len(master_key) != KEY_BYTES:
        raise ValueError(f"master key must be {KEY_BYTES} bytes, got {len(master_key)}")


def _derive(master_key: bytes, label: bytes) -> AESGCM:
    _check_master_key(master_key)
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=label)
    return AESGCM(hkdf.derive(master_key))


def _seal_with(aead: AESGCM, plaintext: bytes, aad: bytes, *, deflate: bool = False) -> bytes:
    """A token of `plaintext`; `deflate`: compressed first when that makes it smaller."""
    version = VERSION
    if deflate and len(plaintext) >= DEFLATE_MIN_BYTES:
        packed = isal_zlib.compress(plaintext, DEFLATE_LEVEL)
        if len(packed) < len(plaintext):
            version, plaintext = VERSION_DEFLATED, packed
    nonce = os.urandom(NONCE_BYTES)
    return version + nonce + aead.encrypt(nonce, plaintext, version + aad)


def _open_with(aead: AESGCM, token: bytes, aad: bytes) -> bytes:
    """Decrypt a token; InvalidTag when the key or the associated data do not match."""
    version = token[:1]
    if len(token) < _HEADER_BYTES + TAG_BYTES or version not in (VERSION, VERSION_DEFLATED):
        raise DecryptionError("malformed token or unsupported version")
    nonce = token[1:_HEADER_BYTES]
    plaintext = aead.decrypt(nonce, token[_HEADER_BYTES:], version + aad)
    if version == VERSION_DEFLATED:
        try:
            return isal_zlib.decompress(plaintext)
        except _InflateError:  # authenticated, so only a token made wrongly gets here
            raise DecryptionError("the token's deflated plaintext is corrupt") from None
    return plaintext


def seal(master_key: bytes, plaintext: bytes, *, context: bytes) -> bytes:
    """Encrypt a secret that belongs to no person with the master key, bound to `context`."""
    return _seal_with(_derive(master_key, _SEAL_LABEL), plaintext, context)


def unseal(master_key: bytes, token: bytes, *, context: bytes) -> bytes:
    """Decrypt a `seal` token; DecryptionError on tampering, wrong key or another context."""
    try:
        return _open_with(_derive(master_key, _SEAL_LABEL), token, context)
    except InvalidTag:
        raise DecryptionError("cannot unseal: wrong master key, context or tampered") from None


@dataclass(frozen=True, slots=True)
class _CachedKey:
    wrapped_key: bytes
    aead: AESGCM
    loaded_at: float


class SubjectKeys:
    """Data keys of some subjects, from `FieldCipher.data_keys`."""

    def __init__(self, aeads: dict[uuid.UUID, AESGCM]) -> None:
        self._aeads = aeads

    def __contains__(self, subject_id: object) -> bool:
        return subject_id in self._aeads

    def __or__(self, other: SubjectKeys) -> SubjectKeys:
        return SubjectKeys({**self._aeads, **other._aeads})

    def aead(self, subject_id: uuid.UUID) -> AESGCM:
        return self._aeads[subject_id]

    def encrypt(self, subject_id: uuid.UUID, plaintext: str | bytes) -> bytes:
        """Encrypt for the subject (KeyError if their key is not among these)."""
        data = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
        return _seal_with(
            self._aeads[subject_id], data, _FIELD_AAD + subject_id.bytes, deflate=True
        )


@dataclass(frozen=True)
class KeyOffer:
    """Data keys to encrypt with before asking the database (`FieldCipher.offer_keys`): per
    subject, the cached key or a fresh one. Data encrypted with them may be stored only in a
    statement that checks them: a cached key still the stored one, a fresh one inserted
    there and then (not one that lost to a key made meanwhile)."""

    keys: SubjectKeys
    subject_ids: list[uuid.UUID]  # sorted
    wrapped: list[bytes]  # each subject's wrapped key
    fresh: list[bool]  # True: to insert; False: cached, to check


class FieldCipher:
    """Encrypts and decrypts personal fields with the data key of their subject.

    Unwrapped keys are kept in a bounded LRU for `cache_ttl` seconds. `decrypt` trusts the
    cache, so a key shredded by another process may still decrypt here until its entry ages
    out, unless the reader calls `require_key` first (ingest's result read does);
    `decrypt_many` (the outbox relay's) and `encrypt` always check the key rows in the
    database, so a key that another process shredded is never used to publish data or to seal
    new data, nor a key whose creating transaction rolled back.
    """

    def __init__(
        self,
        master_key: bytes,
        subject_keys: Table,
        *,
        max_cached_keys: int = 256,
        cache_ttl: float = 300.0,
    ) -> None:
        if max_cached_keys < 0:
            raise ValueError("max_cached_keys must not be negative")
        self._wrapper = _derive(master_key, _WRAP_LABEL)
        self._table = subject_keys
        self._max_cached = max_cached_keys
        self._ttl = cache_ttl
        self._cache: OrderedDict[uuid.UUID, _CachedKey] = OrderedDict()
        table = subject_keys.fullname  # our own metadata's name: no injection below
        self._sql_select = (
            f"SELECT subject_id, wrapped_key FROM {table} WHERE subject_id = ANY($1::uuid[])"  # noqa: S608
        )
        # The keys inserted now (created) and those that were there (not visible to the
        # insert's snapshot: a row committed meanwhile by another transaction is in neither).
        self._sql_keys = (
            f"WITH new AS (INSERT INTO {table} (subject_id, wrapped_key)"  # noqa: S608
            " SELECT * FROM unnest($1::uuid[], $2::bytea[])"
            " ON CONFLICT (subject_id) DO NOTHING RETURNING subject_id, wrapped_key)"
            " SELECT subject_id, wrapped_key, true FROM new"
            f" UNION ALL SELECT subject_id, wrapped_key, false FROM {table}"
            " WHERE subject_id = ANY($1::uuid[])"
        )

    async def encrypt(
        self, session: AsyncSession, subject_id: uuid.UUID, plaintext: str | bytes
    ) -> bytes:
        """Encrypt for the subject, creating their data key on first use."""
        data = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
        wrapped = await self._select_wrapped(session, subject_id)
        if wrapped is None:
            wrapped = await self._create_key(session, subject_id)
        aead = self._aead_for(subject_id, wrapped)
        return _seal_with(aead, data, _FIELD_AAD + subject_id.bytes, deflate=True)

    async def encrypt_many(
        self, session: AsyncSession, items: Sequence[tuple[uuid.UUID, str | bytes]]
    ) -> list[bytes]:
        """Encrypt each (subject, plaintext) pair, in order, with `data_keys` of them all."""
        keys = await self.data_keys(session, {subject for subject, _ in items})
        return [keys.encrypt(subject, plaintext) for subject, plaintext in items]

    async def data_keys(
        self, session: AsyncSession | DriverConnection, subject_ids: Collection[uuid.UUID]
    ) -> SubjectKeys:
        """The subjects' data keys as stored now, the missing ones created: one statement for
        the whole batch (like `encrypt`, always checked against the database). Use them in
        the same transaction only (`session`, or the driver connection of one)."""
        if not subject_ids:
            return SubjectKeys({})
        conn = await driver_connection(session)
        ordered = sorted(subject_ids)  # concurrent batches wait on each other's keys in order
        fresh = {subject: self._new_key(subject) for subject in ordered}
        wrapped = [fresh[subject][1] for subject in ordered]
        with driver_errors():
            rows = await conn.fetch(self._sql_keys, ordered, wrapped)
        aeads: dict[uuid.UUID, AESGCM] = {}
        for row in rows:
            subject, stored, created = row[0], row[1], row[2]
            if created:
                aeads[subject] = AESGCM(fresh[subject][0])
                self._remember(subject, stored, aeads[subject])
            else:
                aeads[subject] = self._aead_for(subject, stored)
        lost = set(ordered) - aeads.keys()
        if lost:
            # Created by concurrent transactions that committed after this statement began.
            for subject, stored in (await self._select_many(conn, lost)).items():
                aeads[subject] = self._aead_for(subject, stored)
            if lost - aeads.keys():
                raise RuntimeError("subject key vanished right after it was created")
        return SubjectKeys(aeads)

    def offer_keys(self, subject_ids: Collection[uuid.UUID]) -> KeyOffer:
        """Keys for these subjects without a round trip: see `KeyOffer`. Call `accepted` with
        the subjects whose offered key the database took."""
        ordered = sorted(subject_ids)
        aeads: dict[uuid.UUID, AESGCM] = {}
        wrapped: list[bytes] = []
        fresh: list[bool] = []
        for subject in ordered:
            cached = self._cache_get(subject)
            if cached is not None:
                aeads[subject] = cached.aead
                wrapped.append(cached.wrapped_key)
                fresh.append(False)
                continue
            key, wrapped_key = self._new_key(subject)
            aeads[subject] = AESGCM(key)
            wrapped.append(wrapped_key)
            fresh.append(True)
        return KeyOffer(SubjectKeys(aeads), ordered, wrapped, fresh)

    def accepted(self, offer: KeyOffer, subject_ids: Collection[uuid.UUID]) -> None:
        """The database took the offered keys of these subjects: remember the fresh ones."""
        taken = set(subject_ids)
        for subject, wrapped, fresh in zip(
            offer.subject_ids, offer.wrapped, offer.fresh, strict=True
        ):
            if fresh and subject in taken:
                self._remember(subject, wrapped, offer.keys.aead(subject))

    async def decrypt_many(
        self, session: AsyncSession, items: Sequence[tuple[uuid.UUID, bytes]]
    ) -> list[bytes | None]:
        """Decrypt each (subject, token) pair, in order; None where the token can no longer be
        read: the subject is erased, or the token was sealed with a key erased since (the
        subject got a new key afterwards; keys change in no other way), or it is damaged.
        A batch reader (the outbox relay) must not stop on one such token, as `decrypt` would.

        The subjects' keys are read as stored now, in one statement for the batch, whatever
        the cache holds: once a key's shredding has committed, in any process, it opens
        nothing here (the relay publishes nothing more of that person). The cache only saves
        unwrapping. A key that cannot be unwrapped (the wrong master key) raises
        DecryptionError.
        """
        subjects = {subject for subject, _ in items}
        stored = await self._select_many(session, subjects) if subjects else {}
        for erased in subjects - stored.keys():
            self._cache.pop(erased, None)
        aeads = {subject: self._aead_for(subject, wrapped) for subject, wrapped in stored.items()}
        out: list[bytes | None] = []
        for subject, token in items:
            aead = aeads.get(subject)
            try:
                out.append(
                    None if aead is None else _open_with(aead, token, _FIELD_AAD + subject.bytes)
                )
            except InvalidTag:
                out.append(None)
        return out

    async def require_key(self, session: AsyncSession, subject_id: uuid.UUID) -> None:
        """Read the subject's key as stored now into the cache, for a read that must not be
        served from a key another process has shredded (one statement); SubjectErased if
        they have none. The `decrypt`s that follow use it."""
        wrapped = await self._select_wrapped(session, subject_id)
        if wrapped is None:
            self._cache.pop(subject_id, None)
            raise SubjectErased(subject_id)
        self._aead_for(subject_id, wrapped)

    async def decrypt(self, session: AsyncSession, subject_id: uuid.UUID, token: bytes) -> bytes:
        """Decrypt the subject's token; SubjectErased once their key is gone, KeyErased (a
        SubjectErased and a DecryptionError) if the token was sealed with a key of theirs
        erased since, or damaged."""
        aad = _FIELD_AAD + subject_id.bytes
        cached = self._cache_get(subject_id)
        if cached is not None:
            try:
                return _open_with(cached.aead, token, aad)
            except InvalidTag:
                # The cached key may be stale (recreated elsewhere): retry from the database.
                self._cache.pop(subject_id, None)
        wrapped = await self._select_wrapped(session, subject_id)
        if wrapped is None:
            raise SubjectErased(subject_id)
        aead = self._aead_for(subject_id, wrapped)
        try:
            return _open_with(aead, token, aad)
        except InvalidTag:
            raise KeyErased(subject_id) from None

    async def decrypt_text(self, session: AsyncSession, subject_id: uuid.UUID, token: bytes) -> str:
        """Decrypt a token made from text."""
        return (await self.decrypt(session, subject_id, token)).decode("utf-8")

    async def encrypt_json(self, session: AsyncSession, subject_id: uuid.UUID, value: Any) -> bytes:
        """Encrypt a JSON-serialisable value."""
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return await self.encrypt(session, subject_id, text)

    async def decrypt_json(self, session: AsyncSession, subject_id: uuid.UUID, token: bytes) -> Any:
        """Decrypt a token made by `encrypt_json`."""
        return json.loads(await self.decrypt(session, subject_id, token))

    async def shred(self, session: AsyncSession, subject_id: uuid.UUID) -> bool:
        """Delete the subject's data key (erasing all their encrypted data); True if it existed."""
        self._cache.pop(subject_id, None)
        stmt = (
            delete(self._table)
            .where(self._table.c.subject_id == subject_id)
            .returning(self._table.c.subject_id)
        )
        deleted = (await session.execute(stmt)).scalar_one_or_none()
        return deleted is not None

    async def _select_wrapped(self, session: AsyncSession, subject_id: uuid.UUID) -> bytes | None:
        stmt = select(self._table.c.wrapped_key).where(self._table.c.subject_id == subject_id)
        wrapped: bytes | None = (await session.execute(stmt)).scalar_one_or_none()
        return wrapped

    async def _create_key(self, session: AsyncSession, subject_id: uuid.UUID) -> bytes:
        """Insert a new wrapped key unless a concurrent writer did, then read the winner."""
        _, wrapped = self._new_key(subject_id)
        stmt = (
            insert(self._table)
            .values(subject_id=subject_id, wrapped_key=wrapped)
            .on_conflict_do_nothing(index_elements=[self._table.c.subject_id])
        )
        await session.execute(stmt)
        stored = await self._select_wrapped(session, subject_id)
        if stored is None:
            raise RuntimeError("subject key vanished right after it was created")
        return stored

    async def _select_many(
        self, session: AsyncSession | DriverConnection, subject_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, bytes]:
        conn = await driver_connection(session)
        with driver_errors():
            rows = await conn.fetch(self._sql_select, sorted(subject_ids))
        return {row[0]: row[1] for row in rows}

    def _new_key(self, subject_id: uuid.UUID) -> tuple[bytes, bytes]:
        """A fresh data key for the subject: (the key, the key wrapped with the master key)."""
        key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        return key, _seal_with(self._wrapper, key, _WRAP_AAD + subject_id.bytes)

    def _aead_for(self, subject_id: uuid.UUID, wrapped: bytes) -> AESGCM:
        """Return the unwrapped key, from the cache when it still matches the stored row."""
        cached = self._cache.get(subject_id)
        if cached is not None and cached.wrapped_key == wrapped:
            aead = cached.aead
        else:
            aead = self._unwrap(subject_id, wrapped)
        self._remember(subject_id, wrapped, aead)
        return aead

    def _remember(self, subject_id: uuid.UUID, wrapped: bytes, aead: AESGCM) -> None:
        # The row was just read, so the entry is fresh again.
        self._cache[subject_id] = _CachedKey(wrapped, aead, time.monotonic())
        self._cache.move_to_end(subject_id)
        while len(self._cache) > self._max_cached:
            self._cache.popitem(last=False)

    def _unwrap(self, subject_id: uuid.UUID, wrapped: bytes) -> AESGCM:
        try:
            data_key = _open_with(self._wrapper, wrapped, _WRAP_AAD + subject_id.bytes)
        except InvalidTag:
            raise DecryptionError("cannot unwrap the subject key: wrong master key?") from None
        return AESGCM(data_key)

    def _cache_get(self, subject_id: uuid.UUID) -> _CachedKey | None:
        cached = self._cache.get(subject_id)
        if cached is None:
            return None
        if time.monotonic() - cached.loaded_at >= self._ttl:
            del self._cache[subject_id]
            return None
        self._cache.move_to_end(subject_id)
        return cached
