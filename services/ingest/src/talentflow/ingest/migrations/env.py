"""Alembic environment of the ingest schema."""

from talentflow.common.migrations import run_alembic_env
from talentflow.ingest.models import Base

run_alembic_env(Base.metadata)
