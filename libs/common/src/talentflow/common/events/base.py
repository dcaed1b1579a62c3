"""The base of every event payload, and the envelope (CloudEvents attributes) around it."""

from __future__ import annotations

import uuid
from abc import abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """An event payload. Subclasses add `event_type: Literal[...]` as their discriminator.

    Names are past tense. Adding an optional field keeps the version; a breaking change is a new
    class with a new `.vN` type, and both are published during the migration.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    topic: ClassVar[str]
    event_type: str

    @abstractmethod
    def partition_key(self) -> str:
        """The Kafka key: the candidate id, so one candidate's events stay in order."""

    def subject(self) -> str | None:
        """The CloudEvents `subject`: the entity the event is about."""
        return None

    def subject_id(self) -> uuid.UUID | None:
        """The person whose key encrypts this event at rest in the outbox (None: no person)."""
        return None


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Envelope:
    """An event with its CloudEvents context attributes."""

    event: Event
    source: str
    id: str = field(default_factory=_new_id)
    time: datetime = field(default_factory=_now)
    subject: str | None = None
    key: str | None = None

    @property
    def type(self) -> str:
        return self.event.event_type
