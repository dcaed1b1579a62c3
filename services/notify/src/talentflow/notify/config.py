"""Notify settings (environment prefix TALENTFLOW_NOTIFY_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from talentflow.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TALENTFLOW_NOTIFY_", extra="ignore")

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=2525, ge=1, le=65535)
    smtp_from: str = "Talentflow <no-reply@talentflow.dev>"
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    # Upgrade the connection with STARTTLS (port 587 relays); off for local catchers.
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None


@lru_cache
def get_settings() -> Settings:
    return Settings()
