"""Webhook ingest benchmark: sustained accepted deliveries per second and latency, side by
side with a bare FastAPI endpoint that validates the same body, measured in the same run.

    python bench/ingest.py [--seconds 12] [--relay-inside] [--workers N] [--fresh-wal]
                           [--pace-writeback] [--quick]

Starts an embedded PostgreSQL (ingest's migrations; spare WAL segments made ahead, as a
database that has been running has them: see `stack.recycle_wal`), the Tansu broker, ingest
as the deployment manifests run it (`python -m talentflow.ingest serve`, one uvicorn worker,
with `TALENTFLOW_INGEST_RUN_RELAY=false`, and `python -m talentflow.ingest.relay` beside it)
with a seeded tenant and vendor, and the baseline app (bench/support/baseline_app.py, one uvicorn
worker). Load comes from a separate process (bench/support/loadgen.py: raw asyncio HTTP/1.1
keep-alive connections; every request a distinct, correctly signed ~3 KB talentflow.v1
delivery of its own candidate).

1. Maximum rate of each server: closed loop, 256 connections: four of ingest's webhook
   batches (64 each), so that one batch is stored while the next is parsed.
2. Each server at 70% of its own maximum: open loop (latency counted from the scheduled send
   time, so a stalled server cannot hide its queue), p50 and p99; ingest's RSS (psutil), the
   outbox backlog and the machine's dirty page cache (Linux; its largest fall is a writeback
   burst) sampled throughout.
3. After the load: how long the relay takes to publish what is left.

`--relay-inside`: the outbox relay inside the HTTP worker instead (the default of
`python -m talentflow.ingest serve`, what `make run` and the tests use). `--fresh-wal`: no
spare WAL segments, as in a new cluster, which creates one every 16 MB of WAL and holds every
commit meanwhile. `--pace-writeback`: the kernel's writeback of PostgreSQL's data files
started every 0.5 s from the benchmark's process (`support/writeback.py`; Linux), the effect a
database host gets from `vm.dirty_background_bytes`, so that no burst of it holds the commits.

Ends with one summary line: ingest's maximum accepted rate and its ratio to the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import stack
from support.writeback import WritebackPacer

from talentflow.common.db import create_engine
from talentflow.common.settings import DEV_ENCRYPTION_KEY

CONNECTIONS = 256
# WAL written ahead for `stack.recycle_wal`: the spare segments it leaves (~1.1 GB) are more
# than a run writes (~430 MB), so no segment is created during the load.
WAL_AHEAD_MB = 2048
PENDING = text(
    "SELECT count(*) FROM ingest.outbox WHERE published_at IS NULL AND discarded_reason IS NULL"
)


def dirty_page_cache_mb() -> float | None:
    """The machine's page cache waiting to be written to disk, MB (Linux; else None).

    PostgreSQL's new pages reach the kernel's page cache unsynced; the kernel writes them back
    ~30 s later (`vm.dirty_expire_centisecs`), in bursts that share the disk with the WAL's
    flushes. A burst of ~100 MB or more held every commit here for 80 - 230 ms
    (bench/README.md), so the table shows the largest burst during each phase."""
    try:
        with open("/proc/vmstat") as vmstat:
            for line in vmstat:
                if line.startswith("nr_dirty "):
                    return int(line.split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        pass
    return None


class Sampler:
    """Samples processes' RSS, the outbox backlog and the machine's dirty page cache every
    `every` seconds (a thread), and the processes' CPU time over the block."""

    def __init__(self, pids: list[int], database_url: str, every: float = 0.25) -> None:
        self.processes = [psutil.Process(pid) for pid in pids]
        self.database_url = database_url
        self.every = every
        self.rss: list[int] = []  # the largest process's, each sample
        self.backlog: list[int] = []
        self.dirty_mb: list[float] = []
        self.cpu_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def _cpu(self) -> float:
        return float(sum(p.cpu_times().user + p.cpu_times().system for p in self.processes))

    def __enter__(self) -> Sampler:
        self.cpu_s = -self._cpu()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu_s += self._cpu()

    async def _run(self) -> None:
        engine = create_engine(self.database_url, pool_size=1)
        try:
            while not self._stop.is_set():
                self.rss.append(max(p.memory_info().rss for p in self.processes))
                if (dirty := dirty_page_cache_mb()) is not None:
                    self.dirty_mb.append(dirty)
                async with engine.connect() as conn:
                    self.backlog.append(int((await conn.execute(PENDING)).scalar_one()))
                await asyncio.sleep(self.every)
        finally:
            await engine.dispose()


async def drain_seconds(database_url: str, limit_s: float = 120) -> float:
    """Seconds until the outbox has no pending row."""
    engine = create_engine(database_url, pool_size=1)
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < limit_s:
            async with engine.connect() as conn:
                if (await conn.execute(PENDING)).scalar_one() == 0:
                    return time.perf_counter() - started
            await asyncio.sleep(0.05)
        return float("inf")
    finally:
        await engine.dispose()


def batch_sizes(port: int) -> tuple[float, float]:
    """(batches, deliveries) the ingest writer has stored so far, from /metrics."""
    found = dict.fromkeys(("count", "sum"), 0.0)
    metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    for kind in found:
        match = re.search(rf"^talentflow_ingest_write_batch_items_{kind} (\S+)$", metrics, re.M)
        if match:
            found[kind] = float(match.group(1))
    return found["count"], found["sum"]


def load(base: dict[str, Any], port: int, **spec: Any) -> dict[str, Any]:
    result: dict[str, Any] = stack.run_load(
        {**base, "port": port, "run": uuid.uuid4().hex[:8], **spec}
    )
    print(f"  {spec['mode']} loop on :{port}: {result}")
    return result


@contextlib.contextmanager
def ingest(
    work: Path, url: str, bootstrap: str, port: int, *, split: bool, workers: int
) -> Iterator[list[int]]:
    """Ingest's processes (the HTTP workers first); their pids."""
    settings = {"run_relay": "false"} if split else {}
    with stack.ingest_server(
        work, database_url=url, bootstrap=bootstrap, port=port, workers=workers, **settings
    ) as http:
        assert http.pid is not None
        # With several workers, uvicorn's supervisor (idle) and its worker processes.
        pids = [http.pid, *(child.pid for child in psutil.Process(http.pid).children())]
        if not split:
            yield pids
            return
        with stack.ingest_relay(work, database_url=url, bootstrap=bootstrap) as relay:
            assert relay.pid is not None
            yield [*pids, relay.pid]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=12.0, help="measured seconds a phase")
    parser.add_argument(
        "--relay-inside", action="store_true", help="the relay inside the HTTP worker"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="ingest's uvicorn workers (`serve --workers`)"
    )
    parser.add_argument("--quick", action="store_true", help="3 s phases (a smoke run)")
    parser.add_argument(
        "--fresh-wal",
        action="store_true",
        help="measure on a new cluster's WAL (segments created during the load)",
    )
    parser.add_argument(
        "--pace-writeback",
        action="store_true",
        help="start the writeback of PostgreSQL's data files every 0.5 s (Linux)",
    )
    args = parser.parse_args()
    seconds = 3.0 if args.quick else args.seconds
    warmup = 1.0 if args.quick else 3.0

    with stack.workdir() as work, stack.postgres(work) as pg, stack.broker(work) as kafka:
        url = stack.migrated_ingest_database(pg)
        if not args.fresh_wal:
            stack.recycle_wal(pg, WAL_AHEAD_MB)
        wal_before = stack.wal_position(pg), stack.wal_segments_created(pg)
        vendor_id, secret = asyncio.run(stack.seed_vendor(url, DEV_ENCRYPTION_KEY))
        ingest_port, baseline_port = stack.free_port(), stack.free_port()
        base = {
            "host": "127.0.0.1",
            "path": f"/v1/webhooks/{vendor_id}",
            "body": stack.result_body("0" * 16),
            "secret": secret,
            "warmup": warmup,
            "duration": seconds,
        }
        relay_mode = "inside the HTTP worker" if args.relay_inside else "its own process"
        pacer = WritebackPacer(pg.data_dir) if args.pace_writeback else None
        if pacer is not None and not pacer.available:
            parser.error("--pace-writeback needs Linux's sync_file_range")
        print(
            f"body {len(base['body'])} bytes; {seconds:.0f} s phases; relay {relay_mode}; "
            f"{args.workers} ingest worker(s)"
            + ("; writeback paced every 0.5 s" if pacer is not None else "")
        )
        with (
            pacer or contextlib.nullcontext(),
            ingest(
                work,
                url,
                kafka.bootstrap,
                ingest_port,
                split=not args.relay_inside,
                workers=args.workers,
            ) as pids,
            stack.baseline_server(work, port=baseline_port),
        ):
            baseline_max = load(base, baseline_port, mode="closed", concurrency=CONNECTIONS)
            batches_before = batch_sizes(ingest_port)
            with Sampler(pids, url) as at_max:
                ingest_max = load(base, ingest_port, mode="closed", concurrency=CONNECTIONS)
            batches_after = batch_sizes(ingest_port)
            asyncio.run(drain_seconds(url))
            rate = 0.7 * baseline_max["rate"]
            baseline_70 = load(base, baseline_port, mode="open", rate=rate, concurrency=256)
            with Sampler(pids, url) as at_70:
                rate = 0.7 * ingest_max["rate"]
                ingest_70 = load(base, ingest_port, mode="open", rate=rate, concurrency=256)
                drained = asyncio.run(drain_seconds(url))
            batches_end = batch_sizes(ingest_port)
        wal = (
            (stack.wal_position(pg) - wal_before[0]) / 2**20,
            stack.wal_segments_created(pg) - wal_before[1],
        )

    report(
        ingest_max,
        baseline_max,
        ingest_70,
        baseline_70,
        at_max=at_max,
        at_70=at_70,
        drained=drained,
        wal=wal,
        # Each worker process has its own metrics; /metrics answers from one of them.
        batch_at_max=_per_batch(batches_before, batches_after) if args.workers == 1 else None,
        batch_at_70=_per_batch(batches_after, batches_end) if args.workers == 1 else None,
        workers=args.workers,
        seconds=warmup + seconds,
        paced=pacer is not None,
    )


def report(
    ingest_max: dict[str, Any],
    baseline_max: dict[str, Any],
    ingest_70: dict[str, Any],
    baseline_70: dict[str, Any],
    *,
    at_max: Sampler,
    at_70: Sampler,
    drained: float,
    wal: tuple[float, int],
    batch_at_max: float | None,
    batch_at_70: float | None,
    seconds: float,
    workers: int,
    paced: bool = False,
) -> None:
    ratio = ingest_max["rate"] / baseline_max["rate"]
    rss_mb = max(at_max.rss + at_70.rss) / 2**20
    cpu_us = at_max.cpu_s / (ingest_max["rate"] * seconds) * 1e6
    lines = [
        ("", "ingest", "baseline"),
        ("max rate, 2xx/s (256 connections)", _n(ingest_max["rate"]), _n(baseline_max["rate"])),
        ("  p50 / p99 at max, ms", _ms(ingest_max), _ms(baseline_max)),
        ("  non-2xx answers at max", _errors(ingest_max), _errors(baseline_max)),
        ("  ingest CPU per delivery, µs", _n(cpu_us), ""),
        ("  deliveries per transaction", _batch(batch_at_max), ""),
        ("70% of own max, requests/s", _n(ingest_70["rate"]), _n(baseline_70["rate"])),
        ("  p50 / p99 at 70%, ms", _ms(ingest_70), _ms(baseline_70)),
        ("  non-2xx answers at 70%", _errors(ingest_70), _errors(baseline_70)),
        ("  over 50 ms at 70%: n, in quarter-s", _slow(ingest_70), _slow(baseline_70)),
        ("  deliveries per transaction", _batch(batch_at_70), ""),
        ("ingest RSS, max MB (a process)", f"{rss_mb:.0f}", ""),
        ("outbox backlog, max at max / 70%", f"{max(at_max.backlog)} / {max(at_70.backlog)}", ""),
        ("outbox drained after the 70% load", f"{drained:.1f} s", ""),
        ("WAL written / segments created", f"{wal[0]:,.0f} MB / {wal[1]}", ""),
        ("writeback burst, MB at max / 70%", _burst(at_max.dirty_mb, at_70.dirty_mb), ""),
    ]
    print()
    for label, *cells in lines:
        print(f"  {label:<36}" + "".join(f"{c:>16}" for c in cells))
    print()
    print(
        f"ingest: {ingest_max['rate']:,.0f} accepted/s = {ratio:.2f}x baseline "
        f"({baseline_max['rate']:,.0f}/s); p99 at 70%: {ingest_70['p99_ms']:.0f} ms; "
        f"RSS {rss_mb:.0f} MB; outbox drained in {drained:.1f} s"
        + (f"; {workers} workers" if workers > 1 else "")
        + ("; writeback paced" if paced else "")
    )


def _per_batch(before: tuple[float, float], after: tuple[float, float]) -> float:
    batches, items = after[0] - before[0], after[1] - before[1]
    return items / batches if batches else 0.0


def _burst(at_max: list[float], at_70: list[float]) -> str:
    """The largest fall of the dirty page cache from one sample to the next in each phase:
    how much the kernel wrote back at once (0: no burst while the phase was measured)."""

    def largest(samples: list[float]) -> float:
        return max([0.0, *(a - b for a, b in itertools.pairwise(samples))])

    if not at_max or not at_70:
        return "n/a"
    return f"{largest(at_max):,.0f} / {largest(at_70):,.0f}"


def _batch(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _ms(result: dict[str, Any]) -> str:
    return f"{result['p50_ms']:.1f} / {result['p99_ms']:.1f}"


def _slow(result: dict[str, Any]) -> str:
    """Requests over 50 ms and how many of the phase's quarter-seconds they were sent in: a
    stall puts them in a few (`120 in 4/48`), a server short of CPU in most."""
    return f"{result['slow']} in {result['slow_windows']}/{result['windows']}"


def _errors(result: dict[str, Any]) -> str:
    return str(sum(n for status, n in result["statuses"].items() if not status.startswith("2")))


if __name__ == "__main__":
    main()
