"""A mapping (`spec.Mapping`) compiled: every JMESPath expression parsed once, with its plain path.

Compiled mappings are cached by vendor and mapping version (`registry`), so no request
compiles an expression.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

from talentflow.ingest.formats.expressions import Loc, compile_expression, evaluate, plain_path
from talentflow.ingest.formats.spec import Mapping, Metrics, ScoreMetrics, ScoreSource, Source
from talentflow.ingest.models import ScoreScale

# What evaluating an expression on an arbitrary document may raise (a function given the
# wrong type, a slice step of 0, nesting too deep...).
EVALUATION_ERRORS = (JMESPathError, RecursionError, ValueError, TypeError, ArithmeticError)


@dataclass(frozen=True)
class Compiled:
    """One source, compiled: an expression (with its plain path, if it is one) or a constant."""

    text: str | None
    parsed: ParsedResult | None
    const: Any
    path: Loc | None
    scale: ScoreScale | None = None

    @classmethod
    def of(cls, source: Source | None, scale: ScoreScale | None = None) -> Compiled | None:
        if source is None:
            return None
        if isinstance(source, ScoreSource):
            scale = source.scale or scale
        if source.expr is None:
            return cls(text=None, parsed=None, const=source.const, path=None, scale=scale)
        parsed = compile_expression(source.expr)
        return cls(source.expr, parsed, None, plain_path(parsed), scale)

    @classmethod
    def expression(cls, text: str | None, scale: ScoreScale | None = None) -> Compiled | None:
        return cls.of(Source(expr=text), scale) if text is not None else None

    def search(self, node: Any) -> Any:
        """The value on `node` (the constant, for a constant); EVALUATION_ERRORS if it fails."""
        if self.path is not None:
            return follow(node, self.path)
        return self.const if self.parsed is None else evaluate(self.parsed, node)


def follow(node: Any, path: Loc) -> Any:
    """What a plain path (`a.b[0].c`) selects in a decoded JSON document, as JMESPath would
    (None where a member or an item is missing or of another type), without building a
    JMESPath interpreter per search: a mapping evaluates some twenty paths per payload."""
    for key in path:
        if isinstance(key, str):
            node = node.get(key) if isinstance(node, dict) else None
        else:
            node = node[key] if isinstance(node, list) and key < len(node) else None
        if node is None:
            return None
    return node


@dataclass(frozen=True)
class CompiledMetrics:
    named: dict[str, Compiled]
    expr: Compiled | None
    items: Compiled | None
    name: Compiled | None
    value: Compiled | None

    @classmethod
    def of(
        cls, spec: Metrics | ScoreMetrics | None, scale: ScoreScale | None = None
    ) -> CompiledMetrics | None:
        if spec is None:
            return None
        if isinstance(spec, ScoreMetrics):
            scale = spec.scale or scale
        named = {k: Compiled.of(v, scale) for k, v in spec.named().items()}
        return cls(
            named={k: v for k, v in named.items() if v is not None},
            expr=Compiled.expression(spec.expr, scale),
            items=Compiled.expression(spec.items),
            name=Compiled.expression(spec.name),
            value=Compiled.expression(spec.value, scale),
        )


# The targets every mapping must have a source for (`spec.MappingFields`).
REQUIRED: tuple[tuple[str, ...], ...] = (
    ("result_id",),
    ("job_id",),
    ("candidate", "external_id"),
    ("interviewed_at",),
)


class CompiledMapping:
    """Every expression of a mapping, compiled once (cached by vendor and mapping version)."""

    def __init__(self, mapping: Mapping) -> None:
        f, scale = mapping.fields, mapping.default_scale
        self.default_scale = scale
        self.scalars = {
            ("result_id",): Compiled.of(f.result_id),
            ("job_id",): Compiled.of(f.job_id),
            ("candidate", "external_id"): Compiled.of(f.candidate.external_id),
            ("candidate", "name"): Compiled.of(f.candidate.name),
            ("candidate", "email"): Compiled.of(f.candidate.email),
            ("interviewed_at",): Compiled.of(f.interviewed_at),
            ("report_url",): Compiled.of(f.report_url),
        }
        self.locale = Compiled.of(f.candidate.locale)
        self.overall = Compiled.of(f.overall_score, scale)
        self.metrics = {
            "competencies": CompiledMetrics.of(f.competencies, scale),
            "counts": CompiledMetrics.of(f.counts),
            "biometrics": CompiledMetrics.of(f.biometrics),
        }
        e = f.evidence
        self.evidence = None
        if e is not None:
            self.evidence = (
                Compiled.expression(e.items),
                Compiled.of(e.quote),
                Compiled.of(e.competency),
                Compiled.of(e.at_seconds),
            )
