"""Analytics' domain errors (rendered as problem+json by talentflow.common)."""

from __future__ import annotations

from talentflow.common.errors import InvalidInput, ServiceError


class InvalidPeriod(InvalidInput):
    """A report period whose start lies after its end."""

    def __init__(self) -> None:
        super().__init__(
            "`from` must be on or before `to`",
            errors=[
                {
                    "field": "from",
                    "in": "query",
                    "pointer": "/from",
                    "message": "must be on or before `to`",
                    "type": "date_range",
                }
            ],
        )


class UnexpectedEvent(ServiceError):
    """An event type this service does not read (acknowledged and logged, not retried)."""

    code = "unexpected-event"
    title = "Unexpected event"
