"""`python -m talentflow.ingest serve|migrate|seed-demo`."""

from pathlib import Path

from talentflow.common.cli import ServiceCommands, run
from talentflow.common.settings import ServiceSettings
from talentflow.ingest.config import Settings, get_settings
from talentflow.ingest.seed import seed_demo


def one_relay(settings: ServiceSettings) -> str | None:
    """Each worker would run a relay of its own, and two relays can publish one candidate's
    events out of order (deploy/README.md, "Why exactly one")."""
    assert isinstance(settings, Settings)
    if settings.run_relay:
        return (
            "every worker would run an outbox relay of its own; set "
            "TALENTFLOW_INGEST_RUN_RELAY=false and run `python -m talentflow.ingest.relay` once"
        )
    return None


COMMANDS = ServiceCommands(
    name="ingest",
    app_factory="talentflow.ingest.main:create_app",
    default_port=8001,
    migrations=Path(__file__).resolve().parent / "migrations",
    settings=get_settings,
    seed_demo=seed_demo,
    one_worker_only=one_relay,
)

if __name__ == "__main__":
    run(COMMANDS)
