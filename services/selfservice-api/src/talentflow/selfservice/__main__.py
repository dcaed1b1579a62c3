"""`python -m talentflow.selfservice serve|migrate|seed-demo`."""

from pathlib import Path

from talentflow.common.cli import ServiceCommands, run
from talentflow.selfservice.config import get_settings
from talentflow.selfservice.seed import seed_demo

COMMANDS = ServiceCommands(
    name="selfservice",
    app_factory="talentflow.selfservice.main:create_app",
    default_port=8000,
    migrations=Path(__file__).resolve().parent / "migrations",
    settings=get_settings,
    seed_demo=seed_demo,
)

if __name__ == "__main__":
    run(COMMANDS)
