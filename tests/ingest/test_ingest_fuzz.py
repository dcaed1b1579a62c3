"""Property tests: whatever the body and headers, the webhook route never answers 5xx.

One test tampers with the signature headers; the other signs every body correctly, so that
odd but well-signed payloads reach parsing, normalizing, encryption and storage.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

HEADER_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=80).map(
    lambda s: s.encode()
)
JSON_LEAF = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True) | st.sampled_from(
    ["smile_count", "eye_contact_ratio", "voice_pitch", "communication"]
)
NUMBERS = st.integers(-5, 200) | st.floats(allow_nan=True, allow_infinity=True)
# Text with control characters and NULs, which PostgreSQL text columns refuse.
AWKWARD_TEXT = st.text(
    st.sampled_from("\x00\x01\x1f\x7f\x85\u2028 a\u00e9"), min_size=1, max_size=6
)
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "result_id": st.text(max_size=40) | AWKWARD_TEXT,
    "job_id": st.uuids().map(str) | st.text(max_size=40),
    "candidate": st.fixed_dictionaries(
        {"external_id": st.text(max_size=30)},
        optional={
            "name": st.text(max_size=60) | AWKWARD_TEXT,
            "email": st.emails().map(str) | st.text(max_size=30),
            "locale": st.sampled_from(["en", "zh-CN", "fr"]),
        },
    ),
    "interviewed_at": st.datetimes(timezones=st.timezones() | st.none()).map(
        lambda d: d.isoformat()
    )
    # The edges of the calendar, which leave datetime's range once converted to UTC.
    | st.sampled_from(["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"]),
    "overall_score": NUMBERS,
    "competencies": st.dictionaries(NAMES, NUMBERS, max_size=4),
    "counts": st.dictionaries(NAMES, st.integers(-3, 10**12), max_size=4),
    "evidence": st.lists(
        st.fixed_dictionaries(
            {"quote": st.text(max_size=80)},
            optional={"competency": NAMES, "at_seconds": NUMBERS},
        ),
        max_size=3,
    ),
    "biometrics": st.dictionaries(NAMES, NUMBERS, max_size=4),
    "report_url": st.sampled_from(["https://v.example/r", "http://v.example/r", "x"])
    | AWKWARD_TEXT.map(lambda t: "https://v.example/" + t),
}


@st.composite
def bodies(draw: st.DrawFn, base: dict[str, Any]) -> bytes:
    """Raw bytes, arbitrary JSON, or (mostly) a valid result with a few fields changed."""
    kind = draw(st.sampled_from(["bytes", "json"] + ["mutated"] * 6))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "json":
        return json.dumps(draw(JSON_VALUE)).encode()
    document = dict(base, result_id=draw(st.text(min_size=1, max_size=20) | AWKWARD_TEXT))
    for field in draw(st.lists(st.sampled_from(sorted(PLAUSIBLE)), max_size=3, unique=True)):
        how = draw(st.sampled_from(["plausible", "plausible", "plausible", "anything", "remove"]))
        if how == "remove":
            document.pop(field, None)
        else:
            document[field] = draw(PLAUSIBLE[field] if how == "plausible" else JSON_VALUE)
    return json.dumps(document, ensure_ascii=draw(st.booleans())).encode()


@st.composite
def header_overrides(draw: st.DrawFn) -> dict[str, Any]:
    """At least one signature header omitted or replaced by random text (None: omit)."""
    overrides: dict[str, Any] = {}
    names = ("webhook-id", "webhook-timestamp", "webhook-signature")
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)):
        overrides[name] = draw(st.none() | HEADER_TEXT)
    return overrides


BASE = {
    "result_id": "fuzz-1",
    "job_id": "8c1d3f0e-5a7b-4c2d-9e8f-0a1b2c3d4e5f",
    "candidate": {"external_id": "ats-1", "name": "Ada", "email": "ada@example.com"},
    "interviewed_at": "2026-03-01T10:15:00+08:00",
    "overall_score": 81,
    "competencies": {"communication": 88},
    "counts": {"customer_cases": 3},
    "evidence": [{"competency": "communication", "quote": "...", "at_seconds": 1.5}],
    "biometrics": {"smile_count": 14},
    "report_url": "https://vendor.example/r/1",
}
# One app, client and vendor serve every example (function-scoped fixtures on purpose).
FUZZ = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
async def fuzz_vendor(h) -> tuple[uuid.UUID, str]:
    tenant = await h.tenant("US", "allow")
    return await h.vendor(tenant)


def check(response: Any) -> None:
    event(f"status {response.status_code}")  # see --hypothesis-show-statistics
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    else:
        assert response.status_code in (200, 202)


class TestWebhookFuzz:
    @FUZZ
    @given(body=bodies(BASE), overrides=header_overrides())
    async def test_tampered_headers_never_make_a_5xx(
        self, h, fuzz_vendor, body: bytes, overrides: dict[str, Any]
    ) -> None:
        vendor_id, secret = fuzz_vendor

        response = await h.deliver(vendor_id, secret, body, headers=overrides)

        check(response)

    @FUZZ
    @given(body=bodies(BASE))
    async def test_signed_bodies_never_make_a_5xx(self, h, fuzz_vendor, body: bytes) -> None:
        vendor_id, secret = fuzz_vendor

        response = await h.deliver(vendor_id, secret, body)

        check(response)
