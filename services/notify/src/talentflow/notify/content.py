"""What a decision's message says: the locale, the explanation in plain words, the gaps.

Builds locale-aware, template-ready values from a `ScreeningDecisionMade`; the sentences
themselves live in the templates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from talentflow.common.events import ConditionResult, ScreeningDecisionMade
from talentflow.notify import advice
from talentflow.notify.advice import EN, ZH_CN

# A condition is a minimum with these operators and a maximum with the others.
_MINIMUM_OPERATORS = (">=", ">")
_MAXIMUM_OPERATORS = ("<=", "<")

# "communication >= 85" in words: "at least 85".
OPERATOR_WORDS: dict[str, dict[str, str]] = {
    EN: {
        ">=": "at least {}",
        ">": "more than {}",
        "<=": "at most {}",
        "<": "less than {}",
        "==": "exactly {}",
        "!=": "anything other than {}",
    },
    ZH_CN: {
        ">=": "不低于 {}",
        ">": "高于 {}",
        "<=": "不高于 {}",
        "<": "低于 {}",
        "==": "等于 {}",
        "!=": "不等于 {}",
    },
}


def resolve_locale(requested: str | None) -> str:
    """The supported locale for a candidate's locale tag: zh-CN for Chinese, else en."""
    tag = (requested or "").strip().replace("_", "-").lower()
    if tag == "zh" or tag.startswith(("zh-cn", "zh-hans", "zh-sg")):
        return ZH_CN
    return EN


def number(value: float) -> str:
    """72.0 -> "72", 72.46 -> "72.5": how a score reads in a message."""
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}"


def requirement(operator: str, threshold: float, locale: str) -> str:
    """`>=`, 85 -> "at least 85" in `locale` (an unknown operator is shown as it is)."""
    words = OPERATOR_WORDS[locale].get(operator.strip())
    return words.format(number(threshold)) if words else f"{operator} {number(threshold)}"


@dataclass(frozen=True)
class ConditionView:
    """One condition of the decision, ready for a template."""

    label: str
    requirement: str
    actual: str | None
    held: bool


@dataclass(frozen=True)
class GapView:
    """Where the candidate fell short of the role, by how much, and what to practise."""

    label: str
    requirement: str
    actual: str | None
    shortfall: str | None
    is_count: bool
    advice: str


def _shortfall(operator: str, threshold: float, actual: float | None) -> float | None:
    if actual is None:
        return None
    if operator in _MINIMUM_OPERATORS and actual < threshold:
        return threshold - actual
    if operator in _MAXIMUM_OPERATORS and actual > threshold:
        return actual - threshold
    return None


@dataclass
class _Gap:
    metric: str
    operator: str
    target: float
    actual: float | None
    shortfall: float | None


def _gaps(conditions: Iterable[ConditionResult], requirements: Mapping[str, float]) -> list[_Gap]:
    """Failed conditions, then requirements the known values fall short of; one per metric."""
    found: dict[str, _Gap] = {}
    actuals: dict[str, float] = {}
    for c in conditions:
        key = advice.normalize(c.metric)
        if c.actual is not None:
            actuals.setdefault(key, c.actual)
        if not c.held and key not in found:
            shortfall = _shortfall(c.operator, c.threshold, c.actual)
            found[key] = _Gap(c.metric, c.operator, c.threshold, c.actual, shortfall)
    for metric, minimum in requirements.items():
        key = advice.normalize(metric)
        actual = actuals.get(key)
        if actual is None or actual >= minimum:
            continue
        gap = found.get(key)
        if gap is None or (gap.shortfall is not None and minimum - actual > gap.shortfall):
            found[key] = _Gap(metric, ">=", minimum, actual, minimum - actual)
    return list(found.values())


def condition_views(conditions: Iterable[ConditionResult], locale: str) -> list[ConditionView]:
    """The decision's conditions as a candidate reads them."""
    return [
        ConditionView(
            label=advice.label(c.metric, locale),
            requirement=requirement(c.operator, c.threshold, locale),
            actual=None if c.actual is None else number(c.actual),
            held=c.held,
        )
        for c in conditions
    ]


def gap_views(
    conditions: Iterable[ConditionResult], requirements: Mapping[str, float], locale: str
) -> list[GapView]:
    """The gaps behind a decision with the advice for each, as a candidate reads them."""
    return [
        GapView(
            label=advice.label(g.metric, locale),
            requirement=requirement(g.operator, g.target, locale),
            actual=None if g.actual is None else number(g.actual),
            shortfall=None if g.shortfall is None else number(g.shortfall),
            is_count=advice.is_count(g.metric),
            advice=advice.advice_for(g.metric, locale),
        )
        for g in _gaps(conditions, requirements)
    ]


def message_context(event: ScreeningDecisionMade, locale: str) -> dict[str, Any]:
    """Everything a template of `event.outcome` may use, in `locale`."""
    conditions = list(event.conditions)
    return {
        "name": (event.candidate.name or "").strip() or None,
        "job_title": event.job_title,
        "outcome": event.outcome,
        "conditions": condition_views(conditions, locale),
        "gaps": gap_views(conditions, event.requirements, locale),
        "explanation": event.explanation.strip() or None,
        "decided_on": event.decided_at.date().isoformat(),
    }
