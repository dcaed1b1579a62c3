"""Ingest settings (environment prefix TALENTFLOW_INGEST_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from talentflow.common.settings import ServiceSettings

MIB = 1024 * 1024


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TALENTFLOW_INGEST_", extra="ignore")

    # Largest webhook body accepted; anything bigger is answered 413 without being read whole.
    webhook_max_body_bytes: int = Field(default=MIB, ge=1024, le=16 * MIB)
    # Webhook receipts (the idempotency record of delivered webhook ids) are kept this long;
    # vendors retry for up to a few days, so never less than a week.
    webhook_receipt_retention_days: int = Field(default=30, ge=7)
    # How often the background task deletes receipts older than the retention.
    webhook_receipt_purge_interval_s: float = Field(default=3600.0, gt=0)


@lru_cache
def get_settings() -> Settings:
    return Settings()
