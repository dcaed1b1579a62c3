"""Autogenerate a service's next Alembic revision against a throw-away embedded PostgreSQL.

talentflow-dev makemigration screening -m "rule sets"
"""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path

from alembic import command

from talentflow.common.migrations import alembic_config
from talentflow.devstack.postgres import EmbeddedPostgres

PACKAGES = {
    "ingest": "talentflow.ingest",
    "screening": "talentflow.screening",
    "analytics": "talentflow.analytics",
    "notify": "talentflow.notify",
    "selfservice-api": "talentflow.selfservice",
    "selfservice": "talentflow.selfservice",
}


def migrations_dir(service: str) -> Path:
    package = importlib.import_module(PACKAGES[service])
    return Path(package.__file__ or "").resolve().parent / "migrations"


def make_migration(service: str, message: str) -> None:
    """Upgrade a fresh database to head, then autogenerate the difference to the models."""
    with tempfile.TemporaryDirectory(prefix="talentflow-mig-") as tmp:
        server = EmbeddedPostgres(Path(tmp) / "data", keep_data=False).start()
        try:
            cfg = alembic_config(migrations_dir(service), server.url("postgres"))
            command.upgrade(cfg, "head")
            command.revision(cfg, message=message, autogenerate=True)
        finally:
            server.stop()
