"""hr-open.v1: an HR Open Standards (HR-XML) AssessmentResult, in its JSON binding (camelCase).

The overall result has a score and a pass indicator; `detailedResults` holds one result per
competency (a `score`) or per behavioural measure (a `count`), each with comments and
evidence quotes (`timeOffset`: an ISO 8601 duration, "mm:ss" or seconds). A score may carry
its own `minimum` and `maximum`: it is converted from that range; without them, from the
vendor's score scale. Comments and pass indicators are kept only in the encrypted raw payload.
The models check the structure; the values are checked as the talentflow.v1 result they
become, and reported at their path here.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from talentflow.ingest.formats.base import (
    ConvertingAdapter,
    Draft,
    EvidenceFields,
    label,
    score,
    text_id,
    without_named,
)
from talentflow.ingest.formats.convert import is_number, locale, metric_name
from talentflow.ingest.formats.expressions import Loc
from talentflow.ingest.models import VendorFormat

EVIDENCE = EvidenceFields("text", "timeOffset", "must be a duration like PT5M12S or 05:12")


# Empty collections by default_factory: pydantic deep-copies an unhashable default ([], {})
# on every document that leaves the member out.
class _Open(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="ignore", frozen=True)


class Identifier(_Open):
    value: Any = None


class Score(_Open):
    value: Any = None
    minimum: Any = None
    maximum: Any = None


class PersonName(_Open):
    formatted_name: Any = None
    given_name: Any = None
    family_name: Any = None


class EmailAddress(_Open):
    address: Any = None


class Communication(_Open):
    email: Annotated[list[EmailAddress], Field(max_length=20, default_factory=list)]


class Subject(_Open):
    subject_id: Identifier = Identifier()
    name: PersonName | None = None
    communication: Communication | None = None
    preferred_language: Any = None


class PositionOpening(_Open):
    position_id: Identifier = Identifier()


class Evidence(_Open):
    text: Any = None
    time_offset: Any = None


class OverallResult(_Open):
    score: Score | None = None
    pass_indicator: Any = None
    description: Any = None


class DetailedResult(_Open):
    name: Any = None
    score: Score | None = None
    count: Any = None
    pass_indicator: Any = None
    evidence: Annotated[list[Evidence], Field(max_length=500, default_factory=list)]


class Link(_Open):
    href: Any = None
    rel: Any = None


class AssessmentResult(_Open):
    model_config = ConfigDict(title="HrOpenAssessmentResultV1")

    document_id: Identifier = Identifier()
    assessment_subject: Subject = Subject()
    position_opening: PositionOpening = PositionOpening()
    administered_date_time: Any = None
    overall_result: OverallResult = OverallResult()
    detailed_results: Annotated[list[DetailedResult], Field(max_length=200, default_factory=list)]
    links: Annotated[list[Link], Field(max_length=50, default_factory=list)]


class HrOpen(ConvertingAdapter):
    format = VendorFormat.HR_OPEN_V1
    model: ClassVar[type[BaseModel]] = AssessmentResult

    def convert(self, parsed: Any) -> Draft:
        doc: AssessmentResult = parsed
        subject = doc.assessment_subject
        draft = Draft()
        draft.put(("result_id",), text_id(doc.document_id.value), ("documentId", "value"))
        position = ("positionOpening", "positionId", "value")
        draft.put(("job_id",), doc.position_opening.position_id.value, position)
        external = ("assessmentSubject", "subjectId", "value")
        draft.put(("candidate", "external_id"), text_id(subject.subject_id.value), external)
        draft.put(("candidate", "name"), *_name(subject.name))
        if subject.communication and subject.communication.email:
            email = ("assessmentSubject", "communication", "email", 0, "address")
            draft.put(("candidate", "email"), subject.communication.email[0].address, email)
        language = subject.preferred_language
        language = language if isinstance(language, str) else None
        draft.put(("candidate", "locale"), locale(language), ("assessmentSubject",))
        draft.put(("interviewed_at",), doc.administered_date_time, ("administeredDateTime",))
        if doc.overall_result.score is not None:
            where = ("overallResult", "score")
            overall = self._percent(draft, doc.overall_result.score, where)
            draft.put(("overall_score",), overall, (*where, "value"))
        draft.put(("evidence",), [], ("detailedResults",))  # filled by each result's quotes
        for index, item in enumerate(doc.detailed_results):
            self._detailed(draft, item, ("detailedResults", index))
        links = doc.links
        report = next((i for i, link in enumerate(links) if link.rel == "report"), 0)
        if links:
            draft.put(("report_url",), links[report].href, ("links", report, "href"))
        return draft

    def _detailed(self, draft: Draft, item: DetailedResult, where: Loc) -> None:
        name = label(draft, item.name, (*where, "name"))
        if name is not None and item.score is not None:
            percent = self._percent(draft, item.score, (*where, "score"))
            if percent is not None:
                draft.metric("competencies", name, percent, (*where, "score", "value"))
        elif name is not None and item.count is not None:
            draft.metric("counts", name, item.count, (*where, "count"))
        competency = metric_name(name) if name is not None else None
        quotes = [(quote.text, quote.time_offset) for quote in item.evidence]
        draft.add_evidence(competency, quotes, (*where, "evidence"), EVIDENCE)

    def _percent(self, draft: Draft, value: Score, where: Loc) -> float | None:
        low, high = value.minimum, value.maximum
        if low is None and high is None:
            return score(draft, value.value, self.scale, (*where, "value"))
        if not (is_number(low) and is_number(high) and low < high):
            draft.problem(where, "minimum and maximum must be numbers, minimum below maximum")
            return None
        if not (is_number(value.value) and low <= value.value <= high):
            draft.problem((*where, "value"), "must be a number between minimum and maximum")
            return None
        x, lo, hi = float(value.value), float(low), float(high)
        return round((x - lo) / (hi - lo) * 100, 2)

    def redact(self, document: Any, withheld: Collection[str]) -> Any:
        """Without the detailed results named for facial/voice metrics."""
        return without_named(document, "detailedResults")


def _name(name: PersonName | None) -> tuple[Any, Loc]:
    """The candidate's name and where it came from: formattedName, or given + family."""
    where: Loc = ("assessmentSubject", "name")
    if name is None:
        return None, where
    if name.formatted_name is not None:
        return name.formatted_name, (*where, "formattedName")
    parts = [p for p in (name.given_name, name.family_name) if isinstance(p, str) and p.strip()]
    return (" ".join(parts) or None), (*where, "givenName")
