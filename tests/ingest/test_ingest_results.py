"""Reading a normalized result: the candidate, HR of the tenant (audited), nobody else."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from talentflow.common.auth import Role
from talentflow.devstack.testing import running_app
from talentflow.ingest.main import create_app


@pytest.fixture
async def stored(h) -> dict[str, object]:
    """One accepted result: its tenant, id and candidate id."""
    tenant = await h.tenant("US", "allow")
    vendor_id, secret = await h.vendor(tenant)
    response = await h.deliver(vendor_id, secret, h.payload())
    result_id = uuid.UUID(response.json()["result_id"])
    (row,) = await h.rows("SELECT candidate_id FROM ingest.results WHERE id = :id", id=result_id)
    return {"tenant": tenant, "result_id": result_id, "candidate": row["candidate_id"]}


async def audit_rows(h, result_id: uuid.UUID) -> list[dict[str, object]]:
    return await h.rows(
        "SELECT * FROM ingest.audit_log WHERE resource = :r", r=f"ingest/results/{result_id}"
    )


class TestReadResult:
    async def test_candidate_reads_own_result_without_an_audit_entry(self, h, stored) -> None:
        headers = h.auth(stored["tenant"], Role.CANDIDATE, subject=stored["candidate"])

        response = await h.client.get(f"/v1/results/{stored['result_id']}", headers=headers)

        assert response.status_code == 200
        body = response.json()
        assert body["candidate"]["name"] == "Ada Lovelace"
        assert body["candidate"]["email"] == "ada.lovelace@example.com"
        assert body["evidence"][0]["quote"].startswith("I told the customer")
        assert body["competencies"] == {"communication": 88.0, "logic": 74.5}
        assert body["biometrics"] == {"smile_count": 14.0, "eye_contact_ratio": 0.71}
        assert body["candidate_id"] == str(stored["candidate"])
        assert await audit_rows(h, stored["result_id"]) == []

    @pytest.mark.parametrize("role", [Role.HR, Role.HR_ADMIN])
    async def test_hr_read_is_audited(self, h, stored, role: Role) -> None:
        reader = uuid.uuid4()

        response = await h.client.get(
            f"/v1/results/{stored['result_id']}",
            headers=h.auth(stored["tenant"], role, subject=reader),
        )

        assert response.status_code == 200
        assert response.json()["candidate"]["email"] == "ada.lovelace@example.com"
        (entry,) = await audit_rows(h, stored["result_id"])
        assert entry["actor_id"] == str(reader) and entry["actor_roles"] == role.value
        assert entry["details"] == {"version": 1}
        assert entry["subject_id"] == stored["candidate"]
        assert entry["tenant_id"] == stored["tenant"] and entry["action"] == "read"
        assert b"ada.lovelace" not in h.all_bytes([entry])

    async def test_latest_version_by_default_an_older_one_on_request(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)
        first = h.payload(overall_score=60)
        result_id = (await h.deliver(vendor_id, secret, first)).json()["result_id"]
        await h.deliver(vendor_id, secret, {**first, "overall_score": 70})
        headers = h.auth(tenant, Role.HR)

        latest = await h.client.get(f"/v1/results/{result_id}", headers=headers)
        older = await h.client.get(f"/v1/results/{result_id}?version=1", headers=headers)
        missing = await h.client.get(f"/v1/results/{result_id}?version=3", headers=headers)
        invalid = await h.client.get(f"/v1/results/{result_id}?version=0", headers=headers)

        assert (latest.json()["version"], latest.json()["overall_score"]) == (2, 70.0)
        assert (older.json()["version"], older.json()["overall_score"]) == (1, 60.0)
        assert missing.status_code == 404
        assert invalid.status_code == 422
        assert [e["field"] for e in invalid.json()["errors"]] == ["version"]

    async def test_another_candidate_gets_404(self, h, stored) -> None:
        response = await h.client.get(
            f"/v1/results/{stored['result_id']}",
            headers=h.auth(stored["tenant"], Role.CANDIDATE, subject=uuid.uuid4()),
        )

        assert response.status_code == 404
        assert "Ada" not in response.text
        assert await audit_rows(h, stored["result_id"]) == []

    async def test_hr_of_another_tenant_gets_404(self, h, stored) -> None:
        response = await h.client.get(
            f"/v1/results/{stored['result_id']}", headers=h.auth(uuid.uuid4(), Role.HR)
        )

        assert response.status_code == 404

    async def test_unknown_result_is_404_and_bad_id_422(self, h) -> None:
        headers = h.auth(uuid.uuid4(), Role.HR)

        unknown = await h.client.get(f"/v1/results/{uuid.uuid4()}", headers=headers)
        bad = await h.client.get("/v1/results/not-an-id", headers=headers)

        assert unknown.status_code == 404
        assert bad.status_code == 422
        assert [e["field"] for e in bad.json()["errors"]] == ["result_id"]

    async def test_without_a_token_is_401(self, h, stored) -> None:
        response = await h.client.get(f"/v1/results/{stored['result_id']}")

        assert response.status_code == 401


class TestErasedCandidate:
    """Crypto-shredding: the candidate's data key deleted makes their personal fields noise."""

    async def erase(self, h, candidate: uuid.UUID) -> None:
        async with h.db.begin() as conn:
            await conn.execute(
                text("DELETE FROM ingest.subject_keys WHERE subject_id = :s"), {"s": candidate}
            )

    async def test_a_result_of_an_erased_candidate_is_410(self, h) -> None:
        tenant = await h.tenant("US", "allow")
        vendor_id, secret = await h.vendor(tenant)
        result_id = (await h.deliver(vendor_id, secret, h.payload())).json()["result_id"]
        (row,) = await h.rows(
            "SELECT candidate_id FROM ingest.results WHERE id = :id", id=result_id
        )
        await self.erase(h, row["candidate_id"])
        # A second app: nothing cached from the delivery above.
        async with running_app(create_app(h.settings)) as fresh:
            response = await fresh.get(f"/v1/results/{result_id}", headers=h.auth(tenant, Role.HR))

        assert response.status_code == 410
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["title"] == "Personal data erased"
        assert "Ada" not in response.text

    async def test_an_app_with_the_key_cached_answers_410_once_another_process_erased_it(
        self, h
    ) -> None:
        """This app stored the result and read it, so the candidate's key is in its cache;
        the key is then deleted by another process (another replica's privacy consumer).
        The next read answers 410, not the data from the cached key."""
        tenant = await h.tenant("US", "allow")
        vendor_id, secret = await h.vendor(tenant)
        result_id = (await h.deliver(vendor_id, secret, h.payload())).json()["result_id"]
        (row,) = await h.rows(
            "SELECT candidate_id FROM ingest.results WHERE id = :id", id=result_id
        )
        headers = h.auth(tenant, Role.HR)
        assert (await h.client.get(f"/v1/results/{result_id}", headers=headers)).status_code == 200

        await self.erase(h, row["candidate_id"])
        response = await h.client.get(f"/v1/results/{result_id}", headers=headers)

        assert response.status_code == 410
        assert "Ada" not in response.text

    async def test_an_erased_candidate_who_comes_back_reads_only_the_new_result(self, h) -> None:
        """Erased, then a new result for the same candidate: they get a new data key, and the
        old result's fields, sealed with the erased key, stay unreadable (410, not a 500)."""
        tenant = await h.tenant("US", "allow")
        vendor_id, secret = await h.vendor(tenant)
        first = h.payload()
        old_id = (await h.deliver(vendor_id, secret, first)).json()["result_id"]
        (row,) = await h.rows("SELECT candidate_id FROM ingest.results WHERE id = :id", id=old_id)
        candidate = row["candidate_id"]
        await self.erase(h, candidate)
        again = h.payload(candidate={**first["candidate"], "name": "Ada King"})
        new_id = (await h.deliver(vendor_id, secret, again)).json()["result_id"]
        headers = h.auth(tenant, Role.CANDIDATE, subject=candidate)

        new = await h.client.get(f"/v1/results/{new_id}", headers=headers)
        old = await h.client.get(f"/v1/results/{old_id}", headers=headers)

        assert new.status_code == 200 and new.json()["candidate"]["name"] == "Ada King"
        assert new.json()["candidate_id"] == str(candidate)
        assert old.status_code == 410
        assert old.json()["title"] == "Personal data erased"
