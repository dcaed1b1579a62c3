"""Property tests: whatever JSON a vendor sends, each format answers with a normalized result,
MalformedWebhook or InvalidInput, and nothing else (no 500 can come out of normalizing)."""

from __future__ import annotations

import json
import math
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from talentflow.common.errors import InvalidInput
from talentflow.ingest.exceptions import MalformedWebhook
from talentflow.ingest.formats.base import dumps
from talentflow.ingest.formats.spec import Mapping
from talentflow.ingest.models import BiometricsPolicy, Vendor
from talentflow.ingest.normalize import Normalized, decode_and_normalize, normalize_document

FIXTURES = Path(__file__).parent / "fixtures"
TENANT = uuid.UUID("00000000-0000-4000-8000-000000000003")
MAPPING = Mapping.model_validate_json((FIXTURES / "mapping.v1" / "mapping.json").read_bytes())
# format -> (score scale, a valid document to mutate)
FORMATS: dict[str, tuple[str, str]] = {
    "talentflow.v1": ("0-100", ""),
    "assessment-partner.v1": ("1-5", "assessment-partner.v1/completed"),
    "hr-open.v1": ("0-10", "hr-open.v1/assessment-result"),
    "ai-interview.v1": ("0-10", "ai-interview.v1/full"),
    "mapping.v1": ("1-5", "mapping.v1/sample"),
}
V1 = {
    "result_id": "fuzz-1",
    "job_id": "8c1d3f0e-5a7b-4c2d-9e8f-0a1b2c3d4e5f",
    "candidate": {"external_id": "ats-1", "name": "Ada", "email": "ada@example.com"},
    "interviewed_at": "2026-03-01T10:15:00+08:00",
    "overall_score": 81,
    "competencies": {"communication": 88, "eye_contact": 12},
    "counts": {"customer_cases": 3},
    "evidence": [{"competency": "communication", "quote": "...", "at_seconds": 1.5}],
    "biometrics": {"smile_count": 14},
    "report_url": "https://vendor.example/r/1",
}

TEXT = st.text(max_size=20) | st.sampled_from(["05:12", "PT5M", "zh-CN", "\x00", "\ud800", "Eye"])
NUMBER = st.integers(-5, 12) | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
LEAF = st.none() | st.booleans() | NUMBER | TEXT
JSON_VALUE = st.recursive(
    LEAF,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=15,
)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def vendor(fmt: str) -> Vendor:
    scale, _ = FORMATS[fmt]
    mapping = MAPPING.model_dump(mode="json", exclude_none=True) if fmt == "mapping.v1" else None
    return Vendor(
        id=uuid.UUID(int=len(fmt)),
        format=fmt,
        score_scale=scale,
        mapping=mapping,
        mapping_version=1,
    )


def base(fmt: str) -> Any:
    _, name = FORMATS[fmt]
    return json.loads((FIXTURES / f"{name}.json").read_text()) if name else V1


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON document (its members and items, at any depth)."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


@st.composite
def documents(draw: st.DrawFn, fmt: str) -> Any:
    """Arbitrary JSON, or (mostly) the format's valid document with a few parts changed."""
    if draw(st.integers(0, 5)) == 0:
        return draw(JSON_VALUE)
    document = json.loads(json.dumps(base(fmt)))
    for _ in range(draw(st.integers(1, 4))):
        candidates = [p for p in paths(document) if p]
        if not candidates:
            break
        path = draw(st.sampled_from(candidates))
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(JSON_VALUE)
    return document


def check(result: Normalized, policy: BiometricsPolicy) -> None:
    """What a normalized result always satisfies."""
    scores = [*result.competencies.values()]
    if result.overall_score is not None:
        scores.append(result.overall_score)
    assert all(0 <= s <= 100 and math.isfinite(s) for s in scores)
    assert all(isinstance(c, int) and c >= 0 for c in result.counts.values())
    json.loads(result.archive)  # always a JSON document
    if policy is BiometricsPolicy.DROP:
        assert result.stored_biometrics is None and result.published_biometrics == {}


POLICIES = st.sampled_from(list(BiometricsPolicy))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
class TestNormalizeFuzz:
    @FUZZ
    @given(data=st.data(), policy=POLICIES, ascii_only=st.booleans())
    def test_decode_and_normalize_raises_only_malformed_or_invalid(
        self, fmt: str, data: st.DataObject, policy: BiometricsPolicy, ascii_only: bool
    ) -> None:
        document = data.draw(documents(fmt))
        body = json.dumps(document, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")

        try:
            result = decode_and_normalize(body, vendor=vendor(fmt), tenant_id=TENANT, policy=policy)
        except (MalformedWebhook, InvalidInput) as exc:
            event(type(exc).__name__)
            return
        event("normalized")
        check(result, policy)

    @FUZZ
    @given(data=st.data(), policy=POLICIES)
    def test_normalize_document_raises_only_invalid(
        self, fmt: str, data: st.DataObject, policy: BiometricsPolicy
    ) -> None:
        document = data.draw(documents(fmt))

        try:
            result = normalize_document(
                document, vendor=vendor(fmt), tenant_id=TENANT, policy=policy
            )
        except InvalidInput:
            event("InvalidInput")
            return
        event("normalized")
        check(result, policy)


# Floats of every magnitude (json.dumps and pydantic-core spell some small ones differently).
ANY_FLOAT = st.floats() | st.builds(
    lambda m, e: m * 10.0**e, st.floats(-10, 10, allow_nan=False), st.integers(-12, 20)
)
ARCHIVED = st.recursive(
    st.none() | st.booleans() | st.integers() | ANY_FLOAT | TEXT | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


class TestArchiveJson:
    @FUZZ
    @given(document=ARCHIVED)
    def test_dumps_writes_what_json_dumps_writes(self, document: Any) -> None:
        """The archive of an import row is the same bytes whichever serializer wrote it."""
        try:
            expected = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        except UnicodeEncodeError:  # a lone surrogate
            expected = json.dumps(document, separators=(",", ":")).encode()

        assert dumps(document) == expected

    @pytest.mark.parametrize(
        "value",
        [1e-5, -4.4e-5, 1e-9, 2.5e-7, 1.5e-10, 1e16, -0.0, 5e-324, math.nan, -math.inf, 2**70],
    )
    def test_dumps_spells_numbers_as_json_dumps(self, value: float) -> None:
        document = {"v": [value, "text e-5 0.0000"]}

        assert dumps(document) == json.dumps(document, separators=(",", ":")).encode()

    def test_dumps_of_deeper_nesting_than_pydantic_core_writes(self) -> None:
        document: list[Any] = []
        for _ in range(400):
            document = [document]

        assert dumps(document) == json.dumps(document, separators=(",", ":")).encode()
