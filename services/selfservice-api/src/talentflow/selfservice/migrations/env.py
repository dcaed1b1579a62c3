"""Alembic environment of the selfservice schema."""

from talentflow.common.migrations import run_alembic_env
from talentflow.selfservice.models import Base

run_alembic_env(Base.metadata)
