"""CSV imports: the header, and each record turned into a document for the vendor's adapter.

Two layouts, chosen by the vendor's format:

- `V1Layout`, for every built-in format: the talentflow.v1 fields as columns, scores on
  0-100, whatever the vendor sends by webhook. Columns (header names, any order):
  `result_id`, `job_id`, `candidate_external_id`, `interviewed_at` (required);
  `candidate_name`, `candidate_email`, `candidate_locale`, `overall_score`, `report_url`,
  `evidence` (a JSON array of {competency, quote, at_seconds}); `competency.<name>`,
  `count.<name>` and `biometric.<name>` for each metric. Each record becomes a talentflow.v1
  document. Errors name the CSV column (`candidate_email`, `competency.logic`).
- `NamedLayout`, for a vendor with a declarative mapping (mapping.v1): any columns. Each
  record becomes a JSON object of its cells by column name, which the vendor's mapping reads
  as it reads a webhook body (`"Candidate ID"` in JMESPath names the column `Candidate ID`).
  Cells are text (the mapping converts numbers in strings), except a cell that holds a JSON
  array or object, which is that array or object (evidence, a map of ratings; nested no
  deeper than a webhook body may be, else the column's error). The columns the mapping's
  required fields read must be in the header. Errors name the column, as a mapping names
  the vendor's path.

In both, an empty cell is an absent value.
"""

from __future__ import annotations

import csv
import functools
import re
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from collections.abc import Mapping as MappingOf
from dataclasses import dataclass
from enum import Enum
from typing import Any

from talentflow.ingest.formats.base import Adapter, TooDeep
from talentflow.ingest.formats.compiled import REQUIRED as MAPPING_REQUIRED
from talentflow.ingest.formats.mapping import MappingAdapter
from talentflow.ingest.formats.registry import built_in
from talentflow.ingest.imports.exceptions import InvalidCsvHeader
from talentflow.ingest.imports.parsing import LineError, LineReader, Row, load_json, too_long
from talentflow.ingest.models import ScoreScale, VendorFormat

# What maps a record of the talentflow.v1 columns (scores on 0-100), whatever the vendor's format.
V1_ADAPTER = built_in(VendorFormat.TALENTFLOW_V1, ScoreScale.PERCENT)


class Kind(Enum):
    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    JSON = "json"


FLAT: dict[str, tuple[tuple[str, ...], Kind]] = {
    "result_id": (("result_id",), Kind.TEXT),
    "job_id": (("job_id",), Kind.TEXT),
    "candidate_external_id": (("candidate", "external_id"), Kind.TEXT),
    "candidate_name": (("candidate", "name"), Kind.TEXT),
    "candidate_email": (("candidate", "email"), Kind.TEXT),
    "candidate_locale": (("candidate", "locale"), Kind.TEXT),
    "interviewed_at": (("interviewed_at",), Kind.TEXT),
    "overall_score": (("overall_score",), Kind.NUMBER),
    "report_url": (("report_url",), Kind.TEXT),
    "evidence": (("evidence",), Kind.JSON),
}
REQUIRED = ("result_id", "job_id", "candidate_external_id", "interviewed_at")
# column prefix -> (document section, kind of its values)
PREFIXES: dict[str, tuple[str, Kind]] = {
    "competency.": ("competencies", Kind.NUMBER),
    "count.": ("counts", Kind.INTEGER),
    "biometric.": ("biometrics", Kind.NUMBER),
}
_SECTION_PREFIX = {section: prefix for prefix, (section, _) in PREFIXES.items()}
_METRIC = re.compile(r"[a-z][a-z0-9_]{0,63}")
_INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True, slots=True)
class Column:
    index: int
    name: str
    path: tuple[str, ...]
    kind: Kind


class V1Layout:
    """The talentflow.v1 columns of one file, from its header."""

    native = False  # rows are talentflow.v1 documents, not the vendor's own format

    def __init__(self, names: list[str]) -> None:
        problems: list[dict[str, Any]] = []
        columns: list[Column] = []
        seen: set[str] = set()
        for index, raw in enumerate(names):
            name = raw.strip()
            problem = _column_problem(name, seen)
            if problem:
                problems.append(_header_error(index, name, problem))
                continue
            seen.add(name)
            columns.append(Column(index, name, *_column(name)))
        for name in REQUIRED:
            if name not in seen:
                problems.append(_header_error(len(names), name, "this column is required"))
        if problems:
            raise InvalidCsvHeader("the CSV header is not valid", errors=problems)
        self.width = len(names)
        self.columns = columns

    def document(self, cells: list[str]) -> tuple[dict[str, Any], list[LineError]]:
        """The talentflow.v1 document of a record, and the cells that could not be read."""
        document: dict[str, Any] = {}
        errors: list[LineError] = []
        for column in self.columns:
            cell = cells[column.index].strip()
            if not cell:
                continue
            if column.kind is Kind.JSON:
                try:
                    value: Any = load_json(cell)
                except ValueError as exc:
                    message = str(exc) if isinstance(exc, TooDeep) else "must be a JSON array"
                    errors.append(LineError(column.name, message, "json_invalid"))
                    continue
            elif column.kind is Kind.NUMBER or column.kind is Kind.INTEGER:
                try:
                    value = _number(cell, column.kind)
                except ValueError:  # more digits than Python converts (4300)
                    message = f"must be a number of at most {sys.get_int_max_str_digits()} digits"
                    errors.append(LineError(column.name, message, "number_too_long"))
                    continue
            else:
                value = cell
            target = document
            for key in column.path[:-1]:
                target = target.setdefault(key, {})
            target[column.path[-1]] = value
        return document, errors

    @staticmethod
    def column_of(field: str) -> str:
        """The CSV column of a document field (`candidate.email` -> `candidate_email`)."""
        section, _, rest = field.partition(".")
        if section == "candidate" and rest:
            return "candidate_" + rest
        if section in _SECTION_PREFIX and rest:
            return _SECTION_PREFIX[section] + rest
        return field


class NamedLayout:
    """The columns of one file for a vendor with a declarative mapping: any names, each
    record an object of its cells by name. `required`: {column: the mapping field that
    reads it} for the required fields the mapping reads straight from a column."""

    native = True  # rows are documents in the vendor's format (its mapping reads them)

    def __init__(self, names: list[str], *, required: MappingOf[str, str]) -> None:
        problems: list[dict[str, Any]] = []
        columns: list[tuple[int, str]] = []
        seen: set[str] = set()
        for index, raw in enumerate(names):
            name = raw.strip()
            if not name or name in seen:
                problem = "this column appears twice" if name else "a column has no name"
                problems.append(_header_error(index, name, problem))
                continue
            seen.add(name)
            columns.append((index, name))
        for name, field in required.items():
            if name not in seen:
                message = f"the vendor's mapping reads {field} from this column"
                problems.append(_header_error(len(names), name, message))
        if problems:
            raise InvalidCsvHeader("the CSV header is not valid", errors=problems)
        self.width = len(names)
        self.columns = columns

    def document(self, cells: list[str]) -> tuple[dict[str, Any], list[LineError]]:
        """The record as {column: cell}, without its empty cells; the mapping decides what
        fits, so the only cell at fault here is JSON nested deeper than a webhook body may be."""
        document: dict[str, Any] = {}
        errors: list[LineError] = []
        for index, name in self.columns:
            cell = cells[index].strip()
            if cell:
                try:
                    document[name] = _json_or_text(cell)
                except TooDeep as exc:
                    errors.append(LineError(name, str(exc), "json_invalid"))
        return document, errors

    @staticmethod
    def column_of(field: str) -> str:
        """The mapping already names the column (the vendor's path) where it can."""
        return field


Layout = V1Layout | NamedLayout


def layout_for(adapter: Adapter) -> Callable[[list[str]], Layout]:
    """How a CSV header is read for a vendor with this adapter: the talentflow.v1 columns, or
    for a declarative mapping the vendor's own (those its required fields read must be
    there)."""
    if not isinstance(adapter, MappingAdapter):
        return V1Layout
    required: dict[str, str] = {}
    for loc in MAPPING_REQUIRED:
        source = adapter.mapping.scalars[loc]
        if source is not None and source.path and isinstance(source.path[0], str):
            required.setdefault(source.path[0], ".".join(loc))
    return functools.partial(NamedLayout, required=required)


async def read_sample(
    text: str, layout: Callable[[list[str]], Layout]
) -> tuple[Layout, dict[str, Any] | None, list[LineError]]:
    """A CSV sample (a header and a record, as in an import file) read by the import's own
    reader, byte order mark, line breaks and all: its layout, the first record's document
    (None if there is none to read) and what is wrong with it. InvalidCsvHeader for a header
    an import would refuse."""
    data = text.encode("utf-8", "surrogatepass")  # a lone surrogate: not UTF-8, as in a file
    lines = LineReader(_whole_body(data), max_line_bytes=max(len(data), 1))
    columns = await read_header(lines, layout)
    rows = csv_rows(lines, columns, max_row_bytes=lines.max_line_bytes)
    first = await anext(rows, None)
    await rows.aclose()
    if first is None:
        return columns, None, [_whole("the sample has no record after its header")]
    return columns, first.document, first.errors


async def _whole_body(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _json_or_text(cell: str) -> Any:
    """A cell that holds a JSON array or object is that value; any other cell is its text.
    TooDeep for JSON nested deeper than a webhook body may be."""
    if cell[0] in "[{" and cell[-1] in "]}":
        try:
            return load_json(cell)
        except TooDeep:
            raise
        except ValueError:
            pass
    return cell


def _column_problem(name: str, seen: set[str]) -> str | None:
    if not name:
        return "a column has no name"
    if name in seen:
        return "this column appears twice"
    if name in FLAT:
        return None
    for prefix in PREFIXES:
        if name.startswith(prefix):
            if _METRIC.fullmatch(name[len(prefix) :]):
                return None
            return "a metric name must match ^[a-z][a-z0-9_]{0,63}$"
    return (
        "unknown column; expected " + ", ".join(FLAT) + ", or competency.<name>, count.<name>, "
        "biometric.<name>"
    )


def _header_error(index: int, name: str, message: str) -> dict[str, Any]:
    return {
        "field": name or f"column {index + 1}",
        "in": "body",
        "pointer": f"/header/{index}",
        "message": message,
        "type": "csv_header",
    }


def _column(name: str) -> tuple[tuple[str, ...], Kind]:
    if name in FLAT:
        return FLAT[name]
    for prefix, (section, kind) in PREFIXES.items():
        if name.startswith(prefix):
            return (section, name[len(prefix) :]), kind
    raise AssertionError(name)  # _column_problem refused it


def _number(cell: str, kind: Kind) -> Any:
    """A number column's cell as an int (any column) or a float (a NUMBER column); any other
    text as is, for validation to report. ValueError for an integer of more digits than
    Python converts."""
    if _INTEGER.fullmatch(cell):
        return int(cell)
    if kind is Kind.INTEGER:
        return cell  # validation reports "a valid integer" for the column
    try:
        return float(cell)
    except ValueError:
        return cell  # validation reports "a valid number" for the column


async def read_header(
    lines: LineReader, layout: Callable[[list[str]], Layout] = V1Layout
) -> Layout:
    """Read and check line 1 (`layout` makes the file's layout from the column names);
    InvalidCsvHeader (422) names every column at fault."""
    async for _, content in lines:
        problem = too_long(lines.max_line_bytes) if content is None else None
        if content is not None:
            try:
                names = next(csv.reader([content.decode("utf-8")], strict=True), [])
            except (UnicodeDecodeError, csv.Error):
                problem = "the header is not valid UTF-8 CSV"
            else:
                return layout(names)
        raise InvalidCsvHeader(
            "the CSV header is not valid", errors=[_header_error(0, "header", problem or "")]
        )
    return layout([])


async def csv_rows(
    lines: LineReader, layout: Layout, *, max_row_bytes: int
) -> AsyncGenerator[Row, None]:
    """One row per CSV record after the header (records may span lines inside quotes)."""
    pending: list[str] = []
    start = size = 0
    quoted = False
    async for number, content in lines:
        if content is None or (pending and size + len(content) > max_row_bytes):
            message = too_long(lines.max_line_bytes) if content is None else "the row is too long"
            yield Row(start if pending else number, number, None, errors=[_whole(message)])
            pending, size, quoted = [], 0, False
            continue
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            yield Row(start if pending else number, number, None, errors=[_whole("not UTF-8")])
            pending, size, quoted = [], 0, False
            continue
        if not pending:
            start = number
        pending.append(text)
        size += len(content)
        if text.count('"') % 2:
            quoted = not quoted
        if quoted:
            continue
        record, pending, size = "\n".join(pending), [], 0
        if record.strip():
            yield _row(layout, start, number, record)
    if pending:
        yield Row(start, lines.number, None, errors=[_whole("a quoted value is never closed")])


def _row(layout: Layout, start: int, end: int, record: str) -> Row:
    try:
        cells = next(csv.reader([record], strict=True))
    except csv.Error:
        return Row(start, end, None, errors=[_whole("the row is not valid CSV")])
    if len(cells) != layout.width:
        message = f"the row has {len(cells)} values; the header has {layout.width} columns"
        return Row(start, end, None, errors=[LineError("", message, "csv_width")])
    document, errors = layout.document(cells)
    return Row(start, end, document, errors=errors)


def _whole(message: str) -> LineError:
    return LineError("", message, "csv_row")
