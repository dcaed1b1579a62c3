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
    # Largest body of the other JSON requests (a dry-run's sample and mapping, a vendor's
    # settings): 413 beyond. Webhooks have their own limit; an import streams, unlimited.
    api_max_body_bytes: int = Field(default=2 * MIB, ge=64 * 1024, le=64 * MIB)
    # Webhook receipts (the idempotency record of delivered webhook ids) are kept this long;
    # vendors retry for up to a few days, so never less than a week.
    webhook_receipt_retention_days: int = Field(default=30, ge=7)
    # How often the background task deletes receipts older than the retention.
    webhook_receipt_purge_interval_s: float = Field(default=3600.0, gt=0)
    # Group commit of webhook deliveries: at most this many per transaction, lingering at most
    # this long for company when fewer are waiting, with this many transactions in flight.
    # Small enough that batches overlap: one is stored while the next is parsed (64 gave
    # ~20% more deliveries/s than 500 under a burst; see bench/README.md). Three in flight:
    # a commit held up by the disk then stalls a third of the slots, not half (p99 at 70% of
    # the maximum lower than with two in five of five alternating runs).
    webhook_batch_max_items: int = Field(default=64, ge=1, le=1000)
    webhook_batch_max_wait_ms: float = Field(default=2.0, ge=0, le=100)
    webhook_batch_concurrency: int = Field(default=3, ge=1, le=32)
    # Vendors' settings and secrets are cached this long (every batch checks them again).
    vendor_cache_ttl_s: float = Field(default=60.0, ge=0)
    # False: the HTTP process leaves the outbox to `python -m talentflow.ingest.relay`, a
    # process of its own (the relay's CPU then does not compete with the webhooks').
    run_relay: bool = True
    # The port on which that relay process serves /healthz, /readyz and /metrics (0: any free).
    relay_port: int = Field(default=8011, ge=0, le=65535)
    # That relay process lowers its CPU priority to this niceness (0: leaves it as started):
    # on a host it shares with the HTTP workers, publishing takes the CPU they leave, and
    # webhooks are not answered later because a relay batch holds a core.
    relay_nice: int = Field(default=10, ge=0, le=19)
    # Historical imports: rows committed per transaction (with the checkpoint), longest line.
    import_chunk_rows: int = Field(default=1000, ge=1, le=10_000)
    import_max_line_bytes: int = Field(default=MIB, ge=1024, le=16 * MIB)


@lru_cache
def get_settings() -> Settings:
    return Settings()
