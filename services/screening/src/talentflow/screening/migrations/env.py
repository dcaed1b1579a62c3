"""Alembic environment of the screening schema."""

from talentflow.common.migrations import run_alembic_env
from talentflow.screening.models import Base

run_alembic_env(Base.metadata)
