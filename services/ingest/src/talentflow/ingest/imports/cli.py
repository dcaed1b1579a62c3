"""`talentflow import FILE --vendor ID`: stream a file of historical results to POST /v1/imports.

The file's SHA-256 is the Idempotency-Key, so running the same command again after an
interruption resumes the import where its last checkpoint is, and running it after success
prints the summary without sending the file again. Exit status: 0 every row imported (or
already there), 1 the import completed but some rows failed, 2 it could not run or did not
finish (run the same command again), 130 interrupted by the user.

`--dry-run` sends only the file's first row (NDJSON: its first line; CSV: the header and the
first record) to the vendor's dry-run (`POST /v1/vendors/{id}/dry-run`) and prints what it
maps to, or every field at fault; nothing is stored. Exit status 0 when it maps, 1 when not.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import io
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import httpx
from tqdm import tqdm

DEFAULT_URL = "http://127.0.0.1:8000"  # the gateway (selfservice-api); ingest itself is :8001
BLOCK = 256 * 1024
FIRST_ROW_BYTES = 1024 * 1024  # a dry-run reads at most this much of the file
TIMEOUT = httpx.Timeout(30.0, read=900.0, write=900.0)  # rows are processed as they arrive
CONTENT_TYPES = {"ndjson": "application/x-ndjson", "csv": "text/csv"}
EXIT_OK, EXIT_ROWS_FAILED, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 130


class ImportFailed(Exception):
    """The import did not run or did not finish; the message says why and what to do."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def detect_format(path: Path) -> str:
    """ "csv" or "ndjson", from the extension, else from the first non-blank byte."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".ndjson", ".jsonl"):
        return "ndjson"
    with path.open("rb") as file:
        start = file.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return "ndjson" if start.startswith(b"{") else "csv"


async def import_file(
    client: httpx.AsyncClient,
    path: Path,
    *,
    vendor_id: str,
    fmt: str = "auto",
    out: TextIO | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Import (or resume, or look up) `path` through `client`; the import's summary.

    Messages go to `out` (stdout), the progress bar (bytes sent) to stderr.
    """
    out = out or sys.stdout
    fmt = detect_format(path) if fmt == "auto" else fmt
    key = await asyncio.to_thread(file_sha256, path)
    size = (await asyncio.to_thread(path.stat)).st_size
    found = await _send(
        client.get("/v1/imports", params={"vendor_id": vendor_id, "idempotency_key": key})
    )
    if found["items"]:
        previous = found["items"][0]
        if previous["status"] == "completed":
            print(f"{path.name} was imported before (import {previous['id']}).", file=out)
            return await _send(client.get(f"/v1/imports/{previous['id']}"))
        print(f"Resuming import {previous['id']} after line {previous['lines']}.", file=out)
    with tqdm(
        total=size,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=f"Uploading {path.name}",
        file=sys.stderr,
        disable=not progress,
    ) as bar:
        request = client.post(
            "/v1/imports",
            params={"vendor_id": vendor_id},
            content=_blocks(path, bar),
            headers={
                "Content-Type": CONTENT_TYPES[fmt],
                "Content-Length": str(size),
                "Idempotency-Key": key,
            },
        )
        return await _send(request)


def first_row(path: Path, fmt: str) -> dict[str, Any]:
    """The dry-run body of the file's first row: {"sample": the first NDJSON document} or
    {"csv_sample": the CSV header and first record}. ImportFailed if there is none."""
    with path.open("rb") as file:
        text = file.read(FIRST_ROW_BYTES).decode("utf-8-sig", errors="replace")
    if fmt == "ndjson":
        line = next((line for line in text.splitlines() if line.strip()), None)
        if line is None:
            raise ImportFailed(f"{path.name} has no row")
        try:
            return {"sample": json.loads(line)}
        except ValueError:
            raise ImportFailed(f"the first line of {path.name} is not JSON") from None
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(text), strict=True):
            if any(cell.strip() for cell in record):
                records.append(record)
            if len(records) == 2:
                break
    except csv.Error:
        raise ImportFailed(f"the start of {path.name} is not valid CSV") from None
    if len(records) < 2:
        raise ImportFailed(f"{path.name} has no row after its header")
    out = io.StringIO()
    csv.writer(out).writerows(records)
    return {"csv_sample": out.getvalue()}


async def dry_run_file(
    client: httpx.AsyncClient, path: Path, *, vendor_id: str, fmt: str = "auto"
) -> dict[str, Any]:
    """The vendor's dry-run of the file's first row: {"ok": true, "result"} or {"ok": false,
    "errors"}."""
    fmt = detect_format(path) if fmt == "auto" else fmt
    body = await asyncio.to_thread(first_row, path, fmt)
    return await _send(client.post(f"/v1/vendors/{vendor_id}/dry-run", json=body))


def print_dry_run(outcome: dict[str, Any], out: TextIO) -> None:
    """What the first row maps to (no personal fields), or every field at fault."""
    if not outcome["ok"]:
        print("The first row does not map:", file=out)
        for error in outcome["errors"]:
            print(f"  {error['field'] or 'the row'}: {error['message']}", file=out)
        return
    result = outcome["result"]
    print(f"The first row maps to result {result['vendor_result_id']}:", file=out)
    print(f"  overall score: {result['overall_score']}", file=out)
    for section in ("competencies", "counts"):
        values = ", ".join(f"{k} {v:g}" for k, v in sorted(result[section].items()))
        print(f"  {section}: {values or '-'}", file=out)
    print(f"  evidence quotes: {len(result['evidence'])}", file=out)
    if outcome["dropped_metrics"]:
        print(
            f"  withheld by the tenant's policy: {', '.join(outcome['dropped_metrics'])}", file=out
        )
    print("Nothing was stored.", file=out)


async def _blocks(path: Path, bar: tqdm[Any]) -> AsyncIterator[bytes]:
    with path.open("rb") as file:
        while block := file.read(BLOCK):
            yield block
            bar.update(len(block))


async def _send(request: Any) -> dict[str, Any]:
    try:
        response: httpx.Response = await request
    except httpx.TransportError as exc:
        raise ImportFailed(
            f"the connection failed ({type(exc).__name__}); run the same command again to resume"
        ) from None
    if response.is_success:
        body: dict[str, Any] = response.json()
        return body
    raise ImportFailed(_problem_text(response))


def _problem_text(response: httpx.Response) -> str:
    try:
        problem = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    lines = [f"HTTP {response.status_code} {problem.get('title', '')}: {problem.get('detail', '')}"]
    lines += [f"  {e.get('field')}: {e.get('message')}" for e in problem.get("errors", [])]
    return "\n".join(lines)


def print_summary(summary: dict[str, Any], out: TextIO) -> None:
    """The counts, then the first errors by line and field."""
    print(
        f"Import {summary['id']} {summary['status']}: {summary['lines']} lines, "
        f"{summary['rows']} rows: {summary['accepted']} accepted, {summary['corrected']} "
        f"corrected, {summary['duplicates']} duplicates, {summary['failed']} failed "
        f"({summary['error_count']} errors).",
        file=out,
    )
    for error in summary.get("first_errors", []):
        where = f"line {error['line']}" + (f", {error['field']}" if error["field"] else "")
        print(f"  {where}: {error['message']}", file=out)
    if summary["error_count"] > len(summary.get("first_errors", [])):
        print(f"  ... all errors: GET /v1/imports/{summary['id']}/errors", file=out)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="talentflow", description="Talentflow command line")
    commands = root.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser(
        "import",
        help="import a file of historical results (NDJSON or CSV)",
        description="Stream FILE to POST /v1/imports; re-run the same command to resume.",
    )
    cmd.add_argument("file", type=Path, help="an .ndjson/.jsonl or .csv file")
    cmd.add_argument("--vendor", required=True, type=uuid.UUID, help="the vendor's id")
    cmd.add_argument(
        "--url",
        default=os.environ.get("TALENTFLOW_URL", DEFAULT_URL),
        help=f"the API (default $TALENTFLOW_URL or {DEFAULT_URL}, the gateway)",
    )
    cmd.add_argument(
        "--token",
        default=os.environ.get("TALENTFLOW_TOKEN"),
        help="an hr_admin bearer token (default $TALENTFLOW_TOKEN)",
    )
    cmd.add_argument("--format", choices=("auto", "ndjson", "csv"), default="auto")
    cmd.add_argument(
        "--dry-run",
        action="store_true",
        help="map only the first row with the vendor's settings and print it; store nothing",
    )
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """The `talentflow` console script; returns the exit status."""
    args = parser().parse_args(argv)
    if not args.token:
        print("talentflow: a token is needed (--token or $TALENTFLOW_TOKEN)", file=sys.stderr)
        return EXIT_FAILED
    if not args.file.is_file():
        print(f"talentflow: no such file: {args.file}", file=sys.stderr)
        return EXIT_FAILED
    if args.dry_run:
        try:
            outcome = asyncio.run(_dry_run(args))
        except ImportFailed as exc:
            print(f"talentflow: the dry-run did not run: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print_dry_run(outcome, sys.stdout)
        return EXIT_OK if outcome["ok"] else EXIT_ROWS_FAILED
    try:
        summary = asyncio.run(_run(args))
    except ImportFailed as exc:
        print(f"talentflow: the import did not finish: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("\ntalentflow: interrupted; run the same command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    print_summary(summary, sys.stdout)
    if summary["status"] != "completed":
        return EXIT_FAILED
    return EXIT_ROWS_FAILED if summary["failed"] else EXIT_OK


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {args.token}"}
    async with httpx.AsyncClient(base_url=args.url, headers=headers, timeout=TIMEOUT) as client:
        return await import_file(client, args.file, vendor_id=str(args.vendor), fmt=args.format)


async def _dry_run(args: argparse.Namespace) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {args.token}"}
    async with httpx.AsyncClient(base_url=args.url, headers=headers, timeout=TIMEOUT) as client:
        return await dry_run_file(client, args.file, vendor_id=str(args.vendor), fmt=args.format)


if __name__ == "__main__":
    sys.exit(main())
