"""CloudEvents 1.0 Kafka protocol binding (binary content mode), through the `cloudevents` SDK.

Attributes travel as `ce_*` headers, the JSON payload as the record value, and the record key
is the event's partition key (the candidate id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent
from pydantic import ValidationError

from talentflow.common.events.base import Envelope, Event
from talentflow.common.events.registry import TOPIC_ADAPTERS

CONTENT_TYPE = "application/json"


class UndecodableEvent(Exception):
    """A record that is not a CloudEvent of a type this topic carries."""


@dataclass(frozen=True)
class KafkaRecord:
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


def encode_parts(
    *,
    event_id: str,
    event_type: str,
    source: str,
    time: datetime,
    subject: str | None,
    key: str | None,
    payload: bytes,
) -> KafkaRecord:
    """Encode an already serialized JSON payload with its attributes (used by the outbox relay)."""
    attributes: dict[str, Any] = {
        "id": event_id,
        "type": event_type,
        "source": source,
        "specversion": "1.0",
        "time": time,
        "datacontenttype": CONTENT_TYPE,
    }
    if subject:
        attributes["subject"] = subject
    message = ce_kafka.to_binary_event(
        CloudEvent(attributes=attributes, data=payload),
        key_mapper=lambda _event: key,
    )
    raw_key = message.key.encode() if isinstance(message.key, str) else message.key
    return KafkaRecord(key=raw_key, value=message.value, headers=list(message.headers.items()))


def encode(envelope: Envelope) -> KafkaRecord:
    """Encode an envelope as a Kafka record."""
    event = envelope.event
    return encode_parts(
        event_id=envelope.id,
        event_type=event.event_type,
        source=envelope.source,
        time=envelope.time,
        subject=envelope.subject or event.subject(),
        key=envelope.key or event.partition_key(),
        payload=event.model_dump_json().encode(),
    )


def decode(topic: str, key: bytes | None, value: bytes | None, headers: Any) -> Envelope:
    """Decode a record of `topic`; raise UndecodableEvent with the reason when it is not one."""
    adapter = TOPIC_ADAPTERS.get(topic)
    if adapter is None:
        raise UndecodableEvent(f"no event types are registered for topic {topic!r}")
    try:
        message = ce_kafka.KafkaMessage(
            headers={name: bytes(raw or b"") for name, raw in (headers or ())},
            key=key,
            value=value or b"",
        )
        cloud_event = ce_kafka.from_binary_event(message)
    except Exception as exc:
        raise UndecodableEvent(f"not a CloudEvent: {type(exc).__name__}: {exc}") from exc
    data = cloud_event.get_data()
    if not isinstance(data, dict):
        raise UndecodableEvent("the payload is not a JSON object")
    if data.get("event_type") != cloud_event.get_type():
        raise UndecodableEvent(
            f"ce_type {cloud_event.get_type()!r} does not match the payload's event_type"
        )
    try:
        event: Event = adapter.validate_python(data)
    except ValidationError as exc:
        raise UndecodableEvent(f"invalid payload: {exc.error_count()} error(s): {exc}") from exc
    time = cloud_event.get_time()
    return Envelope(
        event=event,
        source=cloud_event.get_source(),
        id=cloud_event.get_id(),
        subject=cloud_event.get_subject(),
        key=key.decode() if key else None,
        **({"time": time} if time else {}),
    )
