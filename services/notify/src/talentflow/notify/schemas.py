"""Request and response models of the notify API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from talentflow.common.pagination import Page
from talentflow.notify.models import Channel, DeliveryStatus, TaskKind, TaskStatus


class DeliveryOut(BaseModel):
    """A message sent (or not) to a candidate; the address is never part of it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    candidate_id: uuid.UUID
    decision_id: uuid.UUID
    channel: Channel
    template: str = Field(description="advance, reject or review")
    locale: str = Field(description="The locale the message was written in: en or zh-CN")
    status: DeliveryStatus
    attempts: int = Field(description="How many times the delivery was recorded")
    last_error: str | None = Field(description="Why the last attempt failed (a short code)")
    sent_at: datetime | None
    created_at: datetime


class DeliveryPage(Page[DeliveryOut]):
    """One page of a candidate's deliveries."""


class TaskOut(BaseModel):
    """Work for HR: review a candidate that screening routed to a person."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    candidate_id: uuid.UUID
    decision_id: uuid.UUID
    job_id: uuid.UUID | None
    kind: TaskKind
    status: TaskStatus
    completed_by: uuid.UUID | None = Field(description="The HR user who completed the task")
    completed_at: datetime | None
    created_at: datetime


class TaskPage(Page[TaskOut]):
    """One page of HR tasks."""
