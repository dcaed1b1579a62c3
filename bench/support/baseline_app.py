"""The baseline of bench/ingest.py: a bare FastAPI endpoint that validates the same body.

Same route shape as ingest's webhook, same pydantic model (`InterviewResultV1`), no
middleware, no signature check, no database: what one uvicorn worker can do at best.

    python -m uvicorn baseline_app:app --app-dir bench/support --port 9000
"""

from __future__ import annotations

import uuid

from fastapi import FastAPI, status
from pydantic import BaseModel

from talentflow.ingest.schemas import InterviewResultV1

app = FastAPI(title="baseline")


class Accepted(BaseModel):
    result_id: uuid.UUID
    status: str


@app.post("/v1/webhooks/{vendor_id}", status_code=status.HTTP_202_ACCEPTED)
async def receive(vendor_id: str, body: InterviewResultV1) -> Accepted:
    return Accepted(result_id=uuid.uuid4(), status="accepted")


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
