"""ai-interview.v1: a rich AI video-interview result.

Per-competency scores (on the vendor's scale) with evidence quotes and their timestamps
("mm:ss", "hh:mm:ss.f" or seconds), behavioural counts, facial and voice metrics
(`nonverbal.facial`, `nonverbal.voice`: always biometrics, whatever their names, so the
tenant's policy drops, keeps or allows them), and strengths/weaknesses. Strengths and
weaknesses are the vendor's free-text judgement of a person: kept only in the encrypted raw
payload, never in clear, never published. The models check the structure; the values are
checked as the talentflow.v1 result they become, and reported at their path here.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from talentflow.ingest.formats.base import (
    ConvertingAdapter,
    Draft,
    EvidenceFields,
    label,
    score,
    text_id,
    without_named,
)
from talentflow.ingest.formats.convert import locale, metric_name
from talentflow.ingest.formats.expressions import Loc
from talentflow.ingest.models import VendorFormat

Metrics = Annotated[dict[str, Any], Field(max_length=200)]
EVIDENCE = EvidenceFields("quote", "timestamp", "must be a time like 05:12 or 01:05:12.5")


# Empty collections by default_factory: pydantic deep-copies an unhashable default ([], {})
# on every document that leaves the member out.
class _Ai(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Candidate(_Ai):
    id: Any = None
    name: Any = None
    email: Any = None
    language: Any = None


class Job(_Ai):
    id: Any = None
    title: Any = None


class Quote(_Ai):
    quote: Any = None
    timestamp: Any = None


class Competency(_Ai):
    name: Any = None
    score: Any = None
    evidence: Annotated[list[Quote], Field(max_length=500, default_factory=list)]


class Nonverbal(_Ai):
    facial: Metrics = Field(default_factory=dict)
    voice: Metrics = Field(default_factory=dict)


class AiInterviewResult(_Ai):
    model_config = ConfigDict(title="AiInterviewResultV1")

    interview_id: Any = None
    job: Job = Job()
    candidate: Candidate = Candidate()
    completed_at: Any = None
    overall_score: Any = None
    competencies: Annotated[list[Competency], Field(max_length=200, default_factory=list)]
    behaviour: Metrics = Field(default_factory=dict)
    nonverbal: Nonverbal | None = None
    summary: Any = None  # strengths and weaknesses: only in the encrypted raw payload
    report_url: Any = None


class AiInterview(ConvertingAdapter):
    format = VendorFormat.AI_INTERVIEW_V1
    model: ClassVar[type[BaseModel]] = AiInterviewResult

    def convert(self, parsed: Any) -> Draft:
        doc: AiInterviewResult = parsed
        who = doc.candidate
        draft = Draft()
        draft.put(("result_id",), text_id(doc.interview_id), ("interview_id",))
        draft.put(("job_id",), doc.job.id, ("job", "id"))
        draft.put(("candidate", "external_id"), text_id(who.id), ("candidate", "id"))
        draft.put(("candidate", "name"), who.name, ("candidate", "name"))
        draft.put(("candidate", "email"), who.email, ("candidate", "email"))
        language = who.language if isinstance(who.language, str) else None
        draft.put(("candidate", "locale"), locale(language), ("candidate", "language"))
        draft.put(("interviewed_at",), doc.completed_at, ("completed_at",))
        if doc.overall_score is not None:
            overall = score(draft, doc.overall_score, self.scale, ("overall_score",))
            draft.put(("overall_score",), overall, ("overall_score",))
        draft.put(("evidence",), [], ("competencies",))  # filled by each competency's quotes
        for index, competency in enumerate(doc.competencies):
            self._competency(draft, competency, ("competencies", index))
        for name, count in doc.behaviour.items():
            draft.metric("counts", name, count, ("behaviour", name))
        if doc.nonverbal is not None:
            sections = {"facial": doc.nonverbal.facial, "voice": doc.nonverbal.voice}
            for section, metrics in sections.items():
                for name, value in metrics.items():
                    draft.metric("biometrics", name, value, ("nonverbal", section, name))
        draft.put(("report_url",), doc.report_url, ("report_url",))
        return draft

    def _competency(self, draft: Draft, item: Competency, where: Loc) -> None:
        name = label(draft, item.name, (*where, "name"))
        percent = score(draft, item.score, self.scale, (*where, "score"))
        if name is not None and percent is not None:
            draft.metric("competencies", name, percent, (*where, "name"))
        competency = metric_name(name) if name is not None else None
        quotes = [(quote.quote, quote.timestamp) for quote in item.evidence]
        draft.add_evidence(competency, quotes, (*where, "evidence"), EVIDENCE)

    def redact(self, document: Any, withheld: Collection[str]) -> Any:
        """Without `nonverbal`, and without competencies named for facial/voice metrics."""
        if isinstance(document, dict):
            document = {k: v for k, v in document.items() if k != "nonverbal"}
        return without_named(document, "competencies")
