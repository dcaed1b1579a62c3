"""Offset pagination: the `limit` and `offset` query parameters, and the page they return."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

T = TypeVar("T")

# Past any listing's end, and within what PostgreSQL's OFFSET and the driver's integers take.
MAX_OFFSET = 2**31 - 1


class Page(BaseModel, Generic[T]):
    """One page of a listing; `total` counts every match, not just this page.

    Subclass it per item type (`class JobPage(Page[JobOut])`) for a readable schema name.
    """

    items: list[T]
    total: int = Field(description="How many items match, over all pages.")
    limit: int = Field(description="The page size asked for.")
    offset: int = Field(description="How many items were skipped.")


@dataclass(frozen=True, slots=True)
class Pagination:
    """Which page a listing asks for."""

    limit: int
    offset: int


def pagination(*, default_limit: int = 50, max_limit: int = 100) -> Callable[..., Pagination]:
    """A dependency reading `limit` (1 to `max_limit`) and `offset` (0 to `MAX_OFFSET`) from
    the query."""

    def dependency(
        limit: int = Query(
            default_limit, ge=1, le=max_limit, description=f"Page size, 1-{max_limit}."
        ),
        offset: int = Query(
            0, ge=0, le=MAX_OFFSET, description=f"How many items to skip, 0-{MAX_OFFSET}."
        ),
    ) -> Pagination:
        return Pagination(limit=limit, offset=offset)

    return dependency


# limit 1-100, 50 by default; a service with other bounds declares its own alias with
# `Annotated[Pagination, Depends(pagination(default_limit=..., max_limit=...))]`.
PaginationDep = Annotated[Pagination, Depends(pagination())]
