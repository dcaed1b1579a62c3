"""Process groups: a stopped service takes its stubborn children down with it."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from pathlib import Path

from talentflow.devstack.processes import (
    ManagedProcess,
    pid_alive,
    prune_dead_pids,
    run_logged,
    stop_all,
)

# Ignores SIGTERM, starts a grandchild that ignores it too, then writes both pids and sleeps.
STUBBORN = textwrap.dedent(
    """
    import os, signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen([sys.executable, "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
    with open(sys.argv[1] + ".tmp", "w") as out:
        out.write(f"{os.getpid()} {child.pid}")
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    print("ready", flush=True)
    time.sleep(600)
    """
)


def _wait_for(path: Path, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.05)
    return path.read_text()


def _started(tmp_path: Path, script: str, name: str = "stubborn") -> tuple[ManagedProcess, Path]:
    pids = tmp_path / f"{name}.pids"
    proc = ManagedProcess(
        name,
        [sys.executable, "-c", script, str(pids)],
        env=dict(os.environ),
        log=tmp_path / "log" / f"{name}.log",
    ).start()
    return proc, pids


class TestStop:
    def test_kills_a_group_that_ignores_sigterm_within_the_grace_period(
        self, tmp_path: Path
    ) -> None:
        proc, pids_file = _started(tmp_path, STUBBORN)
        leader, grandchild = (int(p) for p in _wait_for(pids_file).split())

        started = time.monotonic()
        proc.stop(grace=1.0)
        elapsed = time.monotonic() - started

        assert 1.0 <= elapsed < 4.0
        assert proc.poll() is not None
        assert not pid_alive(leader)
        assert not pid_alive(grandchild)  # reparented to init and reaped, or gone
        assert not proc.group_alive()
        assert "ready" in (tmp_path / "log" / "stubborn.log").read_text()

    def test_a_well_behaved_process_stops_without_waiting_for_the_grace_period(
        self, tmp_path: Path
    ) -> None:
        script = "import sys, time; open(sys.argv[1], 'w').write('1'); time.sleep(600)"
        proc, pids_file = _started(tmp_path, script, "polite")
        _wait_for(pids_file)

        started = time.monotonic()
        proc.stop(grace=10.0)

        assert time.monotonic() - started < 5.0
        assert proc.poll() is not None

    def test_stop_all_stops_several_groups_at_once(self, tmp_path: Path) -> None:
        procs = [_started(tmp_path, STUBBORN, f"s{n}") for n in range(3)]
        for _, pids_file in procs:
            _wait_for(pids_file)

        started = time.monotonic()
        stop_all([p for p, _ in procs], grace=1.0)

        assert time.monotonic() - started < 4.0  # one grace period for all, not one each
        assert all(not p.group_alive() for p, _ in procs)

    def test_stopping_a_process_that_never_started_or_already_exited_is_fine(
        self, tmp_path: Path
    ) -> None:
        never = ManagedProcess("never", ["true"], env={}, log=tmp_path / "never.log")
        never.stop(grace=0.1)
        done = ManagedProcess("done", ["true"], env=dict(os.environ), log=tmp_path / "d.log")
        done.start()
        deadline = time.monotonic() + 10
        while done.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        done.stop(grace=0.1)
        assert done.poll() == 0


class TestHelpers:
    def test_run_logged_appends_both_streams_and_the_exit_code(self, tmp_path: Path) -> None:
        log = tmp_path / "log" / "svc.log"
        script = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
        result = run_logged([sys.executable, "-c", script], env=dict(os.environ), log=log)

        assert result.returncode == 3
        assert result.stderr.strip() == "err"
        text = log.read_text()
        assert "out" in text and "err" in text and "exit code 3" in text

    def test_prune_dead_pids_keeps_only_live_processes(self, tmp_path: Path) -> None:
        done = ManagedProcess("gone", ["true"], env=dict(os.environ), log=tmp_path / "g.log")
        done.start()
        while done.poll() is None:
            time.sleep(0.05)
        handles = tmp_path / ".handle_pids.json"
        handles.write_text(json.dumps([os.getpid(), done.pid]))

        prune_dead_pids(handles)

        assert json.loads(handles.read_text()) == [os.getpid()]
        prune_dead_pids(tmp_path / "missing.json")  # nothing to prune: no error
