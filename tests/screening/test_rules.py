"""The rule language: tokenizer, parser, evaluation, prohibited metrics, explanations."""

from __future__ import annotations

import pytest

from talentflow.common.events import ConditionResult
from talentflow.screening.metrics import is_prohibited_metric, result_metrics
from talentflow.screening.outcomes import decide_outcome, explain, explain_outcome
from talentflow.screening.rules import (
    MAX_DEPTH,
    And,
    Condition,
    Not,
    Or,
    ProhibitedMetricError,
    RuleSyntaxError,
    compile_rule,
    parse,
)


def holds(expression: str, **metrics: float) -> bool:
    return parse(expression).evaluate(metrics).holds


class TestParse:
    def test_single_condition(self) -> None:
        assert parse("communication >= 85").root == Condition("communication", ">=", 85.0, 0)

    def test_and_binds_tighter_than_or(self) -> None:
        root = parse("a > 1 or b > 2 and c > 3").root
        assert isinstance(root, Or)
        assert root.operands[0] == Condition("a", ">", 1.0, 0)
        assert isinstance(root.operands[1], And)

    def test_not_binds_tighter_than_and(self) -> None:
        root = parse("not a > 1 and b > 2").root
        assert isinstance(root, And) and isinstance(root.operands[0], Not)

    def test_parentheses_override_precedence(self) -> None:
        root = parse("(a > 1 or b > 2) and c > 3").root
        assert isinstance(root, And) and isinstance(root.operands[0], Or)

    def test_chains_are_flat(self) -> None:
        root = parse("a > 1 and b > 2 and c > 3").root
        assert isinstance(root, And) and len(root.operands) == 3

    def test_whitespace_is_free_and_optional(self) -> None:
        for text in ("\n\t( a>=1\tand\n b<2 )  ", "(a>=1 and(b<2))"):
            root = parse(text).root
            assert isinstance(root, And)
            assert [(c.metric, c.operator, c.threshold) for c in parse(text).conditions()] == [
                ("a", ">=", 1.0),
                ("b", "<", 2.0),
            ]

    def test_keywords_and_metrics_are_case_insensitive(self) -> None:
        root = parse("NOT Communication >= 85 AND Logic > 1").root
        assert isinstance(root, And)
        assert root.operands[1] == Condition("logic", ">", 1.0, 28)

    def test_float_and_negative_thresholds(self) -> None:
        assert [c.threshold for c in parse("a >= 85.5 and b > -2 and c < .5").conditions()] == [
            85.5,
            -2.0,
            0.5,
        ]

    @pytest.mark.parametrize("op", [">=", ">", "<=", "<", "==", "!="])
    def test_every_operator(self, op: str) -> None:
        assert parse(f"overall {op} 50").conditions()[0].operator == op

    def test_metric_names_may_start_with_a_keyword(self) -> None:
        assert (
            parse("notes > 1 and order_count > 2 or android > 3").conditions()[0].metric == "notes"
        )


class TestParseErrors:
    @pytest.mark.parametrize(
        ("expression", "position", "message"),
        [
            ("", 0, "the rule is empty"),
            ("   ", 0, "the rule is empty"),
            ("communication >=", 16, "expected a number after 'communication >=', found the end"),
            (
                "communication >= high",
                17,
                "expected a number after 'communication >=', found 'high'",
            ),
            ("communication 85", 14, "expected a comparison operator"),
            ("85 <= communication", 0, "expected a condition such as"),
            ("a > 1 and", 9, "expected a condition such as 'communication >= 80', found the end"),
            ("a > 1 b > 2", 6, "unexpected 'b'; expected 'and', 'or' or the end of the rule"),
            ("(a > 1 and b > 2", 16, "expected ')' to close the '(' at position 0"),
            ("a > 1)", 5, "unexpected ')'"),
            ("()", 1, "expected a condition"),
            ("a & b", 2, "unexpected character '&'"),
            ("a > 1 && b > 2", 6, "unexpected character '&'"),
            ("a > 8.5.1", 4, "invalid number '8.5.1'"),
            ("a > 85x", 4, "invalid number '85x'"),
            ("not", 3, "expected a condition"),
            ("and a > 1", 0, "expected a condition such as 'communication >= 80', found 'and'"),
        ],
    )
    def test_error_names_the_position(self, expression: str, position: int, message: str) -> None:
        with pytest.raises(RuleSyntaxError) as caught:
            parse(expression)
        assert caught.value.position == position
        assert message in caught.value.reason
        assert str(caught.value).endswith(f"(at position {position})")

    @pytest.mark.parametrize(
        ("op", "position"), [("=>", 14), ("=", 14), ("<>", 14), ("!", 14), (">==", 14)]
    )
    def test_unknown_operator(self, op: str, position: int) -> None:
        with pytest.raises(RuleSyntaxError) as caught:
            parse(f"communication {op} 85")
        assert caught.value.position == position
        assert f"unknown operator '{op}'" in caught.value.reason

    def test_single_equals_suggests_double(self) -> None:
        with pytest.raises(RuleSyntaxError, match="did you mean '=='"):
            parse("a = 1")

    def test_a_number_too_large_to_be_finite_is_refused(self) -> None:
        """309 digits read as infinity, which a decision's JSON (and PostgreSQL's jsonb) cannot
        hold; 308 still read as a number."""
        expression = "communication >= 1" + "0" * 309
        with pytest.raises(RuleSyntaxError, match="too large") as caught:
            parse(expression)
        assert caught.value.position == len("communication >= ")
        assert parse("communication >= 1" + "0" * 307).evaluate({"communication": 1}).holds is False

    def test_nesting_is_bounded(self) -> None:
        with pytest.raises(RuleSyntaxError, match=f"more than {MAX_DEPTH} levels"):
            parse("(" * 40 + "a > 1" + ")" * 40)

    def test_length_is_bounded(self) -> None:
        with pytest.raises(RuleSyntaxError, match="longer than"):
            parse(" or ".join(["communication >= 85"] * 200))

    def test_nothing_is_evaluated_as_python(self) -> None:
        with pytest.raises(RuleSyntaxError):
            parse("__import__('os').system('true') > 1")


class TestEvaluate:
    def test_example_rule(self) -> None:
        rule = parse("communication >= 85 and customer_cases >= 2")
        evaluation = rule.evaluate({"communication": 91, "customer_cases": 1})
        assert evaluation.holds is False
        assert evaluation.conditions == (
            ConditionResult(
                metric="communication", operator=">=", threshold=85, actual=91, held=True
            ),
            ConditionResult(
                metric="customer_cases", operator=">=", threshold=2, actual=1, held=False
            ),
        )

    @pytest.mark.parametrize(
        ("op", "expected"),
        [(">=", True), (">", False), ("<=", True), ("<", False), ("==", True), ("!=", False)],
    )
    def test_operators_at_the_boundary(self, op: str, expected: bool) -> None:
        assert holds(f"x {op} 70", x=70) is expected

    def test_float_threshold(self) -> None:
        assert holds("x > 85.5", x=85.6) and not holds("x > 85.5", x=85.5)

    def test_precedence(self) -> None:
        # a or (b and c): true through a alone
        assert holds("a > 1 or b > 1 and c > 1", a=2, b=0, c=0)
        assert not holds("(a > 1 or b > 1) and c > 1", a=2, b=0, c=0)

    def test_not(self) -> None:
        assert holds("not x < 50", x=60) and not holds("not x < 50", x=40)
        assert holds("not not x < 50", x=40)

    def test_every_condition_is_reported_without_short_circuit(self) -> None:
        evaluation = parse("a > 1 or b > 1 or c > 1").evaluate({"a": 2, "b": 0, "c": 5})
        assert evaluation.holds
        assert [(c.metric, c.held) for c in evaluation.conditions] == [
            ("a", True),
            ("b", False),
            ("c", True),
        ]

    def test_missing_metric_is_none_and_not_held(self) -> None:
        evaluation = parse("teamwork >= 70").evaluate({"logic": 99})
        assert not evaluation.holds
        assert evaluation.conditions[0].actual is None and evaluation.conditions[0].held is False

    def test_missing_metric_never_makes_a_rule_hold(self) -> None:
        assert not holds("not teamwork < 50")
        assert not holds("logic > 1 and not teamwork < 50", logic=5)

    def test_missing_metric_does_not_block_another_branch(self) -> None:
        assert holds("teamwork >= 70 or logic >= 70", logic=80)
        assert not holds("teamwork >= 70 and logic >= 70", logic=80)


class TestCompileRule:
    @pytest.mark.parametrize(
        "metric",
        [
            "smile_count",
            "eye_contact_frequency",
            "eye_contact_per_minute",
            "voice_tone",
            "emotion_score",
            "Facial_Expression",
        ],
    )
    def test_emotion_metrics_are_refused_with_their_position(self, metric: str) -> None:
        with pytest.raises(ProhibitedMetricError) as caught:
            compile_rule(f"logic > 50 and {metric} > 2")
        assert caught.value.position == 15
        assert "Art. 5(1)(f)" in caught.value.reason

    @pytest.mark.parametrize(
        "metric", ["stress_tolerance", "emotional_intelligence", "communication", "questions_asked"]
    )
    def test_competencies_are_allowed(self, metric: str) -> None:
        assert not is_prohibited_metric(metric)
        assert compile_rule(f"{metric} > 1").conditions()[0].metric == metric


class TestResultMetrics:
    def test_competencies_counts_and_overall_are_merged_in_lower_case(self) -> None:
        metrics = result_metrics(
            competencies={"Communication": 91.0, "overall": 1.0},
            counts={"customer_cases": 3},
            overall=77.0,
        )
        assert metrics == {"communication": 91.0, "customer_cases": 3.0, "overall": 77.0}

    def test_prohibited_metrics_never_reach_a_rule(self) -> None:
        metrics = result_metrics(competencies={}, counts={"smile_count": 12}, overall=None)
        assert metrics == {}


class TestExplanations:
    def test_lists_met_and_unmet_conditions_with_values(self) -> None:
        evaluation = parse("communication >= 85 and customer_cases >= 2 and logic > 60.5").evaluate(
            {"communication": 91.0, "customer_cases": 1}
        )
        assert explain(evaluation) == (
            "The rule did not hold. Met: communication >= 85 (actual 91). Not met: "
            "customer_cases >= 2 (actual 1); logic > 60.5 (no value in the result)."
        )

    def test_outcome_sentence_mentions_auto_reject_off(self) -> None:
        evaluation = parse("x > 1").evaluate({"x": 0})
        text = explain_outcome("review", evaluation, on_fail="reject")
        assert text.startswith("Sent to human review. The rule did not hold.")
        assert text.endswith(
            "Automatic rejection is switched off for this job, so a person decides."
        )


class TestDecideOutcome:
    @pytest.mark.parametrize(
        ("holds", "on_fail", "auto_reject", "outcome"),
        [
            (True, "reject", True, "advance"),
            (True, "review", False, "advance"),
            (False, "reject", True, "reject"),
            (False, "reject", False, "review"),
            (False, "review", True, "review"),
        ],
    )
    def test_outcome(self, holds: bool, on_fail: str, auto_reject: bool, outcome: str) -> None:
        assert (
            decide_outcome(holds=holds, on_fail=on_fail, auto_reject_enabled=auto_reject) == outcome
        )
