"""The declarative mapping (format mapping.v1), as stored with a vendor and sent over the API.

Each field of the normalized result gets a source: a JMESPath expression evaluated on the
vendor's JSON document (a plain string is short for {"expr": ...}) or a constant
({"const": ...}). Scores are converted from their scale onto 0-100. Every expression is
compiled when the mapping is validated, so a mapping that was saved always compiles.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from talentflow.common.text import StorableText, storable
from talentflow.ingest.formats.convert import is_biometric
from talentflow.ingest.formats.expressions import checked, compile_expression, plain_path
from talentflow.ingest.formats.v1 import METRIC_NAME
from talentflow.ingest.models import ScoreScale

Expression = Annotated[
    str,
    StringConstraints(min_length=1, max_length=1000),
    StorableText,  # stored as JSON in PostgreSQL
    AfterValidator(checked),
]


def _storable_constant(value: str | int | float | bool) -> str | int | float | bool:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise PydanticCustomError("finite_number", "must be a finite number")
    return value


Constant = Annotated[
    StrictStr | StrictInt | StrictFloat | StrictBool, AfterValidator(_storable_constant)
]
NOT_PLAIN = "must be a plain path like a.b[0].c, so that policy drop can remove it from the archive"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _shorthand(value: Any) -> Any:
    """ "a.b" is short for {"expr": "a.b"} (checked here, so an error names this field)."""
    if isinstance(value, str):
        return {"expr": checked(storable(value))}
    return value


class Source(_Spec):
    """Where a value comes from: a JMESPath expression (`expr`) or a constant (`const`)."""

    expr: Expression | None = None
    const: Constant | None = None

    @model_validator(mode="after")
    def _one(self) -> Source:
        if (self.expr is None) == (self.const is None):
            raise ValueError("give exactly one of expr and const")
        return self


class ScoreSource(Source):
    """A score; `scale` when it is not on the mapping's default scale."""

    scale: ScoreScale | None = None


# A plain string is accepted too (short for {"expr": ...}): the schema says so.
SourceField = Annotated[Source, BeforeValidator(_shorthand, json_schema_input_type=str | Source)]
ScoreSourceField = Annotated[
    ScoreSource, BeforeValidator(_shorthand, json_schema_input_type=str | ScoreSource)
]


class _MetricsBase(_Spec):
    """A set of metrics, in one of three forms (a plain string is short for {"expr": ...}):
    a map {name: source}; `expr`, one expression yielding an object {label: value} (labels
    are turned into snake_case names); or `items` selecting a list, with `name` and `value`
    evaluated on each item."""

    model_config = ConfigDict(extra="allow")

    expr: Expression | None = None
    items: Expression | None = None
    name: Expression | None = None
    value: Expression | None = None

    @model_validator(mode="after")
    def _form(self) -> _MetricsBase:
        named = self.model_extra or {}
        forms = [bool(named), self.expr is not None, self.items is not None]
        if sum(forms) != 1:
            raise ValueError("give a map of names, or expr, or items with name and value")
        if (self.items is None) != (self.name is None) or (self.name is None) != (
            self.value is None
        ):
            raise ValueError("items, name and value go together")
        for key in named:
            if not METRIC_NAME.fullmatch(key):
                raise ValueError(f"{key!r} is not a metric name (a-z, 0-9, _; at most 64)")
        return self

    def named(self) -> dict[str, Source]:
        return dict(self.model_extra or {})


class Metrics(_MetricsBase):
    """Counts or biometrics: a map {name: source}, `expr` yielding an object {label: value},
    or `items` with `name` and `value` evaluated on each item."""

    __pydantic_extra__: dict[str, SourceField] = Field(init=False)


class ScoreMetrics(_MetricsBase):
    """Competency scores, in the forms of `Metrics`; `scale` for all of them (a named source
    may have its own)."""

    __pydantic_extra__: dict[str, ScoreSourceField] = Field(init=False)

    scale: ScoreScale | None = None


MetricsField = Annotated[Metrics, BeforeValidator(_shorthand, json_schema_input_type=str | Metrics)]
ScoreMetricsField = Annotated[
    ScoreMetrics, BeforeValidator(_shorthand, json_schema_input_type=str | ScoreMetrics)
]


class CandidateSpec(_Spec):
    """Where the candidate's fields come from (`external_id` required)."""

    external_id: SourceField
    name: SourceField | None = None
    email: SourceField | None = None
    locale: SourceField | None = Field(
        default=None, description="Any language tag: zh* becomes zh-CN, anything else en"
    )


class EvidenceSpec(_Spec):
    """`items` selects a list; the other expressions are evaluated on each of its items."""

    items: Expression
    quote: SourceField
    competency: SourceField | None = None
    at_seconds: SourceField | None = Field(
        default=None, description='Seconds, "mm:ss", "hh:mm:ss.f" or an ISO 8601 duration'
    )


class MappingFields(_Spec):
    """Where each field of the normalized result comes from."""

    result_id: SourceField
    job_id: SourceField
    candidate: CandidateSpec
    interviewed_at: SourceField = Field(
        description="An ISO 8601 date-time with an offset, or Unix seconds"
    )
    overall_score: ScoreSourceField | None = None
    competencies: ScoreMetricsField | None = None
    counts: MetricsField | None = None
    evidence: EvidenceSpec | None = None
    biometrics: MetricsField | None = Field(
        default=None, description="Facial/voice metrics: every expression a plain path"
    )
    report_url: SourceField | None = None

    @field_validator("competencies", "counts")
    @classmethod
    def _removable_by_name(cls, metrics: _MetricsBase | None) -> _MetricsBase | None:
        """A metric named for the face or the voice must come from a plain path (policy drop)."""
        for name, source in (metrics.named() if metrics else {}).items():
            if is_biometric(name) and not _plain(source.expr):
                raise ValueError(f"{name}: {NOT_PLAIN}")
        return metrics

    @field_validator("biometrics")
    @classmethod
    def _removable(cls, metrics: Metrics | None) -> Metrics | None:
        """Every biometrics expression must be a plain path (policy drop)."""
        if metrics is not None:
            sources = [s.expr for s in metrics.named().values()]
            for expr in [*sources, metrics.expr, metrics.items]:
                if not _plain(expr):
                    raise ValueError(f"{expr}: {NOT_PLAIN}")
        return metrics


def _plain(expr: str | None) -> bool:
    return expr is None or plain_path(compile_expression(expr)) is not None


class Mapping(_Spec):
    """A declarative mapping (format mapping.v1): JMESPath expressions on the vendor's JSON
    document for each field of the normalized result, scores converted onto 0-100."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "default_scale": "1-5",
                    "fields": {
                        "result_id": "assessment.id",
                        "job_id": "assessment.requisition",
                        "candidate": {
                            "external_id": "applicant.ref",
                            "name": "applicant.displayName",
                            "email": "applicant.contact.email",
                            "locale": {"const": "zh-CN"},
                        },
                        "interviewed_at": "assessment.finishedAt",
                        "overall_score": {"expr": "assessment.total", "scale": "0-10"},
                        "competencies": {"communication": "ratings.comm", "logic": "ratings.logic"},
                        "counts": {"items": "stats", "name": "label", "value": "n"},
                        "evidence": {"items": "highlights", "quote": "text", "at_seconds": "at"},
                        "biometrics": "video.metrics",
                        "report_url": "links.report",
                    },
                }
            ]
        }
    )

    default_scale: ScoreScale | None = Field(
        default=None, description="The scale of scores without their own; default: the vendor's"
    )
    fields: MappingFields
