"""report origin

Where a result came from: a live webhook, or a bulk import of past interviews. Rows stored
before this revision all came by webhook (imports did not exist).

Revision ID: eae490c30884
Revises: aea55aa9e5d5
Create Date: 2026-11-26 13:31:39.580708
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "eae490c30884"
down_revision: str | None = "aea55aa9e5d5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "reports",
        sa.Column("origin", sa.String(length=10), server_default="webhook", nullable=False),
        schema="selfservice",
    )
    op.create_check_constraint(
        op.f("ck_reports_origin"), "reports", "origin IN ('webhook', 'import')", schema="selfservice"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_reports_origin"), "reports", schema="selfservice", type_="check")
    op.drop_column("reports", "origin", schema="selfservice")
