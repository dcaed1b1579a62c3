"""Every event type round-trips through the Kafka binding, and the schema document is current."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from cloudevents.core.bindings import kafka as ce_kafka

from talentflow.common.events import (
    EVENT_TYPES,
    TOPIC_ADAPTERS,
    CandidateContact,
    ConditionResult,
    EmploymentOutcomeRecorded,
    Envelope,
    ErasureRequested,
    Event,
    EvidenceQuote,
    InterviewResultCorrected,
    InterviewResultReceived,
    NotificationSent,
    ScreeningDecisionMade,
)
from talentflow.common.events.codec import UndecodableEvent, decode, encode
from talentflow.common.events.schema import event_schema_document

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
CANDIDATE = uuid.UUID("11111111-1111-4111-8111-111111111111")
CONTACT = CandidateContact(external_id="c-7", name="李雷", email="li@example.com", locale="zh-CN")


def samples() -> list[Event]:
    return [
        InterviewResultReceived(
            result_id=uuid.uuid4(),
            tenant_id=uuid.uuid4(),
            vendor_id=uuid.uuid4(),
            vendor_result_id="v-1",
            candidate_id=CANDIDATE,
            candidate=CONTACT,
            job_id=uuid.uuid4(),
            interviewed_at=NOW,
            overall_score=81.5,
            competencies={"communication": 88.0, "logic": 71.0},
            counts={"customer_cases": 2},
            evidence=[
                EvidenceQuote(competency="communication", quote="I asked why", at_seconds=12.5)
            ],
            dropped_metrics=["smile_count"],
            report_url="https://vendor.example/r/1",
        ),
        InterviewResultCorrected(
            result_id=uuid.uuid4(),
            version=2,
            previous_version=1,
            tenant_id=uuid.uuid4(),
            vendor_id=uuid.uuid4(),
            vendor_result_id="v-1",
            candidate_id=CANDIDATE,
            candidate=CONTACT,
            job_id=uuid.uuid4(),
            interviewed_at=NOW,
            overall_score=79.0,
            competencies={"communication": 84.0},
            origin="import",
        ),
        ScreeningDecisionMade(
            decision_id=uuid.uuid4(),
            result_id=uuid.uuid4(),
            tenant_id=uuid.uuid4(),
            candidate_id=CANDIDATE,
            candidate=CONTACT,
            job_id=uuid.uuid4(),
            job_title="CSM",
            requirements={"communication": 80.0},
            outcome="review",
            rule_version=2,
            rule_expression="communication >= 85",
            conditions=[
                ConditionResult(
                    metric="communication", operator=">=", threshold=85, actual=88.0, held=True
                )
            ],
            explanation="communication 88 >= 85 held",
            decided_at=NOW,
        ),
        NotificationSent(
            notification_id=uuid.uuid4(),
            tenant_id=uuid.uuid4(),
            candidate_id=CANDIDATE,
            decision_id=uuid.uuid4(),
            channel="email",
            template="review",
            sent_at=NOW,
        ),
        EmploymentOutcomeRecorded(
            outcome_id=uuid.uuid4(),
            tenant_id=uuid.uuid4(),
            candidate_id=CANDIDATE,
            hired=True,
            performance_rating=77.0,
            still_employed=True,
            measured_on=date(2026, 6, 1),
            recorded_at=NOW,
        ),
        ErasureRequested(
            request_id=uuid.uuid4(), tenant_id=uuid.uuid4(), person_id=CANDIDATE, requested_at=NOW
        ),
    ]


class TestEventCatalogue:
    def test_every_registered_type_has_a_sample(self) -> None:
        assert {type(e) for e in samples()} == set(EVENT_TYPES.values())

    def test_every_type_is_decodable_on_its_topic(self) -> None:
        for cls in EVENT_TYPES.values():
            assert cls.topic in TOPIC_ADAPTERS


@pytest.mark.parametrize("event", samples(), ids=lambda e: type(e).__name__)
class TestRoundTrip:
    def test_encode_then_decode_gives_the_same_event(self, event: Event) -> None:
        envelope = Envelope(event=event, source="/contract", time=NOW)
        record = encode(envelope)
        decoded = decode(event.topic, record.key, record.value, record.headers)
        assert decoded.event == event
        assert decoded.id == envelope.id
        assert decoded.time == NOW
        assert decoded.type == event.event_type

    def test_record_follows_the_cloudevents_kafka_binding(self, event: Event) -> None:
        record = encode(Envelope(event=event, source="/contract", time=NOW))
        headers = dict(record.headers)
        for required in ("ce_id", "ce_source", "ce_type", "ce_specversion"):
            assert required in headers
        assert headers["ce_specversion"] == b"1.0"
        assert headers["content-type"] == b"application/json"
        assert headers["ce_time"] == b"2026-11-26T09:30:00Z"
        # the reference SDK reads our record back
        message = ce_kafka.KafkaMessage(headers=headers, key=record.key, value=record.value)
        sdk_event = ce_kafka.from_binary_event(message)
        assert sdk_event.get_type() == event.event_type
        assert sdk_event.get_data() == json.loads(event.model_dump_json())
        assert record.key == event.partition_key().encode()

    def test_unknown_fields_are_ignored(self, event: Event) -> None:
        record = encode(Envelope(event=event, source="/contract"))
        data: dict[str, Any] = json.loads(record.value)
        data["added_in_a_later_minor_version"] = {"x": 1}
        decoded = decode(event.topic, record.key, json.dumps(data).encode(), record.headers)
        assert decoded.event == event


class TestUndecodable:
    def _record(self) -> Any:
        return encode(Envelope(event=samples()[0], source="/contract"))

    def test_type_header_must_match_the_payload(self) -> None:
        record = self._record()
        headers = [
            (k, b"talentflow.other.Thing.v1" if k == "ce_type" else v) for k, v in record.headers
        ]
        with pytest.raises(UndecodableEvent, match="does not match"):
            decode("interview.results", record.key, record.value, headers)

    def test_event_on_the_wrong_topic_is_refused(self) -> None:
        record = self._record()
        with pytest.raises(UndecodableEvent):
            decode("screening.decisions", record.key, record.value, record.headers)

    def test_unknown_topic(self) -> None:
        record = self._record()
        with pytest.raises(UndecodableEvent, match="no event types"):
            decode("nobody.knows", record.key, record.value, record.headers)

    def test_invalid_payload_names_the_errors(self) -> None:
        record = self._record()
        data = json.loads(record.value)
        data["overall_score"] = 170
        with pytest.raises(UndecodableEvent, match="overall_score"):
            decode("interview.results", record.key, json.dumps(data).encode(), record.headers)

    def test_missing_headers(self) -> None:
        with pytest.raises(UndecodableEvent):
            decode("interview.results", None, b"{}", [])


class TestSchemaDocument:
    def test_committed_document_is_generated_from_the_models(self) -> None:
        committed = json.loads((ROOT / "docs" / "events.schema.json").read_text())
        assert committed == json.loads(json.dumps(event_schema_document())), (
            "docs/events.schema.json is stale: run `make events-schema`"
        )

    def test_document_defines_every_event_type_and_its_topic(self) -> None:
        document = event_schema_document()
        for event_type, cls in EVENT_TYPES.items():
            assert cls.__name__ in document["$defs"]
            assert document["x-topics"][event_type] == cls.topic
