"""The gateway's ingest routes: each reaches ingest, and an import's body streams both ways.

Ingest is a real uvicorn server that echoes what it received. For imports, the gateway runs
in uvicorn too, so both hops are real HTTP, and the tests prove the streaming by handshakes:
the caller holds back most of the body until ingest has seen its start, and ingest holds back
the end of its answer until the caller has read the start. A gateway that buffered either
would deadlock there, and the test would time out.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.requests import ClientDisconnect

from talentflow.common.auth import Role
from talentflow.devstack.testing import running_app
from talentflow.selfservice.config import Settings
from talentflow.selfservice.main import create_app

CHUNK = 64 * 1024
BODY_CHUNKS = 128  # 8 MiB
HANDSHAKE_S = 10


@dataclass
class Ingest:
    """What the fake ingest saw of the streamed import, as it arrived."""

    url: str = ""
    received: int = 0
    progress: asyncio.Condition = field(default_factory=asyncio.Condition)
    release_answer: asyncio.Event = field(default_factory=asyncio.Event)
    body_ended: asyncio.Event = field(default_factory=asyncio.Event)
    body_complete: bool | None = None

    async def wait_for_bytes(self, count: int) -> None:
        async with self.progress:
            await self.progress.wait_for(lambda: self.received >= count)


def ingest_app(state: Ingest) -> FastAPI:
    """Echoes every request; reads an import chunk by chunk and answers it in two parts."""
    app = FastAPI()

    @app.post("/v1/imports")
    async def receive_import(request: Request) -> StreamingResponse:
        digest = hashlib.sha256()
        state.received = 0
        state.body_ended.clear()
        try:
            async for chunk in request.stream():
                digest.update(chunk)
                async with state.progress:
                    state.received += len(chunk)
                    state.progress.notify_all()
        except ClientDisconnect:
            state.body_complete = False
            state.body_ended.set()
            raise
        state.body_complete = True
        state.body_ended.set()
        head = (
            f'{{"bytes": {state.received}, "sha256": "{digest.hexdigest()}", '
            f'"transfer_encoding": "{request.headers.get("transfer-encoding", "")}", '
            f'"content_length": "{request.headers.get("content-length", "")}", '
            f'"content_type": "{request.headers.get("content-type", "")}", '
            f'"idempotency_key": "{request.headers.get("idempotency-key", "")}", '
            f'"query": "{request.url.query}"}}\n'
        )

        async def answer() -> AsyncIterator[bytes]:
            yield head.encode()
            await state.release_answer.wait()
            yield b'{"status": "completed"}\n'

        return StreamingResponse(answer(), status_code=201, media_type="application/x-ndjson")

    @app.api_route("/v1/{path:path}", methods=["GET", "PUT", "PATCH", "POST", "DELETE"])
    async def echo(path: str, request: Request) -> Response:
        if request.method == "DELETE":
            return Response(status_code=204)
        return JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "body": (await request.body()).decode(),
                "authorization": request.headers.get("authorization"),
            },
            status_code=201 if path.endswith("secrets") else 200,
        )

    return app


@pytest.fixture(scope="module")
async def ingest(serve) -> AsyncIterator[Ingest]:
    state = Ingest()
    async with serve(ingest_app(state)) as url:
        state.url = url
        yield state


@pytest.fixture
def app(settings: Settings, ingest: Ingest) -> FastAPI:
    return create_app(settings.model_copy(update={"ingest_url": ingest.url}))


@pytest.fixture
def hr_admin(token) -> dict[str, str]:
    return token(uuid.uuid4(), uuid.uuid4(), Role.HR_ADMIN)


VENDOR, SECRET, RESULT, IMPORT = (uuid.uuid4() for _ in range(4))

# (method, path with query, JSON body or None, status ingest answers)
ROUTES = [
    ("GET", "/v1/tenant", None, 200),
    ("PUT", "/v1/tenant", {"jurisdiction": "EU"}, 200),
    ("GET", "/v1/vendors", None, 200),
    ("POST", "/v1/vendors", {"name": "Acme"}, 200),
    ("GET", f"/v1/vendors/{VENDOR}", None, 200),
    ("PATCH", f"/v1/vendors/{VENDOR}", {"enabled": False}, 200),
    ("POST", f"/v1/vendors/{VENDOR}/secrets", None, 201),
    ("DELETE", f"/v1/vendors/{VENDOR}/secrets/{SECRET}", None, 204),
    ("POST", f"/v1/vendors/{VENDOR}/dry-run", {"score": 4}, 200),
    ("POST", "/v1/mappings/dry-run", {"mapping": {}, "sample": {}}, 200),
    ("GET", f"/v1/results/{RESULT}?version=2", None, 200),
    ("GET", f"/v1/imports?vendor_id={VENDOR}&limit=5", None, 200),
    ("GET", f"/v1/imports/{IMPORT}", None, 200),
    ("GET", f"/v1/imports/{IMPORT}/errors?offset=10", None, 200),
]


class TestIngestRoutes:
    @pytest.mark.parametrize(
        ("method", "target", "body", "status"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES]
    )
    async def test_forwarded_to_ingest_as_sent(
        self, client, hr_admin, method, target, body, status
    ) -> None:
        response = await client.request(method, target, json=body, headers=hr_admin)

        assert response.status_code == status, response.text
        if status == 204:
            assert response.content == b""
            return
        seen = response.json()
        path, _, query = target.partition("?")
        assert (seen["method"], seen["path"], seen["query"]) == (method, path, query)
        assert seen["authorization"] == hr_admin["Authorization"]
        assert (json.loads(seen["body"]) if seen["body"] else None) == body

    async def test_malformed_vendor_id_is_422_and_not_forwarded(self, client, hr_admin) -> None:
        response = await client.get("/v1/vendors/not-a-uuid", headers=hr_admin)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "vendor_id"

    async def test_import_to_an_unreachable_ingest_is_503(
        self, settings, closed_url, hr_admin
    ) -> None:
        offline = create_app(settings.model_copy(update={"ingest_url": closed_url}))
        async with running_app(offline) as client:
            response = await client.post(
                "/v1/imports",
                content=b'{"result_id": "r-1"}\n',
                headers={**hr_admin, "Content-Type": "application/x-ndjson"},
            )
        assert response.status_code == 503
        assert response.json()["detail"] == "upstream ingest unavailable"


class TestReadBody:
    async def test_a_caller_breaking_off_a_read_body_is_no_error(
        self, app, serve, hr_admin, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO)
        # uvicorn logs an app's exception on its own logger, which does not reach the root
        # logger caplog listens on; it sets that logger up as it starts.
        uvicorn_log = logging.getLogger("uvicorn.error")
        try:
            async with serve(app) as gateway:
                uvicorn_log.addHandler(caplog.handler)
                host, port = gateway.removeprefix("http://").split(":")
                _, writer = await asyncio.open_connection(host, int(port))
                head = (
                    f"POST /v1/vendors/{VENDOR}/dry-run HTTP/1.1\r\nHost: {host}\r\n"
                    f"Authorization: {hr_admin['Authorization']}\r\n"
                    "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
                )
                writer.write(head.encode() + b"x" * 1024)
                await writer.drain()
                writer.close()  # gone after 1 KB of the 100000 bytes announced
                await writer.wait_closed()
            # Leaving `serve` waited for the request to be handled to its end.
        finally:
            uvicorn_log.removeHandler(caplog.handler)
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
        assert "caller disconnected before its body was complete" in caplog.messages


class TestStreamedImport:
    async def test_imports_in_flight_leave_the_other_calls_their_connections(
        self, settings, ingest, hr_admin
    ) -> None:
        """With one streaming connection, an import that ingest has not answered yet holds
        it: a second import is a 503 once the pool wait ends, while the other forwarded calls
        go through on connections of their own."""
        narrow = create_app(
            settings.model_copy(
                update={
                    "ingest_url": ingest.url,
                    "upstream_streaming_connections": 1,
                    "upstream_timeout_s": 0.5,
                }
            )
        )
        ingest.release_answer.clear()
        ingest.body_ended.clear()
        headers = {**hr_admin, "Content-Type": "application/x-ndjson"}
        async with running_app(narrow) as client:
            first = asyncio.create_task(
                client.post(f"/v1/imports?vendor_id={VENDOR}", content=b"{}\n", headers=headers)
            )
            async with asyncio.timeout(HANDSHAKE_S):
                await ingest.body_ended.wait()  # ingest holds the first import's answer

            second = await client.post(
                f"/v1/imports?vendor_id={VENDOR}", content=b"{}\n", headers=headers
            )
            other = await client.get("/v1/vendors", headers=hr_admin)
            ingest.release_answer.set()
            done = await first

        assert second.status_code == 503
        assert second.json()["detail"] == "upstream ingest unavailable"
        assert other.status_code == 200, other.text
        assert done.status_code == 201

    async def test_is_not_bound_by_the_body_limit(self, client, ingest, hr_admin) -> None:
        ingest.release_answer.set()
        body = b"x" * (3 * 1024 * 1024)  # over the gateway's default limit of 2 MiB
        response = await client.post(
            f"/v1/imports?vendor_id={VENDOR}",
            content=body,
            headers={**hr_admin, "Content-Type": "application/x-ndjson"},
        )
        assert response.status_code == 201, response.text
        head = json.loads(response.text.splitlines()[0])
        assert (head["bytes"], head["sha256"]) == (len(body), hashlib.sha256(body).hexdigest())

    async def test_header_bytes_beyond_ascii_go_to_ingest_as_sent(
        self, client, ingest, hr_admin
    ) -> None:
        ingest.release_answer.set()
        response = await client.post(
            f"/v1/imports?vendor_id={VENDOR}",
            content=b'{"result_id": "r-1"}\n',
            headers={
                **hr_admin,
                "Content-Type": "application/x-ndjson",
                "Idempotency-Key": b"k\xe9y",
            },
        )
        assert response.status_code == 201, response.text
        head = json.loads(response.text.splitlines()[0])
        assert head["idempotency_key"].encode("latin-1") == b"k\xe9y"

    async def test_body_and_answer_stream_through_without_being_held(
        self, app, serve, ingest, hr_admin
    ) -> None:
        rng = random.Random(7)
        chunks = [rng.randbytes(CHUNK) for _ in range(BODY_CHUNKS)]
        expected = hashlib.sha256(b"".join(chunks)).hexdigest()
        ingest.release_answer.clear()

        async def body() -> AsyncIterator[bytes]:
            yield chunks[0]
            # Ingest must see the start of the body while the caller still holds the rest.
            async with asyncio.timeout(HANDSHAKE_S):
                await ingest.wait_for_bytes(CHUNK)
            for chunk in chunks[1:]:
                yield chunk

        headers = {
            **hr_admin,
            "Content-Type": "application/x-ndjson",
            "Idempotency-Key": "sha256:upload-1",
        }
        async with (
            serve(app) as gateway,
            httpx.AsyncClient(base_url=gateway, timeout=30) as http,
            http.stream(
                "POST", f"/v1/imports?vendor_id={VENDOR}", content=body(), headers=headers
            ) as response,
        ):
            assert response.status_code == 201
            assert response.headers["content-type"] == "application/x-ndjson"
            lines = response.aiter_lines()
            async with asyncio.timeout(HANDSHAKE_S):
                head = await anext(lines)  # ingest is still holding back the rest
            ingest.release_answer.set()
            rest = [line async for line in lines]

        seen: dict[str, Any] = json.loads(head)
        assert seen == {
            "bytes": CHUNK * BODY_CHUNKS,
            "sha256": expected,
            "transfer_encoding": "chunked",
            "content_length": "",
            "content_type": "application/x-ndjson",
            "idempotency_key": "sha256:upload-1",
            "query": f"vendor_id={VENDOR}",
        }
        assert rest == ['{"status": "completed"}']

    async def test_a_caller_breaking_off_breaks_the_upstream_body_off_too(
        self, app, serve, ingest, hr_admin
    ) -> None:
        async with serve(app) as gateway:
            host, port = gateway.removeprefix("http://").split(":")
            _, writer = await asyncio.open_connection(host, int(port))
            head = (
                f"POST /v1/imports?vendor_id={VENDOR} HTTP/1.1\r\nHost: {host}\r\n"
                f"Authorization: {hr_admin['Authorization']}\r\n"
                "Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            writer.write(head.encode() + f"{CHUNK:x}\r\n".encode() + b"x" * CHUNK + b"\r\n")
            await writer.drain()
            async with asyncio.timeout(HANDSHAKE_S):
                await ingest.wait_for_bytes(CHUNK)
            writer.close()  # gone mid-body, without the last chunk
            await writer.wait_closed()
            async with asyncio.timeout(HANDSHAKE_S):
                await ingest.body_ended.wait()
        # Ingest must not take the part it got for a whole (it would close the import early).
        assert ingest.body_complete is False
