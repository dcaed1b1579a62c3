"""`python -m talentflow.ingest serve|migrate|seed-demo`."""

from pathlib import Path

from talentflow.common.cli import ServiceCommands, run
from talentflow.ingest.config import get_settings
from talentflow.ingest.seed import seed_demo

COMMANDS = ServiceCommands(
    name="ingest",
    app_factory="talentflow.ingest.main:create_app",
    default_port=8001,
    migrations=Path(__file__).resolve().parent / "migrations",
    settings=get_settings,
    seed_demo=seed_demo,
)

if __name__ == "__main__":
    run(COMMANDS)
