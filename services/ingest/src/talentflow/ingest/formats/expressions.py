"""JMESPath expressions of a mapping: compiling them, and recognizing plain paths (`a.b[0].c`)."""

from __future__ import annotations

from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult
from jmespath.visitor import TreeInterpreter
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


# --- evaluating within bounds ---------------------------------------------------------------------

# A mapping is a tenant's own code run on every delivery in the shared worker, so its
# expressions are evaluated within bounds. JMESPath's multi-selects can reference one value
# many times (`[@, @] | [@, @] | ...` doubles what `to_string` or a comparison must walk at
# each step) and flattening can double real memory at each step, so what an expression
# builds is weighed, and so is how many nodes it visits. Both bounds are far above what a
# mapping of an interview result needs (projecting 500 evidence quotes visits ~2,500 nodes
# and builds a value weighing ~4,500); a list of over 50,000 items cannot be projected.
MAX_WEIGHT = 100_000  # ~ values and 16-character pieces of text in anything built
MAX_VISITS = 50_000


# The nodes whose result is a value built by the expression rather than one found in the
# document: what they return is weighed.
_BUILDING = frozenset(
    {
        "multi_select_list",
        "multi_select_dict",
        "flatten",
        "projection",
        "value_projection",
        "filter_projection",
        "function_expression",
    }
)


class TooCostly(JMESPathError):  # type: ignore[misc]  # jmespath has no type hints
    """The expression builds too large a value or visits too many nodes."""


class _BoundedInterpreter(TreeInterpreter):  # type: ignore[misc]  # (no type hints)
    """JMESPath's interpreter, refusing what would exceed `MAX_VISITS` or `MAX_WEIGHT`."""

    def __init__(self) -> None:
        super().__init__()
        self._visits = 0
        # Weights of the containers built or met so far, each kept alive beside its weight so
        # that its id is not reused while this evaluation runs.
        self._weights: dict[int, tuple[Any, int]] = {}

    def visit(self, node: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        self._visits += 1
        if self._visits > MAX_VISITS:
            raise TooCostly(f"it visits more than {MAX_VISITS:,} nodes")
        result = super().visit(node, *args, **kwargs)
        if node["type"] in _BUILDING:
            self._weigh(result)
        return result

    def _weigh(self, value: Any) -> int:
        """`value`'s size as a tree (a value referenced twice counts twice), in time linear
        in its distinct containers; TooCostly over `MAX_WEIGHT`."""
        if isinstance(value, str):
            return 1 + len(value) // 16
        if not isinstance(value, list | dict):
            return 1
        known = self._weights.get(id(value))
        if known is not None:
            return known[1]
        weight = 1
        for key, item in value.items() if isinstance(value, dict) else enumerate(value):
            weight += self._weigh(item) + (len(key) // 16 if isinstance(key, str) else 0)
            if weight > MAX_WEIGHT:
                raise TooCostly("it builds too large a value")
        self._weights[id(value)] = (value, weight)
        return weight


def evaluate(parsed: ParsedResult, document: Any) -> Any:
    """`parsed` evaluated on `document`, within `MAX_VISITS` and `MAX_WEIGHT` (TooCostly)."""
    return _BoundedInterpreter().visit(parsed.parsed, document)
