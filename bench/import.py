"""Historical import benchmark: 100,000 realistic results through `talentflow import`.

    python bench/import.py [--rows 100000] [--no-csv] [--relay-inside]

Starts an embedded PostgreSQL, the Tansu broker and ingest as the deployment manifests run it
(uvicorn, one worker, in a subprocess with `TALENTFLOW_INGEST_RUN_RELAY=false`, and its outbox
relay beside it as `python -m talentflow.ingest.relay`; `--relay-inside` runs the relay inside
the HTTP worker instead, as `make run` does), registers a tenant and a vendor, writes the rows as
NDJSON (and as CSV), and imports them with the CLI's code path
(`talentflow.ingest.imports.cli.import_file`: streamed upload, Idempotency-Key = the file's
SHA-256). It then re-runs the import twice: the same command (the key answers at once) and the
same file under a new key (every row goes through validation again and is found to be a
duplicate), both storing nothing.

Baseline, measured in the same run on the same machine: the same pipeline with one
transaction per row (normalize_document, storage.store of one result, commit), as a webhook
delivery without group commit would store them, over the first `--baseline-rows` rows of
another set, extrapolated. For scale, a plain COPY of the same NDJSON lines into a jsonb
table (no validation, no encryption, no events) is printed as the database floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import text

from talentflow.common.auth import Role, issue_token
from talentflow.common.crypto import FieldCipher, load_master_key
from talentflow.common.db import create_engine, create_sessionmaker, transaction
from talentflow.common.migrations import upgrade
from talentflow.devstack.broker import TansuBroker, free_port
from talentflow.devstack.makemigration import migrations_dir
from talentflow.devstack.postgres import EmbeddedPostgres
from talentflow.devstack.processes import ManagedProcess, log_tail
from talentflow.ingest import normalize, storage
from talentflow.ingest.config import Settings
from talentflow.ingest.imports import cli
from talentflow.ingest.models import PLATFORM, BiometricsPolicy, Vendor

RELAY = [sys.executable, "-m", "talentflow.ingest.relay"]
FIRST = ["Ada", "Grace", "Alan", "Wei", "Mei", "Olga", "Sven", "Amara", "Kofi", "Lucía", "Arjun"]
LAST = ["Lovelace", "Hopper", "Turing", "Zhang", "Li", "Petrova", "Berg", "Okafor", "García"]
COMPETENCIES = [
    "communication",
    "logic",
    "stress_tolerance",
    "teamwork",
    "problem_decomposition",
    "empathy",
]
QUOTES = [
    "I asked the customer what a good outcome would look like before proposing anything.",
    "We split the migration into three steps so each one could be rolled back on its own.",
    "When the deadline moved I told the team first and then re-planned the sprint with them.",
    "I walked the new colleague through the incident review and let her lead the next one.",
    "The numbers did not add up, so I rebuilt the report from the raw export to find out why.",
]


def document(i: int, rng: random.Random, jobs: list[str], prefix: str) -> dict[str, Any]:
    """One realistic talentflow.v1 result (~1 KB)."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    at = datetime(2021, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(5 * 365 * 24 * 60))
    competencies = {c: round(rng.uniform(35, 98), 1) for c in COMPETENCIES}
    return {
        "result_id": f"{prefix}-{i:07d}",
        "job_id": rng.choice(jobs),
        "candidate": {
            "external_id": f"ats-{prefix}-{i:07d}",
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}.{i}@example.com",
            "locale": rng.choice(["en", "zh-CN"]),
        },
        "interviewed_at": at.isoformat(),
        "overall_score": round(sum(competencies.values()) / len(competencies), 1),
        "competencies": competencies,
        "counts": {"questions_asked": rng.randrange(12), "customer_cases": rng.randrange(6)},
        "evidence": [
            {"competency": rng.choice(COMPETENCIES), "quote": q, "at_seconds": rng.randrange(1800)}
            for q in rng.sample(QUOTES, 2)
        ],
        "biometrics": {"smile_count": rng.randrange(40), "eye_contact_ratio": rng.random()},
        "report_url": f"https://vendor.example/reports/{prefix}-{i:07d}",
    }


def documents(count: int, prefix: str, seed: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    jobs = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(50)]
    for i in range(count):
        yield document(i, rng, jobs, prefix)


def write_ndjson(path: Path, count: int, prefix: str) -> None:
    with path.open("w", encoding="utf-8") as out:
        for doc in documents(count, prefix, seed=1):
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")


def write_csv(path: Path, count: int, prefix: str) -> None:
    import csv

    header = [
        "result_id",
        "job_id",
        "candidate_external_id",
        "candidate_name",
        "candidate_email",
        "candidate_locale",
        "interviewed_at",
        "overall_score",
        *(f"competency.{c}" for c in COMPETENCIES),
        "count.questions_asked",
        "count.customer_cases",
        "biometric.smile_count",
        "biometric.eye_contact_ratio",
        "evidence",
        "report_url",
    ]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for d in documents(count, prefix, seed=2):
            c = d["candidate"]
            writer.writerow(
                [d["result_id"], d["job_id"], c["external_id"], c["name"], c["email"]]
                + [c["locale"], d["interviewed_at"], d["overall_score"]]
                + [d["competencies"][k] for k in COMPETENCIES]
                + [d["counts"]["questions_asked"], d["counts"]["customer_cases"]]
                + [d["biometrics"]["smile_count"], d["biometrics"]["eye_contact_ratio"]]
                + [json.dumps(d["evidence"], ensure_ascii=False), d["report_url"]]
            )


@dataclass
class Cpu:
    """CPU seconds of ingest's HTTP worker, the relay and PostgreSQL (all its processes)."""

    ingest: float
    relay: float
    pg: float

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(self.ingest - other.ingest, self.relay - other.relay, self.pg - other.pg)

    def line(self, rows: int, seconds: float, *, relay: bool) -> str:
        relay_part = f", relay {self.relay:.1f} s ({self.relay / seconds:.0%})" if relay else ""
        return (
            f"  CPU during the import: ingest {self.ingest:.1f} s ({self.ingest / seconds:.0%} "
            f"of one core, {self.ingest / rows * 1e6:.0f} µs per row){relay_part}, PostgreSQL "
            f"{self.pg:.1f} s ({self.pg / seconds:.0%}); machine load {os.getloadavg()[0]:.1f}"
        )


@dataclass
class Pids:
    ingest: list[int]
    relay: list[int]
    pg: list[int]

    def cpu(self) -> Cpu:
        return Cpu(cpu_seconds(self.ingest), cpu_seconds(self.relay), cpu_seconds(self.pg))


async def import_with_cli(
    url: str, token: str, path: Path, vendor_id: str
) -> tuple[float, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=cli.TIMEOUT) as client:
        started = time.perf_counter()
        summary = await cli.import_file(client, path, vendor_id=vendor_id, out=sys.stdout)
        return time.perf_counter() - started, summary


async def import_under_new_key(
    url: str, token: str, path: Path, vendor_id: str, fmt: str
) -> tuple[float, dict[str, Any]]:
    """The same file again as a new import: every row is read, validated, found stored."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": cli.CONTENT_TYPES[fmt],
        "Idempotency-Key": f"rerun-{uuid.uuid4()}",
    }

    async def blocks() -> Any:
        with path.open("rb") as file:
            while block := file.read(cli.BLOCK):
                yield block

    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=cli.TIMEOUT) as client:
        started = time.perf_counter()
        response = await client.post(
            "/v1/imports", params={"vendor_id": vendor_id}, content=blocks()
        )
        response.raise_for_status()
        return time.perf_counter() - started, response.json()


async def per_row_baseline(
    settings: Settings, vendor_id: uuid.UUID, tenant_id: uuid.UUID, rows: int
) -> float:
    """Seconds per row with one transaction per row through the same pipeline."""
    engine = create_engine(settings.database_url, pool_size=2)
    sessions = create_sessionmaker(engine)
    cipher = FieldCipher(
        load_master_key(settings.encryption_key.get_secret_value()), PLATFORM.subject_keys
    )
    try:
        async with sessions() as session:
            vendor = await session.get(Vendor, vendor_id)
        assert vendor is not None
        docs = list(documents(rows, "baseline", seed=3))
        started = time.perf_counter()
        for doc in docs:
            result = normalize.normalize_document(
                doc, vendor=vendor, tenant_id=tenant_id, policy=BiometricsPolicy.KEEP_UNUSABLE
            )
            item = storage.Incoming(
                tenant_id=tenant_id,
                vendor_id=vendor_id,
                format=vendor.format,
                result=result,
                origin="import",
            )
            async with transaction(sessions) as session:
                await storage.store(session, cipher=cipher, items=[item])
        return (time.perf_counter() - started) / rows
    finally:
        await engine.dispose()


async def copy_floor(server: EmbeddedPostgres, database: str, path: Path) -> float:
    """Seconds to COPY the file's lines into a jsonb table: the database alone."""
    conn = await asyncpg.connect(
        host=server.socket_dir, port=server.port, user="postgres", database=database
    )
    try:
        await conn.execute("CREATE TEMP TABLE floor (line int, doc jsonb)")
        started = time.perf_counter()
        with path.open(encoding="utf-8") as file:
            records = [(n, line.rstrip("\n")) for n, line in enumerate(file, 1)]
        await conn.copy_records_to_table("floor", records=records)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def unpublished(settings: Settings) -> int:
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            count = await conn.scalar(
                text(
                    "SELECT count(*) FROM ingest.outbox "
                    "WHERE published_at IS NULL AND discarded_reason IS NULL"
                )
            )
            return int(count or 0)
    finally:
        await engine.dispose()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time consumed so far by these processes (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def postgres_pids(data_dir: Path) -> list[int]:
    """The postmaster serving `data_dir` and its children (backends, writers)."""
    pids, parents = [], {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            parents[int(entry.name)] = int(
                (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            )
        except (OSError, ValueError, IndexError):
            continue
        if str(data_dir).encode() in cmdline and b"postgres" in cmdline:
            pids.append(int(entry.name))
    return pids + [pid for pid, parent in parents.items() if parent in pids]


def rss_peak_mb(pid: int | None) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def seed(url: str, token: str) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers) as client:
        tenant = await client.put("/v1/tenant", json={"name": "Bench", "jurisdiction": "US"})
        tenant.raise_for_status()
        vendor = await client.post("/v1/vendors", json={"name": "Legacy platform"})
        vendor.raise_for_status()
        return str(vendor.json()["id"])


def wait_ready(url: str, proc: ManagedProcess, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"ingest exited; see {proc.log}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"ingest not ready after {timeout}s; see {proc.log}")


def rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f} rows/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=2_000)
    parser.add_argument("--no-csv", action="store_true", help="skip the CSV run")
    parser.add_argument(
        "--relay-inside",
        action="store_true",
        help="the outbox relay inside the HTTP worker, not in a process of its own",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="talentflow-bench-import-") as tmp:
        run(Path(tmp), args)


def run(tmp: Path, args: argparse.Namespace) -> None:
    """Start what the benchmark needs, measure, stop everything."""
    server = EmbeddedPostgres(tmp / "pg", keep_data=False).start()
    broker = TansuBroker().start()
    proc: ManagedProcess | None = None
    relay: ManagedProcess | None = None
    try:
        database_url = server.create_database("bench_import")
        upgrade(migrations_dir("ingest"), database_url)
        settings = Settings(
            database_url=database_url,
            kafka_bootstrap=broker.bootstrap,
            kafka_idempotence=False,
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "TALENTFLOW_INGEST_DATABASE_URL": database_url,
            "TALENTFLOW_INGEST_KAFKA_BOOTSTRAP": broker.bootstrap,
            "TALENTFLOW_INGEST_KAFKA_IDEMPOTENCE": "false",
            "TALENTFLOW_INGEST_LOG_LEVEL": "WARNING",
        }
        if not args.relay_inside:
            relay = ManagedProcess(
                "relay",
                [*RELAY, "--host", "127.0.0.1", "--port", str(free_port())],
                env=env,
                log=tmp / "relay.log",
            )
            relay.start()
        http_env = {**env, "TALENTFLOW_INGEST_RUN_RELAY": "false"} if relay is not None else env
        argv = [sys.executable, "-m", "talentflow.ingest", "serve", "--host", "127.0.0.1"]
        proc = ManagedProcess(
            "ingest", [*argv, "--port", str(port)], env=http_env, log=tmp / "ingest.log"
        )
        proc.start()
        wait_ready(url, proc)
        try:
            asyncio.run(measure(tmp, args, settings, url, server, proc, relay))
        except BaseException:
            print(f"--- last lines of the ingest log ---\n{log_tail(proc.log)}", file=sys.stderr)
            raise
    finally:
        if proc is not None:
            proc.stop()
        if relay is not None:
            relay.stop()
        broker.stop()
        server.stop()


async def measure(
    tmp: Path,
    args: argparse.Namespace,
    settings: Settings,
    url: str,
    server: EmbeddedPostgres,
    proc: ManagedProcess,
    relay: ManagedProcess | None,
) -> None:
    tenant_id = uuid.uuid4()
    token = issue_token(
        settings.auth_secret.get_secret_value(),
        subject=uuid.uuid4(),
        tenant_id=tenant_id,
        roles=[Role.HR_ADMIN],
    )
    vendor_id = await seed(url, token)
    rows = args.rows

    ndjson = tmp / "history.ndjson"
    started = time.perf_counter()
    write_ndjson(ndjson, rows, "nd")
    size_mb = ndjson.stat().st_size / 1e6
    print(
        f"generated {rows:,} rows, {size_mb:.0f} MB NDJSON in {time.perf_counter() - started:.1f} s"
    )

    relay_pids = [relay.pid or 0] if relay else []
    pids = Pids(ingest=[proc.pid or 0], relay=relay_pids, pg=postgres_pids(tmp / "pg"))
    before = pids.cpu()
    seconds, summary = await import_with_cli(url, token, ndjson, vendor_id)
    used = pids.cpu() - before
    assert summary["accepted"] == rows and summary["failed"] == 0, summary
    imported_at = time.perf_counter()
    while await unpublished(settings):  # noqa: ASYNC110 - polling another process's table
        await asyncio.sleep(0.2)
    drain = time.perf_counter() - imported_at
    where = "in its own process" if relay is not None else "inside the HTTP worker"
    print(f"NDJSON import: {rows:,} rows in {seconds:.1f} s = {rate(rows, seconds)}")
    print(
        f"  outbox drained {drain:.1f} s after the import answered ({rows:,} events published "
        f"by the relay {where})"
    )
    print(used.line(rows, seconds, relay=relay is not None))

    again, same = await import_with_cli(url, token, ndjson, vendor_id)
    assert same["accepted"] == rows and same["id"] == summary["id"]
    print(f"same command again: {again:.2f} s, nothing sent, 0 new rows")
    rerun, repeat = await import_under_new_key(url, token, ndjson, vendor_id, "ndjson")
    assert repeat["accepted"] == 0 and repeat["duplicates"] == rows, repeat
    print(f"same file, new key: {rows:,} rows in {rerun:.1f} s = {rate(rows, rerun)}, 0 new rows")

    if not args.no_csv:
        table = tmp / "history.csv"
        write_csv(table, rows, "csv")
        before = pids.cpu()
        csv_seconds, csv_summary = await import_with_cli(url, token, table, vendor_id)
        used = pids.cpu() - before
        assert csv_summary["accepted"] == rows, csv_summary
        print(f"CSV import: {rows:,} rows in {csv_seconds:.1f} s = {rate(rows, csv_seconds)}")
        print(used.line(rows, csv_seconds, relay=relay is not None))

    per_row = await per_row_baseline(settings, uuid.UUID(vendor_id), tenant_id, args.baseline_rows)
    floor = await copy_floor(server, "bench_import", ndjson)
    print(
        f"baseline, one transaction per row: {1 / per_row:,.0f} rows/s over "
        f"{args.baseline_rows:,} rows -> {per_row * rows:.0f} s for {rows:,}"
    )
    print(
        f"floor, COPY of the raw lines into jsonb: {rows:,} rows in {floor:.1f} s "
        f"= {rate(rows, floor)}"
    )
    print(f"ingest peak RSS: {rss_peak_mb(proc.pid):.0f} MB (file: {size_mb:.0f} MB)")
    ratio = (per_row * rows) / seconds
    print(
        f"SUMMARY import: {rows:,} rows in {seconds:.1f} s ({rate(rows, seconds)}), "
        f"{ratio:.1f}x the one-transaction-per-row baseline ({1 / per_row:,.0f} rows/s); "
        f"re-run: 0 new rows; relay {where}"
    )


if __name__ == "__main__":
    main()
