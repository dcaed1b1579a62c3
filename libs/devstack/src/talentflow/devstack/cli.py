"""`talentflow-dev`: the development front door (`make run` calls `talentflow-dev run`)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="talentflow-dev")
    sub = parser.add_subparsers(dest="command", required=True)
    mig = sub.add_parser("makemigration", help="autogenerate a service's next migration")
    mig.add_argument("service")
    mig.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    if args.command == "makemigration":
        from talentflow.devstack.makemigration import make_migration

        make_migration(args.service, args.message)


if __name__ == "__main__":
    main()
