"""The characters stored text may hold, as pydantic validators every service shares.

PostgreSQL text holds no NUL and only valid UTF-8; a `str` read from JSON may hold a lone
surrogate (`"\\ud800"`), which has no UTF-8 form. Text shown to people, or put into a mail
header or a log, should hold no control characters. Three rules, the later ones stricter:

- `StorableText` refuses NUL and lone surrogates: free text kept as sent (a rule's
  expression, a mapping's constant);
- `MultiLineText` also every control character but tab, LF and CR: prose (an evidence quote);
- `OneLineText` also tab, LF, CR, U+2028 and U+2029: names, titles, ids, URLs.

Put one after the field's `StringConstraints` (which strip and bound first):
`Annotated[str, StringConstraints(max_length=200), OneLineText]`. A refusal is a 422 error of
the field, never echoing the text: `text_characters` naming the first character at fault by
code point and position, or `string_unicode` for a lone surrogate (pydantic's own type for
it; a JSON body's surrogate, and one in a field with StringConstraints, is refused by
pydantic itself first, with its own message and no position).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

# Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F.
_NUL = re.compile("\x00")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def valid_unicode(value: str) -> str:
    """`value` if UTF-8 can encode it, i.e. it holds no lone surrogate."""
    if value.isascii():  # O(1): most text
        return value
    try:
        value.encode()
    except UnicodeEncodeError as exc:
        raise PydanticCustomError(
            "string_unicode",
            "must be valid Unicode text; found U+{code} at position {position}",
            {"code": f"{ord(value[exc.start]):04X}", "position": exc.start},
        ) from None
    return value


def _refusing(characters: re.Pattern[str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        # Most text passes here at C speed: a printable str holds no control character, no
        # line or paragraph separator and no surrogate (nor other spaces than U+0020, nor
        # format characters, which then go the slower way below and pass).
        if value.isprintable():
            return value
        valid_unicode(value)
        found = characters.search(value)
        if found is not None:
            raise PydanticCustomError(
                "text_characters",
                "must not contain {what}; found U+{code} at position {position}",
                {"what": what, "code": f"{ord(found.group()):04X}", "position": found.start()},
            )
        return value

    return check


storable = _refusing(_NUL, "NUL characters")
multi_line = _refusing(_CONTROL_BUT_LINES, "control characters other than tabs and line breaks")
one_line = _refusing(_CONTROL_OR_BREAK, "control characters or line breaks")

StorableText = AfterValidator(storable)
MultiLineText = AfterValidator(multi_line)
OneLineText = AfterValidator(one_line)
