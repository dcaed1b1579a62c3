"""The five services as the development stack runs them: module, port, environment, readiness."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from talentflow.devstack.broker import free_port
from talentflow.devstack.processes import ManagedProcess, log_tail, run_logged

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceSpec:
    """One service: its name (its folder under services/), package and HTTP port."""

    name: str  # "selfservice-api"
    package: str  # "selfservice": python -m talentflow.selfservice
    port: int

    @property
    def module(self) -> str:
        return f"talentflow.{self.package}"

    @property
    def env_prefix(self) -> str:
        return f"TALENTFLOW_{self.package.upper()}_"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("ingest", "ingest", 8001),
    ServiceSpec("screening", "screening", 8002),
    ServiceSpec("analytics", "analytics", 8003),
    ServiceSpec("notify", "notify", 8004),
    ServiceSpec("selfservice-api", "selfservice", 8000),
)


def free_ports() -> dict[str, int]:
    """A free port per service, for a stack that must not collide with a running `make run`."""
    return {s.name: free_port() for s in SERVICES}


# The gateway's settings that name the internal services it calls.
GATEWAY_URL_SETTINGS = {
    "ingest": "INGEST_URL",
    "screening": "SCREENING_URL",
    "analytics": "ANALYTICS_URL",
    "notify": "NOTIFY_URL",
}


def service_env(
    spec: ServiceSpec,
    *,
    urls: Mapping[str, str],
    database_url: str,
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    topic_prefix: str,
    auth_secret: str,
    encryption_key: str,
    log_level: str = "INFO",
    smtp: tuple[str, int] = ("127.0.0.1", 2525),
) -> dict[str, str]:
    """The TALENTFLOW_<SERVICE>_* variables for one service (development settings)."""
    values = {
        "ENVIRONMENT": "development",
        "LOG_LEVEL": log_level,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP": kafka_bootstrap,
        "KAFKA_IDEMPOTENCE": "true" if kafka_idempotence else "false",
        "KAFKA_TOPIC_PREFIX": topic_prefix,
        "AUTH_SECRET": auth_secret,  # one secret for all: tokens cross the services
        "ENCRYPTION_KEY": encryption_key,
    }
    if spec.name == "notify":
        values["SMTP_HOST"], values["SMTP_PORT"] = smtp[0], str(smtp[1])
    if spec.name == "selfservice-api":
        defaults = {s.name: s.url for s in SERVICES}
        for name, setting in GATEWAY_URL_SETTINGS.items():
            values[setting] = urls.get(name, defaults[name])
    env = {spec.env_prefix + key: value for key, value in values.items()}
    env["PYTHONUNBUFFERED"] = "1"
    return env


class StackError(RuntimeError):
    """The stack could not start; the message names the service and quotes its log."""


def with_log_tail(message: str, log: Path, lines: int = 40) -> str:
    """`message` followed by the last lines of a service's log."""
    return f"{message}\n--- last lines of {log} ---\n{log_tail(log, lines)}"


def serve_argv(spec: ServiceSpec, python: str) -> list[str]:
    """The command line of a service's HTTP server (bound to the loopback interface)."""
    return [python, "-m", spec.module, "serve", "--host", "127.0.0.1", "--port", str(spec.port)]


def migrate_and_seed(
    spec: ServiceSpec, *, python: str, env: Mapping[str, str], log: Path, demo_file: Path
) -> str | None:
    """Run `migrate`, then `seed-demo` when the service has it; the error, or None when fine."""
    done = run_logged([python, "-m", spec.module, "migrate"], env=env, log=log)
    if done.returncode != 0:
        return f"{spec.name}: `migrate` failed with exit code {done.returncode}"
    seed = [python, "-m", spec.module, "seed-demo", str(demo_file)]
    done = run_logged(seed, env=env, log=log)
    if done.returncode == 2 and "invalid choice" in done.stderr:
        logger.info("%s: no seed-demo command, nothing to seed", spec.name)
    elif done.returncode != 0:
        return f"{spec.name}: `seed-demo` failed with exit code {done.returncode}"
    return None


def wait_ready(
    processes: Mapping[str, ManagedProcess], urls: Mapping[str, str], timeout: float
) -> None:
    """Poll every service's /readyz until each answers 200.

    Raise StackError at once when a service exits, or after `timeout` seconds naming the
    services that are still not ready, with their last answer and the tail of their logs.
    """
    pending = dict(processes)
    last: dict[str, str] = dict.fromkeys(pending, "/readyz: no answer yet")
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while pending:
            for name, proc in list(pending.items()):
                code = proc.poll()
                if code is not None:
                    message = f"{name} exited with code {code} before it was ready"
                    raise StackError(with_log_tail(message, proc.log))
                try:
                    response = client.get(urls[name] + "/readyz")
                except httpx.HTTPError as exc:
                    last[name] = f"/readyz: {type(exc).__name__}"
                    continue
                if response.status_code == 200:
                    logger.info("%s ready at %s", name, urls[name])
                    del pending[name]
                else:
                    last[name] = f"/readyz: {response.status_code} {response.text[:300]}"
            if pending and time.monotonic() > deadline:
                reports = [
                    with_log_tail(f"{n} not ready after {timeout:.0f}s ({last[n]})", p.log)
                    for n, p in pending.items()
                ]
                raise StackError("\n\n".join(reports))
            if pending:
                time.sleep(0.25)
