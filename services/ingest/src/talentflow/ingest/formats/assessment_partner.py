"""assessment-partner.v1: the flat result an ATS assessment partner reports.

A status, an overall score on the vendor's scale, a profile/report URL, and a flat `metadata`
object of scalars carrying what the ATS passed when it ordered the interview: the reserved
keys `candidate_id`, `job_id`, `candidate_name`, `candidate_locale`; `score.<label>` for a
sub-score (on the vendor's scale) and `count.<label>` for a count. Other metadata and unknown
top-level members are kept only in the encrypted raw payload. Only `completed` results are
stored: anything else is refused (422), so the partner retries nothing it should not.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from talentflow.ingest.formats.base import ConvertingAdapter, Draft, score, text_id
from talentflow.ingest.formats.convert import locale
from talentflow.ingest.models import VendorFormat

COMPLETED = ("completed", "complete")
SCORE_PREFIX, COUNT_PREFIX = "score.", "count."

Scalar = str | int | float | bool | None


class PartnerMetadata(BaseModel):
    """Flat key/value pairs (scalars only)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, Scalar]

    candidate_id: Scalar = None
    job_id: Scalar = None
    candidate_name: Scalar = None
    candidate_locale: Scalar = None


class AssessmentPartnerResult(BaseModel):
    """The structure; the values are checked as the talentflow.v1 result they become."""

    model_config = ConfigDict(extra="ignore", frozen=True, title="AssessmentPartnerResultV1")

    partner_interview_id: Any = None
    partner_test_name: Any = None
    status: Any = None
    score: Any = None
    profile_url: Any = None
    completed_at: Any = None
    candidate_email: Any = None
    metadata: PartnerMetadata


class AssessmentPartner(ConvertingAdapter):
    format = VendorFormat.ASSESSMENT_PARTNER_V1
    model: ClassVar[type[BaseModel]] = AssessmentPartnerResult

    def convert(self, parsed: Any) -> Draft:
        doc: AssessmentPartnerResult = parsed
        meta = doc.metadata
        draft = Draft()
        if doc.status not in COMPLETED:
            message = "must be completed: only completed results can be stored"
            draft.problem(("status",), message, "not_completed")
        draft.put(("result_id",), text_id(doc.partner_interview_id), ("partner_interview_id",))
        draft.put(("job_id",), meta.job_id, ("metadata", "job_id"))
        external_id = text_id(meta.candidate_id)
        draft.put(("candidate", "external_id"), external_id, ("metadata", "candidate_id"))
        draft.put(("candidate", "name"), meta.candidate_name, ("metadata", "candidate_name"))
        draft.put(("candidate", "email"), doc.candidate_email, ("candidate_email",))
        language = meta.candidate_locale if isinstance(meta.candidate_locale, str) else None
        draft.put(("candidate", "locale"), locale(language), ("metadata", "candidate_locale"))
        draft.put(("interviewed_at",), doc.completed_at, ("completed_at",))
        draft.put(("report_url",), doc.profile_url, ("profile_url",))
        if doc.score is not None:
            overall = score(draft, doc.score, self.scale, ("score",))
            draft.put(("overall_score",), overall, ("score",))
        for key, value in (meta.model_extra or {}).items():
            source = ("metadata", key)
            if key.startswith(SCORE_PREFIX) and value is not None:
                percent = score(draft, value, self.scale, source)
                if percent is not None:
                    draft.metric("competencies", key.removeprefix(SCORE_PREFIX), percent, source)
            elif key.startswith(COUNT_PREFIX) and value is not None:
                draft.metric("counts", key.removeprefix(COUNT_PREFIX), value, source)
        return draft
