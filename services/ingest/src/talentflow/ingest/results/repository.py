"""The SQL of storing results in batches: a fixed number of statements whatever the batch.

Statements go to the driver as they are, on the asyncpg connection under the session's
transaction (`talentflow.common.db.driver_connection`): `$n` parameters, arrays for
batches (new rows as one array of a row type per table, `RowType`), no per-statement or
per-row work in SQLAlchemy. Values are passed as asyncpg takes
them; JSON columns take JSON text. The driver's errors are raised as SQLAlchemy's.
"""

from __future__ import annotations

import json
import typing
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import pydantic_core
from sqlalchemy import JSON, Table
from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common.db import DriverConnection, driver_connection, driver_errors
from talentflow.common.outbox import OUTBOX_COLUMNS
from talentflow.ingest.models import PLATFORM, Result, Tenant, Vendor, VendorSecret, WebhookReceipt

RESULTS = typing.cast(Table, Result.__table__)
RECEIPTS = typing.cast(Table, WebhookReceipt.__table__)
_VENDORS = typing.cast(Table, Vendor.__table__)
_TENANTS = typing.cast(Table, Tenant.__table__)
_SECRETS = typing.cast(Table, VendorSecret.__table__)
_SCHEMA = RESULTS.schema

ResultKey = tuple[uuid.UUID, str]  # (vendor_id, vendor_result_id)
ReceiptKey = tuple[uuid.UUID, str]  # (vendor_id, webhook_id)


# --- locks ----------------------------------------------------------------------------------

# `ingest.lock_keys` (a migration): in the order of the keys' 64-bit ids, so transactions
# locking overlapping sets never deadlock; `ingest.claim_new_results` locks the same way.
_LOCK_ALL = f"SELECT {_SCHEMA}.lock_keys($1::text[])"


async def lock_all(db: DriverConnection, keys: Collection[str]) -> None:
    """Transaction-scoped advisory locks on every key (`repository.lock` takes the same ones)
    in one statement, in an order every caller shares.

    Take all of a transaction's locks in one call: a second call may wait on a lock that a
    transaction waiting on the first call's locks holds.
    """
    if keys:
        with driver_errors():
            await db.execute(_LOCK_ALL, list(keys))


# --- what is stored already --------------------------------------------------------------------


@dataclass(frozen=True)
class LatestVersion:
    result_id: uuid.UUID
    version: int
    content_hash: bytes


_KNOWN = f"""
SELECT true, latest.* FROM (
    SELECT DISTINCT ON (r.vendor_id, r.vendor_result_id)
        r.vendor_id, r.vendor_result_id, r.id, r.version, r.content_hash
    FROM {RESULTS.fullname} AS r
    JOIN unnest($1::uuid[], $2::text[]) AS k(vendor_id, vendor_result_id)
        ON r.vendor_id = k.vendor_id AND r.vendor_result_id = k.vendor_result_id
    ORDER BY r.vendor_id, r.vendor_result_id, r.version DESC
) AS latest
UNION ALL
SELECT false, w.vendor_id, w.webhook_id, w.result_id, w.result_version, NULL
FROM {RECEIPTS.fullname} AS w
JOIN unnest($3::uuid[], $4::text[]) AS k(vendor_id, webhook_id)
    ON w.vendor_id = k.vendor_id AND w.webhook_id = k.webhook_id
"""  # noqa: S608 - our own table names


async def known(
    db: DriverConnection, results: Collection[ResultKey], receipts: Collection[ReceiptKey]
) -> tuple[dict[ResultKey, LatestVersion], dict[ReceiptKey, tuple[uuid.UUID, int]]]:
    """The latest stored version of each of these vendor results, and the (result id,
    version) each of these webhook deliveries was answered with; absent: none yet."""
    with driver_errors():
        rows = await db.fetch(
            _KNOWN,
            [vendor for vendor, _ in results],
            [result for _, result in results],
            [vendor for vendor, _ in receipts],
            [webhook for _, webhook in receipts],
        )
    latest: dict[ResultKey, LatestVersion] = {}
    answered: dict[ReceiptKey, tuple[uuid.UUID, int]] = {}
    for is_result, vendor, key, result_id, version, digest in rows:
        if is_result:
            latest[(vendor, key)] = LatestVersion(result_id, version, digest)
        else:
            answered[(vendor, key)] = (result_id, version)
    return latest, answered


# --- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowType:
    """A table's new rows as one parameter: an array of a row type (in ingest's schema, made
    by the migrations) whose attributes are `columns`, in order, typed as the table's."""

    table: Table
    name: str
    columns: tuple[str, ...]

    @property
    def _names(self) -> str:
        return ", ".join(f'"{name}"' for name in self.columns)

    def insert_sql(self, parameter: int) -> str:
        """Insert every row of the array in parameter `parameter`."""
        return (
            f"INSERT INTO {self.table.fullname} ({self._names}) "  # noqa: S608
            f"SELECT * FROM unnest(${parameter}::{_SCHEMA}.{self.name}[])"
        )

    def insert_claimed_sql(self, parameter: int) -> str:
        """Insert the rows whose (1-based) ordinal the statement's `claimed` holds."""
        values = ", ".join(f"c{i}" for i in range(len(self.columns)))
        return (
            f"INSERT INTO {self.table.fullname} ({self._names}) SELECT {values} "  # noqa: S608
            f"FROM unnest(${parameter}::{_SCHEMA}.{self.name}[]) "
            f"WITH ORDINALITY AS u({values}, n) WHERE u.n IN (SELECT n FROM claimed)"
        )


RESULT_ROW = RowType(
    RESULTS,
    "result_row",
    (
        "id",
        "version",
        "tenant_id",
        "vendor_id",
        "vendor_result_id",
        "format",
        "origin",
        "content_hash",
        "candidate_id",
        "job_id",
        "interviewed_at",
        "overall_score",
        "competencies",
        "counts",
        "biometrics_policy",
        "dropped_metrics",
        "report_url",
        "contact_enc",
        "evidence_enc",
        "biometrics_enc",
        "raw_payload_enc",
    ),
)
RECEIPT_ROW = RowType(
    RECEIPTS, "receipt_row", ("vendor_id", "webhook_id", "result_id", "result_version")
)
OUTBOX_ROW = RowType(PLATFORM.outbox, "outbox_row", OUTBOX_COLUMNS)
ROW_TYPES = (RESULT_ROW, RECEIPT_ROW, OUTBOX_ROW)

Row = tuple[Any, ...]


async def add_versions(
    db: DriverConnection,
    results: Sequence[Row],
    receipts: Sequence[Row],
    outbox: Sequence[Row],
) -> None:
    """Insert result versions, webhook receipts and outbox rows (`RESULT_ROW`, `RECEIPT_ROW`
    and `OUTBOX_ROW` tuples; JSON columns as JSON text) in one statement. The receipts' foreign
    key is checked at the statement's end, when the results are in."""
    with driver_errors():
        await db.execute(_ADD_VERSIONS_SQL, results, receipts, outbox)


_ADD_VERSIONS_SQL = (
    f"WITH results AS ({RESULT_ROW.insert_sql(1)}), "
    f"receipts AS ({RECEIPT_ROW.insert_sql(2)}) "
    f"{OUTBOX_ROW.insert_sql(3)}"
)


@dataclass(frozen=True)
class Claim:
    """What `ingest.claim_new_results` checks, item by item (see `add_new_versions`)."""

    lock_keys: list[str]
    vendors: list[uuid.UUID]
    vendor_results: list[str]
    webhook_ids: list[str]
    vendor_digests: list[str]  # the vendor's state each item was checked against
    subjects: list[uuid.UUID]
    # The data keys the items were encrypted with: a cached key (to be still the stored one)
    # or a fresh one (to be inserted now), per subject.
    key_subjects: list[uuid.UUID]
    key_wrapped: list[bytes]
    key_fresh: list[bool]


async def add_new_versions(
    db: DriverConnection,
    claim: Claim,
    results: Sequence[Row],
    receipts: Sequence[Row],
    outbox: Sequence[Row],
) -> list[int]:
    """Store the items of a batch that are new, as version 1, in one statement; return the
    (0-based) indexes of those stored.

    The rows are given as in `add_versions`, one result, one receipt and one outbox row per
    item, in the claim's order. Run outside a transaction, the statement is its own: it takes
    the batch's locks, checks each item, inserts the rows of those that pass, and commits when
    it returns (`ingest.claim_new_results` in the migrations).
    """
    with driver_errors():
        rows = await db.fetch(
            _ADD_NEW_VERSIONS_SQL,
            claim.lock_keys,
            claim.vendors,
            claim.vendor_results,
            claim.webhook_ids,
            claim.vendor_digests,
            claim.subjects,
            claim.key_subjects,
            claim.key_wrapped,
            claim.key_fresh,
            results,
            receipts,
            outbox,
        )
    return [row[0] - 1 for row in rows]


_CLAIM_PARAMETERS = 9
_CLAIM = ", ".join(f"${i}" for i in range(1, _CLAIM_PARAMETERS + 1))
_ADD_NEW_VERSIONS_SQL = (
    "WITH claimed AS MATERIALIZED ("  # noqa: S608 - our own names and parameters only
    f"SELECT n FROM {_SCHEMA}.claim_new_results({_CLAIM}) AS c(n)), "
    f"results AS ({RESULT_ROW.insert_claimed_sql(_CLAIM_PARAMETERS + 1)}), "
    f"receipts AS ({RECEIPT_ROW.insert_claimed_sql(_CLAIM_PARAMETERS + 2)}), "
    f"outbox AS ({OUTBOX_ROW.insert_claimed_sql(_CLAIM_PARAMETERS + 3)}) "
    "SELECT n FROM claimed"
)


def json_text(value: Any) -> str:
    """A JSON column's value as the driver takes it."""
    return pydantic_core.to_json(value).decode()


# --- vendors' state -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VendorState:
    """A vendor's row, its tenant's policy and its active secrets' ids, as of one read: a
    delivery checked against one state is stored only while it still holds."""

    vendor: tuple[Any, ...]  # the vendors row, column by column
    policy: str
    secret_ids: tuple[uuid.UUID, ...]
    digest: str  # of all the above, as the database computes it (`ingest.vendor_state_digest`)

    def vendor_row(self) -> Vendor:
        """The vendor as a (transient) Vendor object."""
        return Vendor(**{c.key: v for c, v in zip(_VENDORS.c, self.vendor, strict=True)})


_VENDOR_STATES = f"""
SELECT {", ".join(f'v."{c.name}"' for c in _VENDORS.c)}, t.biometrics_policy,
    (SELECT array_agg(s.id ORDER BY s.id) FROM {_SECRETS.fullname} AS s
     WHERE s.vendor_id = v.id AND s.retired_at IS NULL),
    {_SCHEMA}.vendor_state_digest(v.id)
FROM {_VENDORS.fullname} AS v JOIN {_TENANTS.fullname} AS t ON t.id = v.tenant_id
WHERE v.id = ANY($1::uuid[])
"""  # noqa: S608 - our own table and column names
_JSON_COLUMNS = [isinstance(c.type, JSON) for c in _VENDORS.c]
_ID = [c.name for c in _VENDORS.c].index("id")


async def vendor_states(
    db: AsyncSession | DriverConnection, vendor_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, VendorState]:
    """The current state of each of these vendors (absent: no such vendor)."""
    db = await driver_connection(db)
    with driver_errors():
        rows = await db.fetch(_VENDOR_STATES, list(vendor_ids))
    states = {}
    for row in rows:
        vendor = tuple(
            json.loads(value) if is_json and isinstance(value, str) else value
            for value, is_json in zip(row[: len(_JSON_COLUMNS)], _JSON_COLUMNS, strict=True)
        )
        policy, secret_ids, digest = row[len(_JSON_COLUMNS) :]
        states[row[_ID]] = VendorState(vendor, policy, tuple(secret_ids or ()), digest)
    return states
