"""Conversions every format shares: score scales, metric names, time offsets, locales.

Pure functions on already-decoded values; the regular expressions are compiled once, here.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from talentflow.ingest.formats.v1 import METRIC_NAME
from talentflow.ingest.models import ScoreScale

# Parts of a metric name that mark it as derived from the face or the voice.
BIOMETRIC_MARKERS = (
    "smile",
    "eye_contact",
    "gaze",
    "blink",
    "facial",
    "face_",
    "emotion",
    "expression",
    "voice",
    "vocal",
    "pitch",
    "head_pose",
    "head_movement",
)

_BIOMETRIC = re.compile("|".join(re.escape(marker) for marker in BIOMETRIC_MARKERS))
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_NAME = re.compile(r"[^a-z0-9]+")
_CLOCK = re.compile(r"(?:(\d{1,4}):)?(\d{1,2}):(\d{1,2}(?:\.\d{1,6})?)")
_ISO_DURATION = re.compile(r"PT(?=\d)(?:(\d{1,4})H)?(?:(\d{1,4})M)?(?:(\d{1,6}(?:\.\d{1,6})?)S)?")
# Longer than any interview: refuses absurd offsets before they turn into floats.
MAX_SECONDS = 7 * 24 * 3600.0
# Beyond any score or count; a module constant, as CPython does not fold so large a power and
# would compute it on every call.
_HUGE = 10**300


@lru_cache(maxsize=4096)  # the same few metric names on every result, tested several times
def is_biometric(name: str) -> bool:
    """True when a metric name says it comes from the face or the voice."""
    return _BIOMETRIC.search(name) is not None


@lru_cache(maxsize=4096)  # a vendor sends the same labels again and again
def metric_name(label: str) -> str | None:
    """A vendor's label as a snake_case metric name ("Stress tolerance", "problemSolving");
    None when nothing usable is left (e.g. a label without Latin letters)."""
    name = _NOT_NAME.sub("_", _CAMEL.sub("_", label.strip()).lower()).strip("_")
    return name if METRIC_NAME.fullmatch(name) else None


@lru_cache(maxsize=4096)
def telltale(key: str) -> bool:
    """True when an object member's name (in any case style) marks a facial/voice metric."""
    return is_biometric(metric_name(key) or key)


def is_number(value: object) -> bool:
    """A JSON number (not a boolean) that is finite as a float."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -_HUGE < value < _HUGE
    return isinstance(value, float) and math.isfinite(value)


def to_percent(value: float, scale: ScoreScale) -> float | None:
    """`value` on `scale` as 0-100 (rounded to 2 decimals); None when outside the scale."""
    low, high = scale.bounds
    if isinstance(value, int) and not low - 1 <= value <= high + 1:
        return None  # also keeps huge integers away from float()
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        return None
    if scale is ScoreScale.PERCENT:
        return number
    return round((number - low) / (high - low) * 100, 2)


def scale_message(scale: ScoreScale) -> str:
    return f"must be a number on the vendor's {scale.value} score scale"


def seconds(value: object) -> float | None:
    """A time offset into the interview: seconds (a number), "mm:ss", "hh:mm:ss(.fff)" or an
    ISO 8601 duration ("PT5M12.5S"); None when it is none of these or out of range."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value) if 0 <= value <= MAX_SECONDS else math.nan
    elif isinstance(value, str) and (clock := _CLOCK.fullmatch(value)):
        hours, minutes, secs = clock.groups()
        if int(minutes) >= 60 or float(secs) >= 60:
            return None
        number = int(hours or 0) * 3600 + int(minutes) * 60 + float(secs)
    elif isinstance(value, str) and (iso := _ISO_DURATION.fullmatch(value)):
        hours, minutes, secs = iso.groups()
        number = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(secs or 0)
    else:
        return None
    return number if 0 <= number <= MAX_SECONDS else None


def locale(tag: str | None) -> str:
    """A language tag as one of the locales Talentflow writes in: zh-CN for any Chinese,
    otherwise en (also for languages without templates yet)."""
    if tag is not None and tag.strip().lower().replace("_", "-").split("-")[0] == "zh":
        return "zh-CN"
    return "en"
