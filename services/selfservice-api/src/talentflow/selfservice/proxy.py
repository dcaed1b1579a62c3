"""The gateway's one way to call an internal service: forward the caller's request as is.

The caller's bearer token and request id go along (the internal service checks the token
itself); the upstream's status, body and content type come back unchanged. An upstream that
cannot be reached or does not answer in time is a 503 problem naming it.

`forward` reads the (small) body first; `forward_streaming` is for bodies too large to hold
(bulk imports): the body goes upstream chunk by chunk as it arrives, chunked, and the answer
comes back the same way, so the gateway never holds either in full.

Header values travel as the bytes the caller sent (and the upstream answered): HTTP allows
any byte from 0x80 up in a value (obs-text), and whether such a value is valid is for the
service that reads it to say, not a reason for the gateway to fail.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Literal

import httpx
from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect

from talentflow.common.app import REQUEST_ID_HEADER
from talentflow.common.logging import correlation_id
from talentflow.selfservice.config import Settings
from talentflow.selfservice.exceptions import RequestBodyIncomplete, UpstreamUnavailable

log = logging.getLogger(__name__)

UpstreamName = Literal["ingest", "screening", "analytics", "notify"]

# What travels to the upstream besides the request id; hop-by-hop headers never do (nor
# Content-Length: a streamed body goes chunked, a read one gets its own).
REQUEST_HEADERS = (
    "authorization",
    "content-type",
    "accept",
    "accept-language",
    "if-none-match",
    "idempotency-key",
)
# What comes back; the gateway sets its own X-Request-ID, content length and encoding.
RESPONSE_HEADERS = (
    "content-type",
    "location",
    "retry-after",
    "www-authenticate",
    "etag",
    "link",
    "cache-control",
)


class Upstreams:
    """The HTTP clients (opened in the lifespan) and each internal service's base URL.

    Streamed calls (bulk imports, minutes each) have a client of their own, so that however
    many run at once they never hold the connections the other forwarded calls need.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        urls: Mapping[UpstreamName, str],
        *,
        streaming: httpx.AsyncClient | None = None,
    ) -> None:
        self.client = client
        self.streaming = streaming or client
        self.urls = dict(urls)

    @classmethod
    def from_settings(
        cls, client: httpx.AsyncClient, settings: Settings, *, streaming: httpx.AsyncClient
    ) -> Upstreams:
        return cls(
            client,
            {
                "ingest": settings.ingest_url,
                "screening": settings.screening_url,
                "analytics": settings.analytics_url,
                "notify": settings.notify_url,
            },
            streaming=streaming,
        )


def create_client(settings: Settings) -> httpx.AsyncClient:
    """The client every forwarded call shares (call it in the lifespan, close on shutdown)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.upstream_timeout_s),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )


def create_streaming_client(settings: Settings) -> httpx.AsyncClient:
    """The client of streamed calls: reads and writes wait up to
    `upstream_streaming_timeout_s`; at most `upstream_streaming_connections` at once, and a
    call that finds none free within `upstream_timeout_s` is a 503."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.upstream_streaming_timeout_s,
            connect=settings.upstream_timeout_s,
            pool=settings.upstream_timeout_s,
        ),
        follow_redirects=False,
        limits=httpx.Limits(
            max_connections=settings.upstream_streaming_connections,
            max_keepalive_connections=settings.upstream_streaming_connections,
        ),
    )


RawHeaders = list[tuple[bytes, bytes]]


def _picked(
    raw: Iterable[tuple[bytes, bytes]], names: tuple[str, ...], *, first_only: bool
) -> RawHeaders:
    """The non-empty values of `names` (in lower case) in `raw`, as bytes, in order; with
    `first_only`, just the first of each name."""
    wanted = {name.encode("ascii") for name in names}
    picked: RawHeaders = []
    seen: set[bytes] = set()
    for name, value in raw:
        key = name.lower()
        if key in wanted and value and not (first_only and key in seen):
            picked.append((key, value))
            seen.add(key)
    return picked


def _target(
    request: Request, upstreams: Upstreams, upstream: UpstreamName, path: str
) -> tuple[str, RawHeaders]:
    """The upstream URL (with the caller's query string) and the headers that go along, as
    the caller sent them (Starlette's str headers are their bytes decoded as latin-1)."""
    url = upstreams.urls[upstream].rstrip("/") + path
    if request.url.query:
        url += "?" + request.url.query
    headers = _picked(request.headers.raw, REQUEST_HEADERS, first_only=True)
    request_id = correlation_id.get() or request.headers.get(REQUEST_ID_HEADER)
    if request_id:
        headers.append(
            (REQUEST_ID_HEADER.encode("ascii"), request_id.encode("latin-1", errors="replace"))
        )
    return url, headers


def _with_passed_headers(response: Response, answer: httpx.Response) -> Response:
    """`response` with the upstream's headers worth passing back, byte for byte (each value
    of a repeated one, such as Link)."""
    response.raw_headers.extend(_picked(answer.headers.raw, RESPONSE_HEADERS, first_only=False))
    return response


def _unavailable(upstream: UpstreamName, exc: Exception) -> UpstreamUnavailable:
    log.warning("upstream unavailable", extra={"upstream": upstream, "error": type(exc).__name__})
    return UpstreamUnavailable(upstream)


async def forward(
    request: Request, *, upstreams: Upstreams, upstream: UpstreamName, path: str
) -> Response:
    """Send the caller's request to `upstream` at `path`; return its answer unchanged."""
    url, headers = _target(request, upstreams, upstream, path)
    try:
        body = await request.body() if request.method in ("POST", "PUT", "PATCH") else None
    except ClientDisconnect as exc:
        # The caller went away mid-body: nothing to forward, and nobody to answer.
        log.info("caller disconnected before its body was complete", extra={"upstream": upstream})
        raise RequestBodyIncomplete() from exc
    try:
        answer = await upstreams.client.request(request.method, url, headers=headers, content=body)
    except httpx.TransportError as exc:
        raise _unavailable(upstream, exc) from exc
    return _with_passed_headers(
        Response(content=answer.content, status_code=answer.status_code), answer
    )


async def _body(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        if chunk:
            yield chunk


async def forward_streaming(
    request: Request, *, upstreams: Upstreams, upstream: UpstreamName, path: str
) -> Response:
    """Like `forward`, but the body streams to `upstream` as it arrives (chunked) and the
    answer streams back: memory stays flat however large either is."""
    url, headers = _target(request, upstreams, upstream, path)
    outgoing = upstreams.streaming.build_request(
        request.method, url, headers=headers, content=_body(request)
    )
    try:
        answer = await upstreams.streaming.send(outgoing, stream=True)
    except ClientDisconnect as exc:
        # The caller went away mid-body; the upstream saw the body break off too.
        log.info("caller disconnected while streaming", extra={"upstream": upstream})
        raise RequestBodyIncomplete() from exc
    except httpx.TransportError as exc:
        raise _unavailable(upstream, exc) from exc
    return _with_passed_headers(
        StreamingResponse(
            _relay(answer),
            status_code=answer.status_code,
            # Closing twice is harmless; between them, every way a response can end is covered.
            background=BackgroundTask(answer.aclose),
        ),
        answer,
    )


async def _relay(answer: httpx.Response) -> AsyncIterator[bytes]:
    """The upstream's answer, chunk by chunk; its connection goes back to the pool at the end."""
    try:
        async for chunk in answer.aiter_bytes():
            yield chunk
    finally:
        await answer.aclose()
