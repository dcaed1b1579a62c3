"""CPU per webhook delivery inside the ingest app, without sockets, beside the bare endpoint.

    python bench/ingest_cpu.py [--deliveries 8000] [--concurrency 256] [--rounds 3]

Drives the ingest app (`talentflow.ingest.main.create_app`, lifespan started: the writer, the
vendor cache, a real PostgreSQL and broker) and the baseline app (bench/support/baseline_app.py)
through ASGI calls in this process: no HTTP server, no sockets, so what is measured is the
applications' own work. Every delivery is distinct and correctly signed (the load generator's
request builder). Figures: CPU time of this process per delivery (`time.process_time`), so
other processes on the machine (PostgreSQL) are not counted, and the concurrency decides the
writer's batch sizes (256: batches of ~256, 16: ~16). The outbox relay is off: it runs as its
own process in the deployment (`--relay-inside` to count it here).

Ends with one summary line: ingest's CPU per delivery and its ratio to the baseline's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

from support import stack
from support.loadgen import Requests

from talentflow.common.settings import DEV_ENCRYPTION_KEY

App = Callable[..., Any]


def asgi_request(raw: bytes) -> tuple[dict[str, Any], bytes]:
    """The ASGI scope and body of one raw HTTP/1.1 request from the request builder."""
    head, _, body = raw.partition(b"\r\n\r\n")
    request_line, *header_lines = head.split(b"\r\n")
    _, path, _ = request_line.split(b" ")
    headers = [
        (name.strip().lower(), value.strip())
        for name, value in (line.split(b":", 1) for line in header_lines)
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path.decode(),
        "raw_path": path,
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8001),
        "state": {},
    }
    return scope, body


async def deliver(app: App, raw: bytes) -> int:
    """One request through the app; its status."""
    scope, body = asgi_request(raw)
    sent = False
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:  # the app asks again only to watch for a disconnect
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    return statuses[0]


async def cpu_per_delivery(
    app: App, spec: dict[str, Any], count: int, concurrency: int
) -> tuple[float, Counter[int]]:
    """µs of this process's CPU per delivery, over `count` deliveries, `concurrency` at once."""
    requests = Requests({**spec, "run": uuid.uuid4().hex[:8]})
    raws = [requests.next() for _ in range(count)]  # built before the clock starts
    slots = asyncio.Semaphore(concurrency)
    statuses: Counter[int] = Counter()

    async def one(raw: bytes) -> None:
        async with slots:
            statuses[await deliver(app, raw)] += 1

    started = time.process_time()
    await asyncio.gather(*(one(raw) for raw in raws))
    return (time.process_time() - started) / count * 1e6, statuses


async def measure(
    args: argparse.Namespace, spec: dict[str, Any]
) -> tuple[list[float], list[float]]:
    from baseline_app import app as baseline  # after sys.path is set

    from talentflow.ingest.main import create_app  # reads the environment set in main()

    ingest = create_app()
    ingest_us, baseline_us = [], []
    async with ingest.router.lifespan_context(ingest):
        await cpu_per_delivery(ingest, spec, 1000, args.concurrency)  # warm up
        for _ in range(args.rounds):
            us, statuses = await cpu_per_delivery(ingest, spec, args.deliveries, args.concurrency)
            print(f"  ingest   {us:6.0f} µs per delivery  {dict(statuses)}")
            ingest_us.append(us)
    await cpu_per_delivery(baseline, spec, 1000, args.concurrency)
    for _ in range(args.rounds):
        us, statuses = await cpu_per_delivery(baseline, spec, args.deliveries, args.concurrency)
        print(f"  baseline {us:6.0f} µs per request   {dict(statuses)}")
        baseline_us.append(us)
    return ingest_us, baseline_us


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=8000, help="deliveries per round")
    parser.add_argument("--concurrency", type=int, default=256, help="deliveries at once")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--relay-inside", action="store_true", help="count the outbox relay")
    args = parser.parse_args()

    with stack.workdir() as work, stack.postgres(work) as pg, stack.broker(work) as kafka:
        url = stack.migrated_ingest_database(pg)
        vendor_id, secret = asyncio.run(stack.seed_vendor(url, DEV_ENCRYPTION_KEY))
        os.environ.update(
            {
                "TALENTFLOW_INGEST_DATABASE_URL": url,
                "TALENTFLOW_INGEST_KAFKA_BOOTSTRAP": kafka.bootstrap,
                "TALENTFLOW_INGEST_KAFKA_IDEMPOTENCE": "false",
                "TALENTFLOW_INGEST_RUN_RELAY": "true" if args.relay_inside else "false",
            }
        )
        spec = {
            "host": "127.0.0.1",
            "path": f"/v1/webhooks/{vendor_id}",
            "body": stack.result_body("0" * 16),
            "secret": secret,
        }
        print(f"{args.rounds} rounds of {args.deliveries:,} deliveries, {args.concurrency} at once")
        ingest_us, baseline_us = asyncio.run(measure(args, spec))

    ingest, baseline = statistics.median(ingest_us), statistics.median(baseline_us)
    print(
        f"ingest_cpu: {ingest:,.0f} µs per delivery (median of {args.rounds}) = "
        f"{ingest / baseline:.1f}x the bare endpoint's {baseline:,.0f} µs; no sockets"
    )


if __name__ == "__main__":
    main()
