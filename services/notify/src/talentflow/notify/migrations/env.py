"""Alembic environment of the notify schema."""

from talentflow.common.migrations import run_alembic_env
from talentflow.notify.models import Base

run_alembic_env(Base.metadata)
