"""The report routes over HTTP: figures, tenant isolation, authentication and validation.

The read model is filled through analytics' own event handlers (no broker needed); the app
itself runs with its real lifespan.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from talentflow.common.auth import Role, issue_token
from talentflow.common.events import InterviewResultReceived, ScreeningDecisionMade

PROBLEM_JSON = "application/problem+json"
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

Seed = Callable[..., Awaitable[None]]
Bearer = Callable[..., dict[str, str]]

# Per result: its job, and its decisions as (outcome, seconds after the interview), any order.
CASES: list[tuple[str, list[tuple[str, int]]]] = [
    ("a", [("advance", 60)]),
    ("a", [("advance", 7200), ("review", 30)]),  # review first, then a human advanced it
    ("a", [("reject", 120)]),
    ("a", []),
    ("a", [("review", 10)]),
    ("b", [("reject", 300)]),
    ("b", [("advance", 45)]),
    ("b", []),
]


def expected_figures(cases: list[tuple[str, list[tuple[str, int]]]]) -> dict[str, Any]:
    """The funnel of `cases`, computed the plain way: a result counts with its last decision."""
    latest = [max(decisions, key=lambda d: d[1]) for _, decisions in cases if decisions]
    outcomes = [outcome for outcome, _ in latest]
    advanced = outcomes.count("advance")
    return {
        "results_received": len(cases),
        "imported": 0,
        "decided": len(latest),
        "undecided": len(cases) - len(latest),
        "advanced": advanced,
        "rejected": outcomes.count("reject"),
        "in_review": outcomes.count("review"),
        "advance_rate": pytest.approx(advanced / len(latest)),
        "median_seconds_to_decision": pytest.approx(
            statistics.median(seconds for _, seconds in latest)
        ),
    }


async def seed_cases(
    seed: Seed,
    make_result: Callable[..., InterviewResultReceived],
    make_decision: Callable[..., ScreeningDecisionMade],
    tenant_id: uuid.UUID,
    jobs: dict[str, uuid.UUID],
) -> None:
    events: list[Any] = []
    for job, decisions in CASES:
        result = make_result(tenant_id, jobs[job], T0)
        events.append(result)
        for outcome, seconds in decisions:
            events.append(make_decision(result, outcome, T0 + timedelta(seconds=seconds)))
    await seed(*events)


class TestFunnelReport:
    async def test_figures_per_job_and_in_total(
        self, client, seed, bearer, tenant_id, make_result, make_decision
    ) -> None:
        jobs = {"a": uuid.UUID(int=1), "b": uuid.UUID(int=2)}
        await seed_cases(seed, make_result, make_decision, tenant_id, jobs)
        # A decision whose result never arrived counts nowhere.
        orphan = make_result(tenant_id, jobs["a"], T0)
        await seed(make_decision(orphan, "advance", T0))

        response = await client.get("/v1/reports/funnel", headers=bearer(tenant_id, Role.HR))

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["jobs"] == [
            {"job_id": str(jobs[job]), **expected_figures([c for c in CASES if c[0] == job])}
            for job in ("a", "b")
        ]
        assert body["totals"] == expected_figures(CASES)
        assert (body["job_id"], body["from"], body["to"]) == (None, None, None)

    async def test_imported_results_count_as_undecided_and_leave_the_rates_alone(
        self, client, seed, bearer, tenant_id, make_result, make_decision
    ) -> None:
        job = uuid.uuid4()
        advanced, rejected, waiting = (make_result(tenant_id, job, T0) for _ in range(3))
        historical = [make_result(tenant_id, job, T0, origin="import") for _ in range(2)]
        await seed(
            advanced,
            rejected,
            waiting,
            *historical,
            make_decision(advanced, "advance", T0 + timedelta(seconds=60)),
            make_decision(rejected, "reject", T0 + timedelta(seconds=120)),
        )

        async def totals(**params: str) -> dict[str, Any]:
            response = await client.get(
                "/v1/reports/funnel", params=params, headers=bearer(tenant_id, Role.HR)
            )
            assert response.status_code == 200, response.text
            assert response.json()["origin"] == params.get("origin")
            return dict(response.json()["totals"])

        both, live, imported = (
            await totals(),
            await totals(origin="webhook"),
            await totals(origin="import"),
        )
        figures = ("results_received", "imported", "decided", "undecided", "advance_rate")
        assert [both[f] for f in figures] == [5, 2, 2, 3, 0.5]
        assert both["median_seconds_to_decision"] == 90.0
        assert [live[f] for f in figures] == [3, 0, 2, 1, 0.5]
        assert [imported[f] for f in figures] == [2, 2, 0, 2, None]
        assert imported["median_seconds_to_decision"] is None

    async def test_period_covers_whole_utc_days_inclusive(
        self, client, seed, bearer, tenant_id, make_result
    ) -> None:
        job = uuid.uuid4()
        moments = [
            "2026-03-01T23:59:59",
            "2026-03-02T00:00:00",
            "2026-03-05T23:59:59",
            "2026-03-06T00:00:00",
        ]
        await seed(
            *(make_result(tenant_id, job, datetime.fromisoformat(m + "+00:00")) for m in moments)
        )

        response = await client.get(
            "/v1/reports/funnel",
            params={"from": "2026-03-02", "to": "2026-03-05"},
            headers=bearer(tenant_id, Role.HR),
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["totals"]["results_received"] == 2
        assert (body["from"], body["to"]) == ("2026-03-02", "2026-03-05")

    @pytest.mark.parametrize(
        ("params", "received"),
        [
            ({"to": "9999-12-31"}, 1),
            ({"from": "0001-01-01", "to": "9999-12-31"}, 1),
            ({"from": "0001-01-01"}, 1),
            ({"from": "9999-12-31", "to": "9999-12-31"}, 0),
            ({"from": "0001-01-01", "to": "0001-01-01"}, 0),
        ],
        ids=["to-max", "min-to-max", "from-min", "max-day", "min-day"],
    )
    async def test_period_may_reach_the_first_and_last_representable_day(
        self, client, seed, bearer, tenant_id, make_result, params, received
    ) -> None:
        await seed(make_result(tenant_id, uuid.uuid4(), T0))

        response = await client.get(
            "/v1/reports/funnel", params=params, headers=bearer(tenant_id, Role.HR)
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["totals"]["results_received"] == received
        assert (body["from"], body["to"]) == (params.get("from"), params.get("to"))

    async def test_job_filter_keeps_one_job(
        self, client, seed, bearer, tenant_id, make_result, make_decision
    ) -> None:
        jobs = {"a": uuid.uuid4(), "b": uuid.uuid4()}
        await seed_cases(seed, make_result, make_decision, tenant_id, jobs)

        response = await client.get(
            "/v1/reports/funnel",
            params={"job_id": str(jobs["b"])},
            headers=bearer(tenant_id, Role.HR_ADMIN),
        )

        assert response.status_code == 200, response.text
        body = response.json()
        expected = expected_figures([c for c in CASES if c[0] == "b"])
        assert body["jobs"] == [{"job_id": str(jobs["b"]), **expected}]
        assert body["totals"] == expected

    async def test_tenant_sees_only_its_own_results(
        self, client, seed, bearer, tenant_id, make_result, make_decision
    ) -> None:
        job = uuid.uuid4()  # the same job id in both tenants
        other_tenant = uuid.uuid4()
        theirs = make_result(other_tenant, job, T0)
        ours = make_result(tenant_id, job, T0)
        await seed(theirs, make_decision(theirs, "advance", T0), ours)

        response = await client.get("/v1/reports/funnel", headers=bearer(tenant_id, Role.HR))
        empty = await client.get("/v1/reports/funnel", headers=bearer(uuid.uuid4(), Role.HR))

        assert response.json()["jobs"] == [
            {
                "job_id": str(job),
                "results_received": 1,
                "imported": 0,
                "decided": 0,
                "undecided": 1,
                "advanced": 0,
                "rejected": 0,
                "in_review": 0,
                "advance_rate": None,
                "median_seconds_to_decision": None,
            }
        ]
        assert empty.status_code == 200
        assert empty.json()["jobs"] == []
        assert empty.json()["totals"]["results_received"] == 0

    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"Authorization": "Bearer not-a-token"},
            {"Authorization": "Basic aHI6aHI="},
        ],
        ids=["no-token", "garbage-token", "basic-auth"],
    )
    async def test_unauthenticated_is_401(self, client, headers) -> None:
        response = await client.get("/v1/reports/funnel", headers=headers)

        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_token_signed_with_another_secret_is_401(self, client, tenant_id) -> None:
        token = issue_token(
            "another-secret-of-sufficient-length-32b",
            subject=uuid.uuid4(),
            tenant_id=tenant_id,
            roles=[Role.HR],
        )

        response = await client.get(
            "/v1/reports/funnel", headers={"Authorization": f"Bearer {token}"}
        )

        assert response.status_code == 401

    @pytest.mark.parametrize("role", [Role.CANDIDATE, Role.EMPLOYEE, Role.SERVICE])
    async def test_role_other_than_hr_is_403(self, client, bearer, tenant_id, role) -> None:
        response = await client.get("/v1/reports/funnel", headers=bearer(tenant_id, role))

        assert response.status_code == 403
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["status"] == 403

    async def test_from_after_to_is_422_naming_from(self, client, bearer, tenant_id) -> None:
        response = await client.get(
            "/v1/reports/funnel",
            params={"from": "2026-03-06", "to": "2026-03-05"},
            headers=bearer(tenant_id, Role.HR),
        )

        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM_JSON
        assert [(e["field"], e["in"]) for e in response.json()["errors"]] == [("from", "query")]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"from": "2026-02-30"}, "from"),
            ({"to": "yesterday"}, "to"),
            ({"to": "10000-01-01"}, "to"),
            ({"job_id": "7"}, "job_id"),
            ({"origin": "csv"}, "origin"),
        ],
    )
    async def test_malformed_parameter_is_422_naming_it(
        self, client, bearer, tenant_id, params, field
    ) -> None:
        response = await client.get(
            "/v1/reports/funnel", params=params, headers=bearer(tenant_id, Role.HR)
        )

        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [field]


class TestCompetencyReport:
    async def test_distribution_per_competency(
        self, client, seed, bearer, tenant_id, make_result
    ) -> None:
        job = uuid.uuid4()
        scores = {
            "communication": [55.0, 70.0, 72.5, 90.0, 99.0],
            "problem_solving": [60.0, 80.0],
            "empathy": [75.0],
        }
        rows = [
            {name: values[i] for name, values in scores.items() if i < len(values)}
            for i in range(5)
        ]
        await seed(
            *(make_result(tenant_id, job, T0, competencies=row) for row in rows),
            make_result(uuid.uuid4(), job, T0, competencies={"communication": 0.0}),
            make_result(tenant_id, uuid.uuid4(), T0, competencies={"communication": 1.0}),
        )

        response = await client.get(
            "/v1/reports/competencies",
            params={"job_id": str(job)},
            headers=bearer(tenant_id, Role.HR),
        )

        assert response.status_code == 200, response.text
        expected = []
        for name in sorted(scores):
            p25, median, p75 = np.percentile(scores[name], [25, 50, 75])  # linear
            expected.append(
                {
                    "competency": name,
                    "count": len(scores[name]),
                    "mean": pytest.approx(float(np.mean(scores[name]))),
                    "median": pytest.approx(float(median)),
                    "p25": pytest.approx(float(p25)),
                    "p75": pytest.approx(float(p75)),
                }
            )
        assert response.json() == {"job_id": str(job), "competencies": expected}

    async def test_without_job_filter_covers_all_jobs(
        self, client, seed, bearer, tenant_id, make_result
    ) -> None:
        await seed(
            make_result(tenant_id, uuid.uuid4(), T0, competencies={"communication": 40.0}),
            make_result(tenant_id, uuid.uuid4(), T0, competencies={"communication": 60.0}),
        )

        response = await client.get("/v1/reports/competencies", headers=bearer(tenant_id, Role.HR))

        assert response.json()["competencies"] == [
            {
                "competency": "communication",
                "count": 2,
                "mean": 50.0,
                "median": 50.0,
                "p25": 45.0,
                "p75": 55.0,
            }
        ]

    async def test_candidate_is_403(self, client, bearer, tenant_id) -> None:
        response = await client.get(
            "/v1/reports/competencies", headers=bearer(tenant_id, Role.CANDIDATE)
        )

        assert response.status_code == 403


class TestOpenAPI:
    async def test_report_routes_are_documented(self, client) -> None:
        document = (await client.get("/openapi.json")).json()

        for path, model in [
            ("/v1/reports/funnel", "FunnelReport"),
            ("/v1/reports/competencies", "CompetencyReport"),
        ]:
            operation = document["paths"][path]["get"]
            assert operation["summary"]
            responses = operation["responses"]
            assert responses["200"]["content"]["application/json"]["schema"] == {
                "$ref": f"#/components/schemas/{model}"
            }
            for status in ("401", "403", "422"):
                assert list(responses[status]["content"]) == [PROBLEM_JSON]
        funnel_params = document["paths"]["/v1/reports/funnel"]["get"]["parameters"]
        assert {p["name"] for p in funnel_params} == {"from", "to", "job_id", "origin"}
        assert "from" in document["components"]["schemas"]["FunnelReport"]["properties"]
        assert "HTTPValidationError" not in document["components"]["schemas"]
