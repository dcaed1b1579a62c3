"""The gateway's domain errors (rendered as problem+json by talentflow.common)."""

from __future__ import annotations

from typing import Any

from talentflow.common.errors import NotFound, ServiceError, Unavailable


class PersonNotFound(NotFound):
    code = "person-not-found"
    title = "Person not found"


class ReportNotFound(NotFound):
    code = "report-not-found"
    title = "Report not found"


class CandidateNotFound(NotFound):
    code = "candidate-not-found"
    title = "Candidate not found"


class TenantMismatch(ServiceError):
    """An event names a person or result that belongs to another tenant."""

    status_code = 409
    code = "tenant-mismatch"
    title = "The record belongs to another tenant"


class UnexpectedEvent(ServiceError):
    """A consumer received an event type it does not handle."""

    code = "unexpected-event"
    title = "Unexpected event type"


class UpstreamUnavailable(Unavailable):
    code = "upstream-unavailable"
    title = "Upstream service unavailable"

    def __init__(self, upstream: str, **kw: Any) -> None:
        kw.setdefault("headers", {"Retry-After": "5"})
        super().__init__(f"upstream {upstream} unavailable", **kw)
        self.upstream = upstream


class RequestBodyIncomplete(ServiceError):
    """The caller disconnected before its request body was complete."""

    status_code = 400
    code = "request-body-incomplete"
    title = "The request body broke off"

    def __init__(self) -> None:
        super().__init__("the request body ended before it was complete")
