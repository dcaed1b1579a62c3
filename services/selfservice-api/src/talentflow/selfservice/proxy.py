"""The gateway's one way to call an internal service: forward the caller's request as is.

The caller's bearer token and request id go along (the internal service checks the token
itself); the upstream's status, body and content type come back unchanged. An upstream that
cannot be reached or does not answer in time is a 503 problem naming it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Literal

import httpx
from fastapi import Request, Response

from talentflow.common.app import REQUEST_ID_HEADER
from talentflow.common.logging import correlation_id
from talentflow.selfservice.config import Settings
from talentflow.selfservice.exceptions import UpstreamUnavailable

log = logging.getLogger(__name__)

UpstreamName = Literal["ingest", "screening", "analytics", "notify"]

# What travels to the upstream besides the request id; hop-by-hop headers never do.
REQUEST_HEADERS = ("authorization", "content-type", "accept", "accept-language", "if-none-match")
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
    """The shared HTTP client (opened in the lifespan) and each internal service's base URL."""

    def __init__(self, client: httpx.AsyncClient, urls: Mapping[UpstreamName, str]) -> None:
        self.client = client
        self.urls = dict(urls)

    @classmethod
    def from_settings(cls, client: httpx.AsyncClient, settings: Settings) -> Upstreams:
        return cls(
            client,
            {
                "ingest": settings.ingest_url,
                "screening": settings.screening_url,
                "analytics": settings.analytics_url,
                "notify": settings.notify_url,
            },
        )


def create_client(settings: Settings) -> httpx.AsyncClient:
    """The client every forwarded call shares (call it in the lifespan, close on shutdown)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.upstream_timeout_s),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )


async def forward(
    request: Request, *, upstreams: Upstreams, upstream: UpstreamName, path: str
) -> Response:
    """Send the caller's request to `upstream` at `path`; return its answer unchanged."""
    url = upstreams.urls[upstream].rstrip("/") + path
    if request.url.query:
        url += "?" + request.url.query
    headers = {name: value for name in REQUEST_HEADERS if (value := request.headers.get(name))}
    request_id = correlation_id.get() or request.headers.get(REQUEST_ID_HEADER)
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    body = await request.body() if request.method in ("POST", "PUT", "PATCH") else None
    try:
        answer = await upstreams.client.request(request.method, url, headers=headers, content=body)
    except httpx.TransportError as exc:
        log.warning(
            "upstream unavailable", extra={"upstream": upstream, "error": type(exc).__name__}
        )
        raise UpstreamUnavailable(upstream) from exc
    passed = {name: value for name in RESPONSE_HEADERS if (value := answer.headers.get(name))}
    return Response(content=answer.content, status_code=answer.status_code, headers=passed)
