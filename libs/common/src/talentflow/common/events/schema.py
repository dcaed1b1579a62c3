"""Generate the JSON Schema document of every event type from the pydantic models.

`python -m talentflow.common.events.schema > docs/events.schema.json` regenerates the committed
document; a test fails when the two differ.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Literal

from pydantic.json_schema import models_json_schema

from talentflow.common.events.registry import EVENT_TYPES


def event_schema_document() -> dict[str, Any]:
    """One JSON Schema document with a definition per event type and the topic it goes to."""
    mode: Literal["validation"] = "validation"
    models = [(cls, mode) for cls in EVENT_TYPES.values()]
    _, document = models_json_schema(models, ref_template="#/$defs/{model}")
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "Talentflow events"
    document["description"] = (
        "Payloads (CloudEvents `data`) of every Talentflow event; the CloudEvents `type` "
        "equals the payload's `event_type`. Generated from talentflow.common.events."
    )
    document["x-topics"] = {
        event_type: cls.topic for event_type, cls in sorted(EVENT_TYPES.items())
    }
    return document


def main() -> None:
    json.dump(event_schema_document(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
