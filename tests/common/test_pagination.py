"""limit/offset query parameters and the generic page they return."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel

from talentflow.common.app import install_platform
from talentflow.common.pagination import (
    MAX_OFFSET,
    Page,
    Pagination,
    PaginationDep,
    pagination,
)

NUMBERS = list(range(250))


class Number(BaseModel):
    value: int


class NumberPage(Page[Number]):
    pass


WidePageDep = Annotated[Pagination, Depends(pagination(default_limit=20, max_limit=200))]


def build_app() -> FastAPI:
    app = FastAPI()
    install_platform(app, service="test", checks=dict)

    def page_of(page: Pagination) -> NumberPage:
        chosen = NUMBERS[page.offset : page.offset + page.limit]
        return NumberPage(
            items=[Number(value=n) for n in chosen],
            total=len(NUMBERS),
            limit=page.limit,
            offset=page.offset,
        )

    @app.get("/numbers")
    async def numbers(page: PaginationDep) -> NumberPage:
        return page_of(page)

    @app.get("/wide")
    async def wide(page: WidePageDep) -> NumberPage:
        return page_of(page)

    return app


@pytest.fixture
def app() -> FastAPI:
    return build_app()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def parameters(document: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p["schema"] for p in document["paths"][path]["get"]["parameters"]}


class TestPaginationDep:
    async def test_defaults_to_the_first_50(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/numbers")).json()

        assert (body["total"], body["limit"], body["offset"]) == (250, 50, 0)
        assert [item["value"] for item in body["items"]] == list(range(50))

    async def test_reads_limit_and_offset(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/numbers", params={"limit": 2, "offset": 248})).json()

        assert [item["value"] for item in body["items"]] == [248, 249]
        assert (body["limit"], body["offset"]) == (2, 248)

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ({"limit": 0}, "limit"),
            ({"limit": 101}, "limit"),
            ({"offset": -1}, "offset"),
            ({"offset": MAX_OFFSET + 1}, "offset"),  # 2^63 and more: past the database's int
        ],
    )
    async def test_out_of_bounds_is_422_naming_the_field(
        self, client: httpx.AsyncClient, query: dict[str, int], field: str
    ) -> None:
        response = await client.get("/numbers", params=query)

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [(e["field"], e["in"]) for e in response.json()["errors"]] == [(field, "query")]

    async def test_a_service_sets_its_own_default_and_maximum(
        self, client: httpx.AsyncClient
    ) -> None:
        assert (await client.get("/wide")).json()["limit"] == 20
        assert (await client.get("/wide", params={"limit": 200})).status_code == 200
        assert (await client.get("/wide", params={"limit": 201})).status_code == 422

    def test_documents_the_bounds(self, app: FastAPI) -> None:
        document = app.openapi()

        limit = parameters(document, "/numbers")["limit"]
        assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 100, 50)
        offset = parameters(document, "/numbers")["offset"]
        assert (offset["minimum"], offset["maximum"]) == (0, MAX_OFFSET)
        wide = parameters(document, "/wide")["limit"]
        assert (wide["maximum"], wide["default"]) == (200, 20)


class TestPage:
    def test_schema_is_named_by_the_subclass(self, app: FastAPI) -> None:
        schema = app.openapi()["components"]["schemas"]["NumberPage"]

        assert set(schema["required"]) == {"items", "total", "limit", "offset"}
        assert schema["properties"]["items"]["items"] == {"$ref": "#/components/schemas/Number"}

    def test_validates_items_from_attributes(self) -> None:
        class Row:
            value = 7

        page = NumberPage.model_validate(
            {"items": [Row()], "total": 1, "limit": 50, "offset": 0}, from_attributes=True
        )

        assert page.items == [Number(value=7)]
