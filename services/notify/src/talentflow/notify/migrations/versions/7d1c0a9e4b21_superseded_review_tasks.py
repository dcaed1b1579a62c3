"""superseded review tasks

Revision ID: 7d1c0a9e4b21
Revises: 51e6b57cb6c6
Create Date: 2026-11-26 13:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7d1c0a9e4b21"
down_revision: str | None = "51e6b57cb6c6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("ck_hr_tasks_status"), "hr_tasks", schema="notify", type_="check")
    op.create_check_constraint(
        op.f("ck_hr_tasks_status"),
        "hr_tasks", "status IN ('open', 'done', 'superseded')", schema="notify"
    )


def downgrade() -> None:
    op.execute("UPDATE notify.hr_tasks SET status = 'done' WHERE status = 'superseded'")
    op.drop_constraint(op.f("ck_hr_tasks_status"), "hr_tasks", schema="notify", type_="check")
    op.create_check_constraint(
        op.f("ck_hr_tasks_status"), "hr_tasks", "status IN ('open', 'done')", schema="notify"
    )
