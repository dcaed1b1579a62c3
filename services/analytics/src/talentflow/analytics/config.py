"""Analytics settings (environment prefix TALENTFLOW_ANALYTICS_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from talentflow.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TALENTFLOW_ANALYTICS_", extra="ignore")


@lru_cache
def get_settings() -> Settings:
    return Settings()
