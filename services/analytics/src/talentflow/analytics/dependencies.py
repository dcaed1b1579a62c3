"""FastAPI dependencies: the runtime, one session (one transaction) per request, the caller,
and the report period."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Query

from talentflow.analytics.exceptions import InvalidPeriod
from talentflow.analytics.schemas import Period


def get_period(
    from_: Annotated[
        date | None,
        Query(alias="from", description="First interview day, inclusive (UTC), YYYY-MM-DD."),
    ] = None,
    to: Annotated[
        date | None, Query(description="Last interview day, inclusive (UTC), YYYY-MM-DD.")
    ] = None,
) -> Period:
    """The report period of the query; 422 naming `from` when it starts after it ends."""
    if from_ is not None and to is not None and from_ > to:
        raise InvalidPeriod()
    return Period(start=from_, end=to)


PeriodDep = Annotated[Period, Depends(get_period)]
