"""Alembic environment of the analytics schema."""

from talentflow.analytics.models import Base
from talentflow.common.migrations import run_alembic_env

run_alembic_env(Base.metadata)
