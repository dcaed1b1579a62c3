"""The adapter interface, the draft an adapter builds, and errors in the vendor's own terms.

An adapter turns a vendor's decoded JSON document into a `Draft`: a talentflow.v1 document
(scores already on 0-100) plus, for each part of it, where it came from in the vendor's
document. `Draft.result()` validates it with `InterviewResultV1`, so every format obeys the
same rules, and reports each error at the vendor's path (`detailedResults.0.score.value`),
never at ours.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pydantic_core
from pydantic import BaseModel, ValidationError

from talentflow.common.errors import InvalidInput, field_errors
from talentflow.ingest.exceptions import MalformedWebhook
from talentflow.ingest.formats.convert import (
    is_biometric,
    is_number,
    metric_name,
    scale_message,
    seconds,
    telltale,
    to_percent,
)
from talentflow.ingest.formats.expressions import Loc
from talentflow.ingest.formats.v1 import InterviewResultV1
from talentflow.ingest.models import ScoreScale, VendorFormat


def invalid(fmt: VendorFormat, errors: Sequence[dict[str, Any]]) -> InvalidInput:
    """InvalidInput naming every field at fault (`errors`: {loc, msg, type}, locs in the body)."""
    located = [{**err, "loc": ("body", *err["loc"])} for err in errors]
    message = f"the result does not fit the {fmt.value} format"
    return InvalidInput(message, errors=field_errors(located))


def pydantic_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """A ValidationError's errors without the input values they could echo."""
    quiet = exc.errors(include_url=False, include_context=False, include_input=False)
    return [dict(err) for err in quiet]


# pydantic-core's nesting limit: a webhook body (`decode`) nests no deeper either,
# and every function that walks a document (formats.base.scrub, `_strings`) recurses safely
# within it.
MAX_DEPTH = 200


class TooDeep(ValueError):
    """JSON nested deeper than `MAX_DEPTH` arrays and objects."""

    def __init__(self) -> None:
        super().__init__(f"nests arrays and objects deeper than {MAX_DEPTH} levels")


def nested_deeper_than(document: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels, as pydantic-core counts
    them (an empty one innermost is no level); a loop, not a recursion."""
    pending = [(document, 1)] if isinstance(document, dict | list) else []
    while pending:
        value, depth = pending.pop()
        if value and depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        pending.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def decode(body: bytes) -> Any:
    """A webhook body as JSON (MalformedWebhook when it is not UTF-8 JSON)."""
    try:
        return pydantic_core.from_json(body)
    except ValueError as exc:
        raise not_json(str(exc)) from None


def not_json(reason: str) -> MalformedWebhook:
    """The 400 of a body pydantic-core could not read as JSON, for `reason` (its message)."""
    if "recursion limit exceeded" in reason:
        return MalformedWebhook(f"the body {TooDeep()}")
    return MalformedWebhook("the body is not valid JSON")


@dataclass(frozen=True)
class EvidenceFields:
    """How a vendor's format names an evidence quote's members, and the problem reported for
    an offset that is no time (with examples in the vendor's own notation), so that one loop
    (`Draft.add_evidence`) serves every format with timed quotes."""

    quote: str
    offset: str
    bad_offset: str


@dataclass
class Draft:
    """A talentflow.v1 document built from a vendor's, and where each part came from."""

    data: dict[str, Any] = field(default_factory=dict)
    sources: dict[Loc, Loc] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)

    def put(self, target: Loc, value: Any, source: Loc) -> None:
        """Set `target` (a path in the talentflow.v1 document) to `value`, from `source`
        (None: leave it out, so that a required field is reported missing at `source`)."""
        self.sources[target] = source
        node: Any = self.data
        for key in target[:-1]:
            node = node.setdefault(key, {})
        if value is not None:
            node[target[-1]] = value

    def problem(self, source: Loc, message: str, kind: str = "value_error") -> None:
        self.problems.append({"loc": source, "msg": message, "type": kind})

    def where(self, loc: Loc) -> Loc:
        """The vendor's path for a path in the talentflow.v1 document (longest known prefix)."""
        for end in range(len(loc), 0, -1):
            source = self.sources.get(loc[:end])
            if source is not None:
                return source + loc[end:]
        return loc

    def result(self, fmt: VendorFormat) -> InterviewResultV1:
        """The validated result, or InvalidInput naming every field at fault."""
        errors = list(self.problems)
        try:
            result = InterviewResultV1.model_validate(self.data)
        except ValidationError as exc:
            seen = {tuple(err["loc"]) for err in errors}
            for err in pydantic_errors(exc):
                loc = self.where(tuple(err["loc"]))
                if not any(loc[: len(s)] == s for s in seen):
                    errors.append({**err, "loc": loc})
            raise invalid(fmt, errors) from None
        if errors:
            raise invalid(fmt, errors)
        return result

    def add_evidence(
        self,
        competency: str | None,
        quotes: Iterable[tuple[Any, Any]],
        where: Loc,
        fields: EvidenceFields,
    ) -> None:
        """Add the quotes of the vendor's evidence list at `where` (each a quote and its time
        offset, members named by `fields`) with their offsets in seconds. An error in a quote
        or an offset is reported at that item's member; an offset that is no time is one."""
        evidence = self.data.setdefault("evidence", [])
        for index, (quote, offset) in enumerate(quotes):
            at = (*where, index)
            at_seconds = seconds(offset) if offset is not None else None
            if offset is not None and at_seconds is None:
                self.problem((*at, fields.offset), fields.bad_offset)
            target = ("evidence", len(evidence))
            self.sources[(*target, "quote")] = (*at, fields.quote)
            self.sources[(*target, "at_seconds")] = (*at, fields.offset)
            evidence.append({"competency": competency, "quote": quote, "at_seconds": at_seconds})

    def metric(self, section: str, label: str, value: Any, source: Loc) -> None:
        """Add a metric under a vendor's label, as a snake_case name (a problem if unusable)."""
        name = metric_name(label)
        if name is None:
            self.problem(source, "cannot be turned into a metric name (a-z, 0-9, _)")
        elif name in self.data.get(section, {}):
            self.problem(source, f"a second metric named {name!r} in {section}")
        else:
            self.put((section, name), value, source)


def score(draft: Draft, value: Any, scale: ScoreScale, source: Loc) -> float | None:
    """A score on `scale` as 0-100; a problem at `source` (and None) when it is not one."""
    percent = to_percent(value, scale) if is_number(value) else None
    if percent is None:
        draft.problem(source, scale_message(scale), "score_scale")
    return percent


def text_id(value: Any) -> Any:
    """An id as text: ATSs often send numbers (12345 -> "12345")."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def label(draft: Draft, value: Any, source: Loc) -> str | None:
    """A metric's label (a text), or a problem at `source`."""
    if isinstance(value, str):
        return value
    draft.problem(source, "must be a text naming the metric", "string_type")
    return None


class Adapter(ABC):
    """Turns one vendor format's documents into talentflow.v1 results (scores on 0-100)."""

    format: ClassVar[VendorFormat]

    def __init__(self, scale: ScoreScale = ScoreScale.PERCENT) -> None:
        self.scale = scale

    def from_json(self, body: bytes) -> tuple[InterviewResultV1, Any]:
        """A webhook body's result, and its decoded document (None: not decoded, use the body)."""
        document = decode(body)
        return self.from_document(document), document

    @abstractmethod
    def from_document(self, document: Any) -> InterviewResultV1:
        """The result in an already-decoded document; InvalidInput naming every field at fault."""

    def redact(self, document: Any, withheld: Collection[str]) -> Any:
        """The document without the facial/voice metrics `withheld` (for policy drop)."""
        return scrub(document)


class ModelAdapter(Adapter):
    """An adapter whose format is a pydantic model (validated once, straight from the bytes)."""

    model: ClassVar[type[BaseModel]]

    def from_json(self, body: bytes) -> tuple[InterviewResultV1, Any]:
        try:
            parsed = self.model.model_validate_json(body)
        except ValidationError as exc:
            errors = pydantic_errors(exc)
            problems = [e for e in errors if e["type"] != "json_invalid"]
            if not problems:
                raise not_json(str(errors[0]["msg"]) if errors else "") from None
            raise invalid(self.format, problems) from None
        return self.finish(parsed), None

    def from_document(self, document: Any) -> InterviewResultV1:
        try:
            parsed = self.model.model_validate(document)
        except ValidationError as exc:
            raise invalid(self.format, pydantic_errors(exc)) from None
        return self.finish(parsed)

    @abstractmethod
    def finish(self, parsed: Any) -> InterviewResultV1:
        """The result of a validated vendor document."""


class ConvertingAdapter(ModelAdapter):
    """A model adapter for a vendor's own format: converted through a talentflow.v1 draft."""

    def finish(self, parsed: Any) -> InterviewResultV1:
        return self.convert(parsed).result(self.format)

    @abstractmethod
    def convert(self, parsed: Any) -> Draft:
        """The talentflow.v1 draft of a validated vendor document."""


def scrub(value: Any) -> Any:
    """A copy of `value` without the object members whose name marks a facial/voice metric."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if not telltale(k)}
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value


def without_named(document: Any, member: str) -> Any:
    """`document` without the items of its list `member` whose `name` marks a facial/voice
    metric ("Eye contact"), then scrubbed."""
    if isinstance(document, dict) and isinstance(document.get(member), list):
        document = dict(document)
        document[member] = [
            item
            for item in document[member]
            if not (
                isinstance(item, dict)
                and isinstance(item.get("name"), str)
                and is_biometric(metric_name(item["name"]) or "")
            )
        ]
    return scrub(document)


# What pydantic-core spells otherwise than `json.dumps`: floats of magnitude 1e-9 to 1e-4
# ("2.5e-7", "0.00001" where json.dumps writes "2.5e-07", "1e-05"). Text that looks the same
# only costs the slower path. Two patterns, each with a literal start, scan far faster
# than one alternation.
_SHORT_EXPONENT = re.compile(rb"e-[1-9](?:[,\]}]|\Z)")
_FOUR_ZEROS = re.compile(rb"0\.0000")


def dumps(document: Any) -> bytes:
    """A decoded JSON document as compact JSON, byte for byte as `json.dumps` writes it
    (escaped if it holds text that UTF-8 cannot encode).

    Every import row and every archive under policy drop is written here: pydantic-core
    writes JSON values as json.dumps does (NaN and Infinity too, with "constants") but in a
    fifth of the time; json.dumps is kept for what it would spell otherwise, for text that
    UTF-8 cannot encode and for what pydantic-core refuses (deeper than it nests)."""
    try:
        fast = pydantic_core.to_json(document, inf_nan_mode="constants")
    except pydantic_core.PydanticSerializationError:
        pass
    else:
        if not (_SHORT_EXPONENT.search(fast) or _FOUR_ZEROS.search(fast)):
            return fast
    try:
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:
        return json.dumps(document, separators=(",", ":")).encode()
