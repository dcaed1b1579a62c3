"""Gap analysis and advice (pure functions, no I/O)."""

from __future__ import annotations

from talentflow.selfservice.advice import CATALOGUE, LARGE_GAP, PLAN_ACTION
from talentflow.selfservice.analysis import advise, compare


class TestCompare:
    def test_gap_is_the_shortfall_and_zero_when_met(self) -> None:
        rows = compare(
            {"communication": 70.5, "teamwork": 95.0}, {"communication": 80, "teamwork": 90}
        )
        assert [(r.competency, r.gap, r.met) for r in rows] == [
            ("communication", 9.5, False),
            ("teamwork", 0.0, True),
        ]

    def test_unscored_requirement_is_unmet_with_unknown_gap(self) -> None:
        [row] = compare({}, {"leadership": 60})
        assert (row.score, row.required, row.gap, row.met) == (None, 60, None, False)

    def test_scored_but_not_required_has_no_verdict(self) -> None:
        [row] = compare({"adaptability": 40.0}, {})
        assert (row.required, row.gap, row.met) == (None, None, None)


class TestAdvise:
    def test_advice_only_for_unmet_requirements_largest_gap_first(self) -> None:
        rows = compare(
            {"communication": 78.0, "teamwork": 50.0, "leadership": 99.0},
            {"communication": 80, "teamwork": 70, "leadership": 60},
        )
        advice = advise(rows)
        assert [a.competency for a in advice] == ["teamwork", "communication"]
        small, large = advice[1], advice[0]
        assert small.actions == list(CATALOGUE["communication"].actions)
        assert large.gap is not None and large.gap >= LARGE_GAP
        assert large.actions[-1] == PLAN_ACTION
