"""From a rule's evaluation to an outcome and the sentence explaining it (GDPR Art. 15, 22)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from talentflow.common.events import ConditionResult
from talentflow.screening.models import RuleSet
from talentflow.screening.rules import Evaluation, RuleError, compile_rule

Outcome = Literal["advance", "reject", "review"]
_VERDICTS = {
    "advance": "Advanced to the next step.",
    "reject": "Rejected.",
    "review": "Sent to human review.",
}
_AUTO_REJECT_OFF = " Automatic rejection is switched off for this job, so a person decides."
NO_ACTIVE_RULE = "Sent to human review: the job has no active rule."
_MOVED = (
    "The interview result was corrected (now version {version}) to name another job and "
    "screened for that job{change}. This replaces the earlier decision."
)
_CORRECTED = (
    "The interview result was corrected (now version {version}) and screened again, which "
    "changed the outcome from {previous} to {outcome}. This replaces the earlier decision."
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a rule set makes of a result's metrics: the outcome and its explanation."""

    outcome: Outcome
    evaluation: Evaluation
    explanation: str
    rule_set: RuleSet | None


def judge(
    *, rule_set: RuleSet | None, auto_reject_enabled: bool, metrics: Mapping[str, float]
) -> Verdict:
    """Apply `rule_set` (review when there is none or it cannot be used) to `metrics`."""
    if rule_set is None:
        return Verdict("review", Evaluation(holds=False, conditions=()), NO_ACTIVE_RULE, None)
    try:
        rule = compile_rule(rule_set.expression)
    except RuleError as exc:  # a rule that a newer policy no longer accepts
        explanation = f"Sent to human review: the active rule cannot be used ({exc})."
        return Verdict("review", Evaluation(holds=False, conditions=()), explanation, rule_set)
    evaluation = rule.evaluate(metrics)
    outcome = decide_outcome(
        holds=evaluation.holds, on_fail=rule_set.on_fail, auto_reject_enabled=auto_reject_enabled
    )
    explanation = explain_outcome(outcome, evaluation, on_fail=rule_set.on_fail)
    return Verdict(outcome, evaluation, explanation, rule_set)


def explain_correction(
    explanation: str, *, previous: str, outcome: str, version: int, moved: bool = False
) -> str:
    """A superseding decision's explanation: why it was decided again, then the usual text.
    `moved`: the correction names another job than the earlier decision's."""
    if moved:
        change = (
            ""
            if previous == outcome
            else f", which changed the outcome from {previous} to {outcome}"
        )
        why = _MOVED.format(version=version, change=change)
    else:
        why = _CORRECTED.format(version=version, previous=previous, outcome=outcome)
    return f"{why} {explanation}"


def decide_outcome(*, holds: bool, on_fail: str, auto_reject_enabled: bool) -> Outcome:
    """Advance when the rule holds; otherwise on_fail, but never reject without auto-reject."""
    if holds:
        return "advance"
    if on_fail == "reject" and auto_reject_enabled:
        return "reject"
    return "review"


def explain_outcome(outcome: Outcome, evaluation: Evaluation, *, on_fail: str) -> str:
    """The decision's explanation: the verdict, then each condition with its value."""
    text = f"{_VERDICTS[outcome]} {explain(evaluation)}"
    if outcome == "review" and on_fail == "reject":
        text += _AUTO_REJECT_OFF
    return text


def format_number(value: float) -> str:
    """85.0 -> "85", 85.5 -> "85.5"."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def describe(condition: ConditionResult) -> str:
    """`communication >= 85 (actual 91)`, or `... (no value in the result)`."""
    text = f"{condition.metric} {condition.operator} {format_number(condition.threshold)}"
    if condition.actual is None:
        return f"{text} (no value in the result)"
    return f"{text} (actual {format_number(condition.actual)})"


def explain(evaluation: Evaluation) -> str:
    """A sentence naming the conditions that held and those that failed, with the values."""
    held = [describe(c) for c in evaluation.conditions if c.held]
    failed = [describe(c) for c in evaluation.conditions if not c.held]
    parts = ["The rule held." if evaluation.holds else "The rule did not hold."]
    if held:
        parts.append("Met: " + "; ".join(held) + ".")
    if failed:
        parts.append("Not met: " + "; ".join(failed) + ".")
    return " ".join(parts)
