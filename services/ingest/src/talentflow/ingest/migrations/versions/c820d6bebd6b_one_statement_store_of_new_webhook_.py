"""one-statement store of new webhook results

Two functions for the webhook writer's fast path (`storage.store_new`), which stores a batch
of new results in one statement instead of a transaction of seven round trips:

- `ingest.vendor_state_digest(vendor)`: a digest of what a delivery is checked against (the
  vendor's row, its tenant's biometrics policy, the ids of its active secrets). A delivery
  checked against one digest is stored only while the vendor's digest is still the same.
  The function fixes the settings that shape the row's text, so every session computes the
  same digest.
- `ingest.lock_keys(keys)`: transaction-scoped advisory locks on every key, in the order of
  their 64-bit ids, so transactions locking overlapping sets never deadlock. Every batch lock
  goes through it (`repository.lock_all` and the function below): one definition of the
  keys' hashing and order.
- `ingest.claim_new_results(...)`: takes the advisory locks of the batch's results and
  webhook ids (`ingest.lock_keys`, as `storage.store` does), then, each statement
  seeing what the transactions it waited for committed, returns the ordinals of the items
  that can be stored as version 1: the vendor unchanged, no version of the result and no
  receipt of the webhook id stored yet, and the candidate's data key the one the item was
  encrypted with (a cached key still stored, or a fresh one inserted now).

Revision ID: c820d6bebd6b
Revises: c8e9c6447ce9
Create Date: 2026-11-26 17:32:32.677015
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c820d6bebd6b"
down_revision: str | None = "c8e9c6447ce9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VENDOR_STATE_DIGEST = """
CREATE FUNCTION ingest.vendor_state_digest(vendor uuid) RETURNS text
LANGUAGE sql STABLE
SET "TimeZone" = 'UTC' SET "DateStyle" = 'ISO, YMD' SET extra_float_digits = 3
AS $$
    SELECT md5(concat_ws('|', v::text, t.biometrics_policy, (
        SELECT array_agg(s.id ORDER BY s.id)::text FROM ingest.vendor_secrets AS s
        WHERE s.vendor_id = v.id AND s.retired_at IS NULL
    )))
    FROM ingest.vendors AS v JOIN ingest.tenants AS t ON t.id = v.tenant_id
    WHERE v.id = vendor
$$
"""

LOCK_KEYS = """
CREATE FUNCTION ingest.lock_keys(keys text[]) RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    -- The volatile function in the select list runs after the sort.
    PERFORM pg_advisory_xact_lock(h) FROM (
        SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest(keys) AS k
    ) AS ids ORDER BY h;
END
$$
"""

CLAIM_NEW_RESULTS = """
CREATE FUNCTION ingest.claim_new_results(
    lock_keys text[],
    item_vendors uuid[],
    item_results text[],
    item_webhooks text[],
    item_digests text[],
    item_subjects uuid[],
    key_subjects uuid[],
    key_wrapped bytea[],
    key_fresh boolean[]
) RETURNS SETOF bigint
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    PERFORM ingest.lock_keys(lock_keys);
    -- A statement of its own, so it sees what the holders of those locks committed.
    RETURN QUERY
    WITH item AS (
        SELECT * FROM unnest(item_vendors, item_results, item_webhooks, item_digests,
                             item_subjects)
            WITH ORDINALITY AS i(vendor_id, vendor_result_id, webhook_id, digest, subject_id, n)
    ), unchanged AS (
        SELECT v.vendor_id FROM (SELECT DISTINCT i.vendor_id, i.digest FROM item AS i) AS v
        WHERE ingest.vendor_state_digest(v.vendor_id) = v.digest
    ), unseen AS (
        SELECT i.* FROM item AS i
        WHERE i.vendor_id IN (SELECT u.vendor_id FROM unchanged AS u)
          AND NOT EXISTS (
              SELECT FROM ingest.results AS r
              WHERE r.vendor_id = i.vendor_id AND r.vendor_result_id = i.vendor_result_id)
          AND NOT EXISTS (
              SELECT FROM ingest.webhook_receipts AS w
              WHERE w.vendor_id = i.vendor_id AND w.webhook_id = i.webhook_id)
    ), offered AS (
        SELECT * FROM unnest(key_subjects, key_wrapped, key_fresh)
            AS k(subject_id, wrapped_key, fresh)
    ), created AS (
        -- In the subjects' order, as FieldCipher.data_keys: concurrent batches never deadlock.
        INSERT INTO ingest.subject_keys (subject_id, wrapped_key)
        SELECT k.subject_id, k.wrapped_key FROM offered AS k
        WHERE k.fresh AND k.subject_id IN (SELECT u.subject_id FROM unseen AS u)
        ORDER BY k.subject_id
        ON CONFLICT (subject_id) DO NOTHING
        RETURNING subject_id
    ), usable AS (
        SELECT c.subject_id FROM created AS c
        UNION ALL
        SELECT k.subject_id FROM offered AS k
        JOIN ingest.subject_keys AS s
            ON s.subject_id = k.subject_id AND s.wrapped_key = k.wrapped_key
        WHERE NOT k.fresh
    )
    SELECT u.n FROM unseen AS u WHERE u.subject_id IN (SELECT s.subject_id FROM usable AS s)
    ORDER BY u.n;
END
$$
"""


def upgrade() -> None:
    op.execute(VENDOR_STATE_DIGEST)
    op.execute(LOCK_KEYS)
    op.execute(CLAIM_NEW_RESULTS)


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION ingest.claim_new_results("
        "text[], uuid[], text[], text[], text[], uuid[], uuid[], bytea[], boolean[])"
    )
    op.execute("DROP FUNCTION ingest.lock_keys(text[])")
    op.execute("DROP FUNCTION ingest.vendor_state_digest(uuid)")
