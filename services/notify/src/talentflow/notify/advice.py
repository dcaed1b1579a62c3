"""The advice catalogue: per competency, its name and a concrete practice suggestion, per locale.

The catalogue is data (`advice.toml` in this package, one table per competency with every
locale side by side) so that translators edit text, not code. Keys are normalized metric names
(lower case, `_` between words); a metric the catalogue does not list gets a readable version
of its own name and the general advice.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

EN = "en"
ZH_CN = "zh-CN"
LOCALES = (EN, ZH_CN)

CATALOGUE_FILE = Path(__file__).resolve().parent / "advice.toml"
GENERAL = "_general"


class Text(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = ""
    advice: str = Field(min_length=1)

    @field_validator("label", "advice")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())


class Entry(BaseModel):
    """One competency in every locale; `is_count` when it counts things rather than scores."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    en: Text
    zh_cn: Text = Field(alias="zh-CN")
    aliases: tuple[str, ...] = ()
    is_count: bool = False

    def text(self, locale: str) -> Text:
        return self.zh_cn if locale == ZH_CN else self.en


class Catalogue(BaseModel):
    model_config = ConfigDict(frozen=True)

    entries: dict[str, Entry]
    aliases: dict[str, str]
    general: Entry


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The catalogue, read and checked once (every entry needs every locale)."""
    raw = tomllib.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    general = Entry.model_validate(raw.pop(GENERAL))
    entries = {normalize(key): Entry.model_validate(value) for key, value in raw.items()}
    aliases = {normalize(alias): key for key, entry in entries.items() for alias in entry.aliases}
    return Catalogue(entries=entries, aliases=aliases, general=general)


def normalize(metric: str) -> str:
    """`Customer-Cases` -> `customer_cases`; a dotted path keeps its last part."""
    name = metric.strip().rsplit(".", 1)[-1].lower()
    return re.sub(r"[\s\-]+", "_", name)


def lookup(metric: str) -> Entry | None:
    """The catalogue entry of a metric, through its aliases; None when it has none."""
    cat = catalogue()
    key = normalize(metric)
    return cat.entries.get(cat.aliases.get(key, key))


def label(metric: str, locale: str) -> str:
    """The metric's name for a candidate to read."""
    entry = lookup(metric)
    if entry is not None:
        return entry.text(locale).label
    readable = normalize(metric).replace("_", " ").strip()
    return readable[:1].upper() + readable[1:] if readable else metric


def advice_for(metric: str, locale: str) -> str:
    """What to practise to improve on `metric`."""
    entry = lookup(metric) or catalogue().general
    return entry.text(locale).advice


def is_count(metric: str) -> bool:
    """True when the metric counts things (cases mentioned) rather than scoring 0-100."""
    entry = lookup(metric)
    return entry is not None and entry.is_count
