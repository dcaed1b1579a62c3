"""The OpenAPI document of any app with install_platform: errors are problem+json `Problem`s."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

from talentflow.common.app import install_platform
from talentflow.common.errors import PROBLEM_JSON, NotFound
from talentflow.common.openapi import DESCRIPTIONS, Problem, ProblemFieldError, problems

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


class Item(BaseModel):
    name: str = Field(min_length=1)


class RawBody(BaseModel):
    """A body a route reads raw and documents by hand."""

    signature: str


def build_app() -> FastAPI:
    app = FastAPI()
    install_platform(app, service="test", checks=dict, openapi_models=[RawBody])

    @app.get("/items/{item_id}", responses=problems(404))
    async def get_item(item_id: uuid.UUID) -> Item:
        raise NotFound(f"no item {item_id}")

    @app.post("/items", status_code=201, responses={409: {"model": Problem}})
    async def create_item(item: Item) -> Item:
        return item

    @app.post(
        "/raw",
        openapi_extra={
            "requestBody": {
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/RawBody"}}
                }
            }
        },
    )
    async def raw() -> None:
        return None

    return app


@pytest.fixture
def app() -> FastAPI:
    return build_app()


@pytest.fixture
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


class TestDocument:
    def test_declared_and_generated_errors_are_problem_json(self, document: dict) -> None:
        get_item = document["paths"]["/items/{item_id}"]["get"]["responses"]
        for status in ("404", "422"):
            assert get_item[status]["content"] == {PROBLEM_JSON: {"schema": PROBLEM_REF}}
        assert get_item["404"]["description"] == DESCRIPTIONS[404]
        assert get_item["422"]["description"] == DESCRIPTIONS[422]
        assert get_item["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Item"
        }

    def test_a_problem_response_model_is_moved_to_problem_json(self, document: dict) -> None:
        create = document["paths"]["/items"]["post"]["responses"]
        assert create["409"]["content"] == {PROBLEM_JSON: {"schema": PROBLEM_REF}}
        assert list(create["422"]["content"]) == [PROBLEM_JSON]

    def test_fastapis_validation_schemas_are_gone_and_problem_is_there(
        self, document: dict
    ) -> None:
        schemas = document["components"]["schemas"]
        assert "HTTPValidationError" not in schemas
        assert "ValidationError" not in schemas
        assert "HTTPValidationError" not in str(document)
        assert schemas["Problem"]["required"] == ["type", "title", "status"]
        errors = schemas["Problem"]["properties"]["errors"]
        assert errors["items"] == {"$ref": "#/components/schemas/ProblemFieldError"}
        assert set(schemas["ProblemFieldError"]["properties"]) == {
            "field",
            "in",
            "pointer",
            "message",
            "type",
        }

    def test_optional_members_are_left_out_rather_than_null(self, document: dict) -> None:
        properties = document["components"]["schemas"]["Problem"]["properties"]
        for name in ("detail", "instance"):
            assert properties[name]["type"] == "string"
            assert "default" not in properties[name]

    def test_models_documented_by_hand_are_in_the_components(self, document: dict) -> None:
        assert document["components"]["schemas"]["RawBody"]["required"] == ["signature"]

    def test_the_document_is_generated_once(self, app: FastAPI) -> None:
        assert app.openapi() is app.openapi()

    async def test_is_what_openapi_json_serves(self, client: httpx.AsyncClient) -> None:
        served = (await client.get("/openapi.json")).json()
        responses = served["paths"]["/items/{item_id}"]["get"]["responses"]
        assert list(responses["422"]["content"]) == [PROBLEM_JSON]


class TestProblemSchema:
    """The schema describes the bodies talentflow.common.errors really sends."""

    async def test_fits_a_service_error(self, client: httpx.AsyncClient) -> None:
        response = await client.get(f"/items/{uuid.uuid4()}")

        assert response.headers["content-type"] == PROBLEM_JSON
        body = response.json()
        assert set(body) <= set(Problem.model_fields)
        assert Problem.model_validate(body).status == 404

    async def test_fits_a_validation_error(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/items", json={"name": ""})

        assert response.status_code == 422
        body = response.json()
        problem = Problem.model_validate(body)
        assert problem.errors is not None and problem.errors[0].field == "name"
        aliases = {f.alias or name for name, f in ProblemFieldError.model_fields.items()}
        assert [set(error) for error in body["errors"]] == [aliases]


class TestProblems:
    def test_generic_texts_specific_ones_and_the_http_phrase(self) -> None:
        responses = problems(401, 404, 410, descriptions={404: "No such item"})

        assert responses[401]["description"] == DESCRIPTIONS[401]
        assert responses[404]["description"] == "No such item"
        assert responses[410]["description"] == "Gone"
        assert all(
            r["content"] == {PROBLEM_JSON: {"schema": PROBLEM_REF}} for r in responses.values()
        )


class TestPlatformAnswers:
    """What the platform answers before a route's handler runs is in the document too."""

    @pytest.fixture
    def limited(self) -> dict[str, Any]:
        app = FastAPI()
        install_platform(
            app, service="test", checks=dict, max_body_bytes=1024, unlimited_paths=("/v1/stream",)
        )

        @app.post("/v1/items", responses=problems(409))
        async def create(item: Item) -> Item:
            return item

        @app.post("/v1/stream", openapi_extra={"requestBody": {"content": {"text/csv": {}}}})
        async def stream() -> None:
            return None

        @app.get("/v1/items/{item_id}")
        async def read(item_id: uuid.UUID) -> Item:
            raise NotFound("no item")

        return app.openapi()

    def test_bodies_get_415_and_where_limited_413_every_v1_route_503(self, limited) -> None:
        def statuses(path: str, method: str) -> set[str]:
            return set(limited["paths"][path][method]["responses"])

        assert {"409", "413", "415", "422", "503"} <= statuses("/v1/items", "post")
        assert {"415", "503"} <= statuses("/v1/stream", "post")
        assert "413" not in statuses("/v1/stream", "post")  # its handler bounds it, or nothing
        assert {"413", "415"}.isdisjoint(statuses("/v1/items/{item_id}", "get"))
        assert "503" in statuses("/v1/items/{item_id}", "get")
        assert "503" not in limited["paths"]["/healthz"]["get"]["responses"]
        added = limited["paths"]["/v1/items"]["post"]["responses"]["415"]
        assert added == {
            "description": DESCRIPTIONS[415],
            "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
        }
