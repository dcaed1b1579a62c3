"""The OpenAPI document frontends build on: every route, its summary, audience and errors."""

from __future__ import annotations

import pytest

EXPECTED = {
    ("get", "/v1/me"): "me",
    ("get", "/v1/me/reports"): "me",
    ("get", "/v1/me/reports/{result_id}"): "me",
    ("get", "/v1/candidates"): "hr",
    ("get", "/v1/candidates/{candidate_id}/reports"): "hr",
    ("get", "/v1/jobs"): "hr",
    ("post", "/v1/jobs"): "hr",
    ("get", "/v1/jobs/{job_id}"): "hr",
    ("post", "/v1/jobs/{job_id}/rule-sets"): "hr",
    ("get", "/v1/tenant"): "hr",
    ("put", "/v1/tenant"): "hr",
    ("get", "/v1/vendors"): "hr",
    ("post", "/v1/vendors"): "hr",
    ("get", "/v1/vendors/{vendor_id}"): "hr",
    ("patch", "/v1/vendors/{vendor_id}"): "hr",
    ("post", "/v1/vendors/{vendor_id}/secrets"): "hr",
    ("delete", "/v1/vendors/{vendor_id}/secrets/{secret_id}"): "hr",
    ("post", "/v1/vendors/{vendor_id}/dry-run"): "hr",
    ("post", "/v1/mappings/dry-run"): "hr",
    ("get", "/v1/results/{result_id}"): "hr",
    ("post", "/v1/imports"): "hr",
    ("get", "/v1/imports"): "hr",
    ("get", "/v1/imports/{import_id}"): "hr",
    ("get", "/v1/imports/{import_id}/errors"): "hr",
    ("get", "/v1/reports/funnel"): "hr",
    ("get", "/v1/tasks"): "hr",
    ("get", "/v1/jobs/{job_id}/rule-sets"): "hr",
    ("post", "/v1/jobs/{job_id}/rule-sets/preview"): "hr",
    ("get", "/v1/decisions"): "hr",
    ("get", "/v1/decisions/{decision_id}"): "hr",
    ("get", "/v1/reports/competencies"): "hr",
    ("get", "/v1/tasks/{task_id}"): "hr",
    ("post", "/v1/tasks/{task_id}/complete"): "hr",
    ("get", "/v1/deliveries"): "hr",
}


@pytest.fixture
def document(app) -> dict:
    """What /openapi.json serves (generated without starting the app)."""
    return app.openapi()


class TestOpenApiDocument:
    async def test_lists_every_route_with_summary_audience_and_bearer_auth(self, document) -> None:
        operations = {
            (method, path): op
            for path, item in document["paths"].items()
            for method, op in item.items()
            if path.startswith("/v1/")
        }
        assert set(operations) == set(EXPECTED)
        for key, op in operations.items():
            assert op["tags"] == [EXPECTED[key]], key
            assert op.get("summary"), key
            assert op["security"] == [{"HTTPBearer": []}], key
            assert "401" in op["responses"], key

    async def test_errors_are_documented_as_problem_json(self, document) -> None:
        for path, item in document["paths"].items():
            for method, op in item.items():
                for status, response in op["responses"].items():
                    if status[0] in "45":
                        assert list(response["content"]) == ["application/problem+json"], (
                            method,
                            path,
                            status,
                        )
        listing = document["paths"]["/v1/candidates"]["get"]
        assert listing["responses"]["422"]["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }
        assert "HTTPValidationError" not in document["components"]["schemas"]

    async def test_read_routes_declare_their_response_models(self, document) -> None:
        def schema(path: str) -> dict:
            ok = document["paths"][path]["get"]["responses"]["200"]
            return ok["content"]["application/json"]["schema"]

        assert schema("/v1/me") == {"$ref": "#/components/schemas/Profile"}
        assert schema("/v1/me/reports")["items"] == {"$ref": "#/components/schemas/InterviewReport"}
        page = schema("/v1/candidates")["$ref"].rsplit("/", 1)[-1]
        assert set(document["components"]["schemas"][page]["properties"]) == {
            "items",
            "total",
            "limit",
            "offset",
        }
        limit = next(
            p
            for p in document["paths"]["/v1/candidates"]["get"]["parameters"]
            if p["name"] == "limit"
        )
        assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 100)

    async def test_import_upload_documents_its_streamed_body_and_parameters(self, document) -> None:
        upload = document["paths"]["/v1/imports"]["post"]
        assert set(upload["requestBody"]["content"]) == {"application/x-ndjson", "text/csv"}
        parameters = {(p["name"], p["in"]): p["required"] for p in upload["parameters"]}
        assert parameters == {("vendor_id", "query"): True, ("Idempotency-Key", "header"): False}
        assert {"201", "401", "4XX", "503"} <= set(upload["responses"])
        retire = document["paths"]["/v1/vendors/{vendor_id}/secrets/{secret_id}"]["delete"]
        assert "content" not in retire["responses"]["204"]
