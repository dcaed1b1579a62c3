"""Erasure requests on `privacy.requests`, consumed from the real broker: crypto-shredding."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from talentflow.common.auth import Role
from talentflow.common.events import Envelope, ErasureRequested
from talentflow.devstack.testing import send_envelopes, service_settings_env
from talentflow.ingest.config import Settings

CONSUMER = "ingest.privacy"


@pytest.fixture
def settings(ingest_database_url: str, kafka: tuple[str, bool]) -> Settings:
    env = service_settings_env(database_url=ingest_database_url, kafka=kafka)
    return Settings(**env, run_consumers=True)


@pytest.fixture
async def publish(producer: AIOKafkaProducer, settings: Settings, h) -> Any:
    """Publish envelopes to the running app's topics (`h` starts the app first)."""

    async def _publish(*envelopes: Envelope) -> None:
        await send_envelopes(producer, *envelopes, topic_prefix=settings.kafka_topic_prefix)

    return _publish


def erasure(tenant: uuid.UUID, person: uuid.UUID) -> Envelope:
    request = ErasureRequested(
        request_id=uuid.uuid4(), tenant_id=tenant, person_id=person, requested_at=datetime.now(UTC)
    )
    return Envelope(event=request, source="/selfservice")


async def delivered(h, tenant: uuid.UUID, payload: dict[str, Any] | None = None):
    """Deliver one result by webhook; its id and its candidate's id."""
    vendor_id, secret = await h.vendor(tenant, name=f"Vendor {uuid.uuid4().hex[:6]}")
    response = await h.deliver(vendor_id, secret, payload or h.payload())
    assert response.status_code == 202, response.text
    result_id = response.json()["result_id"]
    (row,) = await h.rows("SELECT candidate_id FROM ingest.results WHERE id = :id", id=result_id)
    return result_id, row["candidate_id"]


async def processed(h, envelope: Envelope, within: float = 60) -> None:
    """Wait until the erasure consumer has recorded the envelope's event id."""
    deadline = asyncio.get_running_loop().time() + within
    while not await h.rows(
        "SELECT 1 FROM ingest.processed_events WHERE consumer = :c AND event_id = :e",
        c=CONSUMER,
        e=envelope.id,
    ):
        assert asyncio.get_running_loop().time() < deadline, "the request was never consumed"
        await asyncio.sleep(0.05)


async def has_key(h, subject: uuid.UUID) -> bool:
    rows = await h.rows("SELECT 1 FROM ingest.subject_keys WHERE subject_id = :s", s=subject)
    return bool(rows)


class TestErasureRequests:
    async def test_the_persons_key_is_deleted_and_their_results_answer_410(
        self, h, publish
    ) -> None:
        tenant = await h.tenant("US", "allow")
        result_id, candidate = await delivered(h, tenant)
        hr = h.auth(tenant, Role.HR)
        assert (await h.client.get(f"/v1/results/{result_id}", headers=hr)).status_code == 200
        request = erasure(tenant, candidate)

        await publish(request)
        await processed(h, request)

        assert not await has_key(h, candidate)
        # The same app answered 200 above: its key cache forgot the key at once.
        response = await h.client.get(f"/v1/results/{result_id}", headers=hr)
        assert response.status_code == 410
        assert response.json()["title"] == "Personal data erased"
        assert "Ada" not in response.text
        (row,) = await h.rows(
            "SELECT overall_score FROM ingest.results WHERE id = :id", id=result_id
        )
        assert row["overall_score"] is not None  # what identifies no one stays

    async def test_a_redelivered_request_has_no_second_effect(self, h, publish) -> None:
        """Erased, then back with a new result (a new key: new data). The same request again
        must not erase that: it is a duplicate. A request of another tenant for the same
        person (same partition, so consumed after the duplicate) is refused."""
        tenant = await h.tenant("US", "allow")
        first = h.payload()
        old_id, candidate = await delivered(h, tenant, first)
        request = erasure(tenant, candidate)
        await publish(request)
        await processed(h, request)
        again = h.payload(candidate={**first["candidate"], "name": "Ada King"})
        new_id, same = await delivered(h, tenant, again)
        assert same == candidate and await has_key(h, candidate)
        foreign = erasure(uuid.uuid4(), candidate)

        await publish(request, foreign)
        await processed(h, foreign)

        assert await has_key(h, candidate)
        headers = h.auth(tenant, Role.CANDIDATE, subject=candidate)
        new = await h.client.get(f"/v1/results/{new_id}", headers=headers)
        assert new.status_code == 200 and new.json()["candidate"]["name"] == "Ada King"
        assert (await h.client.get(f"/v1/results/{old_id}", headers=headers)).status_code == 410

    async def test_a_person_ingest_never_saw_is_recorded_and_nothing_else(self, h, publish) -> None:
        tenant = await h.tenant("US", "allow")
        _, bystander = await delivered(h, tenant)
        request = erasure(tenant, uuid.uuid4())

        await publish(request)
        await processed(h, request)

        assert await has_key(h, bystander)
