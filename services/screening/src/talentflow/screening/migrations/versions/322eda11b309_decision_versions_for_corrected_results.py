"""decision versions for corrected results

A result may now have several decisions: one per version (a correction that changes the
outcome adds the next version, superseding the previous one). Existing decisions become
version 1 of their result, having evaluated version 1 of it.

Revision ID: 322eda11b309
Revises: 68f6f2f4b832
Create Date: 2026-11-26 13:29:19.600603
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "322eda11b309"
down_revision: str | None = "68f6f2f4b832"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "decisions",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        schema="screening",
    )
    op.add_column(
        "decisions",
        sa.Column("result_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        schema="screening",
    )
    op.add_column(
        "decisions", sa.Column("supersedes_id", sa.Uuid(), nullable=True), schema="screening"
    )
    op.create_check_constraint(
        op.f("ck_decisions_version_positive"), "decisions", "version >= 1", schema="screening"
    )
    op.drop_constraint(
        op.f("uq_decisions_result_id"), "decisions", schema="screening", type_="unique"
    )
    op.create_unique_constraint(
        "uq_decisions_result_id_version",
        "decisions",
        ["result_id", "version"],
        schema="screening",
    )
    op.create_foreign_key(
        op.f("fk_decisions_supersedes_id_decisions"),
        "decisions",
        "decisions",
        ["supersedes_id"],
        ["id"],
        source_schema="screening",
        referent_schema="screening",
        ondelete="SET NULL",
    )


def downgrade() -> None:
    # One decision per result again: keep each result's current (highest) version.
    op.execute(
        "DELETE FROM screening.decisions AS d USING screening.decisions AS newer "
        "WHERE newer.result_id = d.result_id AND newer.version > d.version"
    )
    op.drop_constraint(
        op.f("fk_decisions_supersedes_id_decisions"),
        "decisions",
        schema="screening",
        type_="foreignkey",
    )
    op.drop_constraint(
        "uq_decisions_result_id_version", "decisions", schema="screening", type_="unique"
    )
    op.create_unique_constraint(
        op.f("uq_decisions_result_id"), "decisions", ["result_id"], schema="screening"
    )
    op.drop_constraint(
        op.f("ck_decisions_version_positive"), "decisions", schema="screening", type_="check"
    )
    op.drop_column("decisions", "supersedes_id", schema="screening")
    op.drop_column("decisions", "result_version", schema="screening")
    op.drop_column("decisions", "version", schema="screening")
