"""The decisions consumer end to end: real broker, real PostgreSQL, real SMTP server."""

# ruff: noqa: RUF001 - the Chinese texts use full-width punctuation on purpose

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talentflow.common.crypto import FieldCipher, load_master_key
from talentflow.common.events import NOTIFICATIONS, Envelope, NotificationSent
from talentflow.common.events.codec import decode
from talentflow.notify.models import PLATFORM, Delivery, HrTask

Publish = Callable[[Envelope], Awaitable[None]]
Sessions = async_sessionmaker[AsyncSession]


def envelope(event: Any) -> Envelope:
    return Envelope(event=event, source="/screening")


async def deliveries(sessionmaker: Sessions, decision_id: uuid.UUID) -> list[Delivery]:
    async with sessionmaker() as session:
        rows = await session.scalars(select(Delivery).where(Delivery.decision_id == decision_id))
        return list(rows)


def bodies(message: Any) -> tuple[str, str]:
    text_part, html_part = (message.get_body((kind,)) for kind in ("plain", "html"))
    return text_part.get_content(), html_part.get_content()


@pytest.fixture
async def running(
    make_settings: Callable[..., Any], start_app: Callable[..., Any], smtp: Any
) -> AsyncIterator[Any]:
    """The whole service: HTTP, the decisions consumer, the outbox relay; SMTP is up."""
    async with start_app(make_settings(smtp_port=smtp.port)) as app:
        yield app


class TestDecisionsConsumer:
    async def test_reject_emails_the_explained_decision_with_advice(
        self,
        running: Any,
        smtp: Any,
        publish: Publish,
        make_decision: Any,
        wait_until: Any,
        sessionmaker: Sessions,
    ) -> None:
        event = make_decision(outcome="reject", email="ada@example.com")
        await publish(envelope(event))
        await wait_until(lambda: smtp.to("ada@example.com"), what="the email")

        [mail] = smtp.to("ada@example.com")
        assert mail["To"] == "ada@example.com"
        assert mail["Subject"].strip() == (
            "Your application for Customer Success Manager: our decision and feedback"
        )
        text_body, html_body = bodies(mail)
        for body in (text_body, html_body):
            assert "Communication" in body and "at least 85 (a gap of 13 points)" in body
            assert "Answer practice questions with the STAR structure" in body
            assert "Customer cases mentioned" in body and "at least 2" in body
        assert "* Customer cases mentioned: 3 (required: at least 2): met" in text_body
        await wait_until(lambda: running.consumer_stats.handled >= 1, what="the commit")
        [row] = await deliveries(sessionmaker, event.decision_id)
        assert (row.status, row.template, row.locale, row.attempts) == ("sent", "reject", "en", 1)
        assert row.sent_at is not None and row.last_error is None

    async def test_zh_cn_candidate_gets_the_chinese_template(
        self,
        running: Any,
        smtp: Any,
        publish: Publish,
        make_decision: Any,
        wait_until: Any,
        sessionmaker: Sessions,
    ) -> None:
        event = make_decision(outcome="reject", email="li@example.com", name="李雷", locale="zh-CN")
        await publish(envelope(event))
        await wait_until(lambda: smtp.to("li@example.com"), what="the email")

        [mail] = smtp.to("li@example.com")
        assert mail["Subject"].strip() == "关于您申请的「Customer Success Manager」职位：结果与反馈"
        text_body, _ = bodies(mail)
        assert text_body.startswith("李雷，您好：")
        assert "沟通表达：72；该职位要求不低于 85（相差 13 分）。" in text_body
        await wait_until(lambda: running.consumer_stats.handled >= 1, what="the commit")
        [row] = await deliveries(sessionmaker, event.decision_id)
        assert row.locale == "zh-CN"

    async def test_a_redelivered_decision_sends_one_email(
        self,
        running: Any,
        smtp: Any,
        publish: Publish,
        make_decision: Any,
        wait_until: Any,
        sessionmaker: Sessions,
    ) -> None:
        event = make_decision(outcome="advance", email="grace@example.com")
        first = envelope(event)
        await publish(first)
        await publish(first)  # the same event id again
        await publish(envelope(event))  # the same decision under a new event id
        stats = running.consumer_stats
        await wait_until(lambda: stats.handled + stats.duplicates >= 3, what="three records")

        assert len(smtp.to("grace@example.com")) == 1
        assert stats.duplicates == 1 and stats.handled == 2
        [row] = await deliveries(sessionmaker, event.decision_id)
        assert (row.status, row.attempts) == ("sent", 1)

    async def test_review_opens_an_hr_task_and_tells_the_candidate(
        self,
        running: Any,
        smtp: Any,
        publish: Publish,
        make_decision: Any,
        wait_until: Any,
        sessionmaker: Sessions,
    ) -> None:
        event = make_decision(outcome="review", email="alan@example.com")
        await publish(envelope(event))
        await wait_until(lambda: running.consumer_stats.handled >= 1, what="the decision")

        [mail] = smtp.to("alan@example.com")
        assert "is being reviewed by a person" in mail["Subject"]
        async with sessionmaker() as session:
            task = await session.scalar(
                select(HrTask).where(HrTask.decision_id == event.decision_id)
            )
        assert task is not None
        assert (task.tenant_id, task.candidate_id, task.job_id) == (
            event.tenant_id,
            event.candidate_id,
            event.job_id,
        )
        assert (task.kind, task.status, task.completed_by) == ("review_candidate", "open", None)

    async def test_a_later_decision_supersedes_the_open_review_task(
        self,
        running: Any,
        smtp: Any,
        publish: Publish,
        make_decision: Any,
        wait_until: Any,
        sessionmaker: Sessions,
    ) -> None:
        review = make_decision(outcome="review", email="grace@example.com")
        same = {k: getattr(review, k) for k in ("tenant_id", "candidate_id", "job_id", "result_id")}
        other_job = make_decision(
            outcome="review",
            email="grace@example.com",
            **{**same, "job_id": uuid.uuid4(), "result_id": uuid.uuid4()},
        )
        advance = make_decision(outcome="advance", email="grace@example.com", **same)
        for event in (review, other_job, advance):
            await publish(envelope(event))
        await wait_until(lambda: running.consumer_stats.handled >= 3, what="three decisions")

        async with sessionmaker() as session:
            tasks = {
                t.decision_id: t
                for t in await session.scalars(
                    select(HrTask).where(HrTask.candidate_id == review.candidate_id)
                )
            }
        assert tasks[review.decision_id].status == "superseded"
        assert tasks[review.decision_id].completed_at is not None
        assert tasks[other_job.decision_id].status == "open"  # another job: still to review
        assert advance.decision_id not in tasks
        assert len(smtp.to("grace@example.com")) == 3

    async def test_the_recipient_is_stored_only_encrypted(
        self,
        running: Any,
        smtp: Any,
        publish: Publish,
        make_decision: Any,
        wait_until: Any,
        sessionmaker: Sessions,
    ) -> None:
        event = make_decision(outcome="reject", email="secret.person@example.com")
        await publish(envelope(event))
        await wait_until(lambda: running.consumer_stats.handled >= 1, what="the decision")

        async with sessionmaker() as session:
            raw = (
                await session.execute(
                    text("SELECT * FROM notify.deliveries WHERE decision_id = :d"),
                    {"d": event.decision_id},
                )
            ).one()
            stored: bytes = raw.recipient
            assert b"secret.person" not in stored and b"example.com" not in stored
            assert not any(
                isinstance(v, str) and "secret.person" in v for v in raw._mapping.values()
            )
            cipher = FieldCipher(
                load_master_key(running.settings.encryption_key.get_secret_value()),
                PLATFORM.subject_keys,
            )
            clear = await cipher.decrypt_text(session, event.candidate_id, stored)
        assert clear == "secret.person@example.com"

    async def test_notification_sent_is_published(
        self,
        running: Any,
        smtp: Any,
        publish: Publish,
        make_decision: Any,
        wait_until: Any,
        sessionmaker: Sessions,
        prefix: str,
        kafka_bootstrap: str,
    ) -> None:
        event = make_decision(outcome="advance", email="edsger@example.com")
        await publish(envelope(event))

        # Other tests' leftover outbox rows may be relayed onto this topic too: find ours.
        def ours(record: Any) -> bool:
            decoded = decode(NOTIFICATIONS, record.key, record.value, record.headers).event
            return isinstance(decoded, NotificationSent) and decoded.decision_id == (
                event.decision_id
            )

        record = await find_on_topic(kafka_bootstrap, prefix + NOTIFICATIONS, ours)
        sent = decode(NOTIFICATIONS, record.key, record.value, record.headers)
        assert sent.source == "/notify"
        assert isinstance(sent.event, NotificationSent)
        [row] = await deliveries(sessionmaker, event.decision_id)
        assert sent.event.notification_id == row.id
        assert (sent.event.decision_id, sent.event.candidate_id, sent.event.tenant_id) == (
            event.decision_id,
            event.candidate_id,
            event.tenant_id,
        )
        assert (sent.event.channel, sent.event.template) == ("email", "advance")
        assert record.key == str(event.candidate_id).encode()

    async def test_a_candidate_without_email_gets_a_failed_delivery(
        self,
        running: Any,
        smtp: Any,
        publish: Publish,
        make_decision: Any,
        wait_until: Any,
        sessionmaker: Sessions,
    ) -> None:
        event = make_decision(outcome="reject", email=None)
        await publish(envelope(event))
        await wait_until(lambda: running.consumer_stats.handled >= 1, what="the decision")

        [row] = await deliveries(sessionmaker, event.decision_id)
        assert (row.status, row.last_error, row.recipient, row.sent_at) == (
            "failed",
            "no email address",
            None,
            None,
        )
        assert smtp.messages == [] and running.consumer_stats.retries == 0
        async with sessionmaker() as session:
            queued = await session.scalar(
                select(PLATFORM.outbox.c.id).where(PLATFORM.outbox.c.key == str(event.candidate_id))
            )
        assert queued is None  # nothing was sent, so no NotificationSent

    async def test_an_smtp_outage_is_retried_and_delivers_once(
        self,
        make_settings: Any,
        start_app: Any,
        smtp_down: Any,
        publish: Publish,
        make_decision: Any,
        wait_until: Any,
        sessionmaker: Sessions,
    ) -> None:
        settings = make_settings(smtp_port=smtp_down.port, consumer_max_attempts=8)
        async with start_app(settings) as running:
            event = make_decision(outcome="advance", email="barbara@example.com")
            await publish(envelope(event))
            stats = running.consumer_stats
            await wait_until(lambda: stats.retries >= 1, what="a failed attempt")
            assert await deliveries(sessionmaker, event.decision_id) == []

            smtp_down.start()  # the server comes back while the runner still retries
            await wait_until(lambda: stats.handled >= 1, what="the delivery")

        assert len(smtp_down.to("barbara@example.com")) == 1
        assert stats.dead_lettered == 0
        [row] = await deliveries(sessionmaker, event.decision_id)
        assert (row.status, row.attempts) == ("sent", 1)


async def find_on_topic(
    bootstrap: str, topic: str, match: Callable[[Any], bool], within: float = 30
) -> Any:
    """The first record of `topic` that `match`es (fails after `within` seconds)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            assert loop.time() < deadline, f"no matching record on {topic}"
            for batch in (await consumer.getmany(timeout_ms=300)).values():
                for record in batch:
                    if match(record):
                        return record
    finally:
        await consumer.stop()
