"""The app as a whole: OpenAPI document, readiness, receipt housekeeping."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.ingest import service


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


class TestOpenApi:
    async def test_every_route_is_documented_and_every_ref_resolves(self, h) -> None:
        document = (await h.client.get("/openapi.json")).json()

        schemas = document["components"]["schemas"]
        for ref in refs(document):
            assert ref.startswith("#/components/schemas/")
            assert ref.rsplit("/", 1)[1] in schemas, ref
        operations = {
            (method.upper(), path): op
            for path, item in document["paths"].items()
            if path.startswith("/v1/")
            for method, op in item.items()
        }
        assert set(operations) == {
            ("POST", "/v1/webhooks/{vendor_id}"),
            ("GET", "/v1/tenant"),
            ("PUT", "/v1/tenant"),
            ("POST", "/v1/vendors"),
            ("GET", "/v1/vendors"),
            ("GET", "/v1/vendors/{vendor_id}"),
            ("PATCH", "/v1/vendors/{vendor_id}"),
            ("POST", "/v1/vendors/{vendor_id}/secrets"),
            ("DELETE", "/v1/vendors/{vendor_id}/secrets/{secret_id}"),
            ("POST", "/v1/vendors/{vendor_id}/dry-run"),
            ("POST", "/v1/mappings/dry-run"),
            ("GET", "/v1/results/{result_id}"),
            ("POST", "/v1/imports"),
            ("GET", "/v1/imports"),
            ("GET", "/v1/imports/{import_id}"),
            ("GET", "/v1/imports/{import_id}/errors"),
        }
        assert all(op.get("summary") for op in operations.values())

    async def test_webhook_route_documents_its_body_and_statuses(self, h) -> None:
        document = (await h.client.get("/openapi.json")).json()

        webhook = document["paths"]["/v1/webhooks/{vendor_id}"]["post"]

        body = webhook["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/InterviewResultV1"}
        assert set(webhook["responses"]) == {
            "200",
            "202",
            "400",
            "401",
            "404",
            "413",
            "415",
            "422",
            "503",
        }
        assert "security" not in webhook  # the signature is the authentication
        result = document["components"]["schemas"]["InterviewResultV1"]
        assert {"result_id", "job_id", "candidate", "interviewed_at"} == set(result["required"])


class TestWebhookRoute:
    """The webhook is served by a plain route in front of FastAPI's (see router.py): it must
    behave as a documented FastAPI route would."""

    async def test_answers_with_json_request_id_and_route_metrics(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)

        response = await h.deliver(
            vendor_id, secret, h.payload(), headers={"x-request-id": "req-webhook-1"}
        )

        assert response.status_code == 202
        assert response.headers["content-type"] == "application/json"
        assert response.headers["x-request-id"] == "req-webhook-1"
        assert set(response.json()) == {"result_id", "status"}
        metrics = (await h.client.get("/metrics")).text
        counted = (
            'talentflow_http_requests_total{method="POST",'
            'route="/v1/webhooks/{vendor_id}",service="ingest",status="202"}'
        )
        assert counted in metrics

    async def test_other_methods_get_a_problem_405(self, h) -> None:
        response = await h.client.get(f"/v1/webhooks/{uuid.uuid4()}")

        assert response.status_code == 405
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 405


class TestQueryBounds:
    @pytest.mark.parametrize(
        ("path", "field"),
        [
            ("/v1/imports?offset=9223372036854775808", "offset"),
            (f"/v1/imports/{uuid.uuid4()}/errors?offset=2147483648", "offset"),
            (f"/v1/results/{uuid.uuid4()}?version=2147483648", "version"),
        ],
    )
    async def test_a_number_past_the_databases_integers_is_422(
        self, h, path: str, field: str
    ) -> None:
        response = await h.client.get(path, headers=h.auth(uuid.uuid4()))

        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]


class TestReadiness:
    async def test_ready_with_database_and_broker(self, h) -> None:
        response = await h.client.get("/readyz")

        assert response.status_code == 200
        assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


class TestReceiptPurge:
    async def test_removes_only_receipts_older_than_the_retention(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)
        for webhook_id in ("msg_old", "msg_new"):
            await h.deliver(vendor_id, secret, h.payload(), webhook_id=webhook_id)
        async with h.db.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE ingest.webhook_receipts SET received_at = now() - interval '31 days' "
                    "WHERE vendor_id = :v AND webhook_id = 'msg_old'"
                ),
                {"v": vendor_id},
            )

        async with AsyncSession(h.db) as session, session.begin():
            purged = await service.purge_receipts(session, retention=timedelta(days=30))

        assert purged >= 1
        left = await h.rows(
            "SELECT webhook_id FROM ingest.webhook_receipts WHERE vendor_id = :v", v=vendor_id
        )
        assert [r["webhook_id"] for r in left] == ["msg_new"]

    async def test_refuses_a_retention_under_seven_days(self, h) -> None:
        async with AsyncSession(h.db) as session:
            with pytest.raises(ValueError, match="7 days"):
                await service.purge_receipts(session, retention=timedelta(days=6))
