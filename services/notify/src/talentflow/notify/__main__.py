"""`python -m talentflow.notify serve|migrate`."""

from pathlib import Path

from talentflow.common.cli import ServiceCommands, run
from talentflow.notify.config import get_settings

COMMANDS = ServiceCommands(
    name="notify",
    app_factory="talentflow.notify.main:create_app",
    default_port=8004,
    migrations=Path(__file__).resolve().parent / "migrations",
    settings=get_settings,
)

if __name__ == "__main__":
    run(COMMANDS)
