"""API models of historical imports."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from talentflow.common.pagination import Page
from talentflow.ingest.imports.models import ImportFormat, ImportStatus


class ImportErrorOut(BaseModel):
    """Why one row was not imported; never the value that was sent."""

    line: int = Field(description="The file's line (1 = first; a CSV row: the line it starts on)")
    field: str = Field(
        description="The field (NDJSON: dotted path such as `candidate.email`; CSV: the column); "
        "empty when the whole line is at fault"
    )
    message: str
    type: str = Field(description="A machine-readable error type, e.g. `missing`")


class ImportSummary(BaseModel):
    id: uuid.UUID
    vendor_id: uuid.UUID
    format: ImportFormat
    status: ImportStatus = Field(
        description="running; interrupted (resume by sending the same body with the same "
        "Idempotency-Key); completed"
    )
    idempotency_key: str | None
    lines: int = Field(description="Lines of the body processed and committed (the checkpoint)")
    rows: int = Field(description="Rows processed: accepted + corrected + duplicates + failed")
    accepted: int = Field(description="New results stored (version 1)")
    corrected: int = Field(description="New versions of results stored before")
    duplicates: int = Field(description="Rows whose content was already stored: nothing done")
    failed: int = Field(description="Rows not imported; see errors")
    error_count: int = Field(description="Errors recorded over all failed rows")
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


class ImportOut(ImportSummary):
    first_errors: list[ImportErrorOut] = Field(description="The first errors, by line")


class ImportPage(Page[ImportSummary]):
    """A page of the tenant's imports, newest first."""


class ImportErrorPage(Page[ImportErrorOut]):
    """A page of an import's errors, by line."""
