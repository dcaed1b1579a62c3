"""result origin

Where a result came from: a live webhook, or a bulk import of historical results. Rows stored
before this revision all came by webhook (imports did not exist).

Revision ID: 188f405342a8
Revises: f8216ce8d7ab
Create Date: 2026-11-26 13:30:52.976643
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "188f405342a8"
down_revision: str | None = "f8216ce8d7ab"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "results",
        sa.Column("origin", sa.String(length=10), server_default="webhook", nullable=False),
        schema="analytics",
    )
    op.create_check_constraint(
        op.f("ck_results_origin"), "results", "origin IN ('webhook', 'import')", schema="analytics"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_results_origin"), "results", schema="analytics", type_="check")
    op.drop_column("results", "origin", schema="analytics")
