"""`python -m talentflow.screening serve|migrate|seed-demo`."""

from pathlib import Path

from talentflow.common.cli import ServiceCommands, run
from talentflow.screening.config import get_settings
from talentflow.screening.seed import seed_demo

COMMANDS = ServiceCommands(
    name="screening",
    app_factory="talentflow.screening.main:create_app",
    default_port=8002,
    migrations=Path(__file__).resolve().parent / "migrations",
    settings=get_settings,
    seed_demo=seed_demo,
)

if __name__ == "__main__":
    run(COMMANDS)
