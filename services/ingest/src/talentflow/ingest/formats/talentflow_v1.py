"""talentflow.v1: our own format (see `formats.v1`); validated once, straight from the bytes."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, ClassVar

from pydantic import BaseModel

from talentflow.ingest.formats.base import ModelAdapter
from talentflow.ingest.formats.v1 import InterviewResultV1
from talentflow.ingest.models import VendorFormat


class TalentflowV1(ModelAdapter):
    format = VendorFormat.TALENTFLOW_V1
    model: ClassVar[type[BaseModel]] = InterviewResultV1

    def finish(self, parsed: Any) -> InterviewResultV1:
        assert isinstance(parsed, InterviewResultV1)
        return parsed  # already the result: no second validation on the hot path

    def redact(self, document: Any, withheld: Collection[str]) -> Any:
        """Without `biometrics`, and without the withheld metrics in competencies and counts."""
        if not isinstance(document, dict):
            return document
        redacted = dict(document)
        redacted.pop("biometrics", None)
        for key in ("competencies", "counts"):
            if isinstance(redacted.get(key), dict):
                redacted[key] = {k: v for k, v in redacted[key].items() if k not in withheld}
        return redacted
