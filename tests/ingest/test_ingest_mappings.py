"""mapping.v1: a tenant's declarative JMESPath mapping applied to sample payloads."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jmespath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from talentflow.common.errors import InvalidInput
from talentflow.common.events import CandidateContact, EvidenceQuote
from talentflow.ingest.formats import registry
from talentflow.ingest.formats.compiled import Compiled
from talentflow.ingest.formats.mapping import MappingAdapter
from talentflow.ingest.formats.spec import Mapping
from talentflow.ingest.models import BiometricsPolicy, Vendor
from talentflow.ingest.normalize import Normalized, decode_and_normalize, normalize_document

FIXTURES = Path(__file__).parent / "fixtures" / "mapping.v1"
TENANT = uuid.UUID("00000000-0000-4000-8000-000000000002")
JOB = "8c1d3f0e-5a7b-4c2d-9e8f-0a1b2c3d4e5f"
MAPPING: dict[str, Any] = json.loads((FIXTURES / "mapping.json").read_text())
SAMPLE: dict[str, Any] = json.loads((FIXTURES / "sample.json").read_text())
REQUIRED = {
    "result_id": "id",
    "job_id": {"const": JOB},
    "candidate": {"external_id": "who"},
    "interviewed_at": "at",
}


def vendor(mapping: dict[str, Any], scale: str = "0-100", version: int = 1) -> Vendor:
    stored = Mapping.model_validate(mapping).model_dump(mode="json", exclude_none=True)
    return Vendor(
        id=uuid.uuid4(),
        format="mapping.v1",
        score_scale=scale,
        mapping=stored,
        mapping_version=version,
    )


def apply(
    mapping: dict[str, Any],
    document: Any,
    scale: str = "0-100",
    policy: BiometricsPolicy = BiometricsPolicy.ALLOW,
) -> Normalized:
    return normalize_document(
        document, vendor=vendor(mapping, scale), tenant_id=TENANT, policy=policy
    )


def errors(mapping: dict[str, Any], document: Any, scale: str = "0-100") -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        apply(mapping, document, scale)
    return {e["field"]: e["message"] for e in caught.value.errors}


def fields(**extra: Any) -> dict[str, Any]:
    return {"fields": {**REQUIRED, **extra}}


SMALL = {"id": "r-1", "who": "ats-1", "at": "2026-03-01T10:00:00Z"}


class TestMappingEngine:
    def test_the_fixture_mapping_on_a_one_to_five_scale(self) -> None:
        body = (FIXTURES / "sample.json").read_bytes()

        result = decode_and_normalize(
            body, vendor=vendor(MAPPING), tenant_id=TENANT, policy=BiometricsPolicy.ALLOW
        )

        assert result.vendor_result_id == "bv-77812"
        assert result.candidate == CandidateContact(
            external_id="55123", name="Grace Hopper", email="grace.hopper@example.com"
        )
        assert str(result.job_id) == JOB
        assert result.interviewed_at == datetime(2026, 3, 1, 3, 15, tzinfo=UTC)  # Unix seconds
        assert result.overall_score == 86.0  # its own scale: 8.6 on 0-10
        assert result.competencies == {"comm": 87.5, "logic": 62.5, "team_work": 100.0}
        assert result.counts == {"questions_asked": 4, "customer_cases": 2}
        assert result.evidence == [
            EvidenceQuote(
                competency="problem_decomposition",
                quote="We shipped the fix in two steps.",
                at_seconds=185.0,
            )
        ]
        assert result.published_biometrics == {"smile_count": 9.0, "eye_contact": 0.64}
        assert result.report_url == "https://byteview.example/r/bv-77812"

    def test_named_sources_constants_and_per_field_scales(self) -> None:
        mapping = fields(
            candidate={"external_id": "who", "locale": {"const": "zh-CN"}},
            overall_score="total",
            competencies={"communication": {"expr": "r.c", "scale": "0-10"}, "logic": "r.l"},
            counts={"questions_asked": "q"},
        )
        document = {**SMALL, "total": "0.5", "r": {"c": 7.5, "l": 0.25}, "q": "4"}

        result = apply(mapping, document, scale="0-1")  # the vendor's scale: the default

        assert str(result.job_id) == JOB
        assert result.candidate.locale == "zh-CN"
        assert result.overall_score == 50.0
        assert result.competencies == {"communication": 75.0, "logic": 25.0}
        assert result.counts == {"questions_asked": 4}

    def test_a_list_of_named_results(self) -> None:
        mapping = fields(
            competencies={"items": "results", "name": "label", "value": "score", "scale": "1-5"}
        )
        document = {
            **SMALL,
            "results": [
                {"label": "Stress Tolerance", "score": 2},
                {"label": "Empathy", "score": 5},
            ],
        }

        assert apply(mapping, document).competencies == {"stress_tolerance": 25.0, "empathy": 100.0}

    def test_every_error_of_a_sample_at_the_vendors_paths(self) -> None:
        document = json.loads((FIXTURES / "invalid-sample.json").read_text())

        assert set(errors(MAPPING, document)) == {
            "assessment.id",
            "assessment.requisition",
            "assessment.finishedAt",
            "assessment.total",
            "applicant.contact.email",
            "ratings.comm",
            "ratings.logic",
            "stats.0.n",
            "stats.1.label",
            "highlights.0.at",
            "video.metrics.smileCount",
            "links.report",
        }

    def test_a_missing_required_value_is_named_at_its_path(self) -> None:
        document = {"id": "r-1", "at": "2026-03-01T10:00:00Z"}

        assert errors(fields(), document) == {"who": "Field required"}

    def test_an_expression_that_is_not_a_path_is_named_by_its_target(self) -> None:
        mapping = fields(competencies={"communication": "max(r.scores)", "logic": "r.l || `9`"})
        document = {**SMALL, "r": {"scores": ["a", 1]}}

        assert errors(mapping, document, scale="1-5") == {
            "mapping.fields.competencies.communication": (
                "the expression 'max(r.scores)' cannot be evaluated on this document"
            ),
            "mapping.fields.competencies.logic": "must be a number on the 1-5 score scale",
        }

    @pytest.mark.parametrize(
        "expression",
        [
            # Each step references the value twice: to_string would walk 2^40 copies.
            "length(to_string(@" + " | [@, @]" * 40 + "))",
            # Each step doubles a real list.
            "@" + " | [@, @][]" * 40,
            # Each step doubles a real string.
            "who" + " | join('', [@, @])" * 40,
        ],
    )
    def test_an_expression_that_grows_without_bound_is_stopped(self, expression: str) -> None:
        started = time.perf_counter()

        found = errors(fields(report_url=expression), SMALL)

        assert found["mapping.fields.report_url"].startswith(
            f"the expression {expression!r} cannot be evaluated on this document: it "
        )
        assert time.perf_counter() - started < 5  # unbounded, any of these takes hours

    def test_a_bounded_expression_on_a_long_list_is_evaluated(self) -> None:
        quotes = [{"text": f"quote {n}", "at": n} for n in range(500)]
        mapping = fields(
            evidence={"items": "highlights", "quote": "text", "at_seconds": "at"},
            report_url=(
                "join('', ['https://v.example/', to_string(length(highlights[*].[text, at][]))])"
            ),
        )

        result = apply(mapping, {**SMALL, "highlights": quotes})

        assert len(result.evidence) == 500
        assert result.report_url == "https://v.example/1000"

    def test_policy_drop_removes_the_biometrics_sources_from_the_archive(self) -> None:
        result = apply(MAPPING, SAMPLE, policy=BiometricsPolicy.DROP)

        assert result.dropped_metrics == ["eye_contact", "smile_count"]
        archived = json.loads(result.archive)
        assert archived["video"] == {}
        assert archived["feedback"] == SAMPLE["feedback"]  # free text: only in the archive

    def test_a_mapping_is_compiled_once_per_vendor_and_version(self) -> None:
        saved = vendor(MAPPING)

        first, again = registry.adapter_for(saved), registry.adapter_for(saved)
        saved.mapping_version += 1
        changed = registry.adapter_for(saved)

        assert isinstance(first, MappingAdapter) and isinstance(again, MappingAdapter)
        assert isinstance(changed, MappingAdapter)
        assert again.mapping is first.mapping and changed.mapping is not first.mapping


PATH_KEYS = st.sampled_from(["a", "b", "0", "items"]) | st.integers(0, 3)
JSON_DOCUMENT = st.recursive(
    # No NaN: JSON has none, and NaN != NaN would fail the comparison whatever was selected.
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "b", "0", "items"]), inner, max_size=4)
    ),
    max_leaves=20,
)


class TestPlainPaths:
    """Plain paths (`a.b[0].c`) are followed without JMESPath, to the same values."""

    @settings(max_examples=300, deadline=None, database=None)
    @given(keys=st.lists(PATH_KEYS, min_size=1, max_size=4), document=JSON_DOCUMENT)
    def test_a_plain_path_selects_what_jmespath_selects(
        self, keys: list[str | int], document: Any
    ) -> None:
        text = "".join(
            f"[{k}]" if isinstance(k, int) else f'{"." if i else ""}"{k}"'
            for i, k in enumerate(keys)
        ).lstrip(".")
        if isinstance(keys[0], int):
            text = "@" + text
        compiled = Compiled.expression(text)
        assert compiled is not None
        if compiled.path is None:  # "@[0]" is no plain path: JMESPath evaluates it
            return

        assert compiled.search(document) == jmespath.search(text, document)


class TestMappingSave:
    """Saving a mapping with a vendor: every expression compiles, required targets present."""

    async def test_a_valid_mapping_is_saved_with_its_vendor(self, h) -> None:
        tenant = await h.tenant()

        response = await h.client.post(
            "/v1/vendors",
            json={"name": "Byteview", "format": "mapping.v1", "mapping": MAPPING},
            headers=h.auth(tenant),
        )

        assert response.status_code == 201, response.text
        body = response.json()
        assert body["format"] == "mapping.v1" and body["mapping_version"] == 1
        assert body["mapping"]["fields"]["overall_score"]["expr"] == "assessment.total"
        assert body["mapping"]["default_scale"] == "1-5"

    async def test_an_expression_that_does_not_compile_is_422_naming_it(self, h) -> None:
        mapping = fields(competencies={"communication": "ratings..comm"}, report_url="links[")

        response = await h.client.post(
            "/v1/vendors",
            json={"name": "Broken", "format": "mapping.v1", "mapping": mapping},
            headers=h.auth(uuid.uuid4()),
        )

        assert response.status_code == 422
        assert {e["field"] for e in response.json()["errors"]} == {
            "mapping.fields.competencies.communication",
            "mapping.fields.report_url",
        }

    @pytest.mark.parametrize(
        ("source", "field"),
        [
            ('{"const": NaN}', "mapping.fields.report_url.const"),
            ('{"const": 1e400}', "mapping.fields.report_url.const"),
            ('{"const": "a\\u0000b"}', "mapping.fields.report_url.const"),
            ('{"const": "\\ud800"}', "mapping.fields.report_url.const"),
            ("\"'a\\u0000b'\"", "mapping.fields.report_url"),
            ('{"expr": "\'a\\u0000b\'"}', "mapping.fields.report_url.expr"),
            ('"\\ud800"', "mapping.fields.report_url"),  # shorthand: checked before compiling
        ],
    )
    async def test_a_value_postgresql_cannot_store_is_422_naming_it(
        self, h, source: str, field: str
    ) -> None:
        tenant = await h.tenant()
        body = json.dumps({"name": "Odd", "format": "mapping.v1", "mapping": fields()})
        body = body.replace('"at"}}', f'"at", "report_url": {source}}}}}')

        response = await h.client.post(
            "/v1/vendors",
            content=body,
            headers={**h.auth(tenant), "content-type": "application/json"},
        )

        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]
        listed = await h.client.get("/v1/vendors", headers=h.auth(tenant))
        assert listed.json()["items"] == []

    async def test_missing_required_targets_are_422(self, h) -> None:
        mapping = {"fields": {"candidate": {"name": "n"}, "overall_score": "s"}}

        response = await h.client.post(
            "/v1/vendors",
            json={"name": "Partial", "format": "mapping.v1", "mapping": mapping},
            headers=h.auth(uuid.uuid4()),
        )

        assert response.status_code == 422
        assert {e["field"] for e in response.json()["errors"]} == {
            "mapping.fields.result_id",
            "mapping.fields.job_id",
            "mapping.fields.candidate.external_id",
            "mapping.fields.interviewed_at",
        }

    async def test_biometrics_must_come_from_plain_paths(self, h) -> None:
        mapping = fields(biometrics="video.metrics[?score > `1`]")

        response = await h.client.post(
            "/v1/vendors",
            json={"name": "Filtered", "format": "mapping.v1", "mapping": mapping},
            headers=h.auth(uuid.uuid4()),
        )

        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["mapping.fields.biometrics"]

    async def test_changing_the_mapping_raises_its_version(self, h) -> None:
        tenant = await h.tenant()
        created = await h.client.post(
            "/v1/vendors",
            json={"name": "Byteview", "format": "mapping.v1", "mapping": MAPPING},
            headers=h.auth(tenant),
        )
        path = f"/v1/vendors/{created.json()['id']}"

        renamed = await h.client.patch(path, json={"name": "Byteview 2"}, headers=h.auth(tenant))
        changed = await h.client.patch(path, json={"mapping": fields()}, headers=h.auth(tenant))

        assert renamed.json()["mapping_version"] == 1
        assert changed.status_code == 200 and changed.json()["mapping_version"] == 2
        assert changed.json()["mapping"]["fields"]["job_id"] == {
            "expr": None,
            "const": JOB,
        }


class TestDryRun:
    async def test_a_sample_maps_to_the_normalized_result(self, h) -> None:
        tenant = await h.tenant("EU")
        request = {"format": "mapping.v1", "mapping": MAPPING, "sample": SAMPLE}

        response = await h.client.post("/v1/mappings/dry-run", json=request, headers=h.auth(tenant))

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["ok"] is True
        assert body["dropped_metrics"] == ["eye_contact", "smile_count"]  # EU: drop
        result = body["result"]
        assert result["candidate"] == {
            "external_id": "55123",
            "name": "Grace Hopper",
            "email": "grace.hopper@example.com",
            "locale": "en",
        }
        assert result["competencies"] == {"comm": 87.5, "logic": 62.5, "team_work": 100.0}
        assert result["overall_score"] == 86.0 and result["biometrics"] is None
        assert result["biometrics_policy"] == "drop"

    async def test_every_error_of_a_sample_is_listed(self, h) -> None:
        sample = json.loads((FIXTURES / "invalid-sample.json").read_text())
        request = {"format": "mapping.v1", "mapping": MAPPING, "sample": sample}

        response = await h.client.post(
            "/v1/mappings/dry-run", json=request, headers=h.auth(uuid.uuid4())
        )

        assert response.status_code == 200
        body = response.json()
        assert body["ok"] is False
        messages = {e["field"]: e["message"] for e in body["errors"]}
        assert len(messages) == len(body["errors"]) == 12  # every one, each once
        assert messages["ratings.comm"] == "must be a number on the 1-5 score scale"
        assert messages["assessment.id"] == "Field required"
        assert "grace.hopper" not in response.text  # values are never echoed

    async def test_a_built_in_format_with_a_scale(self, h) -> None:
        sample = json.loads((FIXTURES.parent / "ai-interview.v1" / "unit-scale.json").read_text())
        request = {"format": "ai-interview.v1", "score_scale": "0-1", "sample": sample}

        response = await h.client.post(
            "/v1/mappings/dry-run", json=request, headers=h.auth(await h.tenant("US", "allow"))
        )

        body = response.json()
        assert body["ok"] is True and body["dropped_metrics"] == []
        assert body["result"]["competencies"] == {"communication": 70.0, "logic": 61.0}
        assert body["result"]["published_biometrics"] == {"smile_count": 3.0}

    @pytest.mark.parametrize(
        ("request_body", "field"),
        [
            ({"format": "mapping.v1", "sample": {}}, "mapping"),
            ({"format": "hr-open.v1", "mapping": MAPPING, "sample": {}}, "mapping"),
            ({"format": "talentflow.v1", "score_scale": "1-5", "sample": {}}, "score_scale"),
            (
                {"format": "mapping.v1", "mapping": fields(result_id="a..b"), "sample": {}},
                "mapping.fields.result_id",
            ),
            ({"format": "csv.v9", "sample": {}}, "format"),
            ({"format": "hr-open.v1"}, "sample"),
        ],
    )
    async def test_a_malformed_request_is_422(
        self, h, request_body: dict[str, Any], field: str
    ) -> None:
        response = await h.client.post(
            "/v1/mappings/dry-run", json=request_body, headers=h.auth(uuid.uuid4())
        )

        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == [field]

    async def test_a_sample_nested_deeper_than_a_webhook_body_is_422(self, h) -> None:
        tenant = await h.tenant()  # policy drop: the sample is redacted, walking every level
        deep: Any = 1
        for _ in range(500):
            deep = [deep]
        mapping = fields(biometrics={"smile_count": "b"})
        request = {
            "format": "mapping.v1",
            "mapping": mapping,
            "sample": {**SMALL, "b": 1, "x": deep},
        }

        response = await h.client.post("/v1/mappings/dry-run", json=request, headers=h.auth(tenant))

        assert response.status_code == 422
        (error,) = response.json()["errors"]
        assert error["field"] == "sample" and "deeper than 200" in error["message"]

    async def test_a_request_over_two_mib_is_413(self, h) -> None:
        sample = {**SMALL, "padding": "x" * (2 * 2**20)}
        request = {"format": "mapping.v1", "mapping": fields(), "sample": sample}

        response = await h.client.post(
            "/v1/mappings/dry-run", json=request, headers=h.auth(uuid.uuid4())
        )

        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"

    async def test_a_vendors_saved_settings_store_and_publish_nothing(self, h) -> None:
        tenant = await h.tenant("US", "keep_unusable")
        created = await h.client.post(
            "/v1/vendors",
            json={"name": "Byteview", "format": "mapping.v1", "mapping": MAPPING},
            headers=h.auth(tenant),
        )
        vendor_id = created.json()["id"]

        response = await h.client.post(
            f"/v1/vendors/{vendor_id}/dry-run", json={"sample": SAMPLE}, headers=h.auth(tenant)
        )

        assert response.status_code == 200
        body = response.json()
        assert body["ok"] is True and body["result"]["vendor_result_id"] == "bv-77812"
        assert body["result"]["biometrics"] == {"smile_count": 9.0, "eye_contact": 0.64}
        assert body["result"]["published_biometrics"] == {}
        assert await h.rows("SELECT id FROM ingest.results WHERE vendor_id = :v", v=vendor_id) == []

    async def test_another_tenants_vendor_is_404(self, h) -> None:
        vendor_id, _ = await h.vendor(await h.tenant())

        response = await h.client.post(
            f"/v1/vendors/{vendor_id}/dry-run", json={"sample": {}}, headers=h.auth(uuid.uuid4())
        )

        assert response.status_code == 404
