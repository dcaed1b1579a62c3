"""Notify's use cases: tell a candidate about a decision once, HR review tasks, delivery history."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.common import audit, outbox
from talentflow.common.auth import Principal
from talentflow.common.crypto import FieldCipher
from talentflow.common.events import Envelope, NotificationSent, ScreeningDecisionMade
from talentflow.notify import repository
from talentflow.notify.content import message_context, resolve_locale
from talentflow.notify.exceptions import TaskAlreadyCompleted, TaskNotFound, TaskSuperseded
from talentflow.notify.mailer import Mailer, PermanentDeliveryError, is_valid_address
from talentflow.notify.models import PLATFORM, Channel, Delivery, DeliveryStatus, HrTask, TaskStatus
from talentflow.notify.rendering import render
from talentflow.notify.schemas import DeliveryOut, DeliveryPage, TaskOut, TaskPage

log = logging.getLogger(__name__)

SOURCE = "/notify"
NO_EMAIL = "no email address"
INVALID_EMAIL = "invalid email address"


async def notify_decision(
    session: AsyncSession, *, event: ScreeningDecisionMade, cipher: FieldCipher, mailer: Mailer
) -> Delivery:
    """Email the candidate about a decision unless already sent; open a task for a review.

    A decision replaces the earlier ones about the same candidate and job (a corrected result
    screened again): their open review tasks are closed as superseded.
    """
    superseded = await repository.supersede_open_tasks(
        session,
        tenant_id=event.tenant_id,
        candidate_id=event.candidate_id,
        job_id=event.job_id,
        decision_id=event.decision_id,
    )
    if superseded:
        log.info("review tasks superseded", extra={"count": superseded})
    if event.outcome == "review":
        await repository.add_review_task(
            session,
            tenant_id=event.tenant_id,
            candidate_id=event.candidate_id,
            decision_id=event.decision_id,
            job_id=event.job_id,
        )
    template = event.outcome
    delivery = await repository.get_delivery(
        session, decision_id=event.decision_id, channel=Channel.EMAIL, template=template
    )
    if delivery is not None and delivery.status == DeliveryStatus.SENT:
        log.info("notification already sent", extra={"delivery_id": str(delivery.id)})
        return delivery
    locale = resolve_locale(event.candidate.locale)
    if delivery is None:
        delivery = Delivery(
            id=uuid.uuid4(),
            tenant_id=event.tenant_id,
            candidate_id=event.candidate_id,
            decision_id=event.decision_id,
            channel=Channel.EMAIL.value,
            template=template,
            locale=locale,
            status=DeliveryStatus.FAILED.value,
            attempts=0,
        )
        await repository.add_delivery(session, delivery)
    delivery.locale = locale
    delivery.attempts += 1
    address = (event.candidate.email or "").strip()
    if not address:
        return await _failed(session, delivery, NO_EMAIL)
    if not is_valid_address(address):
        return await _failed(session, delivery, INVALID_EMAIL)
    delivery.recipient = await cipher.encrypt(session, event.candidate_id, address)
    rendered = render(template, locale, message_context(event, locale))
    try:
        await mailer.send(rendered, to=address, message_key=f"{event.decision_id}.{template}")
    except PermanentDeliveryError as exc:
        return await _failed(session, delivery, exc.reason)
    delivery.status = DeliveryStatus.SENT.value
    delivery.sent_at = datetime.now(UTC)
    delivery.last_error = None
    await repository.save(session)
    sent = NotificationSent(
        notification_id=delivery.id,
        tenant_id=delivery.tenant_id,
        candidate_id=delivery.candidate_id,
        decision_id=delivery.decision_id,
        channel="email",
        template=template,
        sent_at=delivery.sent_at,
    )
    await outbox.enqueue(
        session, PLATFORM.outbox, Envelope(event=sent, source=SOURCE), cipher=cipher
    )
    log.info(
        "notification sent",
        extra={"delivery_id": str(delivery.id), "template": template, "locale": locale},
    )
    return delivery


async def _failed(session: AsyncSession, delivery: Delivery, reason: str) -> Delivery:
    delivery.status = DeliveryStatus.FAILED.value
    delivery.last_error = reason
    await repository.save(session)
    log.warning(
        "notification not delivered", extra={"delivery_id": str(delivery.id), "reason": reason}
    )
    return delivery


async def list_deliveries(
    session: AsyncSession, *, principal: Principal, candidate_id: uuid.UUID, limit: int, offset: int
) -> DeliveryPage:
    """A candidate's deliveries in the caller's tenant; the read goes to the audit log."""
    rows, total = await repository.list_deliveries(
        session,
        tenant_id=principal.tenant_id,
        candidate_id=candidate_id,
        limit=limit,
        offset=offset,
    )
    await audit.record_access(
        session,
        PLATFORM.audit_log,
        actor_id=str(principal.subject),
        actor_roles=sorted(principal.roles),
        tenant_id=principal.tenant_id,
        subject_id=candidate_id,
        action="deliveries.list",
        resource=f"notify/candidates/{candidate_id}/deliveries",
        details={"count": len(rows), "offset": offset},
    )
    return DeliveryPage(
        items=[DeliveryOut.model_validate(row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


async def list_tasks(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    status: TaskStatus | None,
    limit: int,
    offset: int,
) -> TaskPage:
    """A page of the tenant's HR tasks, newest first."""
    rows, total = await repository.list_tasks(
        session,
        tenant_id=tenant_id,
        status=status.value if status else None,
        limit=limit,
        offset=offset,
    )
    return TaskPage(
        items=[TaskOut.model_validate(row) for row in rows], total=total, limit=limit, offset=offset
    )


async def get_task(
    session: AsyncSession, *, tenant_id: uuid.UUID, task_id: uuid.UUID, for_update: bool = False
) -> HrTask:
    """One of the tenant's tasks; TaskNotFound for a task of another tenant or none at all."""
    task = await repository.get_task(
        session, tenant_id=tenant_id, task_id=task_id, for_update=for_update
    )
    if task is None:
        raise TaskNotFound(f"task {task_id} not found")
    return task


async def complete_task(session: AsyncSession, *, task: HrTask, principal: Principal) -> HrTask:
    """Mark an open task done by the caller; TaskAlreadyCompleted when it is done already,
    TaskSuperseded when a newer decision about the candidate replaced it (review that one's)."""
    if task.status == TaskStatus.DONE:
        raise TaskAlreadyCompleted(f"task {task.id} was completed at {task.completed_at}")
    if task.status == TaskStatus.SUPERSEDED:
        raise TaskSuperseded(
            f"task {task.id} was superseded at {task.completed_at} by a newer decision; "
            "complete the open task of that decision"
        )
    task.status = TaskStatus.DONE.value
    task.completed_by = principal.subject
    task.completed_at = datetime.now(UTC)
    await repository.save(session)
    return task
