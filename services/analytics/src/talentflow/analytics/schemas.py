"""Analytics' API models: report periods, the funnel and competency reports."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from talentflow.common.events.ingest import Origin


class Period(BaseModel):
    """Interview days a report covers, both ends inclusive (UTC); None leaves that end open."""

    model_config = ConfigDict(frozen=True)

    start: date | None = None
    end: date | None = None


class FunnelFigures(BaseModel):
    """How far the results of a period got through screening."""

    results_received: int = Field(
        description="Interview results interviewed in the period, live and imported."
    )
    imported: int = Field(
        description="Of those, historical results from a bulk import (never screened here)."
    )
    decided: int = Field(description="Results with at least one screening decision.")
    undecided: int = Field(
        description="Results without a decision: live ones awaiting screening, and imported "
        "ones, which are never decided (results_received - decided)."
    )
    advanced: int = Field(description="Results whose latest decision is `advance`.")
    rejected: int = Field(description="Results whose latest decision is `reject`.")
    in_review: int = Field(description="Results whose latest decision is `review` (human review).")
    advance_rate: float | None = Field(
        description="advanced / decided, 0-1 (undecided results do not lower it); null when "
        "nothing was decided."
    )
    median_seconds_to_decision: float | None = Field(
        description=(
            "Median seconds from the interview to the result's latest decision, over the "
            "decided results; null when nothing was decided yet."
        )
    )


class JobFunnel(FunnelFigures):
    """The funnel of one job."""

    job_id: uuid.UUID


class FunnelReport(BaseModel):
    """The screening funnel per job and over all of them, for the caller's tenant."""

    model_config = ConfigDict(validate_by_name=True, serialize_by_alias=True)

    job_id: uuid.UUID | None = Field(description="The job filter, if any.")
    from_: date | None = Field(alias="from", description="First interview day (UTC), if any.")
    to: date | None = Field(description="Last interview day (UTC, inclusive), if any.")
    origin: Origin | None = Field(description="The origin filter, if any.")
    jobs: list[JobFunnel] = Field(description="One entry per job with results, by job id.")
    totals: FunnelFigures = Field(description="All the jobs above together.")


class CompetencyStats(BaseModel):
    """The distribution of one competency's scores (0-100)."""

    competency: str
    count: int = Field(description="Results that scored this competency.")
    mean: float
    median: float
    p25: float = Field(description="First quartile (linear interpolation, inclusive method).")
    p75: float = Field(description="Third quartile (linear interpolation, inclusive method).")


class CompetencyReport(BaseModel):
    """Score distributions per competency, for the caller's tenant."""

    job_id: uuid.UUID | None = Field(description="The job filter, if any.")
    competencies: list[CompetencyStats] = Field(description="One entry per competency, by name.")
