"""Structured JSON logs with a correlation id that follows a request or a consumed event.

Log lines carry ids, never personal data: pass ids, counts and statuses in `extra`, not names,
emails or free text from a candidate. A logged exception keeps its type and where it was
raised, not its message (see `_Formatter.formatException`).
"""

from __future__ import annotations

import logging
import sys
import traceback
import uuid
from contextvars import ContextVar
from types import TracebackType

from pythonjsonlogger.json import JsonFormatter

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
REQUEST_ID_HEADER = "X-Request-ID"
# Where the request-id middleware leaves the request's id in the ASGI scope, for what runs
# after it has returned (the handler of an unhandled error, outside every middleware).
REQUEST_ID_SCOPE_KEY = "talentflow.request_id"


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.correlation_id = correlation_id.get()
        return True


_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


class _Formatter(JsonFormatter):
    def formatException(self, ei: _ExcInfo) -> str:
        """A traceback without exception messages: a message may quote the data that failed
        (a database error's DETAIL names the key's value, a KeyError the key, a pydantic error
        the input). Kept: each exception's type, its frames with their source lines, and the
        chain of causes. The messages of OSError (addresses, not people) stay."""
        _, exc, _ = ei
        if exc is None:
            return ""
        return redacted_traceback(exc)


_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def error_summary(exc: BaseException) -> str:
    """What a log line may say of `exc`: its type, and the message only of an OSError
    (`ConnectionRefusedError: [Errno 111] ...`), by the rule `redacted_traceback` follows.
    Use it for an `extra={"error": ...}` in place of `repr(exc)`."""
    kind = f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins.")
    return f"{kind}: {exc}" if isinstance(exc, OSError) and str(exc) else kind


def redacted_traceback(exc: BaseException) -> str:
    """`exc`'s traceback as Python prints it (causes first) with no message but an OSError's."""
    chain: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(traceback.format_tb(current.__traceback__))
        text = f"Traceback (most recent call last):\n{frames}{error_summary(current)}\n"
        if current.__cause__ is not None:
            chain.append(_CAUSE + text)
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            chain.append(_CONTEXT + text)
            current = current.__context__
        else:
            chain.append(text)
            current = None
    return "".join(reversed(chain)).removesuffix("\n")


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send JSON lines to stderr: time, level, logger, message, service, correlation id."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _Formatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(correlation_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_ContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def new_correlation_id() -> str:
    return uuid.uuid4().hex
