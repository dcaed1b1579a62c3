"""Templates, the explanation in plain words, the gaps and the advice catalogue (pure units)."""

# ruff: noqa: RUF001 - the Chinese texts use full-width punctuation on purpose

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from jinja2 import UndefinedError

from talentflow.common.events import ConditionResult, ScreeningDecisionMade
from talentflow.notify import advice
from talentflow.notify.content import gap_views, message_context, resolve_locale
from talentflow.notify.rendering import render

Decision = Callable[..., ScreeningDecisionMade]

EXPECTED_SUBJECTS = {
    ("advance", "en"): "Next step: your application for Customer Success Manager",
    ("reject", "en"): "Your application for Customer Success Manager: our decision and feedback",
    ("review", "en"): "Your application for Customer Success Manager is being reviewed by a person",
    ("advance", "zh-CN"): "下一步：您申请的「Customer Success Manager」职位",
    ("reject", "zh-CN"): "关于您申请的「Customer Success Manager」职位：结果与反馈",
    ("review", "zh-CN"): "您申请的「Customer Success Manager」职位正在由招聘人员人工审核",
}
# One phrase per outcome and locale that only that message has.
EXPECTED_PHRASES = {
    ("advance", "en"): "moves on to the next round",
    ("reject", "en"): "we will not take your application further",
    ("review", "en"): "reviewed by a person from the recruiting team",
    ("advance", "zh-CN"): "已进入下一轮",
    ("reject", "zh-CN"): "这次无法推进您的申请",
    ("review", "zh-CN"): "正由招聘团队的工作人员进行人工审核",
}


def rendered(event: ScreeningDecisionMade, locale: str | None = None) -> Any:
    resolved = resolve_locale(locale or event.candidate.locale)
    return render(event.outcome, resolved, message_context(event, resolved))


class TestRender:
    @pytest.mark.parametrize(("outcome", "locale"), sorted(EXPECTED_SUBJECTS))
    def test_every_outcome_renders_in_every_locale(
        self, make_decision: Decision, outcome: str, locale: str
    ) -> None:
        message = rendered(make_decision(outcome=outcome, locale=locale))
        assert message.locale == locale
        assert message.subject == EXPECTED_SUBJECTS[outcome, locale]
        for body in (message.text, message.html):
            assert EXPECTED_PHRASES[outcome, locale] in body
            assert "Ada Lovelace" in body
            # The explanation: each condition with its value and what was required.
            assert ("Communication" if locale == "en" else "沟通表达") in body
            assert "72" in body and "85" in body
        assert message.html.lstrip().startswith("<!DOCTYPE html>")
        assert f'<html lang="{locale}">' in message.html

    def test_reject_names_the_gap_and_the_practice_in_english(
        self, make_decision: Decision
    ) -> None:
        message = rendered(make_decision(outcome="reject"))
        assert "Communication: 72; the role asks for at least 85 (a gap of 13 points)." in (
            message.text
        )
        assert "What to practise: Answer practice questions with the STAR structure" in (
            message.text
        )
        assert "ask for a person to review it" in message.text

    def test_reject_names_the_gap_and_the_practice_in_chinese(
        self, make_decision: Decision
    ) -> None:
        message = rendered(make_decision(outcome="reject", locale="zh-CN"))
        assert "沟通表达：72；该职位要求不低于 85（相差 13 分）。" in message.text
        assert "练习建议：用 STAR 结构" in message.text
        assert "要求由人工重新审核这一决定" in message.text

    def test_html_escapes_the_name_and_text_keeps_it(self, make_decision: Decision) -> None:
        event = make_decision(name="<script>alert(1)</script>", job_title="<b>CSM</b>")
        message = rendered(event)
        assert "<script>" not in message.html and "<b>CSM</b>" not in message.html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message.html
        assert "&lt;b&gt;CSM&lt;/b&gt;" in message.html
        assert "Dear <script>alert(1)</script>," in message.text

    def test_a_candidate_without_a_name_is_greeted_politely(self, make_decision: Decision) -> None:
        assert rendered(make_decision(name=None)).text.startswith("Hello,\n")
        assert rendered(make_decision(name=" ", locale="zh-CN")).text.startswith("您好：\n")

    def test_a_title_with_line_breaks_gives_a_one_line_subject(
        self, make_decision: Decision
    ) -> None:
        message = rendered(make_decision(job_title="CSM\r\nBcc: someone@example.com"))
        assert "\n" not in message.subject and "\r" not in message.subject

    def test_an_unknown_locale_falls_back_to_english(self, make_decision: Decision) -> None:
        message = rendered(make_decision(locale="fr-FR"))
        assert message.locale == "en"
        assert message.subject == EXPECTED_SUBJECTS["reject", "en"]

    def test_a_missing_variable_is_an_error_not_an_empty_string(
        self, make_decision: Decision
    ) -> None:
        context = message_context(make_decision(), "en")
        del context["job_title"]
        with pytest.raises(UndefinedError):
            render("reject", "en", context)

    def test_unknown_template_is_refused(self, make_decision: Decision) -> None:
        with pytest.raises(ValueError, match="unknown template"):
            render("welcome", "en", message_context(make_decision(), "en"))


class TestResolveLocale:
    @pytest.mark.parametrize(
        ("tag", "expected"),
        [
            ("zh-CN", "zh-CN"),
            ("zh_cn", "zh-CN"),
            ("zh", "zh-CN"),
            ("zh-Hans-CN", "zh-CN"),
            ("en", "en"),
            ("en-GB", "en"),
            ("de", "en"),
            ("", "en"),
            (None, "en"),
        ],
    )
    def test_maps_tags_to_a_supported_locale(self, tag: str | None, expected: str) -> None:
        assert resolve_locale(tag) == expected


class TestGaps:
    def test_failed_condition_gives_gap_and_advice(self) -> None:
        conditions = [
            ConditionResult(
                metric="communication", operator=">=", threshold=85, actual=72, held=False
            )
        ]
        [gap] = gap_views(conditions, {}, "en")
        assert (gap.label, gap.actual, gap.requirement, gap.shortfall) == (
            "Communication",
            "72",
            "at least 85",
            "13",
        )
        assert gap.advice == advice.advice_for("communication", "en")

    def test_requirement_below_minimum_is_a_gap_even_when_the_rule_held(self) -> None:
        conditions = [
            ConditionResult(metric="logic", operator=">=", threshold=60, actual=70.4, held=True)
        ]
        [gap] = gap_views(conditions, {"logic": 75}, "zh-CN")
        assert (gap.label, gap.actual, gap.requirement, gap.shortfall) == (
            "逻辑思维",
            "70.4",
            "不低于 75",
            "4.6",
        )

    def test_missing_value_and_maximum_conditions(self) -> None:
        conditions = [
            ConditionResult(
                metric="teamwork", operator=">=", threshold=70, actual=None, held=False
            ),
            ConditionResult(
                metric="filler_words", operator="<=", threshold=10, actual=14, held=False
            ),
        ]
        missing, maximum = gap_views(conditions, {}, "en")
        assert (missing.actual, missing.shortfall) == (None, None)
        assert (maximum.label, maximum.requirement, maximum.shortfall) == (
            "Filler words",
            "at most 10",
            "4",
        )
        assert maximum.advice == advice.catalogue().general.en.advice

    def test_met_conditions_and_requirements_give_no_gaps(self) -> None:
        conditions = [
            ConditionResult(
                metric="communication", operator=">=", threshold=85, actual=91, held=True
            )
        ]
        assert gap_views(conditions, {"communication": 80, "logic": 90}, "en") == []


class TestAdviceCatalogue:
    def test_every_entry_has_a_label_and_advice_in_every_locale(self) -> None:
        entries = advice.catalogue().entries
        assert {"communication", "logic", "customer_cases"} <= set(entries)
        for entry in entries.values():
            for locale in advice.LOCALES:
                assert entry.text(locale).label and entry.text(locale).advice

    def test_aliases_and_spelling_variants_find_the_entry(self) -> None:
        assert advice.label("Customer-Orientation", "en") == "Customer focus"
        assert advice.label("competencies.Communication", "zh-CN") == "沟通表达"
        assert advice.is_count("customer cases") is True
