"""Standard Webhooks: reading a bounded body, parsing the signature headers, verifying them.

The signature is HMAC-SHA256 over `webhook-id.webhook-timestamp.body` with a `whsec_<base64>`
secret; `webhook-signature` is a space-separated list of `v1,<base64>` and any one valid
signature passes, so a vendor can rotate secrets. Timestamps more than 5 minutes from our
clock are refused. Verification itself is the `standardwebhooks` package; this module checks
the headers strictly first (malformed: 400) and turns every exception the package can raise
into MalformedWebhook (400) or InvalidSignature (401), never an unexpected 500.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError, WebhookVerificationError
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request

from talentflow.ingest.exceptions import InvalidSignature, MalformedWebhook, PayloadTooLarge

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 32
TOLERANCE_S = 5 * 60  # fixed by the standard (and by the package)
MAX_ID_LENGTH = 256
MAX_SIGNATURE_HEADER = 4096
MAX_SIGNATURES = 16
HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")

_ID = re.compile(rf"[\x21-\x7e]{{1,{MAX_ID_LENGTH}}}")  # visible ASCII, no spaces
_TIMESTAMP = re.compile(r"[1-9][0-9]{0,14}")  # integer seconds, no sign, no leading zero
_ENTRY = re.compile(r"(v[0-9]+[a-z]*),([A-Za-z0-9+/]+={0,2})")
_CONTENT_LENGTH = re.compile(r"[0-9]{1,20}")


@dataclass(frozen=True)
class SignedHeaders:
    """The three Standard Webhooks headers of a request, checked for form."""

    webhook_id: str
    timestamp: int
    signature: str  # the `webhook-signature` header, normalized to single spaces


def generate_secret() -> str:
    """A new random signing secret, `whsec_` + base64 of 32 bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def is_valid_secret(secret: str) -> bool:
    """True when `secret` is `whsec_` followed by standard base64 of at least 24 bytes."""
    if not secret.startswith(SECRET_PREFIX):
        return False
    try:
        raw = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) >= 24


async def read_body(request: Request, limit: int) -> bytes:
    """Read the body, refusing (413) as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.getlist("content-length")
    if len(declared) > 1 or (declared and not _CONTENT_LENGTH.fullmatch(declared[0])):
        raise MalformedWebhook("the Content-Length header is not a single number")
    if declared and int(declared[0]) > limit:
        raise PayloadTooLarge(f"the body must not exceed {limit} bytes")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise PayloadTooLarge(f"the body must not exceed {limit} bytes")
    except ClientDisconnect:
        raise MalformedWebhook("the client went away before sending the whole body") from None
    return bytes(body)


def parse_headers(headers: Headers) -> SignedHeaders:
    """Check the form of the signature headers; MalformedWebhook names the header at fault."""
    values: dict[str, str] = {}
    for name in HEADERS:
        found = headers.getlist(name)
        if not found or not found[0].strip():
            raise MalformedWebhook(f"the {name} header is missing")
        if len(found) > 1:
            raise MalformedWebhook(f"the {name} header must appear once")
        values[name] = found[0].strip()
    if not _ID.fullmatch(values["webhook-id"]):
        raise MalformedWebhook(
            f"webhook-id must be 1-{MAX_ID_LENGTH} visible ASCII characters without spaces"
        )
    if not _TIMESTAMP.fullmatch(values["webhook-timestamp"]):
        raise MalformedWebhook("webhook-timestamp must be integer Unix seconds")
    signature = values["webhook-signature"]
    if len(signature) > MAX_SIGNATURE_HEADER:
        raise MalformedWebhook("webhook-signature is too long")
    entries = signature.split()
    if len(entries) > MAX_SIGNATURES:
        raise MalformedWebhook(f"webhook-signature lists more than {MAX_SIGNATURES} signatures")
    for entry in entries:
        match = _ENTRY.fullmatch(entry)
        if match is None:
            raise MalformedWebhook(
                "webhook-signature must be a space-separated list of <version>,<base64>"
            )
        try:
            base64.b64decode(match.group(2), validate=True)
        except (binascii.Error, ValueError):
            raise MalformedWebhook("a webhook-signature entry is not valid base64") from None
    return SignedHeaders(
        webhook_id=values["webhook-id"],
        timestamp=int(values["webhook-timestamp"]),
        signature=" ".join(entries),
    )


def check_timestamp(signed: SignedHeaders, *, now: float | None = None) -> None:
    """InvalidSignature (401) when the timestamp is more than 5 minutes from `now`."""
    if abs((time.time() if now is None else now) - signed.timestamp) > TOLERANCE_S:
        raise InvalidSignature("webhook-timestamp is more than 5 minutes from the server's clock")


def verify(
    secrets_: Sequence[str | Webhook],
    body: bytes,
    signed: SignedHeaders,
    *,
    now: float | None = None,
) -> None:
    """Pass when the timestamp is fresh (as of `now`) and one signature matches one of the
    secrets (or `verifiers` made from them); else InvalidSignature (401)."""
    check_timestamp(signed, now=now)
    if not any(entry.startswith("v1,") for entry in signed.signature.split(" ")):
        raise InvalidSignature("webhook-signature has no v1 signature")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedWebhook("the body is not UTF-8 text") from None
    headers = {
        "webhook-id": signed.webhook_id,
        "webhook-timestamp": str(signed.timestamp),
        "webhook-signature": signed.signature,
    }
    ready = [secret for secret in secrets_ if isinstance(secret, Webhook)]
    raw = [secret for secret in secrets_ if not isinstance(secret, Webhook)]
    for webhook in ready + verifiers(raw):
        try:
            webhook.verify(text, headers, json_parse=False)
            return
        except WebhookVerificationError:
            continue
        except (ValueError, TypeError, KeyError, OverflowError, binascii.Error):
            # The checks above make these unreachable; a malformed request stays a 400.
            raise MalformedWebhook("the signature headers cannot be verified") from None
    raise InvalidSignature("no signature matches an active secret of this vendor")


def verifiers(secrets_: Sequence[str]) -> list[Webhook]:
    """A verifier per stored secret (made once, used for many deliveries); a secret the
    package refuses is skipped and logged."""
    verifiers = []
    for secret in secrets_:
        try:
            verifiers.append(Webhook(secret))
        except (EmptyWebhookSecretError, ValueError, TypeError, RuntimeError, binascii.Error):
            log.error("a stored vendor secret is not a valid whsec_ secret; skipped")
    return verifiers
