"""Vendor management and tenant settings over HTTP (bearer JWT, hr_admin, tenant-scoped)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from talentflow.common.auth import Role
from talentflow.common.crypto import load_master_key, unseal


class TestCreateVendor:
    async def test_returns_id_secret_once_and_webhook_path(self, h) -> None:
        tenant = await h.tenant()

        response = await h.client.post(
            "/v1/vendors", json={"name": "HireVue-like"}, headers=h.auth(tenant)
        )

        assert response.status_code == 201
        body = response.json()
        vendor_id = body["id"]
        assert body["name"] == "HireVue-like" and body["enabled"] is True
        assert body["format"] == "talentflow.v1"
        assert body["webhook_path"] == f"/v1/webhooks/{vendor_id}"
        assert body["secret"]["secret"].startswith("whsec_")
        assert [s["id"] for s in body["secrets"]] == [body["secret"]["id"]]
        shown = await h.client.get(f"/v1/vendors/{vendor_id}", headers=h.auth(tenant))
        assert "whsec_" not in shown.text  # never shown again

    async def test_secret_is_stored_sealed_for_this_vendor(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)

        (row,) = await h.rows(
            "SELECT sealed_secret FROM ingest.vendor_secrets WHERE vendor_id = :v", v=vendor_id
        )

        assert secret.encode() not in row["sealed_secret"]
        key = load_master_key(h.settings.encryption_key.get_secret_value())
        context = b"vendor-secret:" + vendor_id.bytes
        assert unseal(key, row["sealed_secret"], context=context).decode() == secret

    async def test_duplicate_name_in_a_tenant_is_409(self, h) -> None:
        tenant = await h.tenant()
        await h.vendor(tenant, name="Same")

        response = await h.client.post("/v1/vendors", json={"name": "Same"}, headers=h.auth(tenant))

        assert response.status_code == 409

    async def test_invalid_body_is_422_naming_the_field(self, h) -> None:
        response = await h.client.post(
            "/v1/vendors", json={"name": "", "enabled": "maybe"}, headers=h.auth(uuid.uuid4())
        )

        assert response.status_code == 422
        assert {e["field"] for e in response.json()["errors"]} == {"name", "enabled"}


class TestVendorAccess:
    async def test_without_a_token_is_401(self, h) -> None:
        response = await h.client.get("/v1/vendors")

        assert response.status_code == 401

    @pytest.mark.parametrize("role", [Role.HR, Role.CANDIDATE, Role.EMPLOYEE])
    async def test_other_roles_are_403(self, h, role: Role) -> None:
        response = await h.client.post(
            "/v1/vendors", json={"name": "X"}, headers=h.auth(uuid.uuid4(), role)
        )

        assert response.status_code == 403

    async def test_tenants_see_only_their_own_vendors(self, h) -> None:
        mine, theirs = await h.tenant(), await h.tenant()
        my_vendor, _ = await h.vendor(mine, name="Mine")
        their_vendor, _ = await h.vendor(theirs, name="Theirs")

        listed = await h.client.get("/v1/vendors", headers=h.auth(mine))
        assert [v["id"] for v in listed.json()["items"]] == [str(my_vendor)]

        other = f"/v1/vendors/{their_vendor}"
        assert (await h.client.get(other, headers=h.auth(mine))).status_code == 404
        patched = await h.client.patch(other, json={"enabled": False}, headers=h.auth(mine))
        assert patched.status_code == 404
        added = await h.client.post(f"{other}/secrets", headers=h.auth(mine))
        assert added.status_code == 404
        (their_secret,) = await h.rows(
            "SELECT id FROM ingest.vendor_secrets WHERE vendor_id = :v", v=their_vendor
        )
        retired = await h.client.delete(
            f"{other}/secrets/{their_secret['id']}", headers=h.auth(mine)
        )
        assert retired.status_code == 404
        untouched = await h.client.get(other, headers=h.auth(theirs))
        assert untouched.json()["enabled"] is True
        assert [s["retired_at"] for s in untouched.json()["secrets"]] == [None]


class TestSecrets:
    async def test_rotate_then_retire(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, _ = await h.vendor(tenant)
        first = (await h.client.get(f"/v1/vendors/{vendor_id}", headers=h.auth(tenant))).json()

        added = await h.client.post(f"/v1/vendors/{vendor_id}/secrets", headers=h.auth(tenant))
        assert added.status_code == 201 and added.json()["secret"].startswith("whsec_")
        old_id = first["secrets"][0]["id"]
        retired = await h.client.delete(
            f"/v1/vendors/{vendor_id}/secrets/{old_id}", headers=h.auth(tenant)
        )
        again = await h.client.delete(
            f"/v1/vendors/{vendor_id}/secrets/{old_id}", headers=h.auth(tenant)
        )

        assert (retired.status_code, again.status_code) == (204, 204)
        secrets = (await h.client.get(f"/v1/vendors/{vendor_id}", headers=h.auth(tenant))).json()[
            "secrets"
        ]
        assert [(s["id"], s["retired_at"] is not None) for s in secrets] == [
            (old_id, True),
            (added.json()["id"], False),
        ]

    async def test_retiring_the_last_active_secret_is_409(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, _ = await h.vendor(tenant)
        (secret,) = (await h.client.get(f"/v1/vendors/{vendor_id}", headers=h.auth(tenant))).json()[
            "secrets"
        ]

        response = await h.client.delete(
            f"/v1/vendors/{vendor_id}/secrets/{secret['id']}", headers=h.auth(tenant)
        )

        assert response.status_code == 409

    async def test_two_secrets_retired_at_once_leave_one_active(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, _ = await h.vendor(tenant)
        await h.client.post(f"/v1/vendors/{vendor_id}/secrets", headers=h.auth(tenant))
        vendor = f"/v1/vendors/{vendor_id}"
        ids = [
            s["id"] for s in (await h.client.get(vendor, headers=h.auth(tenant))).json()["secrets"]
        ]

        for _ in range(4):  # the race took nearly every time without the vendor's row locked
            answers = await asyncio.gather(
                *(h.client.delete(f"{vendor}/secrets/{i}", headers=h.auth(tenant)) for i in ids)
            )
            secrets = (await h.client.get(vendor, headers=h.auth(tenant))).json()["secrets"]
            assert sorted(a.status_code for a in answers) == [204, 409]
            assert sum(s["retired_at"] is None for s in secrets) == 1
            added = await h.client.post(f"{vendor}/secrets", headers=h.auth(tenant))
            ids = [s["id"] for s in secrets if s["retired_at"] is None] + [added.json()["id"]]

    async def test_unknown_secret_is_404(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, _ = await h.vendor(tenant)

        response = await h.client.delete(
            f"/v1/vendors/{vendor_id}/secrets/{uuid.uuid4()}", headers=h.auth(tenant)
        )

        assert response.status_code == 404


class TestTenantSettings:
    async def test_eu_defaults_to_drop(self, h) -> None:
        tenant = uuid.uuid4()

        response = await h.client.put(
            "/v1/tenant", json={"jurisdiction": "EU"}, headers=h.auth(tenant)
        )

        assert response.status_code == 200
        assert response.json()["biometrics_policy"] == "drop"
        read = await h.client.get("/v1/tenant", headers=h.auth(tenant))
        assert read.json() == response.json()

    async def test_eu_tenant_cannot_allow_biometrics(self, h) -> None:
        response = await h.client.put(
            "/v1/tenant",
            json={"jurisdiction": "EU", "biometrics_policy": "allow"},
            headers=h.auth(uuid.uuid4()),
        )

        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["biometrics_policy"]

    async def test_unknown_policy_is_422(self, h) -> None:
        response = await h.client.put(
            "/v1/tenant",
            json={"jurisdiction": "US", "biometrics_policy": "sometimes"},
            headers=h.auth(uuid.uuid4()),
        )

        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["biometrics_policy"]


class TestVendorFormatSettings:
    async def test_a_vendor_is_talentflow_v1_on_0_100_unless_told(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, _ = await h.vendor(tenant)

        shown = (await h.client.get(f"/v1/vendors/{vendor_id}", headers=h.auth(tenant))).json()

        assert (shown["format"], shown["score_scale"], shown["mapping"]) == (
            "talentflow.v1",
            "0-100",
            None,
        )

    async def test_created_with_a_built_in_format_and_its_scale(self, h) -> None:
        tenant = await h.tenant()

        response = await h.client.post(
            "/v1/vendors",
            json={"name": "HR Open vendor", "format": "hr-open.v1", "score_scale": "1-5"},
            headers=h.auth(tenant),
        )

        assert response.status_code == 201
        (row,) = await h.rows(
            "SELECT format, score_scale, mapping, mapping_version FROM ingest.vendors "
            "WHERE id = :v",
            v=uuid.UUID(response.json()["id"]),
        )
        assert row == {
            "format": "hr-open.v1",
            "score_scale": "1-5",
            "mapping": None,
            "mapping_version": 0,
        }

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"format": "talentflow.v1", "score_scale": "1-5"}, "score_scale"),
            ({"format": "mapping.v1"}, "mapping"),
            ({"format": "ai-interview.v1", "score_scale": "1-7"}, "score_scale"),
            ({"format": "xml.v1"}, "format"),
        ],
    )
    async def test_settings_that_do_not_fit_are_422(self, h, body: dict, field: str) -> None:
        response = await h.client.post(
            "/v1/vendors", json={"name": "X", **body}, headers=h.auth(uuid.uuid4())
        )

        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [field]

    async def test_patch_changes_format_and_scale(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, _ = await h.vendor(tenant)
        path = f"/v1/vendors/{vendor_id}"

        changed = await h.client.patch(
            path, json={"format": "ai-interview.v1", "score_scale": "0-10"}, headers=h.auth(tenant)
        )
        back = await h.client.patch(path, json={"format": "talentflow.v1"}, headers=h.auth(tenant))

        assert changed.status_code == 200
        assert (changed.json()["format"], changed.json()["score_scale"]) == (
            "ai-interview.v1",
            "0-10",
        )
        assert (back.json()["format"], back.json()["score_scale"]) == ("talentflow.v1", "0-100")

    async def test_patch_a_mapping_onto_a_built_in_format_is_422(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, _ = await h.vendor(tenant)
        mapping = {
            "fields": {
                "result_id": "id",
                "job_id": "job",
                "candidate": {"external_id": "who"},
                "interviewed_at": "at",
            }
        }

        refused = await h.client.patch(
            f"/v1/vendors/{vendor_id}", json={"mapping": mapping}, headers=h.auth(tenant)
        )
        switched = await h.client.patch(
            f"/v1/vendors/{vendor_id}",
            json={"format": "mapping.v1", "mapping": mapping},
            headers=h.auth(tenant),
        )
        dropped = await h.client.patch(
            f"/v1/vendors/{vendor_id}", json={"format": "hr-open.v1"}, headers=h.auth(tenant)
        )

        assert refused.status_code == 422
        assert [e["field"] for e in refused.json()["errors"]] == ["mapping"]
        assert switched.status_code == 200 and switched.json()["mapping_version"] == 1
        assert dropped.json()["mapping"] is None and dropped.json()["mapping_version"] == 2
