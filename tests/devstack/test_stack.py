"""The Stack's configuration and its failure reports (the whole stack runs in tests/e2e)."""

from __future__ import annotations

import os
import socket
import stat
import sys
from pathlib import Path

import pytest

from talentflow.devstack.broker import free_port
from talentflow.devstack.processes import ManagedProcess
from talentflow.devstack.services import SERVICES, migrate_and_seed, wait_ready
from talentflow.devstack.stack import Stack, StackError, free_ports


class TestConfiguration:
    def test_defaults(self, tmp_path: Path) -> None:
        stack = Stack(tmp_path)

        assert stack.urls == {
            "ingest": "http://127.0.0.1:8001",
            "screening": "http://127.0.0.1:8002",
            "analytics": "http://127.0.0.1:8003",
            "notify": "http://127.0.0.1:8004",
            "selfservice-api": "http://127.0.0.1:8000",
        }
        assert stack.credentials_path == tmp_path / "dev" / "credentials.json"
        assert stack.sample_path == tmp_path / "dev" / "sample-result.json"
        assert stack.mail_dir == tmp_path / "dev" / "mail"
        assert stack.log_path("ingest") == tmp_path / "log" / "ingest.log"
        assert stack.kafka_idempotence is False  # Tansu

    def test_ports_subset_and_external_servers(self, tmp_path: Path) -> None:
        stack = Stack(
            tmp_path,
            ports={"ingest": 9101},
            services=["ingest", "selfservice-api"],
            database_url="postgresql+asyncpg://u@db/talentflow",
            kafka_bootstrap="kafka:9092",
            topic_prefix="t1.",
        )

        assert stack.urls == {
            "ingest": "http://127.0.0.1:9101",
            "selfservice-api": "http://127.0.0.1:8000",
        }
        assert stack.kafka_idempotence is True  # real Kafka
        gateway = next(s for s in stack.services if s.name == "selfservice-api")
        env = stack.service_env(gateway)
        assert env["TALENTFLOW_SELFSERVICE_INGEST_URL"] == "http://127.0.0.1:9101"
        assert env["TALENTFLOW_SELFSERVICE_SCREENING_URL"] == "http://127.0.0.1:8002"
        assert env["TALENTFLOW_SELFSERVICE_DATABASE_URL"] == "postgresql+asyncpg://u@db/talentflow"
        assert env["TALENTFLOW_SELFSERVICE_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["TALENTFLOW_SELFSERVICE_KAFKA_IDEMPOTENCE"] == "true"
        assert env["TALENTFLOW_SELFSERVICE_KAFKA_TOPIC_PREFIX"] == "t1."

    def test_every_service_gets_its_prefix_and_the_same_auth_secret(self, tmp_path: Path) -> None:
        stack = Stack(tmp_path, auth_secret="shared", smtp_port=2626)
        stack.kafka_bootstrap = "127.0.0.1:19092"
        for spec in stack.services:
            env = stack.service_env(spec)
            prefix = spec.env_prefix
            assert env[prefix + "AUTH_SECRET"] == "shared"
            assert env[prefix + "ENVIRONMENT"] == "development"
            assert env[prefix + "KAFKA_IDEMPOTENCE"] == "false"
            assert env[prefix + "KAFKA_BOOTSTRAP"] == "127.0.0.1:19092"
            assert prefix + "ENCRYPTION_KEY" in env
        notify = next(s for s in stack.services if s.name == "notify")
        env = stack.service_env(notify)
        assert (env["TALENTFLOW_NOTIFY_SMTP_HOST"], env["TALENTFLOW_NOTIFY_SMTP_PORT"]) == (
            "127.0.0.1",
            "2626",
        )
        assert [s.env_prefix for s in SERVICES] == [
            "TALENTFLOW_INGEST_",
            "TALENTFLOW_SCREENING_",
            "TALENTFLOW_ANALYTICS_",
            "TALENTFLOW_NOTIFY_",
            "TALENTFLOW_SELFSERVICE_",
        ]

    def test_from_env_reads_the_external_servers(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("TALENTFLOW_DATABASE_URL", "postgresql://x@h/db")
        monkeypatch.setenv("TALENTFLOW_KAFKA_BOOTSTRAP", "h:9092")
        monkeypatch.setenv("TALENTFLOW_KAFKA_IDEMPOTENCE", "false")
        stack = Stack.from_env(tmp_path)
        assert (stack.database_url, stack.kafka_bootstrap) == ("postgresql://x@h/db", "h:9092")
        assert stack.kafka_idempotence is False

    def test_free_ports_for_a_stack_beside_make_run(self, tmp_path: Path) -> None:
        ports = free_ports()
        stack = Stack(tmp_path, ports=ports)
        assert set(ports) == {s.name for s in SERVICES}
        assert stack.urls == {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}

    def test_unknown_service(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="billing"):
            Stack(tmp_path, services=["billing"])


class TestFailures:
    def test_a_busy_port_is_named_before_anything_starts(self, tmp_path: Path) -> None:
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            stack = Stack(tmp_path, services=["ingest"], ports={"ingest": port})
            with pytest.raises(StackError, match=f"port {port} for ingest"):
                stack.start()
        assert not (tmp_path / "postgres").exists()

    def test_a_service_that_exits_is_reported_with_its_log(self, tmp_path: Path) -> None:
        script = "import sys; print('cannot import create_app', file=sys.stderr); sys.exit(3)"
        proc = ManagedProcess(
            "ingest",
            [sys.executable, "-c", script],
            env=dict(os.environ),
            log=tmp_path / "ingest.log",
        ).start()
        with pytest.raises(StackError) as info:
            wait_ready({"ingest": proc}, {"ingest": f"http://127.0.0.1:{free_port()}"}, 30)
        assert "ingest exited with code 3" in str(info.value)
        assert "cannot import create_app" in str(info.value)

    def test_a_service_that_never_gets_ready_times_out_with_a_clear_error(
        self, tmp_path: Path
    ) -> None:
        proc = ManagedProcess(
            "notify",
            [sys.executable, "-c", "print('waiting for SMTP'); import time; time.sleep(60)"],
            env=dict(os.environ),
            log=tmp_path / "notify.log",
        ).start()
        try:
            with pytest.raises(StackError) as info:
                wait_ready({"notify": proc}, {"notify": f"http://127.0.0.1:{free_port()}"}, 1.0)
        finally:
            proc.stop(grace=1.0)
        assert "notify not ready after 1s" in str(info.value)
        assert "waiting for SMTP" in str(info.value)


def _fake_python(tmp_path: Path, body: str) -> str:
    """An executable that stands in for `python -m talentflow.<svc> <command> ...`."""
    path = tmp_path / "fake-python"
    path.write_text(f'#!/bin/sh\ncommand="$3"\n{body}\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


class TestMigrateAndSeed:
    def test_a_service_without_seed_demo_has_nothing_to_seed(self, tmp_path: Path) -> None:
        python = _fake_python(
            tmp_path,
            'if [ "$command" = seed-demo ]; then\n'
            "  echo \"error: argument command: invalid choice: 'seed-demo'\" >&2; exit 2\n"
            "fi\nexit 0",
        )
        log = tmp_path / "analytics.log"
        error = migrate_and_seed(
            SERVICES[2], python=python, env=dict(os.environ), log=log, demo_file=tmp_path
        )
        assert error is None
        assert "invalid choice" in log.read_text()

    def test_a_failing_migration_is_reported(self, tmp_path: Path) -> None:
        python = _fake_python(tmp_path, 'echo "relation exists" >&2; exit 1')
        error = migrate_and_seed(
            SERVICES[0],
            python=python,
            env=dict(os.environ),
            log=tmp_path / "i.log",
            demo_file=tmp_path,
        )
        assert error == "ingest: `migrate` failed with exit code 1"

    def test_a_failing_seed_is_reported(self, tmp_path: Path) -> None:
        python = _fake_python(tmp_path, '[ "$command" = seed-demo ] && exit 1\nexit 0')
        error = migrate_and_seed(
            SERVICES[1],
            python=python,
            env=dict(os.environ),
            log=tmp_path / "s.log",
            demo_file=tmp_path,
        )
        assert error == "screening: `seed-demo` failed with exit code 1"
