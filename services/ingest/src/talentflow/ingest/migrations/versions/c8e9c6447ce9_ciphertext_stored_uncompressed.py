"""ciphertext columns stored without compression

AES-GCM output does not compress, yet PostgreSQL tries (pglz) on every value over the TOAST
threshold: the raw payloads (~3 KB) and the outbox payloads of results. Measured under
webhook load, pglz_compress was the largest single function in PostgreSQL's profile (~10% of
its CPU), all of it wasted; inserting a 3.2 KB ciphertext took 36-39 µs of the server's time
with the default (EXTENDED) and 24 µs with EXTERNAL, which keeps out-of-line storage and drops
the attempt. Only new values are affected; nothing is rewritten.

Revision ID: c8e9c6447ce9
Revises: 7aaea6577dcb
Create Date: 2026-11-26 17:06:23.916188
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c8e9c6447ce9"
down_revision: str | None = "7aaea6577dcb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CIPHERTEXT = {
    "results": ("contact_enc", "evidence_enc", "biometrics_enc", "raw_payload_enc"),
    "outbox": ("payload",),  # encrypted whenever the event is about a person
}


def _set_storage(storage: str) -> None:
    for table, columns in CIPHERTEXT.items():
        changes = ", ".join(f"ALTER COLUMN {column} SET STORAGE {storage}" for column in columns)
        op.execute(f"ALTER TABLE ingest.{table} {changes}")


def upgrade() -> None:
    _set_storage("EXTERNAL")


def downgrade() -> None:
    _set_storage("EXTENDED")
