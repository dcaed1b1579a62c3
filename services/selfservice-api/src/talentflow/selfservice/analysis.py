"""Gap analysis: an interview result read against the job's requirements, with advice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from talentflow.selfservice.advice import advice_for
from talentflow.selfservice.models import Decision, Report
from talentflow.selfservice.schemas import (
    Advice,
    CompetencyComparison,
    ConditionOutcome,
    DecisionView,
    EvidenceQuote,
    InterviewReport,
    JobRef,
    Origin,
    ReportStatus,
)


def compare(
    scores: Mapping[str, float], requirements: Mapping[str, float]
) -> list[CompetencyComparison]:
    """Each required or scored competency: score, minimum, gap and whether it was met."""
    out = []
    for name in sorted(set(scores) | set(requirements)):
        score = scores.get(name)
        required = requirements.get(name)
        gap: float | None = None
        met: bool | None = None
        if required is not None:
            met = score is not None and score >= required
            if score is not None:
                gap = round(max(0.0, required - score), 2)
        out.append(
            CompetencyComparison(competency=name, score=score, required=required, gap=gap, met=met)
        )
    return out


def advise(comparisons: Sequence[CompetencyComparison]) -> list[Advice]:
    """Concrete advice for every unmet requirement, the largest gap first."""
    unmet = [c for c in comparisons if c.met is False and c.required is not None]
    unmet.sort(key=lambda c: (-(c.gap if c.gap is not None else c.required or 0), c.competency))
    out = []
    for c in unmet:
        assert c.required is not None
        entry = advice_for(c.competency, c.gap)
        out.append(
            Advice(
                competency=c.competency,
                score=c.score,
                required=c.required,
                gap=c.gap,
                title=entry.title,
                actions=list(entry.actions),
            )
        )
    return out


def decision_view(decision: Decision) -> DecisionView:
    return DecisionView.model_validate(
        {
            "decision_id": decision.decision_id,
            "outcome": decision.outcome,
            "explanation": decision.explanation,
            "decided_at": decision.decided_at,
            "conditions": [ConditionOutcome.model_validate(c) for c in decision.conditions],
        }
    )


def build_report(
    *,
    report: Report | None,
    decision: Decision | None,
    evidence: Sequence[Mapping[str, Any]],
) -> InterviewReport:
    """One report view; either the result or its decision may not have arrived yet."""
    if report is None and decision is None:
        raise ValueError("a report needs a result or a decision")
    requirements = decision.requirements if decision is not None else {}
    scores = report.competencies if report is not None else {}
    comparisons = compare(scores, requirements)
    status: ReportStatus = "complete"
    if report is None:
        status = "awaiting_result"
    elif decision is None:
        status = "historical" if report.origin == "import" else "awaiting_decision"
    source = report if report is not None else decision
    assert source is not None
    return InterviewReport(
        result_id=source.result_id,
        status=status,
        job=JobRef(id=source.job_id, title=decision.job_title if decision else None),
        interviewed_at=report.interviewed_at if report else None,
        overall_score=report.overall_score if report else None,
        competencies=comparisons,
        counts=dict(report.counts) if report else {},
        evidence=[EvidenceQuote.model_validate(q) for q in evidence],
        decision=decision_view(decision) if decision else None,
        advice=advise(comparisons) if report is not None else [],
        report_url=report.report_url if report else None,
        version=report.version if report else None,
        origin=cast(Origin, report.origin) if report else None,
    )
