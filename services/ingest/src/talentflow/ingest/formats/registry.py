"""Which adapter reads a vendor's payloads, and whether a vendor's format settings fit together.

Built-in adapters are made once per (format, scale); a mapping.v1 vendor's mapping is
validated and compiled once per (vendor id, mapping version) and kept in a small LRU cache,
so no request compiles an expression.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from talentflow.common.errors import InvalidInput
from talentflow.ingest.formats.ai_interview import AiInterview
from talentflow.ingest.formats.assessment_partner import AssessmentPartner
from talentflow.ingest.formats.base import Adapter, ModelAdapter
from talentflow.ingest.formats.compiled import CompiledMapping
from talentflow.ingest.formats.hr_open import HrOpen
from talentflow.ingest.formats.mapping import MappingAdapter
from talentflow.ingest.formats.spec import Mapping
from talentflow.ingest.formats.talentflow_v1 import TalentflowV1
from talentflow.ingest.models import ScoreScale, Vendor, VendorFormat

BUILT_IN: dict[VendorFormat, type[ModelAdapter]] = {
    VendorFormat.TALENTFLOW_V1: TalentflowV1,
    VendorFormat.ASSESSMENT_PARTNER_V1: AssessmentPartner,
    VendorFormat.HR_OPEN_V1: HrOpen,
    VendorFormat.AI_INTERVIEW_V1: AiInterview,
}
CACHE_SIZE = 1024

_built_in: dict[tuple[VendorFormat, ScoreScale], Adapter] = {}
_compiled: OrderedDict[tuple[uuid.UUID, int], CompiledMapping] = OrderedDict()


def adapter_for(vendor: Vendor) -> Adapter:
    """The adapter for a vendor's saved format, scale and mapping."""
    # Every delivery asks: a built-in adapter is found by the vendor's stored texts as they
    # are (StrEnum members hash and compare as their values), without two enum lookups.
    adapter = _built_in.get((vendor.format, vendor.score_scale))  # type: ignore[arg-type]
    if adapter is not None:
        return adapter
    fmt, scale = VendorFormat(vendor.format), ScoreScale(vendor.score_scale)
    if fmt is VendorFormat.MAPPING_V1:
        return MappingAdapter(_compiled_mapping(vendor), scale)
    return built_in(fmt, scale)


def built_in(fmt: VendorFormat, scale: ScoreScale) -> Adapter:
    adapter = _built_in.get((fmt, scale))
    if adapter is None:
        adapter = _built_in[(fmt, scale)] = BUILT_IN[fmt](scale)
    return adapter


def build_adapter(fmt: VendorFormat, scale: ScoreScale, mapping: Mapping | None) -> Adapter:
    """An adapter for settings not saved anywhere (a dry-run); `config_errors` first."""
    if fmt is VendorFormat.MAPPING_V1:
        assert mapping is not None
        return MappingAdapter(CompiledMapping(mapping), scale)
    return built_in(fmt, scale)


def _compiled_mapping(vendor: Vendor) -> CompiledMapping:
    key = (vendor.id, vendor.mapping_version)
    compiled = _compiled.get(key)
    if compiled is not None:
        _compiled.move_to_end(key)
        return compiled
    compiled = _compiled[key] = CompiledMapping(Mapping.model_validate(vendor.mapping))
    while len(_compiled) > CACHE_SIZE:
        _compiled.popitem(last=False)
    return compiled


@dataclass(frozen=True)
class FormatSettings:
    """How a vendor's payloads are read, as stored on the vendor."""

    format: VendorFormat
    score_scale: ScoreScale
    mapping: dict[str, Any] | None
    mapping_version: int

    @classmethod
    def of(cls, vendor: Vendor) -> FormatSettings:
        return cls(
            format=VendorFormat(vendor.format),
            score_scale=ScoreScale(vendor.score_scale),
            mapping=vendor.mapping,
            mapping_version=vendor.mapping_version,
        )


NEW = FormatSettings(VendorFormat.TALENTFLOW_V1, ScoreScale.PERCENT, None, 0)


def settle(
    current: FormatSettings,
    *,
    format: VendorFormat | None,
    score_scale: ScoreScale | None,
    mapping: Mapping | None,
) -> FormatSettings:
    """The settings after a change (None: unchanged); InvalidInput if they do not fit together.

    Switching to another format drops the mapping; switching to talentflow.v1 sets 0-100."""
    fmt = format or current.format
    if score_scale is None and format is VendorFormat.TALENTFLOW_V1:
        score_scale = ScoreScale.PERCENT
    scale = score_scale or current.score_scale
    stored = current.mapping if fmt is VendorFormat.MAPPING_V1 else None
    if mapping is not None:
        stored = mapping.model_dump(mode="json", exclude_none=True)
    errors = config_errors(fmt, scale, has_mapping=stored is not None)
    if errors:
        raise InvalidInput("the vendor's format settings do not fit together", errors=errors)
    version = current.mapping_version + (stored != current.mapping)
    return FormatSettings(fmt, scale, stored, version)


def config_errors(
    fmt: VendorFormat, scale: ScoreScale, *, has_mapping: bool
) -> list[dict[str, Any]]:
    """What does not fit together in a vendor's format settings, as field errors."""
    errors = []
    if fmt is VendorFormat.TALENTFLOW_V1 and scale is not ScoreScale.PERCENT:
        errors.append(_error("score_scale", "talentflow.v1 scores are always on 0-100", "fixed"))
    if fmt is VendorFormat.MAPPING_V1 and not has_mapping:
        errors.append(_error("mapping", "format mapping.v1 needs a mapping", "missing"))
    if fmt is not VendorFormat.MAPPING_V1 and has_mapping:
        errors.append(_error("mapping", "only format mapping.v1 takes a mapping", "not_allowed"))
    return errors


def _error(field: str, message: str, kind: str) -> dict[str, Any]:
    return {"field": field, "in": "body", "pointer": f"/{field}", "message": message, "type": kind}
