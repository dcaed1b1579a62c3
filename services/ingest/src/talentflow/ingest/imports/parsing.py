"""From an upload's byte stream to numbered rows: lines, NDJSON documents, CSV records.

Nothing here holds more than one line (or one CSV record) plus one network chunk: a 100 MB
file streams through. Line numbers are the file's physical lines, counted from 1; a CSV row
is numbered by the line it starts on (the header is line 1). A row's problems are reported
as `LineError`s naming the field, never the value.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pydantic_core

from talentflow.ingest.formats.base import MAX_DEPTH, TooDeep, nested_deeper_than
from talentflow.ingest.imports.exceptions import UnsupportedMediaType

BOM = b"\xef\xbb\xbf"
NDJSON_TYPES = frozenset(
    {"application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines"}
)
CSV_TYPES = frozenset({"text/csv"})


@dataclass(frozen=True, slots=True)
class LineError:
    field: str  # "" when the whole line is at fault
    message: str
    type: str


@dataclass(slots=True)
class Row:
    """One record of the file: its document (or an NDJSON line still to decode), or why there
    is none."""

    line: int  # where it starts
    end_line: int  # where it ends (CSV records may span lines)
    document: dict[str, Any] | None
    errors: list[LineError] = field(default_factory=list)
    # An NDJSON line not decoded yet: the vendor's adapter validates the bytes themselves,
    # which costs less than decoding them first; `decoded` tells what is wrong with them.
    raw: bytes | None = None


def media_format(content_type: str | None, content_encoding: str | None = None) -> str:
    """ "ndjson" or "csv" from a Content-Type header; UnsupportedMediaType (415) otherwise,
    and for a body sent compressed (a Content-Encoding other than identity): its bytes
    would be read as lines of garbage."""
    if (content_encoding or "identity").strip().lower() != "identity":
        raise UnsupportedMediaType("send the file uncompressed (no Content-Encoding)")
    media, _, params = (content_type or "").partition(";")
    media = media.strip().lower()
    charset = re.search(r"charset\s*=\s*\"?([^\";\s]+)", params, re.IGNORECASE)
    if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
        raise UnsupportedMediaType("the body must be UTF-8")
    if media in NDJSON_TYPES:
        return "ndjson"
    if media in CSV_TYPES:
        return "csv"
    raise UnsupportedMediaType("send application/x-ndjson (one JSON document per line) or text/csv")


class _Overlong:
    """A line longer than allowed: only its last bytes, still to be hashed, are kept."""

    __slots__ = ("rest",)

    def __init__(self, rest: bytes) -> None:
        self.rest = rest


class LineReader:
    """Numbered lines of a byte stream (content without the line break; None if too long).

    `number` counts the lines handed out and `digest()` is the SHA-256 of exactly their bytes,
    so a checkpoint taken between lines can be checked when the same body is sent again.
    """

    def __init__(self, stream: AsyncIterator[bytes], *, max_line_bytes: int) -> None:
        self._stream = stream
        self._max = max_line_bytes
        self._ready: list[bytes | _Overlong] = []
        self._index = 0
        self._tail = bytearray()
        self._dropping = False  # inside an overlong line: bytes are hashed, not kept
        self._eof = False
        self._hash = hashlib.sha256()
        self.number = 0
        self.max_line_bytes = max_line_bytes

    def digest(self) -> bytes:
        return self._hash.copy().digest()

    def __aiter__(self) -> LineReader:
        return self

    async def __anext__(self) -> tuple[int, bytes | None]:
        while self._index >= len(self._ready):
            if self._eof:
                raise StopAsyncIteration
            await self._fill()
        item = self._ready[self._index]
        self._index += 1
        self.number += 1
        if isinstance(item, _Overlong):
            self._hash.update(item.rest)
            return self.number, None
        self._hash.update(item)
        content = item[:-1] if item.endswith(b"\n") else item
        if content.endswith(b"\r"):
            content = content[:-1]
        if self.number == 1 and content.startswith(BOM):
            content = content[len(BOM) :]
        return self.number, content

    async def skip_to(self, line: int) -> bool:
        """Consume lines up to `line` unread; False if the body ends before."""
        while self.number < line:
            try:
                await self.__anext__()
            except StopAsyncIteration:
                return False
        return True

    async def _fill(self) -> None:
        """Read the next chunk; every earlier line has been handed out (and hashed)."""
        self._ready, self._index = [], 0
        try:
            chunk = await anext(self._stream)
        except StopAsyncIteration:
            self._eof = True
            if self._dropping:
                self._ready = [_Overlong(bytes(self._tail))]
            elif self._tail:
                self._ready = [bytes(self._tail)]
            self._tail = bytearray()
            return
        parts = chunk.split(b"\n")
        if len(parts) == 1:
            self._tail += chunk
            if len(self._tail) > self._max:  # hash now: nothing earlier is still pending
                self._hash.update(self._tail)
                self._tail = bytearray()
                self._dropping = True
            return
        first = bytes(self._tail) + parts[0] + b"\n"
        self._ready.append(_Overlong(first) if self._dropping else _checked(first, self._max))
        self._dropping = False
        self._ready.extend(_checked(p + b"\n", self._max) for p in parts[1:-1])
        self._tail = bytearray(parts[-1])


def _checked(line: bytes, limit: int) -> bytes | _Overlong:
    return _Overlong(line) if len(line) > limit + 1 else line


# --- NDJSON ------------------------------------------------------------------------------------


async def ndjson_rows(lines: LineReader) -> AsyncIterator[Row]:
    """One row per non-blank line, its bytes not decoded yet (see `decoded`)."""
    async for number, content in lines:
        if content is None:
            yield _failed(number, number, "", too_long(lines.max_line_bytes), "line_too_long")
        elif content.strip():
            yield Row(number, number, None, raw=content)


def decoded(row: Row) -> Row:
    """An NDJSON row as its JSON object, or with the error that stops the line being one."""
    if row.raw is None:
        return row
    try:
        document = load_json(row.raw)
    except TooDeep as exc:
        return _failed(row.line, row.end_line, "", f"the line {exc}", "json_invalid")
    except ValueError:
        return _failed(
            row.line, row.end_line, "", "the line is not valid UTF-8 JSON", "json_invalid"
        )
    if not isinstance(document, dict):
        return _failed(row.line, row.end_line, "", "the line must be a JSON object", "object_type")
    return Row(row.line, row.end_line, document)


# --- JSON -------------------------------------------------------------------------------------


def load_json(data: bytes | str) -> Any:
    """JSON text (an NDJSON line, a CSV cell) as `json.loads` reads it, but nested no deeper
    than a webhook body may be: TooDeep then, ValueError for anything else it is not.

    pydantic-core reads it as a webhook body is read, and refuses what nests too deeply.
    What it refuses for another reason is read by `json.loads`, which accepted every line and
    cell before: lone surrogates (`"\\ud800"`, and their UTF-8 bytes), a byte order mark on a
    line after the first, UTF-16 and UTF-32; then only its depth is checked. NaN, Infinity,
    big integers (up to 4300 digits), floats and repeated keys are read alike by both.
    """
    try:
        return pydantic_core.from_json(data)
    except (ValueError, TypeError):  # TypeError: a str holding a lone surrogate
        pass
    try:
        document = json.loads(data)
    except RecursionError:
        raise TooDeep() from None
    if nested_deeper_than(document, MAX_DEPTH):
        raise TooDeep()
    return document


def _failed(line: int, end_line: int, name: str, message: str, kind: str) -> Row:
    return Row(line, end_line, None, errors=[LineError(name, message, kind)])


def too_long(limit: int) -> str:
    return f"the line is longer than {limit} bytes"


# --- errors without values ------------------------------------------------------------------------

_MAX_MESSAGE = 500


def scrubbed(errors: Iterable[Mapping[str, Any]], document: Any) -> list[LineError]:
    """Field errors ({field, message, type}) safe to store: no value of `document` in them.

    Pydantic's parsing messages may quote the input (`found 'x' at 4`): they are cut to their
    first clause; any other message is cleared of every string the row holds. A field names
    a member of the row, which may hold any character: control characters and lone
    surrogates (PostgreSQL text holds no NUL and only valid UTF-8) are written out as JSON
    escapes (`a\\u0000b`), in every part of the error.
    """
    secrets = sorted({s for s in _strings(document) if len(s) >= 4}, key=len, reverse=True)
    out = []
    for err in errors:
        kind = str(err.get("type") or "invalid")
        message = str(err.get("message") or err.get("msg") or "invalid")
        if kind.endswith("_parsing"):
            message = re.split(r", |: ", message, maxsplit=1)[0]
        for secret in secrets:
            message = message.replace(secret, "…")
        name = str(err.get("field", ""))
        out.append(
            LineError(storable(name)[:300], storable(message)[:_MAX_MESSAGE], storable(kind)[:100])
        )
    return out


# Control characters (C0 with NUL, DEL, C1) and surrogates: a str holds only lone ones,
# which UTF-8 cannot encode.
_UNSTORABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` with its control characters and lone surrogates written out as JSON escapes
    (NUL as `\\u0000`): PostgreSQL text holds it, and it reads the same in any terminal."""
    return _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _strings(value: Any) -> Iterable[str]:
    """Every string value in a document (keys are names, not data)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
