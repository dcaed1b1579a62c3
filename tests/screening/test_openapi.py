"""The OpenAPI document that frontend teams build on."""

from __future__ import annotations

from typing import Any

PROBLEM = "application/problem+json"


class TestOpenApi:
    async def test_every_route_is_documented(self, api) -> None:
        document: dict[str, Any] = (await api.client.get("/openapi.json")).json()
        operations = [
            (path, method, op)
            for path, item in document["paths"].items()
            if path.startswith("/v1/")
            for method, op in item.items()
        ]
        assert {(path, method) for path, method, _ in operations} == {
            ("/v1/jobs", "post"),
            ("/v1/jobs", "get"),
            ("/v1/jobs/{job_id}", "get"),
            ("/v1/jobs/{job_id}/rule-sets", "post"),
            ("/v1/jobs/{job_id}/rule-sets", "get"),
            ("/v1/jobs/{job_id}/rule-sets/preview", "post"),
            ("/v1/decisions", "get"),
            ("/v1/decisions/{decision_id}", "get"),
        }
        for path, method, op in operations:
            where = f"{method} {path}"
            assert op["summary"], where
            success = "201" if method == "post" and not path.endswith("preview") else "200"
            assert "$ref" in op["responses"][success]["content"]["application/json"]["schema"]
            for status in ("401", "422"):
                content = op["responses"][status]["content"]
                assert content == {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        schemas = document["components"]["schemas"]
        assert "HTTPValidationError" not in schemas
        assert {"Problem", "ProblemFieldError"} <= set(schemas)
        assert {op["operationId"] for _, _, op in operations} == {
            "create_job", "list_jobs", "get_job", "add_rule_set", "list_rule_sets",
            "preview_rule", "list_decisions", "get_decision",
        }  # fmt: skip
