"""JMESPath expressions of a mapping: compiling them, and recognizing plain paths (`a.b[0].c`)."""

from __future__ import annotations

from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult
from pydantic_core import PydanticCustomError

Loc = tuple[str | int, ...]


def compile_expression(text: str) -> ParsedResult:
    """The compiled expression; PydanticCustomError (at the caller's field) when it is not one."""
    try:
        return jmespath.compile(text)
    except (JMESPathError, RecursionError) as exc:
        reason = str(exc).split("\n", 1)[0].removesuffix(", for expression:").rstrip(":")
        for prefix in ("Invalid jmespath expression: ", "Bad jmespath expression: "):
            reason = reason.removeprefix(prefix)
        if isinstance(exc, RecursionError):
            reason = "nested too deeply"
        raise PydanticCustomError(
            "jmespath", "not a valid JMESPath expression: {reason}", {"reason": reason}
        ) from None


def checked(text: str) -> str:
    """For pydantic: `text` if it compiles."""
    compile_expression(text)
    return text


def plain_path(parsed: ParsedResult) -> Loc | None:
    """The path an expression made only of fields and non-negative indexes points at
    (`a.b[0].c` -> ("a", "b", 0, "c")); None for anything else."""
    return _path(parsed.parsed)


def _path(node: dict[str, Any]) -> Loc | None:
    kind, children = node["type"], node["children"]
    if kind == "field":
        return (node["value"],)
    if kind == "subexpression":
        out: Loc = ()
        for child in children:
            part = _path(child)
            if part is None:
                return None
            out += part
        return out
    if kind == "index_expression":
        base = _path(children[0])
        indexes = children[1:]
        if base is None or any(i["type"] != "index" or i["value"] < 0 for i in indexes):
            return None
        return base + tuple(int(i["value"]) for i in indexes)
    return None
