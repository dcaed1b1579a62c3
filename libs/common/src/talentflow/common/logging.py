"""Structured JSON logs with a correlation id that follows a request or a consumed event.

Log lines carry ids, never personal data: pass ids, counts and statuses in `extra`, not names,
emails or free text from a candidate.
"""

from __future__ import annotations

import logging
import sys
import uuid
from contextvars import ContextVar

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


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send JSON lines to stderr: time, level, logger, message, service, correlation id."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
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
