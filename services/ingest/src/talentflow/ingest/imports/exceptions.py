"""Errors of historical imports (rendered as RFC 9457 problem+json by talentflow.common)."""

from __future__ import annotations

from talentflow.common.errors import Conflict, InvalidInput, NotFound, ServiceError


class ImportNotFound(NotFound):
    code = "import-not-found"
    title = "Unknown import"

    def __init__(self) -> None:
        super().__init__("no such import")


class UnsupportedMediaType(ServiceError):
    status_code = 415
    code = "unsupported-media-type"
    title = "Unsupported content type"


class ImportKeyConflict(Conflict):
    """The Idempotency-Key names an import that this request cannot continue."""

    code = "import-key-conflict"
    title = "Idempotency-Key used for another upload"


class ImportBusy(Conflict):
    code = "import-in-progress"
    title = "Import in progress"

    def __init__(self) -> None:
        super().__init__(
            "another request advanced this import meanwhile; send the file again to resume"
        )


class ImportInterrupted(ServiceError):
    status_code = 400
    code = "import-interrupted"
    title = "Upload interrupted"

    def __init__(self) -> None:
        super().__init__(
            "the body ended before it was complete; send it again with the same "
            "Idempotency-Key to resume from the last checkpoint"
        )


class InvalidCsvHeader(InvalidInput):
    code = "invalid-csv-header"
    title = "The CSV header is not valid"
