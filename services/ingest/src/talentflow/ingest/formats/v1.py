"""The `talentflow.v1` result format, and the field types every format's result must satisfy.

Every adapter ends with a talentflow.v1 result (scores on 0-100), validated by
`InterviewResultV1`, so the same rules (lengths, e-mail, https URLs, metric names, no control
characters) hold whatever the vendor sent.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from talentflow.common.text import MultiLineText, OneLineText, valid_unicode

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"[^@\s\x00-\x1f\x7f]{{1,64}}@{_LABEL}(?:\.{_LABEL})+")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
_SPACE = re.compile(r"\s")  # for str patterns, exactly the characters str.isspace() accepts

# An interview that has taken place: not before 1990, and at most a day ahead of this clock
# (a vendor's clock or time zone a little off). Beyond that a time is a vendor's bug, and one
# past year 9999 in UTC could not even be stored.
EARLIEST_INTERVIEW = datetime(1990, 1, 1, tzinfo=UTC)
INTERVIEW_CLOCK_SKEW = timedelta(days=1)


def _email(value: str) -> str:
    valid_unicode(value)
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise PydanticCustomError("email", "must be an e-mail address like name@example.com")
    return value


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or _SPACE.search(value):
        raise PydanticCustomError("url", "must be an https:// URL")
    return value


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, datetime):  # built by an adapter (Python mode); AwareDatetime checks it
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.match(value):
        raise PydanticCustomError(
            "datetime_format",
            "must be an ISO 8601 date-time with an offset, e.g. 2026-03-01T10:15:00+08:00",
        )
    return value


def _interview_time(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):  # out of datetime's range once in UTC
        utc = None
    if utc is None or not EARLIEST_INTERVIEW <= utc <= datetime.now(UTC) + INTERVIEW_CLOCK_SKEW:
        raise PydanticCustomError(
            "datetime_range",
            "must be when the interview took place: after 1990-01-01 and no later than a day "
            "from now",
        )
    return value


METRIC_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")  # fullmatch: a metric name in snake_case
MetricName = Annotated[str, StringConstraints(pattern=rf"^{METRIC_NAME.pattern}$")]
Score = Annotated[float, Field(ge=0, le=100, strict=True, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=1_000_000_000, strict=True)]
Measure = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), OneLineText]
Email = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_email)]
HttpsUrl = Annotated[
    str,
    StringConstraints(max_length=2000),
    OneLineText,
    AfterValidator(_https_url),
]
InterviewTime = Annotated[
    AwareDatetime, BeforeValidator(_iso_datetime), AfterValidator(_interview_time)
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CandidateV1(_Strict):
    external_id: Annotated[Text, Field(max_length=200, description="The vendor's/ATS's id")]
    name: Annotated[Text, Field(max_length=200)] | None = None
    email: Email | None = None
    locale: Literal["en", "zh-CN"] = "en"


class EvidenceV1(_Strict):
    competency: MetricName | None = None
    quote: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=5000),
        MultiLineText,
    ]
    at_seconds: (
        Annotated[
            float,
            Field(
                ge=0,
                le=86_400,
                strict=True,
                allow_inf_nan=False,
                description="Seconds into the interview's recording",
            ),
        ]
        | None
    ) = None


class InterviewResultV1(_Strict):
    """One interview result in the `talentflow.v1` format (scores on 0-100)."""

    model_config = ConfigDict(
        title="InterviewResultV1",
        json_schema_extra={
            "examples": [
                {
                    "result_id": "res-20260301-0042",
                    "job_id": "8c1d3f0e-5a7b-4c2d-9e8f-0a1b2c3d4e5f",
                    "candidate": {
                        "external_id": "ats-123",
                        "name": "Ada Lovelace",
                        "email": "ada@example.com",
                        "locale": "en",
                    },
                    "interviewed_at": "2026-03-01T10:15:00+08:00",
                    "overall_score": 81,
                    "competencies": {"communication": 88, "logic": 74},
                    "counts": {"customer_cases": 3, "questions_asked": 5},
                    "evidence": [
                        {"competency": "communication", "quote": "...", "at_seconds": 312.5}
                    ],
                    "biometrics": {"smile_count": 14, "eye_contact_ratio": 0.71},
                    "report_url": "https://vendor.example/reports/res-20260301-0042",
                }
            ]
        },
    )

    result_id: Annotated[Text, Field(max_length=200, description="The vendor's result id")]
    job_id: uuid.UUID
    candidate: CandidateV1
    interviewed_at: InterviewTime
    overall_score: Score | None = None
    competencies: Annotated[dict[MetricName, Score], Field(max_length=200)] = {}
    counts: Annotated[dict[MetricName, Count], Field(max_length=200)] = {}
    evidence: Annotated[list[EvidenceV1], Field(max_length=500)] = []
    biometrics: Annotated[dict[MetricName, Measure], Field(max_length=200)] = {}
    report_url: HttpsUrl | None = None
