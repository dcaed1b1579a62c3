"""Screening settings (environment prefix TALENTFLOW_SCREENING_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from talentflow.common.settings import ServiceSettings

MIB = 1024 * 1024


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TALENTFLOW_SCREENING_", extra="ignore")

    # Largest request body (jobs, rule sets and previews are a few KiB): 413 problem+json
    # beyond, by Content-Length before anything is read, else once that much has been read.
    api_max_body_bytes: int = Field(default=MIB, ge=64 * 1024, le=64 * MIB)


@lru_cache
def get_settings() -> Settings:
    return Settings()
