"""Events published by notify on `notifications`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from talentflow.common.events.base import Event

NOTIFICATIONS = "notifications"


class NotificationSent(Event):
    """A notification was delivered (an email accepted by the SMTP server, a webhook 2xx)."""

    topic: ClassVar[str] = NOTIFICATIONS
    event_type: Literal["talentflow.notify.NotificationSent.v1"] = (
        "talentflow.notify.NotificationSent.v1"
    )

    notification_id: uuid.UUID
    tenant_id: uuid.UUID
    candidate_id: uuid.UUID
    decision_id: uuid.UUID | None = None
    channel: Literal["email", "webhook"]
    template: str
    sent_at: datetime

    def partition_key(self) -> str:
        return str(self.candidate_id)

    def subject(self) -> str | None:
        return f"notifications/{self.notification_id}"
