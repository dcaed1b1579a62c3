"""Request and response models of the notify API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from talentflow.common.errors import PROBLEM_JSON
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


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int = Field(description="How many deliveries match, over all pages")
    limit: int
    offset: int


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


class TaskPage(BaseModel):
    items: list[TaskOut]
    total: int = Field(description="How many tasks match, over all pages")
    limit: int
    offset: int


class Problem(BaseModel):
    """An RFC 9457 problem document, as every Talentflow error is rendered."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="For invalid input: {field, in, pointer, message, type} items"
    )


_PROBLEM_SCHEMA = Problem.model_json_schema()
_DESCRIPTIONS = {
    401: "No valid bearer token",
    403: "The caller's roles do not allow this (needs hr or hr_admin)",
    404: "No such task in the caller's tenant",
    409: "The task is already completed",
    422: "A field of the request is invalid; `errors` names it",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error statuses, documented as application/problem+json."""
    return {
        code: {
            "description": _DESCRIPTIONS[code],
            "content": {PROBLEM_JSON: {"schema": _PROBLEM_SCHEMA}},
        }
        for code in codes
    }
