"""mapping.v1: a tenant's declarative mapping (`spec.Mapping`), compiled once, applied per payload.

Values are taken as the expressions yield them, with a few conversions a mapping cannot
express in JMESPath: numbers in strings ("4.5", for CSV-like documents) for scores, counts and
biometrics; numeric ids as text; Unix seconds for `interviewed_at`; any language tag for
`locale`. An error names the vendor's path when the expression is a plain path (`a.b[0].c`),
otherwise the mapping's field (`mapping.fields.competencies.communication`).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from talentflow.ingest.formats.base import Adapter, Draft, scrub
from talentflow.ingest.formats.compiled import (
    EVALUATION_ERRORS,
    Compiled,
    CompiledMapping,
    CompiledMetrics,
    follow,
)
from talentflow.ingest.formats.convert import (
    is_biometric,
    is_number,
    locale,
    metric_name,
    seconds,
    to_percent,
)
from talentflow.ingest.formats.expressions import Loc, TooCostly
from talentflow.ingest.formats.v1 import InterviewResultV1
from talentflow.ingest.models import ScoreScale, VendorFormat

_NUMBER = re.compile(r"[+-]?(?:\d{1,15}(?:\.\d{0,15})?|\.\d{1,15})")
_WHOLE = re.compile(r"\d{1,12}")
MAX_UNIX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z
FAILED = object()  # an expression that could not be evaluated (the problem is recorded)


class MappingAdapter(Adapter):
    format = VendorFormat.MAPPING_V1

    def __init__(self, mapping: CompiledMapping, scale: ScoreScale = ScoreScale.PERCENT) -> None:
        super().__init__(mapping.default_scale or scale)
        self.mapping = mapping

    def from_document(self, document: Any) -> InterviewResultV1:
        return _Run(self, document).draft.result(self.format)

    def redact(self, document: Any, withheld: Collection[str]) -> Any:
        """Without the biometrics' sources, nor metrics named for the face or the voice."""
        redacted = scrub(document)  # a copy, so the deletions below touch nothing shared
        for section, metrics in self.mapping.metrics.items():
            if metrics is None:
                continue
            for name, source in metrics.named.items():
                if section == "biometrics" or is_biometric(name):
                    _delete(redacted, source.path)
            if section == "biometrics":
                _delete(redacted, (metrics.expr or metrics.items or _NONE).path)
            elif metrics.items is not None and metrics.name is not None:
                _drop_named_items(redacted, metrics.items.path, metrics.name)
        return redacted


_NONE = Compiled(None, None, None, None)


def _drop_named_items(document: Any, path: Loc | None, name: Compiled) -> None:
    """Null the items of the list at `path` whose name marks a facial/voice metric."""
    found = follow(document, path) if path else None
    if not isinstance(found, list):
        return
    for index, item in enumerate(found):
        try:
            label = name.search(item)
        except EVALUATION_ERRORS:
            continue
        if isinstance(label, str) and is_biometric(metric_name(label) or ""):
            found[index] = None


class _Run:
    """One document through a compiled mapping, into a draft."""

    def __init__(self, adapter: MappingAdapter, document: Any) -> None:
        self.scale = adapter.scale
        self.draft = draft = Draft()
        m = adapter.mapping
        self.document = document
        for target, source in m.scalars.items():
            if source is not None:
                self.scalar(target, source)
        if m.locale is not None:
            target = ("candidate", "locale")
            value = self.value(m.locale, document, target)
            if value is not None and value is not FAILED:
                value = locale(value) if isinstance(value, str) else value
                draft.put(target, value, self.loc(m.locale, target))
        if m.overall is not None:
            target = ("overall_score",)
            value = self.value(m.overall, document, target)
            self.score(target, m.overall, value, self.loc(m.overall, target))
        for section, metrics in m.metrics.items():
            if metrics is not None:
                self.metrics(section, metrics)
        if m.evidence is not None:
            self.evidence(*m.evidence)

    def loc(self, source: Compiled, target: Loc = (), base: Loc | None = ()) -> Loc:
        if source.path is not None and base is not None:
            return base + source.path
        return ("mapping", "fields", *target)

    def value(self, source: Compiled, node: Any, target: Loc, base: Loc | None = ()) -> Any:
        try:
            return source.search(node)
        except EVALUATION_ERRORS as exc:
            message = f"the expression {source.text!r} cannot be evaluated on this document"
            if isinstance(exc, TooCostly):
                message += f": {exc}"
            self.draft.problem(self.loc(source, target, base), message, "jmespath")
            return FAILED

    def scalar(self, target: Loc, source: Compiled) -> None:
        value = self.value(source, self.document, target)
        if value is FAILED:
            return
        if target in (("result_id",), ("candidate", "external_id")) and is_number(value):
            value = str(value)
        elif target == ("interviewed_at",) and is_number(value) and 0 <= value <= MAX_UNIX_SECONDS:
            value = datetime.fromtimestamp(value, UTC)
        self.draft.put(target, value, self.loc(source, target))

    def score(self, target: Loc, source: Compiled, value: Any, where: Loc) -> None:
        if value is None or value is FAILED:
            return
        number = _number(value)
        scale = source.scale or self.scale
        percent = to_percent(number, scale) if number is not None else None
        if percent is None:
            self.draft.problem(where, f"must be a number on the {scale.value} score scale", "score")
        self.draft.put(target, percent, where)

    def metric(self, section: str, name: str, source: Compiled, value: Any, where: Loc) -> None:
        if value is None or value is FAILED:
            return
        if section == "competencies":
            self.score((section, name), source, value, where)
            return
        converted = _count(value) if section == "counts" else _measure(value)
        self.draft.put((section, name), converted, where)

    def metrics(self, section: str, spec: CompiledMetrics) -> None:
        doc = self.document
        for name, source in spec.named.items():
            where = self.loc(source, (section, name))
            self.metric(section, name, source, self.value(source, doc, (section, name)), where)
        if spec.expr is not None:
            found = self.value(spec.expr, doc, (section,))
            base = self.loc(spec.expr, (section,))
            if isinstance(found, dict):
                for label, value in found.items():
                    self.labelled(section, label, spec.expr, value, (*base, label), (*base, label))
            elif found is not None and found is not FAILED:
                self.draft.problem(base, "must be an object of {name: value}", "object_type")
        if spec.items is not None and spec.name is not None and spec.value is not None:
            for item, at in self.items(spec.items, (section,)):
                label = self.value(spec.name, item, (section,), at)
                value = self.value(spec.value, item, (section,), at)
                where = self.loc(spec.name, (section,), at)
                if isinstance(label, str):
                    value_at = self.loc(spec.value, (section, label), at)
                    self.labelled(section, label, spec.value, value, where, value_at)
                elif label is not FAILED:
                    self.draft.problem(where, "must be a text naming the metric", "string_type")

    def labelled(
        self, section: str, label: str, source: Compiled, value: Any, where: Loc, value_at: Loc
    ) -> None:
        """A metric under a label from the document (`where`), its value from `value_at`."""
        name = metric_name(label)
        if name is None:
            self.draft.problem(where, "cannot be turned into a metric name (a-z, 0-9, _)")
        elif name in self.draft.data.get(section, {}):
            self.draft.problem(where, f"a second metric named {name!r} in {section}")
        else:
            self.metric(section, name, source, value, value_at)

    def items(self, source: Compiled, target: Loc) -> list[tuple[Any, Loc | None]]:
        """The items of a list an expression selects, each with its path (None: unknown)."""
        found = self.value(source, self.document, target)
        if found is None or found is FAILED:
            return []
        if not isinstance(found, list):
            self.draft.problem(self.loc(source, target), "must be a list", "list_type")
            return []
        return [(item, (*source.path, i) if source.path else None) for i, item in enumerate(found)]

    def evidence(
        self,
        items: Compiled | None,
        quote: Compiled | None,
        competency: Compiled | None,
        at: Compiled | None,
    ) -> None:
        assert items is not None and quote is not None
        out: list[dict[str, Any]] = []
        for item, base in self.items(items, ("evidence",)):
            index = len(out)
            target = ("evidence", index)
            entry: dict[str, Any] = {"quote": self.value(quote, item, (*target, "quote"), base)}
            self.draft.sources[(*target, "quote")] = self.loc(quote, (*target, "quote"), base)
            if competency is not None:
                name = self.value(competency, item, (*target, "competency"), base)
                entry["competency"] = (metric_name(name) or name) if isinstance(name, str) else name
                where = self.loc(competency, (*target, "competency"), base)
                self.draft.sources[(*target, "competency")] = where
            if at is not None:
                raw = self.value(at, item, (*target, "at_seconds"), base)
                where = self.loc(at, (*target, "at_seconds"), base)
                entry["at_seconds"] = seconds(raw) if raw is not None else None
                if raw is not None and raw is not FAILED and entry["at_seconds"] is None:
                    self.draft.problem(where, "must be seconds, mm:ss or an ISO 8601 duration")
            out.append({k: v for k, v in entry.items() if v is not FAILED})
        self.draft.put(("evidence",), out, self.loc(items, ("evidence",)))


def _number(value: Any) -> float | None:
    """A JSON number, or a number written as text ("4.5"); None for anything else."""
    if is_number(value):
        return float(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return float(value)
    return None


def _count(value: Any) -> Any:
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e12:
        return int(value)
    return value  # InterviewResultV1 says what is wrong with it


def _measure(value: Any) -> Any:
    number = _number(value)
    return float(number) if number is not None else value


def _delete(document: Any, path: Loc | None) -> None:
    """Remove what `path` points at (a list item becomes null, so other paths stay valid)."""
    if not path:
        return
    node = follow(document, path[:-1])
    last = path[-1]
    if isinstance(node, dict) and isinstance(last, str):
        node.pop(last, None)
    elif isinstance(node, list) and isinstance(last, int) and last < len(node):
        node[last] = None
