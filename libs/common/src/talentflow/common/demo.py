"""The demo tenant that `make run` seeds: one JSON file every service's `seed-demo` reads."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DemoTenant(BaseModel):
    id: uuid.UUID
    name: str
    jurisdiction: Literal["EU", "US", "CN", "OTHER"] = "EU"


class DemoVendor(BaseModel):
    id: uuid.UUID
    name: str
    secret: str  # Standard Webhooks secret, "whsec_<base64>"


class DemoRule(BaseModel):
    expression: str  # e.g. "communication >= 85 and customer_cases >= 2"
    on_fail: Literal["reject", "review"] = "review"


class DemoJob(BaseModel):
    id: uuid.UUID
    title: str
    requirements: dict[str, float]  # competency -> minimum score 0-100
    rule: DemoRule


class DemoPerson(BaseModel):
    id: uuid.UUID
    external_id: str
    name: str
    email: str
    locale: str = "en"


class DemoUser(BaseModel):
    id: uuid.UUID
    role: Literal["hr", "hr_admin", "employee"]
    name: str
    email: str


class DemoData(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant: DemoTenant
    vendor: DemoVendor
    job: DemoJob
    candidates: list[DemoPerson] = Field(min_length=1)
    users: list[DemoUser] = Field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> DemoData:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))
