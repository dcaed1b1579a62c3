"""Self-service gateway settings (environment prefix TALENTFLOW_SELFSERVICE_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from talentflow.common.settings import ServiceSettings

MIB = 1024 * 1024


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TALENTFLOW_SELFSERVICE_", extra="ignore")

    # Internal services the gateway forwards to (reachable only inside the deployment).
    ingest_url: str = "http://127.0.0.1:8001"
    screening_url: str = "http://127.0.0.1:8002"
    analytics_url: str = "http://127.0.0.1:8003"
    notify_url: str = "http://127.0.0.1:8004"
    # Connect, read and write timeout of one call to an internal service.
    upstream_timeout_s: float = Field(default=10.0, gt=0, le=120)
    # Read and write timeout of a streamed call (a bulk import of up to hundreds of MB, which
    # ingest answers only once every row is stored); connecting still takes upstream_timeout_s.
    upstream_streaming_timeout_s: float = Field(default=600.0, gt=0, le=3600)
    # Streamed calls at once, on connections of their own (the other forwarded calls keep
    # theirs); one more waits up to upstream_timeout_s for a free one, then is a 503.
    upstream_streaming_connections: int = Field(default=20, ge=1, le=100)
    # Largest request body the gateway reads (a job, a rule set, a vendor, a dry-run's sample):
    # 413 beyond, by Content-Length before anything is read. Imports stream, unlimited.
    api_max_body_bytes: int = Field(default=2 * MIB, ge=64 * 1024, le=64 * MIB)


@lru_cache
def get_settings() -> Settings:
    return Settings()
