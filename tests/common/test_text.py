"""The shared text rules (`talentflow.common.text`): what each refuses, and how it says so."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import BaseModel, StringConstraints, ValidationError

from talentflow.common.text import MultiLineText, OneLineText, StorableText


class Texts(BaseModel):
    free: Annotated[str, StorableText] = "x"
    prose: Annotated[str, MultiLineText] = "x"
    name: Annotated[str, StringConstraints(strip_whitespace=True), OneLineText] = "x"


def refusal(field: str, value: str) -> dict[str, Any] | None:
    """The field's one error for `value` (validated as Python, as an adapter's dict is), or
    None when it passes; the same through JSON where JSON can carry it."""
    try:
        Texts.model_validate({field: value})
    except ValidationError as exc:
        (error,) = exc.errors(include_url=False)
        assert error["loc"] == (field,)
        return dict(error)
    return None


ACCEPTED_EVERYWHERE = [
    "Ada Lovelace",
    "Zoë Ødegård, 李雷",
    "non\u00a0breaking and zero\u200bwidth",  # not printable for str.isprintable(), still text
    "emoji 🙂 and combining e\u0301",
]


@pytest.mark.parametrize("value", ACCEPTED_EVERYWHERE)
def test_ordinary_text_passes_every_rule(value: str) -> None:
    assert Texts(free=value, prose=value, name=value).name == value


@pytest.mark.parametrize(
    ("value", "free", "prose", "name"),
    [
        ("a\x00b", "U+0000 at position 1", "U+0000 at position 1", "U+0000 at position 1"),
        ("line\nbreak", None, None, "U+000A at position 4"),
        ("tab\there", None, None, "U+0009 at position 3"),
        ("cr\r\nlf", None, None, "U+000D at position 2"),
        ("bell\x07x", None, "U+0007 at position 4", "U+0007 at position 4"),
        ("esc\x1b[31m", None, "U+001B at position 3", "U+001B at position 3"),
        ("del\x7fx", None, "U+007F at position 3", "U+007F at position 3"),
        ("nel\x85x", None, "U+0085 at position 3", "U+0085 at position 3"),
        ("ls\u2028ps", None, None, "U+2028 at position 2"),
        ("ps\u2029x", None, None, "U+2029 at position 2"),
    ],
    ids=["nul", "lf", "tab", "cr", "bell", "escape", "del", "nel", "lsep", "psep"],
)
def test_each_rule_refuses_its_characters_naming_the_first(
    value: str, free: str | None, prose: str | None, name: str | None
) -> None:
    for field, expected in (("free", free), ("prose", prose), ("name", name)):
        error = refusal(field, value)
        if expected is None:
            assert error is None, (field, error)
        else:
            assert error is not None and error["type"] == "text_characters", (field, error)
            assert error["msg"].endswith(expected)
            assert "input" not in error["msg"] and value not in error["msg"]


@pytest.mark.parametrize("field", ["free", "prose", "name"])
@pytest.mark.parametrize(
    ("value", "where"), [("ab\ud800", "U+D800 at position 2"), ("\udfff", "U+DFFF at position 0")]
)
def test_a_lone_surrogate_is_refused_by_every_rule(field: str, value: str, where: str) -> None:
    error = refusal(field, value)

    assert error is not None and error["type"] == "string_unicode"
    if field != "name":  # StringConstraints refuses it first, with pydantic's own message
        assert error["msg"] == f"must be valid Unicode text; found {where}"


def test_the_stricter_rule_is_checked_after_stripping() -> None:
    assert Texts(name="  Ada Lovelace \n").name == "Ada Lovelace"
