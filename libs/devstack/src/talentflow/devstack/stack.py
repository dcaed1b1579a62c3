"""The whole development stack in one object: what `make run` and the end-to-end test start.

    with Stack(Path("var")) as stack:          # or stack.start() ... stack.stop()
        stack.urls["ingest"]                   # http://127.0.0.1:8001

start(): embedded PostgreSQL under <var>/postgres (kept across runs) unless a database URL is
given, a Tansu broker unless a Kafka bootstrap is given, the SMTP sink (<var>/dev/mail), the demo
data (<var>/dev/demo.json), then for every service `migrate` and `seed-demo` (concurrently: each
service has its own schema) and `serve` in its own process group, logging to
<var>/log/<service>.log; it returns once every /readyz answers 200 and has written
<var>/dev/credentials.json and <var>/dev/sample-result.json. stop() undoes all of it, keeping
the database's data.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

from talentflow.common.demo import DemoData
from talentflow.common.settings import DEV_AUTH_SECRET, DEV_ENCRYPTION_KEY
from talentflow.devstack.broker import TansuBroker, free_port
from talentflow.devstack.demo import (
    Credentials,
    build_credentials,
    dump_json,
    load_or_create_demo,
    sample_result,
    write_atomic,
)
from talentflow.devstack.postgres import EmbeddedPostgres
from talentflow.devstack.processes import (
    ManagedProcess,
    kill_all,
    port_is_free,
    prune_dead_pids,
    stop_all,
)
from talentflow.devstack.services import (
    SERVICES,
    ServiceSpec,
    StackError,
    free_ports,
    migrate_and_seed,
    serve_argv,
    service_env,
    wait_ready,
    with_log_tail,
)
from talentflow.devstack.smtp_sink import SmtpSink

__all__ = ["SERVICES", "ServiceSpec", "Stack", "StackError", "free_ports"]

log = logging.getLogger(__name__)

DEFAULT_BROKER_PORT = 19092


class Stack:
    """PostgreSQL, broker, SMTP sink, demo data and the five services, started and stopped."""

    def __init__(
        self,
        var_dir: Path | str = "var",
        *,
        ports: Mapping[str, int] | None = None,
        broker_port: int | None = None,
        smtp_port: int = 2525,
        database_url: str | None = None,
        kafka_bootstrap: str | None = None,
        kafka_idempotence: bool | None = None,
        topic_prefix: str = "",
        auth_secret: str = DEV_AUTH_SECRET,
        encryption_key: str = DEV_ENCRYPTION_KEY,
        log_level: str = "INFO",
        services: Sequence[str] | None = None,
        ready_timeout: float = 120.0,
        grace_period: float = 10.0,
        python: str | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.var_dir = Path(var_dir).resolve()
        chosen = set(services) if services is not None else {s.name for s in SERVICES}
        unknown = chosen - {s.name for s in SERVICES}
        if unknown:
            raise ValueError(f"unknown services: {', '.join(sorted(unknown))}")
        overrides = dict(ports or {})
        self.services = [
            ServiceSpec(s.name, s.package, overrides.get(s.name, s.port))
            for s in SERVICES
            if s.name in chosen
        ]
        self.urls = {s.name: f"http://127.0.0.1:{s.port}" for s in self.services}
        self.broker_port = broker_port
        self.smtp_port = smtp_port
        self._external_db = database_url
        self._external_kafka = kafka_bootstrap
        self.kafka_idempotence = (
            kafka_bootstrap is not None if kafka_idempotence is None else kafka_idempotence
        )
        self.topic_prefix = topic_prefix
        self.auth_secret = auth_secret
        self.encryption_key = encryption_key
        self.log_level = log_level
        self.ready_timeout = ready_timeout
        self.grace_period = grace_period
        self.python = python or sys.executable
        self.extra_env = dict(extra_env or {})
        self.database_url = database_url or ""
        self.kafka_bootstrap = kafka_bootstrap or ""
        self.demo: DemoData | None = None
        self.credentials: Credentials | None = None
        self._postgres: EmbeddedPostgres | None = None
        self._broker: TansuBroker | None = None
        self._sink: SmtpSink | None = None
        self._processes: dict[str, ManagedProcess] = {}

    @classmethod
    def from_env(cls, var_dir: Path | str = "var", **kwargs: Any) -> Stack:
        """A Stack using TALENTFLOW_DATABASE_URL / TALENTFLOW_KAFKA_BOOTSTRAP when they are set."""
        idempotence = os.environ.get("TALENTFLOW_KAFKA_IDEMPOTENCE")
        return cls(
            var_dir,
            database_url=os.environ.get("TALENTFLOW_DATABASE_URL") or None,
            kafka_bootstrap=os.environ.get("TALENTFLOW_KAFKA_BOOTSTRAP") or None,
            kafka_idempotence=None if idempotence is None else idempotence.lower() == "true",
            **kwargs,
        )

    # --- paths -----------------------------------------------------------------------------

    @property
    def dev_dir(self) -> Path:
        return self.var_dir / "dev"

    @property
    def mail_dir(self) -> Path:
        return self.dev_dir / "mail"

    @property
    def demo_path(self) -> Path:
        return self.dev_dir / "demo.json"

    @property
    def credentials_path(self) -> Path:
        return self.dev_dir / "credentials.json"

    @property
    def sample_path(self) -> Path:
        return self.dev_dir / "sample-result.json"

    def log_path(self, name: str) -> Path:
        """<var>/log/<name>.log (a service name, or "broker")."""
        return self.var_dir / "log" / f"{name}.log"

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Stack:
        """Start everything; on any failure (or Ctrl-C) stop what was started and re-raise."""
        try:
            self._check_ports()
            self._start_database()
            self._start_broker()
            self._start_sink()
            self.demo = load_or_create_demo(self.demo_path)
            self._prepare_services()
            for spec in self.services:
                self._processes[spec.name] = ManagedProcess(
                    spec.name,
                    serve_argv(spec, self.python),
                    env=self.service_env(spec),
                    log=self.log_path(spec.name),
                ).start()
            wait_ready(self._processes, self.urls, self.ready_timeout)
            self._write_dev_files()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the services (SIGTERM, SIGKILL after the grace period), broker, sink, database."""
        stop_all(self._processes.values(), self.grace_period)
        self._processes.clear()
        parts = (("broker", self._broker), ("smtp sink", self._sink), ("postgres", self._postgres))
        for name, part in parts:
            if part is None:
                continue
            try:
                part.stop()
            except Exception:
                log.exception("stopping the %s failed", name)
        self._broker = self._sink = self._postgres = None

    def exited(self) -> dict[str, int]:
        """Services whose server process has exited since start(), with their exit codes."""
        codes = {name: proc.poll() for name, proc in self._processes.items()}
        return {name: code for name, code in codes.items() if code is not None}

    def kill(self) -> None:
        """SIGKILL every service process group now (a second Ctrl-C); stop() still cleans up."""
        kill_all(self._processes.values())

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def service_env(self, spec: ServiceSpec) -> dict[str, str]:
        """The environment a service's processes run with."""
        env = dict(os.environ)
        env.update(
            service_env(
                spec,
                urls=self.urls,
                database_url=self.database_url,
                kafka_bootstrap=self.kafka_bootstrap,
                kafka_idempotence=self.kafka_idempotence,
                topic_prefix=self.topic_prefix,
                auth_secret=self.auth_secret,
                encryption_key=self.encryption_key,
                log_level=self.log_level,
                smtp=("127.0.0.1", self.smtp_port),
            )
        )
        env.update(self.extra_env)
        return env

    # --- steps -------------------------------------------------------------------------------

    def _check_ports(self) -> None:
        for spec in self.services:
            if not port_is_free(spec.port):
                raise StackError(
                    f"port {spec.port} for {spec.name} is already in use "
                    "(is another `make run` still running?)"
                )

    def _start_database(self) -> None:
        if self._external_db:
            log.info("database: %s (external)", self._external_db)
            return
        pgdata = self.var_dir / "postgres"
        prune_dead_pids(pgdata / ".handle_pids.json")
        self._postgres = EmbeddedPostgres(pgdata, keep_data=True).start()
        self.database_url = self._postgres.create_database("talentflow")
        log.info("database: embedded PostgreSQL, data in %s", pgdata)

    def _start_broker(self) -> None:
        if self._external_kafka:
            log.info("broker: %s (external)", self._external_kafka)
            return
        port = self.broker_port
        if port is None:
            port = DEFAULT_BROKER_PORT if port_is_free(DEFAULT_BROKER_PORT) else free_port()
        self.log_path("broker").parent.mkdir(parents=True, exist_ok=True)
        self._broker = TansuBroker(port=port, log_path=self.log_path("broker")).start()
        self.kafka_bootstrap = self._broker.bootstrap
        log.info("broker: Tansu on %s", self.kafka_bootstrap)

    def _start_sink(self) -> None:
        if self.smtp_port and not port_is_free(self.smtp_port):
            log.warning("SMTP port %s is in use; the sink takes a free port", self.smtp_port)
            self.smtp_port = 0
        self._sink = SmtpSink(self.mail_dir, port=self.smtp_port).start()
        self.smtp_port = self._sink.port
        log.info("smtp sink: 127.0.0.1:%s -> %s", self.smtp_port, self.mail_dir)

    def _prepare_services(self) -> None:
        """Migrate and seed every service at once; retry failures one by one, then give up.

        Safe concurrently: each service migrates its own schema under its own advisory lock.
        """
        log.info("migrating and seeding: %s", ", ".join(s.name for s in self.services))

        def prepare(spec: ServiceSpec) -> str | None:
            return migrate_and_seed(
                spec,
                python=self.python,
                env=self.service_env(spec),
                log=self.log_path(spec.name),
                demo_file=self.demo_path,
            )

        with ThreadPoolExecutor(max_workers=max(1, len(self.services))) as pool:
            outcomes = list(pool.map(prepare, self.services))
        errors: list[str] = []
        for spec, error in zip(self.services, outcomes, strict=True):
            if error:
                log.warning("%s: retrying migrate/seed-demo on its own", spec.name)
                error = prepare(spec)
            if error:
                errors.append(with_log_tail(error, self.log_path(spec.name)))
        if errors:
            raise StackError("\n\n".join(errors))

    def _write_dev_files(self) -> None:
        assert self.demo is not None
        self.credentials = build_credentials(
            self.demo, auth_secret=self.auth_secret, services=self.urls, mail_dir=self.mail_dir
        )
        write_atomic(self.credentials_path, self.credentials.model_dump_json(indent=2) + "\n")
        write_atomic(self.sample_path, dump_json(sample_result(self.demo)))
