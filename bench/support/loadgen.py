"""A light HTTP/1.1 load generator for signed webhook deliveries (run as its own process).

    python bench/support/loadgen.py '{"host": ..., "port": ..., "mode": "closed", ...}'

Keep-alive connections on raw asyncio protocols, no HTTP library: a request costs a template
copy, an HMAC and a socket write, so the generator leaves the CPU to the servers it measures.
Every request is a distinct, correctly signed Standard Webhooks delivery (its own webhook-id,
result_id and candidate) of the same ~3 KB talentflow.v1 body.

Modes (the JSON argument):
- "closed": `concurrency` connections, each sends its next request when the answer arrives,
  for `duration` seconds after `warmup` seconds: the server's maximum rate.
- "open": requests scheduled at `rate` per second whatever the answers (no coordinated
  omission: latency counts from the scheduled time), over a pool of `concurrency` connections.

Prints one JSON object: counts per status, rate of 2xx, latency percentiles in ms, and the
requests over 50 ms with the number of quarter-seconds they were sent in (a stall puts them
in a few; a server that cannot keep up, in most).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import sys
import time
from collections import Counter
from typing import Any

MARK_ID = b"0000000000000000"  # replaced by the request's number, same length


class Connection(asyncio.Protocol):
    """One keep-alive connection; `request()` sends bytes and waits for the status code."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection lost"))
        if not self.lost.done():
            self.lost.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        start = head.find(b"content-length:") + len(b"content-length:")
        stop = head.find(b"\r\n", start)
        length = int(head[start : stop if stop >= 0 else len(head)])
        if len(self.buffer) < end + 4 + length:
            return
        status = int(self.buffer[9:12])
        del self.buffer[: end + 4 + length]
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(status)

    async def request(self, data: bytes) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter


class Requests:
    """Builds signed deliveries from the body template."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.template = spec["body"].encode()
        self.key = base64.b64decode(spec["secret"].removeprefix("whsec_"))
        self.run = spec["run"]
        self.head = (
            f"POST {spec['path']} HTTP/1.1\r\nHost: {spec['host']}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(self.template)}\r\n"
        ).encode()
        self.count = 0

    def next(self) -> bytes:
        self.count += 1
        number = self.run.encode()[:8] + b"%08d" % self.count
        body = self.template.replace(MARK_ID, number)
        webhook_id = b"msg_" + self.run.encode() + b"_" + number
        timestamp = b"%d" % int(time.time())
        mac = hmac.new(self.key, webhook_id + b"." + timestamp + b"." + body, hashlib.sha256)
        signature = base64.b64encode(mac.digest())
        return b"".join(
            (
                self.head,
                b"webhook-id: ",
                webhook_id,
                b"\r\nwebhook-timestamp: ",
                timestamp,
                b"\r\nwebhook-signature: v1,",
                signature,
                b"\r\n\r\n",
                body,
            )
        )


SLOW_S = 0.050  # the latency target the issue sets at 70% load
WINDOW_S = 0.25  # the slices of the measured time in which slow requests are counted


class Tally:
    def __init__(self) -> None:
        self.statuses: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.recording = False
        self.began = 0.0
        self.slow_at: list[float] = []  # when each slow request was sent, from `began`

    def start(self) -> None:
        self.recording = True
        self.began = time.perf_counter()

    def add(self, status: str, latency: float, sent: float) -> None:
        if self.recording:
            self.statuses[status] += 1
            self.latencies.append(latency)
            if latency > SLOW_S:
                self.slow_at.append(sent - self.began)

    def slow_windows(self, seconds: float) -> dict[str, Any]:
        """Where the slow requests fall: in a few windows (a stall) or all along (a queue)."""
        windows = {int(at // WINDOW_S) for at in self.slow_at if at >= 0}
        return {
            "slow": len(self.slow_at),
            "slow_windows": len(windows),
            "windows": max(1, round(seconds / WINDOW_S)),
        }


async def connect(host: str, port: int, n: int) -> list[Connection]:
    loop = asyncio.get_running_loop()
    return [(await loop.create_connection(Connection, host, port))[1] for _ in range(n)]


async def closed_loop(spec: dict[str, Any], requests: Requests, tally: Tally) -> float:
    connections = await connect(spec["host"], spec["port"], spec["concurrency"])
    stop = False

    async def worker(conn: Connection) -> None:
        while not stop:
            started = time.perf_counter()
            try:
                status = str(await conn.request(requests.next()))
            except ConnectionError:
                tally.add("error", time.perf_counter() - started, started)
                return
            tally.add(status, time.perf_counter() - started, started)

    tasks = [asyncio.create_task(worker(c)) for c in connections]
    await asyncio.sleep(spec["warmup"])
    tally.start()
    began = tally.began
    await asyncio.sleep(spec["duration"])
    tally.recording = False
    elapsed = time.perf_counter() - began
    stop = True
    await asyncio.gather(*tasks, return_exceptions=True)
    return elapsed


async def open_loop(spec: dict[str, Any], requests: Requests, tally: Tally) -> float:
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for conn in await connect(spec["host"], spec["port"], spec["concurrency"]):
        idle.put_nowait(conn)
    interval = 1.0 / spec["rate"]
    pending: set[asyncio.Task[None]] = set()

    async def one(scheduled: float) -> None:
        conn = await idle.get()
        try:
            status = str(await conn.request(requests.next()))
        except ConnectionError:
            tally.add("error", time.perf_counter() - scheduled, scheduled)
            return
        tally.add(status, time.perf_counter() - scheduled, scheduled)
        idle.put_nowait(conn)

    warmup_end = time.perf_counter() + spec["warmup"]
    began = end = 0.0
    next_at = time.perf_counter()
    while True:
        now = time.perf_counter()
        if not tally.recording and now >= warmup_end and began == 0.0:
            tally.start()
            began = tally.began
            end = began + spec["duration"]
        if began and now >= end:
            break
        while next_at <= now:  # behind schedule: send what is due at once
            task = asyncio.create_task(one(next_at))
            pending.add(task)
            task.add_done_callback(pending.discard)
            next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    elapsed = time.perf_counter() - began
    await asyncio.gather(*pending, return_exceptions=True)  # late answers still count
    tally.recording = False
    return elapsed


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, round(p / 100 * (len(sorted_values) - 1)))
    return sorted_values[index] * 1000


async def main(spec: dict[str, Any]) -> dict[str, Any]:
    requests, tally = Requests(spec), Tally()
    run = closed_loop if spec["mode"] == "closed" else open_loop
    cpu = time.process_time()
    elapsed = await run(spec, requests, tally)
    cpu = time.process_time() - cpu
    latencies = sorted(tally.latencies)
    ok = sum(n for status, n in tally.statuses.items() if status.startswith("2"))
    return {
        "statuses": dict(tally.statuses),
        "ok": ok,
        "seconds": elapsed,
        "rate": ok / elapsed if elapsed else 0.0,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": latencies[-1] * 1000 if latencies else float("nan"),
        "loadgen_cpu_us_per_request": cpu / max(1, requests.count) * 1e6,
        **tally.slow_windows(elapsed),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
