"""`python -m talentflow.analytics serve|migrate`."""

from pathlib import Path

from talentflow.analytics.config import get_settings
from talentflow.common.cli import ServiceCommands, run

COMMANDS = ServiceCommands(
    name="analytics",
    app_factory="talentflow.analytics.main:create_app",
    default_port=8003,
    migrations=Path(__file__).resolve().parent / "migrations",
    settings=get_settings,
)

if __name__ == "__main__":
    run(COMMANDS)
