"""The command line every service shares: `python -m talentflow.<service> serve|migrate`."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from talentflow.common.migrations import upgrade
from talentflow.common.settings import ServiceSettings


@dataclass(frozen=True)
class ServiceCommands:
    name: str
    app_factory: str  # "talentflow.ingest.main:create_app"
    default_port: int
    migrations: Path
    settings: Callable[[], ServiceSettings]
    seed_demo: Callable[[ServiceSettings, Path], Coroutine[Any, Any, None]] | None = None


def run(commands: ServiceCommands, argv: Sequence[str] | None = None) -> None:
    """Parse `argv` and run the sub-command."""
    parser = argparse.ArgumentParser(prog=f"python -m talentflow.{commands.name}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP API and the event consumers")
    serve.add_argument("--host", default="0.0.0.0")  # noqa: S104 - containers listen on all
    serve.add_argument("--port", type=int, default=commands.default_port)
    serve.add_argument("--workers", type=int, default=1)
    sub.add_parser("migrate", help="upgrade this service's schema to the latest revision")
    if commands.seed_demo is not None:
        seed = sub.add_parser("seed-demo", help="load the demo tenant from a JSON file")
        seed.add_argument("file", type=Path)
    args = parser.parse_args(argv)

    if args.command == "serve":
        import uvicorn

        from talentflow.common.logging import configure_logging

        settings = commands.settings()
        configure_logging(commands.name, settings.log_level)
        uvicorn.run(
            commands.app_factory,
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=None,
            access_log=False,
            proxy_headers=True,
        )
    elif args.command == "migrate":
        upgrade(commands.migrations, commands.settings().database_url)
    elif args.command == "seed-demo":
        assert commands.seed_demo is not None
        asyncio.run(commands.seed_demo(commands.settings(), args.file))
