"""The HTTP API: HR tasks and the delivery history, over the running app."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talentflow.common.auth import Role
from talentflow.notify.models import PLATFORM, Delivery, HrTask

Sessions = async_sessionmaker[AsyncSession]
PROBLEM = "application/problem+json"


async def add_task(
    sessionmaker: Sessions, tenant_id: uuid.UUID, *, status: str = "open", age_s: int = 0
) -> HrTask:
    task = HrTask(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        candidate_id=uuid.uuid4(),
        decision_id=uuid.uuid4(),
        job_id=uuid.uuid4(),
        kind="review_candidate",
        status=status,
        created_at=datetime.now(UTC) - timedelta(seconds=age_s),
    )
    async with sessionmaker() as session, session.begin():
        session.add(task)
    return task


async def add_delivery(
    sessionmaker: Sessions, tenant_id: uuid.UUID, candidate_id: uuid.UUID, template: str
) -> Delivery:
    delivery = Delivery(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        candidate_id=candidate_id,
        decision_id=uuid.uuid4(),
        channel="email",
        template=template,
        locale="en",
        recipient=b"\x01opaque",
        status="sent",
        attempts=1,
        sent_at=datetime.now(UTC),
    )
    async with sessionmaker() as session, session.begin():
        session.add(delivery)
    return delivery


class TestTasksApi:
    async def test_lists_open_tasks_of_the_callers_tenant_newest_first(
        self, api: Any, sessionmaker: Sessions
    ) -> None:
        tenant = uuid.uuid4()
        old = await add_task(sessionmaker, tenant, age_s=60)
        new = await add_task(sessionmaker, tenant)
        await add_task(sessionmaker, tenant, status="done")
        await add_task(sessionmaker, uuid.uuid4())  # another tenant's

        response = await api.client.get("/v1/tasks?status=open", headers=api.auth(tenant))
        assert response.status_code == 200
        body = response.json()
        assert [item["id"] for item in body["items"]] == [str(new.id), str(old.id)]
        assert (body["total"], body["limit"], body["offset"]) == (2, 50, 0)
        assert body["items"][0]["status"] == "open"
        assert body["items"][0]["kind"] == "review_candidate"

    async def test_pages_through_tasks(self, api: Any, sessionmaker: Sessions) -> None:
        tenant = uuid.uuid4()
        tasks = [await add_task(sessionmaker, tenant, age_s=10 * i) for i in range(3)]

        response = await api.client.get("/v1/tasks?limit=2&offset=1", headers=api.auth(tenant))
        body = response.json()
        assert [item["id"] for item in body["items"]] == [str(t.id) for t in tasks[1:3]]
        assert body["total"] == 3

        everything = await api.client.get("/v1/tasks", headers=api.auth(tenant))
        assert everything.json()["total"] == 3

    async def test_complete_marks_the_task_done_by_the_caller(
        self, api: Any, sessionmaker: Sessions
    ) -> None:
        tenant, reviewer = uuid.uuid4(), uuid.uuid4()
        task = await add_task(sessionmaker, tenant)

        response = await api.client.post(
            f"/v1/tasks/{task.id}/complete", headers=api.auth(tenant, subject=reviewer)
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["id"], body["status"], body["completed_by"]) == (
            str(task.id),
            "done",
            str(reviewer),
        )
        async with sessionmaker() as session:
            stored = await session.get(HrTask, task.id)
        assert stored is not None
        assert (stored.status, stored.completed_by) == ("done", reviewer)
        assert stored.completed_at is not None

    async def test_completing_a_done_task_is_a_conflict(
        self, api: Any, sessionmaker: Sessions
    ) -> None:
        tenant = uuid.uuid4()
        task = await add_task(sessionmaker, tenant)
        first = await api.client.post(f"/v1/tasks/{task.id}/complete", headers=api.auth(tenant))
        assert first.status_code == 200

        again = await api.client.post(
            f"/v1/tasks/{task.id}/complete", headers=api.auth(tenant, Role.HR_ADMIN)
        )
        assert again.status_code == 409
        assert again.headers["content-type"] == PROBLEM
        assert again.json()["type"].endswith("/task-already-completed")
        async with sessionmaker() as session:
            stored = await session.get(HrTask, task.id)
        assert stored is not None and str(stored.completed_by) == first.json()["completed_by"]

    async def test_a_superseded_task_cannot_be_completed(
        self, api: Any, sessionmaker: Sessions
    ) -> None:
        """A newer decision about the candidate replaced it: its own task is the one to do."""
        tenant = uuid.uuid4()
        task = await add_task(sessionmaker, tenant, status="superseded")

        response = await api.client.post(f"/v1/tasks/{task.id}/complete", headers=api.auth(tenant))

        assert response.status_code == 409
        assert response.json()["type"].endswith("/task-superseded")
        async with sessionmaker() as session:
            stored = await session.get(HrTask, task.id)
        assert stored is not None and (stored.status, stored.completed_by) == ("superseded", None)

    async def test_another_tenants_task_is_not_found(
        self, api: Any, sessionmaker: Sessions
    ) -> None:
        task = await add_task(sessionmaker, uuid.uuid4())
        intruder = api.auth(uuid.uuid4())

        complete = await api.client.post(f"/v1/tasks/{task.id}/complete", headers=intruder)
        read = await api.client.get(f"/v1/tasks/{task.id}", headers=intruder)
        assert (complete.status_code, read.status_code) == (404, 404)
        assert complete.json()["type"].endswith("/task-not-found")
        async with sessionmaker() as session:
            stored = await session.get(HrTask, task.id)
        assert stored is not None and stored.status == "open"

    async def test_without_a_token_is_unauthorized(self, api: Any) -> None:
        response = await api.client.get("/v1/tasks")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"] == PROBLEM
        forged = await api.client.get("/v1/tasks", headers={"Authorization": "Bearer nope"})
        assert forged.status_code == 401

    async def test_a_candidate_may_not_see_hr_tasks(self, api: Any) -> None:
        response = await api.client.get("/v1/tasks", headers=api.auth(uuid.uuid4(), Role.CANDIDATE))
        assert response.status_code == 403

    async def test_bad_query_fields_are_named(self, api: Any) -> None:
        headers = api.auth(uuid.uuid4())
        status = await api.client.get("/v1/tasks?status=closed", headers=headers)
        limit = await api.client.get("/v1/tasks?limit=0", headers=headers)
        path = await api.client.post("/v1/tasks/not-a-uuid/complete", headers=headers)
        for response, field in ((status, "status"), (limit, "limit"), (path, "task_id")):
            assert response.status_code == 422
            assert [e["field"] for e in response.json()["errors"]] == [field]


class TestDeliveriesApi:
    async def test_lists_a_candidates_deliveries_without_the_address_and_audits_it(
        self, api: Any, sessionmaker: Sessions
    ) -> None:
        tenant, candidate, reader = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        delivery = await add_delivery(sessionmaker, tenant, candidate, "reject")
        await add_delivery(sessionmaker, uuid.uuid4(), candidate, "advance")  # another tenant

        response = await api.client.get(
            f"/v1/deliveries?candidate_id={candidate}", headers=api.auth(tenant, subject=reader)
        )
        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 1
        [item] = body["items"]
        assert (item["id"], item["template"], item["status"]) == (
            str(delivery.id),
            "reject",
            "sent",
        )
        assert "recipient" not in item
        async with sessionmaker() as session:
            audit = PLATFORM.audit_log
            entries = (
                await session.execute(select(audit).where(audit.c.subject_id == candidate))
            ).all()
        assert [(e.actor_id, e.action, e.tenant_id) for e in entries] == [
            (str(reader), "deliveries.list", tenant)
        ]

    async def test_candidate_id_is_required(self, api: Any) -> None:
        response = await api.client.get("/v1/deliveries", headers=api.auth(uuid.uuid4()))
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["candidate_id"]


class TestOpenApi:
    async def test_routes_document_summaries_models_and_problems(self, api: Any) -> None:
        document = (await api.client.get("/openapi.json")).json()
        complete = document["paths"]["/v1/tasks/{task_id}/complete"]["post"]
        assert complete["summary"] == "Complete an HR task"
        assert complete["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/TaskOut"
        }
        for status in ("401", "403", "404", "409", "422"):
            assert list(complete["responses"][status]["content"]) == [PROBLEM]
        listing = document["paths"]["/v1/deliveries"]["get"]
        assert "recipient" not in document["components"]["schemas"]["DeliveryOut"]["properties"]
        assert listing["summary"] and "HTTPValidationError" not in str(document)
