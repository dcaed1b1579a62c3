"""What the benchmarks start and always stop: embedded PostgreSQL, the broker, HTTP servers
in subprocesses (own process groups), and a tenant with a vendor to send results for."""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from talentflow.common.crypto import load_master_key
from talentflow.common.db import create_engine, create_sessionmaker, transaction
from talentflow.common.migrations import upgrade
from talentflow.devstack.broker import TansuBroker, free_port
from talentflow.devstack.makemigration import migrations_dir
from talentflow.devstack.postgres import EmbeddedPostgres
from talentflow.devstack.processes import ManagedProcess
from talentflow.ingest import tenants, vendors, webhooks
from talentflow.ingest.models import BiometricsPolicy, Jurisdiction
from talentflow.ingest.schemas import TenantSettings

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = Path(__file__).resolve().parent


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="talentflow-bench-") as tmp:
        yield Path(tmp)


@contextlib.contextmanager
def postgres(work: Path) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(work / "pg", keep_data=False).start()
    try:
        yield server
    finally:
        server.stop()


def migrated_ingest_database(server: EmbeddedPostgres, name: str = "bench") -> str:
    url = server.create_database(name)
    upgrade(migrations_dir("ingest"), url)
    return url


def recycle_wal(server: EmbeddedPostgres, megabytes: int) -> None:
    """Give a fresh cluster the spare WAL segments a running one has.

    A new cluster has almost none: each time its WAL fills a 16 MB segment, a backend creates
    the next one, zero-fills and fsyncs it, and every commit waits meanwhile (`WalInitSync`:
    ~50 - 70 ms here, every ~1.4 s at ingest's 70% load). A cluster that has been running
    renames the segments a checkpoint no longer needs into spare ones instead (as many as
    `min_wal_size` and its recent WAL rate call for). So: write `megabytes` of WAL, one segment
    after another, with `min_wal_size` that high, and checkpoint."""
    segment_mb = _number(
        server, "SELECT setting::int / 1048576 FROM pg_settings WHERE name = 'wal_segment_size'"
    )
    segments = megabytes // segment_mb
    server.psql(f"ALTER SYSTEM SET min_wal_size = '{megabytes}MB'")
    server.psql(f"ALTER SYSTEM SET max_wal_size = '{max(megabytes, 1024)}MB'")
    server.psql("SELECT pg_reload_conf()")
    server.psql(  # a WAL record between switches, so that each one moves to a new segment
        f"DO $$ BEGIN FOR i IN 1..{segments} LOOP "
        "PERFORM pg_logical_emit_message(false, 'bench', ''); PERFORM pg_switch_wal(); "
        "END LOOP; END $$"
    )
    server.psql("CHECKPOINT")


def wal_segments_created(server: EmbeddedPostgres) -> int:
    """How many WAL segments the cluster has created (zero-filled) since it started."""
    return _number(
        server,
        "SELECT coalesce(sum(writes), 0) FROM pg_stat_io WHERE object = 'wal' AND context = 'init'",
    )


def wal_position(server: EmbeddedPostgres) -> int:
    """Bytes of WAL the cluster has written so far."""
    return _number(server, "SELECT pg_current_wal_lsn() - '0/0'")


def _number(server: EmbeddedPostgres, query: str) -> int:
    """The one number `query` returns (psql's aligned output: header, rule, value)."""
    return int(server.psql(query).split("\n")[2].strip().split(".")[0])


@contextlib.contextmanager
def broker(work: Path) -> Iterator[TansuBroker]:
    started = TansuBroker(log_path=work / "broker.log").start()
    try:
        yield started
    finally:
        started.stop()


@contextlib.contextmanager
def http_server(
    name: str, argv: list[str], *, port: int, work: Path, env: Mapping[str, str] | None = None
) -> Iterator[ManagedProcess]:
    """Run `argv` (a uvicorn server on `port`) until the block ends; wait for /healthz."""
    proc = ManagedProcess(
        name, argv, env={**os.environ, **(env or {})}, log=work / f"{name}.log"
    ).start()
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited; see {work / f'{name}.log'}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} did not become healthy")
            time.sleep(0.1)
        yield proc
    finally:
        proc.stop(grace=10)


def ingest_server(
    work: Path, *, database_url: str, bootstrap: str, port: int, workers: int = 1, **settings: str
) -> contextlib.AbstractContextManager[ManagedProcess]:
    """The ingest service as `python -m talentflow.ingest serve` runs it (one uvicorn worker
    unless told otherwise)."""
    env = {
        "TALENTFLOW_INGEST_DATABASE_URL": database_url,
        "TALENTFLOW_INGEST_KAFKA_BOOTSTRAP": bootstrap,
        "TALENTFLOW_INGEST_KAFKA_IDEMPOTENCE": "false",
        **{f"TALENTFLOW_INGEST_{k.upper()}": v for k, v in settings.items()},
    }
    argv = [sys.executable, "-m", "talentflow.ingest", "serve", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--workers", str(workers)]
    return http_server("ingest", argv, port=port, work=work, env=env)


@contextlib.contextmanager
def ingest_relay(work: Path, *, database_url: str, bootstrap: str) -> Iterator[ManagedProcess]:
    """`python -m talentflow.ingest.relay`, until the block ends."""
    env = {
        **os.environ,
        "TALENTFLOW_INGEST_DATABASE_URL": database_url,
        "TALENTFLOW_INGEST_KAFKA_BOOTSTRAP": bootstrap,
        "TALENTFLOW_INGEST_KAFKA_IDEMPOTENCE": "false",
    }
    argv = [sys.executable, "-m", "talentflow.ingest.relay"]
    argv += ["--host", "127.0.0.1", "--port", str(free_port())]  # its /healthz, /metrics
    proc = ManagedProcess("relay", argv, env=env, log=work / "relay.log").start()
    try:
        yield proc
    finally:
        proc.stop(grace=10)


def baseline_server(work: Path, *, port: int) -> contextlib.AbstractContextManager[ManagedProcess]:
    """The bare FastAPI app validating the same body (bench/support/baseline_app.py)."""
    argv = [sys.executable, "-m", "uvicorn", "baseline_app:app", "--app-dir", str(SUPPORT)]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    return http_server("baseline", [*argv, "--log-level", "warning"], port=port, work=work)


async def seed_vendor(database_url: str, master_key_text: str) -> tuple[uuid.UUID, str]:
    """A US tenant (biometrics kept, encrypted, unusable) and a vendor; (vendor id, secret)."""
    tenant_id, vendor_id, secret = uuid.uuid4(), uuid.uuid4(), webhooks.generate_secret()
    engine = create_engine(database_url, pool_size=1)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            await tenants.configure_tenant(
                session,
                tenant_id=tenant_id,
                settings=TenantSettings(
                    name="Bench",
                    jurisdiction=Jurisdiction.US,
                    biometrics_policy=BiometricsPolicy.KEEP_UNUSABLE,
                ),
            )
            await vendors.install_vendor(
                session,
                master_key=load_master_key(master_key_text),
                tenant_id=tenant_id,
                vendor_id=vendor_id,
                name="Bench vendor",
                secret=secret,
            )
    finally:
        await engine.dispose()
    return vendor_id, secret


QUOTES = [
    "I asked the customer what a good outcome would look like before proposing anything at all.",
    "We split the migration into three steps so each one could be rolled back on its own safely.",
    "When the deadline moved I told the team first and then re-planned the sprint together.",
    "I walked the new colleague through the incident review and let her lead the next one.",
    "The numbers did not add up, so I rebuilt the report from the raw export to find out why.",
    "I wrote down the three options with their costs and let the product owner choose one.",
    "Before the call I read the last five tickets of that customer to know their history.",
    "I paired with the tester for a day, which cut our back-and-forth on the bug reports.",
]


def result_body(mark: str) -> str:
    """A realistic ~3 KB talentflow.v1 result; `mark` (16 characters) stands for the number
    that makes the result id and the candidate unique per request."""
    rng = random.Random(7)
    competencies = [
        "communication",
        "logic",
        "stress_tolerance",
        "teamwork",
        "problem_decomposition",
        "empathy",
    ]
    body: dict[str, Any] = {
        "result_id": f"bench-{mark}",
        "job_id": str(uuid.UUID(int=42)),
        "candidate": {
            "external_id": f"ats-{mark}",
            "name": "Amara Okafor-Lindqvist",
            "email": "amara.okafor@example.com",
            "locale": "en",
        },
        "interviewed_at": "2026-03-01T10:15:00+08:00",
        "overall_score": 81.5,
        "competencies": {c: round(rng.uniform(40, 98), 1) for c in competencies},
        "counts": {"questions_asked": 6, "customer_cases": 3, "follow_up_questions": 4},
        "evidence": [
            {"competency": competencies[i % 6], "quote": q, "at_seconds": 60.0 * i + 12.5}
            for i, q in enumerate(QUOTES * 2)
        ],
        "biometrics": {"smile_count": 14, "eye_contact_ratio": 0.71, "voice_pitch_var": 0.33},
        "report_url": f"https://vendor.example/reports/bench-{mark}",
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def run_load(spec: dict[str, Any]) -> dict[str, Any]:
    """Run bench/support/loadgen.py in a process of its own; its JSON result."""
    out = subprocess.run(  # noqa: S603 - our own script and arguments
        [sys.executable, str(SUPPORT / "loadgen.py"), json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
        timeout=spec["warmup"] + spec["duration"] + 120,
    )
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed: {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout)
    return result


__all__ = ["free_port"]
