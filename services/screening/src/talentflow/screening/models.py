"""Screening's tables, in the `screening` schema."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from talentflow.common.db import make_metadata
from talentflow.common.tables import platform_tables

SCHEMA = "screening"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


PLATFORM = platform_tables(Base.metadata)

# Service tables (jobs, rule sets, decisions, ...) are declared below as typed ORM models.
