"""Analytics' use cases: keep the read model, compute the reports.

Statistics come from Python's `statistics` module: quartiles with
`statistics.quantiles(method="inclusive")`, i.e. linear interpolation between order statistics
(the same as numpy's default, PostgreSQL's percentile_cont and Excel's PERCENTILE.INC). The
funnel's median is PostgreSQL's percentile_cont(0.5), which interpolates the same way.
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.analytics import repository
from talentflow.analytics.models import Decision, Outcome, Result
from talentflow.analytics.schemas import (
    CompetencyReport,
    CompetencyStats,
    FunnelFigures,
    FunnelReport,
    JobFunnel,
    Period,
)
from talentflow.common.events import (
    EmploymentOutcomeRecorded,
    InterviewResult,
    ScreeningDecisionMade,
)
from talentflow.common.events.ingest import Origin


def _aware(moment: datetime) -> datetime:
    """`moment` with a time zone; a naive time is taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def record_result(
    session: AsyncSession, *, event: InterviewResult, received_at: datetime
) -> None:
    """Copy a result's ids, scores and counts into the read model, never its personal data.

    A correction (a higher `version`) replaces the stored copy; an older one changes nothing.
    """
    # Deliberately not copied: candidate (contact), evidence (free text), biometrics,
    # vendor_result_id and report_url (they lead back to the person at the vendor).
    await repository.upsert_result(
        session,
        Result(
            result_id=event.result_id,
            version=event.version,
            tenant_id=event.tenant_id,
            job_id=event.job_id,
            candidate_id=event.candidate_id,
            vendor_id=event.vendor_id,
            interviewed_at=_aware(event.interviewed_at),
            overall_score=event.overall_score,
            competencies=dict(event.competencies),
            counts=dict(event.counts),
            received_at=_aware(received_at),
            origin=event.origin,
        ),
    )


async def record_decision(session: AsyncSession, *, event: ScreeningDecisionMade) -> None:
    """Copy a decision's ids, outcome and time into the read model, never its explanation."""
    await repository.upsert_decision(
        session,
        Decision(
            decision_id=event.decision_id,
            result_id=event.result_id,
            tenant_id=event.tenant_id,
            job_id=event.job_id,
            candidate_id=event.candidate_id,
            outcome=event.outcome,
            rule_version=event.rule_version,
            decided_at=_aware(event.decided_at),
        ),
    )


async def record_outcome(session: AsyncSession, *, event: EmploymentOutcomeRecorded) -> None:
    """Copy an employment outcome (hired, performance, retention) into the read model."""
    await repository.upsert_outcome(
        session,
        Outcome(
            outcome_id=event.outcome_id,
            tenant_id=event.tenant_id,
            candidate_id=event.candidate_id,
            job_id=event.job_id,
            hired=event.hired,
            performance_rating=event.performance_rating,
            still_employed=event.still_employed,
            measured_on=event.measured_on,
            recorded_at=_aware(event.recorded_at),
        ),
    )


def _figures(row: repository.FunnelRow) -> FunnelFigures:
    return FunnelFigures(
        results_received=row.received,
        imported=row.imported,
        decided=row.decided,
        undecided=row.received - row.decided,
        advanced=row.advanced,
        rejected=row.rejected,
        in_review=row.in_review,
        advance_rate=row.advanced / row.decided if row.decided else None,
        median_seconds_to_decision=row.median_seconds,
    )


_NOTHING = repository.FunnelRow(None, 0, 0, 0, 0, 0, 0, None)


def _interview_window(period: Period) -> tuple[datetime | None, datetime | None]:
    """`period` as UTC times [since, until); None leaves that end open. The last day ends where
    the next one starts; after date.max (9999-12-31) there is none and no time is later, so
    that end stays open rather than overflowing."""
    since = datetime.combine(period.start, time.min, UTC) if period.start else None
    if period.end is None or period.end == date.max:
        return since, None
    return since, datetime.combine(period.end + timedelta(days=1), time.min, UTC)


async def funnel_report(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    job_id: uuid.UUID | None,
    period: Period,
    origin: Origin | None = None,
) -> FunnelReport:
    """The screening funnel of the tenant's results interviewed in `period`, per job and overall."""
    since, until = _interview_window(period)
    rows = await repository.funnel_counts(
        session, tenant_id=tenant_id, job_id=job_id, since=since, until=until, origin=origin
    )
    total = next((row for row in rows if row.job_id is None), _NOTHING)
    return FunnelReport(
        job_id=job_id,
        from_=period.start,
        to=period.end,
        origin=origin,
        jobs=[
            JobFunnel(job_id=row.job_id, **_figures(row).model_dump())
            for row in rows
            if row.job_id is not None
        ],
        totals=_figures(total),
    )


def _distribution(competency: str, scores: list[float]) -> CompetencyStats:
    if len(scores) > 1:
        p25, _, p75 = statistics.quantiles(scores, n=4, method="inclusive")
    else:
        p25 = p75 = scores[0]
    return CompetencyStats(
        competency=competency,
        count=len(scores),
        mean=statistics.fmean(scores),
        median=statistics.median(scores),
        p25=p25,
        p75=p75,
    )


async def competency_report(
    session: AsyncSession, *, tenant_id: uuid.UUID, job_id: uuid.UUID | None
) -> CompetencyReport:
    """Count, mean, median and quartiles of each competency's scores in the tenant's results."""
    scores: defaultdict[str, list[float]] = defaultdict(list)
    for competency, score in await repository.competency_scores(
        session, tenant_id=tenant_id, job_id=job_id
    ):
        scores[competency].append(score)
    return CompetencyReport(
        job_id=job_id,
        competencies=[_distribution(name, values) for name, values in sorted(scores.items())],
    )
