"""`talentflow import FILE --vendor ID` against ingest served by uvicorn on a free port."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.requests import ClientDisconnect

from talentflow.common.auth import Role, issue_token
from talentflow.devstack.broker import free_port
from talentflow.devstack.testing import service_settings_env as settings_env
from talentflow.ingest.config import Settings
from talentflow.ingest.imports import cli
from talentflow.ingest.main import create_app

CHUNK_ROWS = 2


@pytest.fixture
def settings(ingest_database_url: str, kafka: tuple[str, bool]) -> Settings:
    env = settings_env(database_url=ingest_database_url, kafka=kafka)
    return Settings(**env, import_chunk_rows=CHUNK_ROWS)


@pytest.fixture
async def url(settings: Settings) -> AsyncIterator[str]:
    """Ingest on a real HTTP server (the CLI's code path: sockets, chunked streaming)."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), "the server did not start"
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await serving


@pytest.fixture
async def owner(h, settings: Settings) -> tuple[uuid.UUID, str, str]:
    """(vendor id, hr_admin token, the vendor's tenant) ready for the CLI."""
    tenant = await h.tenant("US", "allow")
    vendor_id, _ = await h.vendor(tenant)
    token = issue_token(
        settings.auth_secret.get_secret_value(),
        subject=uuid.uuid4(),
        tenant_id=tenant,
        roles=[Role.HR_ADMIN],
    )
    return vendor_id, token, str(tenant)


def write_ndjson(path: Path, documents: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in documents))
    return path


async def talentflow(*args: str) -> int:
    """Run the console script's main() (it runs its own event loop: in a thread here)."""
    return await asyncio.to_thread(cli.main, list(args))


class TestImportCommand:
    async def test_imports_with_a_progress_bar_and_prints_errors_by_line_and_field(
        self, h, url, owner, tmp_path, capsys
    ) -> None:
        vendor_id, token, _ = owner
        rows = [h.payload(), h.payload(), h.payload(), h.payload()]
        rows[2]["candidate"] = {"external_id": "x", "email": "not-an-address"}
        file = write_ndjson(tmp_path / "history.ndjson", rows)

        status = await talentflow(
            "import", str(file), "--vendor", str(vendor_id), "--url", url, "--token", token
        )

        out, err = capsys.readouterr()
        assert status == 1  # completed, but a row failed
        assert "4 rows: 3 accepted, 0 corrected, 0 duplicates, 1 failed" in out
        assert "line 3, candidate.email: must be an e-mail address" in out
        assert "Uploading history.ndjson" in err and "100%" in err
        assert "not-an-address" not in out + err

    async def test_running_it_again_sends_nothing_and_prints_the_summary(
        self, h, url, owner, tmp_path, capsys
    ) -> None:
        vendor_id, token, _ = owner
        file = write_ndjson(tmp_path / "again.jsonl", [h.payload(), h.payload()])
        args = ("import", str(file), "--vendor", str(vendor_id), "--url", url, "--token", token)
        assert await talentflow(*args) == 0
        capsys.readouterr()

        status = await talentflow(*args)

        out, err = capsys.readouterr()
        assert status == 0
        assert "again.jsonl was imported before" in out and "2 accepted" in out
        assert "Uploading" not in err
        stored = await h.rows("SELECT id FROM ingest.results WHERE vendor_id = :v", v=vendor_id)
        assert len(stored) == 2

    async def test_the_same_command_resumes_an_interrupted_import(
        self, h, url, owner, tmp_path, capsys
    ) -> None:
        vendor_id, token, tenant = owner
        file = write_ndjson(tmp_path / "big.ndjson", [h.payload() for _ in range(5)])
        key = hashlib.sha256(file.read_bytes()).hexdigest()

        async def breaking() -> AsyncIterator[bytes]:
            for line in file.read_bytes().splitlines(keepends=True)[:3]:
                yield line
            raise ClientDisconnect()

        broken = await h.client.post(
            "/v1/imports",
            params={"vendor_id": str(vendor_id)},
            content=breaking(),
            headers={
                **h.auth(uuid.UUID(tenant)),
                "content-type": "application/x-ndjson",
                "Idempotency-Key": key,
            },
        )
        assert broken.status_code == 400

        status = await talentflow(
            "import", str(file), "--vendor", str(vendor_id), "--url", url, "--token", token
        )

        out, _ = capsys.readouterr()
        assert status == 0
        assert f"after line {CHUNK_ROWS}." in out
        assert "5 rows: 5 accepted, 0 corrected, 0 duplicates, 0 failed" in out

    async def test_a_csv_file_is_recognised_by_its_extension(
        self, url, owner, tmp_path, capsys
    ) -> None:
        vendor_id, token, _ = owner
        file = tmp_path / "export.csv"
        file.write_text(
            "result_id,job_id,candidate_external_id,interviewed_at,competency.logic\n"
            f"r-1,{uuid.uuid4()},ats-1,2026-03-01T10:15:00Z,70\n"
        )

        status = await talentflow(
            "import", str(file), "--vendor", str(vendor_id), "--url", url, "--token", token
        )

        assert status == 0
        assert "1 rows: 1 accepted" in capsys.readouterr().out

    async def test_a_refused_import_exits_2_with_the_problem(
        self, url, owner, tmp_path, capsys
    ) -> None:
        _, token, _ = owner
        file = write_ndjson(tmp_path / "x.ndjson", [{"result_id": "r"}])

        status = await talentflow(
            "import", str(file), "--vendor", str(uuid.uuid4()), "--url", url, "--token", token
        )

        assert status == 2
        assert "HTTP 404 Unknown vendor" in capsys.readouterr().err


class TestDisconnect:
    async def test_a_client_that_goes_away_leaves_the_import_interrupted(
        self, h, url, owner
    ) -> None:
        vendor_id, token, _ = owner
        lines = [json.dumps(h.payload()).encode() + b"\n" for _ in range(7)]

        async def checkpoint() -> int:
            rows = await h.rows(
                "SELECT lines FROM ingest.imports WHERE vendor_id = :v", v=vendor_id
            )
            return int(rows[0]["lines"]) if rows else 0

        async def going_away() -> AsyncIterator[bytes]:
            for line in lines[:5]:
                yield line
            for _ in range(200):  # until the server has committed rows 1-4
                if await checkpoint() == 4:
                    break
                await asyncio.sleep(0.05)
            raise RuntimeError("the client crashed")

        async with httpx.AsyncClient(base_url=url) as client:
            with pytest.raises(RuntimeError):
                await client.post(
                    "/v1/imports",
                    params={"vendor_id": str(vendor_id)},
                    content=going_away(),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "content-type": "application/x-ndjson",
                        "Idempotency-Key": "k-1",
                    },
                )

        for _ in range(200):
            rows = await h.rows(
                "SELECT status, lines, accepted FROM ingest.imports WHERE vendor_id = :v",
                v=vendor_id,
            )
            if rows and rows[0]["status"] == "interrupted":
                break
            await asyncio.sleep(0.05)
        assert rows == [{"status": "interrupted", "lines": 4, "accepted": 4}]


class TestDryRun:
    """`--dry-run`: the file's first row through the vendor's dry-run; nothing stored."""

    async def dry_run(self, file: Path, url: str, owner: tuple[uuid.UUID, str, str]) -> int:
        vendor_id, token, _ = owner
        args = ("--vendor", str(vendor_id), "--url", url, "--token", token, "--dry-run")
        return await talentflow("import", str(file), *args)

    async def test_the_first_ndjson_row_is_mapped_and_nothing_is_stored(
        self, h, url, owner, tmp_path, capsys
    ) -> None:
        vendor_id = owner[0]
        first = h.payload()
        broken = {**h.payload(), "candidate": {"external_id": "x", "email": "no"}}
        file = write_ndjson(tmp_path / "history.ndjson", [first, broken])

        status = await self.dry_run(file, url, owner)

        out, err = capsys.readouterr()
        assert status == 0
        assert f"The first row maps to result {first['result_id']}" in out
        assert "competencies: communication 88, logic 74.5" in out
        assert "Nothing was stored." in out and "Uploading" not in err
        assert "Ada" not in out  # no personal field printed
        assert await h.rows("SELECT id FROM ingest.results WHERE vendor_id = :v", v=vendor_id) == []
        assert await h.rows("SELECT id FROM ingest.imports WHERE vendor_id = :v", v=vendor_id) == []

    async def test_a_csv_first_row_that_does_not_map_exits_1_naming_the_column(
        self, url, owner, tmp_path, capsys
    ) -> None:
        file = tmp_path / "sheet.csv"
        file.write_text(
            "result_id,job_id,candidate_external_id,interviewed_at,candidate_email\r\n"
            f'r-1,{uuid.uuid4()},c-1,2026-03-01T10:15:00Z,"ada(at)example"\r\n'
        )

        status = await self.dry_run(file, url, owner)

        out, _ = capsys.readouterr()
        assert status == 1
        assert "The first row does not map:" in out
        assert "  candidate_email: " in out and "ada(at)" not in out

    async def test_a_file_without_a_row_is_an_error(self, url, owner, tmp_path, capsys) -> None:
        file = tmp_path / "empty.csv"
        file.write_text("result_id,job_id\r\n")

        status = await self.dry_run(file, url, owner)

        assert status == 2
        assert "empty.csv has no row after its header" in capsys.readouterr().err
