"""The built-in vendor formats against their fixtures: exact normalized values, score scales,
the biometrics policy, and every error named at the vendor's own path."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from talentflow.common.errors import InvalidInput
from talentflow.common.events import CandidateContact, EvidenceQuote
from talentflow.common.ids import candidate_id
from talentflow.ingest.exceptions import MalformedWebhook
from talentflow.ingest.formats.convert import locale, metric_name, seconds, to_percent
from talentflow.ingest.models import BiometricsPolicy, ScoreScale, Vendor
from talentflow.ingest.normalize import Normalized, decode_and_normalize, normalize_document

FIXTURES = Path(__file__).parent / "fixtures"
TENANT = uuid.UUID("00000000-0000-4000-8000-000000000001")
JOB = uuid.UUID("8c1d3f0e-5a7b-4c2d-9e8f-0a1b2c3d4e5f")
DROP, KEEP, ALLOW = (
    BiometricsPolicy.DROP,
    BiometricsPolicy.KEEP_UNUSABLE,
    BiometricsPolicy.ALLOW,
)


def fixture(fmt: str, name: str) -> bytes:
    return (FIXTURES / fmt / f"{name}.json").read_bytes()


def vendor(fmt: str, scale: str = "0-100") -> Vendor:
    return Vendor(id=uuid.uuid4(), format=fmt, score_scale=scale, mapping=None, mapping_version=0)


def normalized(
    fmt: str, name: str, scale: str = "0-100", policy: BiometricsPolicy = ALLOW
) -> Normalized:
    body = fixture(fmt, name)
    return decode_and_normalize(body, vendor=vendor(fmt, scale), tenant_id=TENANT, policy=policy)


def error_fields(fmt: str, name: str, scale: str = "0-100") -> set[str]:
    with pytest.raises(InvalidInput) as caught:
        normalized(fmt, name, scale)
    errors = caught.value.errors
    assert all(e["in"] == "body" and e["message"] for e in errors)
    return {e["field"] for e in errors}


class TestAssessmentPartner:
    FMT = "assessment-partner.v1"

    def test_completed_result_on_a_one_to_five_scale(self) -> None:
        result = normalized(self.FMT, "completed", "1-5")

        assert result.vendor_result_id == "ap-2026-00917"
        assert result.candidate == CandidateContact(
            external_id="ats-8812", name="Mei Chen", email="mei.chen@example.com", locale="zh-CN"
        )
        assert result.candidate_id == candidate_id(TENANT, "ats-8812")
        assert result.job_id == JOB
        assert result.interviewed_at == datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
        assert result.overall_score == 80.0  # (4.2 - 1) / 4 * 100
        assert result.competencies == {"communication": 87.5, "problem_solving": 70.0}
        assert result.counts == {"questions_asked": 3, "customer_cases_mentioned": 2}
        assert result.evidence == []
        assert result.published_biometrics == {"eye_contact": 75.0}  # a sub-score's telltale name
        assert result.report_url == "https://partner.example/profiles/ap-2026-00917"

    def test_minimal_result_with_numeric_ids(self) -> None:
        result = normalized(self.FMT, "minimal")

        assert (result.vendor_result_id, result.candidate.external_id) == ("1002", "90017")
        assert result.candidate == CandidateContact(external_id="90017")
        assert result.interviewed_at == datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
        assert result.overall_score is None and result.report_url is None
        assert (result.competencies, result.counts, result.stored_biometrics) == ({}, {}, None)

    def test_unfinished_result_names_every_field_at_fault(self) -> None:
        assert error_fields(self.FMT, "unfinished", "1-5") == {
            "status",
            "score",
            "profile_url",
            "completed_at",
            "candidate_email",
            "metadata.job_id",
            "metadata.score.Communication",
            "metadata.count.questions_asked",
        }


class TestHrOpen:
    FMT = "hr-open.v1"

    def test_scores_with_their_own_range_and_evidence_offsets(self) -> None:
        result = normalized(self.FMT, "assessment-result", "0-10")  # every score has a range

        assert result.vendor_result_id == "hro-2026-0117"
        assert result.candidate == CandidateContact(
            external_id="ats-5521", name="Lukas Weber", email="lukas.weber@example.com"
        )
        assert result.job_id == JOB
        assert result.interviewed_at == datetime(2026, 3, 3, 8, 30, tzinfo=UTC)
        assert result.overall_score == 78.0
        assert result.competencies == {
            "communication": 87.5,
            "problem_decomposition": 50.0,
            "stress_tolerance": 25.0,
        }
        assert result.counts == {"customer_cases_mentioned": 3}
        assert result.published_biometrics == {"eye_contact": 62.0}
        assert result.evidence == [
            EvidenceQuote(
                competency="communication",
                quote="I always repeat the customer's problem back to them first.",
                at_seconds=312.0,
            ),
            EvidenceQuote(
                competency="problem_decomposition",
                quote="First I split the outage into what we knew and what we guessed.",
                at_seconds=723.5,
            ),
        ]
        assert result.report_url == "https://vendor.example/reports/hro-2026-0117"  # rel=report

    def test_scores_without_a_range_use_the_vendors_scale(self) -> None:
        result = normalized(self.FMT, "vendor-scale", "0-10")

        assert result.overall_score == 75.0
        assert result.competencies == {"teamwork": 80.0, "empathy": 65.0}
        assert result.candidate == CandidateContact(
            external_id="ats-7310", name="Fang Wang", locale="zh-CN"
        )
        assert result.evidence == [
            EvidenceQuote(competency="empathy", quote="我会先听完客户的抱怨。", at_seconds=221.0)
        ]
        assert result.report_url == "https://vendor.example/reports/hro-2026-0201"

    def test_minimal_result(self) -> None:
        result = normalized(self.FMT, "minimal")

        assert result.candidate == CandidateContact(external_id="ats-7311")
        assert result.overall_score is None and result.competencies == {}
        assert result.evidence == [] and result.report_url is None

    def test_invalid_result_names_every_field_at_fault(self) -> None:
        assert error_fields(self.FMT, "invalid") == {
            "documentId.value",
            "assessmentSubject.subjectId.value",
            "assessmentSubject.communication.email.0.address",
            "positionOpening.positionId.value",
            "administeredDateTime",
            "overallResult.score.value",
            "detailedResults.0.score.value",
            "detailedResults.1.score",
            "detailedResults.2.count",
            "detailedResults.3.evidence.0.text",
            "detailedResults.3.evidence.0.timeOffset",
            "links.0.href",
        }


class TestAiInterview:
    FMT = "ai-interview.v1"

    def test_rich_result_on_a_zero_to_ten_scale(self) -> None:
        result = normalized(self.FMT, "full", "0-10")

        assert result.vendor_result_id == "ivw_01HQ8Z3K2M"
        assert result.candidate == CandidateContact(
            external_id="ats-123", name="Ada Lovelace", email="ada.lovelace@example.com"
        )
        assert result.interviewed_at == datetime(2026, 3, 1, 2, 15, tzinfo=UTC)
        assert result.overall_score == 81.0
        assert result.competencies == {
            "communication": 88.0,
            "logic": 74.0,
            "stress_tolerance": 69.0,
            "teamwork": 80.0,
            "problem_decomposition": 77.0,
            "empathy": 92.0,
        }
        assert result.counts == {"questions_asked": 5, "customer_cases_mentioned": 3}
        assert [(e.competency, e.at_seconds) for e in result.evidence] == [
            ("communication", 312.5),
            ("communication", 1267.0),
            ("stress_tolerance", 1501.0),
        ]
        assert result.published_biometrics == {
            "smile_count": 14.0,
            "eye_contact_frequency": 0.71,
            "speech_rate_wpm": 142.0,  # a voice metric, whatever its name
            "pitch_variance": 0.18,
        }
        assert result.report_url == "https://ai-interview.example/reports/ivw_01HQ8Z3K2M"

    def test_strengths_and_weaknesses_stay_in_the_archive_only(self) -> None:
        result = normalized(self.FMT, "full", "0-10")

        assert b"Talks over the interviewer" in result.archive
        assert "Talks over" not in repr([result.evidence, result.competencies, result.counts])

    def test_unit_scale_and_chinese_locale(self) -> None:
        result = normalized(self.FMT, "unit-scale", "0-1")

        assert result.overall_score == 65.5
        assert result.competencies == {"communication": 70.0, "logic": 61.0}
        assert result.candidate == CandidateContact(
            external_id="ats-456", name="王芳", locale="zh-CN"
        )
        assert result.interviewed_at.utcoffset() == timedelta(hours=8)

    def test_minimal_result(self) -> None:
        result = normalized(self.FMT, "minimal")

        assert result.candidate == CandidateContact(external_id="ats-789")
        assert result.interviewed_at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
        assert (result.overall_score, result.published_biometrics) == (None, {})

    def test_invalid_result_names_every_field_at_fault(self) -> None:
        assert error_fields(self.FMT, "invalid", "0-10") == {
            "candidate.id",
            "candidate.name",
            "completed_at",
            "overall_score",
            "competencies.1.name",
            "competencies.2.name",  # a second "communication"
            "competencies.3.score",
            "competencies.3.evidence.0.timestamp",
            "behaviour.questions_asked",
            "nonverbal.facial.smile_count",
            "report_url",
        }

    def test_errors_never_echo_the_values_sent(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            normalized(self.FMT, "invalid", "0-10")

        assert "Ada" not in json.dumps(caught.value.errors)


class TestBiometricsPolicy:
    """The tenant's policy on the rich format: drop, keep_unusable, allow."""

    FMT = "ai-interview.v1"
    METRICS = ["eye_contact_frequency", "pitch_variance", "smile_count", "speech_rate_wpm"]

    def test_drop_keeps_them_nowhere_not_even_in_the_archive(self) -> None:
        result = normalized(self.FMT, "full", "0-10", DROP)

        assert result.stored_biometrics is None and result.published_biometrics == {}
        assert result.dropped_metrics == self.METRICS
        archived = json.loads(result.archive)
        assert "nonverbal" not in archived
        assert archived["summary"]["strengths"] == ["Explains technical issues in plain words"]

    def test_keep_unusable_stores_them_but_withholds_them(self) -> None:
        result = normalized(self.FMT, "full", "0-10", KEEP)

        assert result.stored_biometrics is not None
        assert sorted(result.stored_biometrics) == self.METRICS
        assert result.published_biometrics == {} and result.dropped_metrics == self.METRICS
        assert result.archive == fixture(self.FMT, "full")  # the exact bytes received

    def test_allow_publishes_them(self) -> None:
        result = normalized(self.FMT, "full", "0-10", ALLOW)

        assert result.published_biometrics == result.stored_biometrics
        assert result.dropped_metrics == []

    def test_drop_removes_a_detailed_result_named_for_the_face(self) -> None:
        result = normalized("hr-open.v1", "assessment-result", policy=DROP)

        assert result.dropped_metrics == ["eye_contact"]
        names = [r["name"] for r in json.loads(result.archive)["detailedResults"]]
        assert "Eye contact" not in names and "Communication" in names

    def test_drop_removes_a_partner_sub_score_named_for_the_face(self) -> None:
        result = normalized("assessment-partner.v1", "completed", "1-5", DROP)

        assert result.dropped_metrics == ["eye_contact"]
        assert "score.eye_contact" not in json.loads(result.archive)["metadata"]


class TestDecoding:
    @pytest.mark.parametrize("fmt", ["assessment-partner.v1", "hr-open.v1", "ai-interview.v1"])
    @pytest.mark.parametrize("body", [b'{"a": ', b'{"a": "\xff"}', b'{"a": "\\ud800"}', b""])
    def test_a_body_that_is_not_json_is_malformed(self, fmt: str, body: bytes) -> None:
        with pytest.raises(MalformedWebhook):
            decode_and_normalize(body, vendor=vendor(fmt), tenant_id=TENANT, policy=DROP)

    @pytest.mark.parametrize("fmt", ["assessment-partner.v1", "hr-open.v1", "ai-interview.v1"])
    def test_json_that_is_not_an_object_names_the_body(self, fmt: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            decode_and_normalize(b"[1, 2]", vendor=vendor(fmt), tenant_id=TENANT, policy=DROP)

        assert [e["field"] for e in caught.value.errors] == ["body"]

    def test_a_decoded_document_gives_the_same_result_as_its_bytes(self) -> None:
        body = fixture("hr-open.v1", "assessment-result")
        document: Any = json.loads(body)
        kwargs: dict[str, Any] = {"vendor": vendor("hr-open.v1"), "tenant_id": TENANT}

        from_bytes = decode_and_normalize(body, policy=KEEP, **kwargs)
        from_document = normalize_document(document, policy=KEEP, **kwargs)

        assert from_document.competencies == from_bytes.competencies
        assert from_document.evidence == from_bytes.evidence
        assert json.loads(from_document.archive) == document


class TestConversions:
    @pytest.mark.parametrize(
        ("value", "scale", "expected"),
        [
            (1, "1-5", 0.0),
            (3, "1-5", 50.0),
            (4.2, "1-5", 80.0),
            (5, "1-5", 100.0),
            (0.71, "0-1", 71.0),
            (7.35, "0-10", 73.5),
            (81.25, "0-100", 81.25),
            (0.5, "1-5", None),
            (10.5, "0-10", None),
            (10**400, "0-100", None),
        ],
    )
    def test_scores_convert_linearly_onto_0_100(
        self, value: float, scale: str, expected: float | None
    ) -> None:
        assert to_percent(value, ScoreScale(scale)) == expected

    @pytest.mark.parametrize(
        ("label", "expected"),
        [
            ("Stress tolerance", "stress_tolerance"),
            ("problemDecomposition", "problem_decomposition"),
            ("Q&A - Follow-up", "q_a_follow_up"),
            ("HTTPErrors", "http_errors"),
            ("沟通", None),
            ("42", None),
        ],
    )
    def test_labels_become_snake_case_metric_names(self, label: str, expected: str | None) -> None:
        assert metric_name(label) == expected

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (12.5, 12.5),
            ("05:12", 312.0),
            ("1:05:12.5", 3912.5),
            ("PT1H2M3.5S", 3723.5),
            ("PT45S", 45.0),
            ("1:99", None),
            ("PT", None),
            (-1, None),
            (True, None),
        ],
    )
    def test_time_offsets(self, value: object, expected: float | None) -> None:
        assert seconds(value) == expected

    @pytest.mark.parametrize(
        ("tag", "expected"),
        [("zh-Hans-CN", "zh-CN"), ("ZH_tw", "zh-CN"), ("en-GB", "en"), ("de", "en"), (None, "en")],
    )
    def test_locales(self, tag: str | None, expected: str) -> None:
        assert locale(tag) == expected
