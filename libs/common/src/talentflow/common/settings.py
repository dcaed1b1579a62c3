"""Settings shared by every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development-only defaults. A service refuses to start with them outside development and test.
DEV_AUTH_SECRET = "talentflow-development-auth-secret-not-for-production"  # noqa: S105
DEV_ENCRYPTION_KEY = "dGFsZW50Zmxvdy1kZXZlbG9wbWVudC1rZXktMzJieXQ="


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


# HS256 tokens: a key at least as long as SHA-256's output.
MIN_AUTH_SECRET_BYTES = 32
# What deploy/k8s/secret.example.yaml holds until each value is replaced.
PLACEHOLDER = "REPLACE_ME"


class ServiceSettings(BaseSettings):
    """The settings every service has. Subclasses set `env_prefix`, e.g. TALENTFLOW_INGEST_."""

    model_config = SettingsConfigDict(env_prefix="TALENTFLOW_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    log_level: str = "INFO"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/talentflow"
    database_pool_size: int = Field(default=10, ge=1, le=200)
    kafka_bootstrap: str = "127.0.0.1:9092"
    # Idempotent producers need InitProducerId; Kafka has it, the development broker does not.
    kafka_idempotence: bool = True
    # Prepended to every topic name: lets environments (or test runs) share one cluster.
    kafka_topic_prefix: str = ""
    kafka_topic_partitions: int = Field(default=4, ge=1)
    kafka_replication_factor: int = Field(default=1, ge=1)
    auth_secret: SecretStr = SecretStr(DEV_AUTH_SECRET)
    encryption_key: SecretStr = SecretStr(DEV_ENCRYPTION_KEY)
    outbox_poll_interval_s: float = Field(default=0.1, gt=0)
    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    outbox_retention_days: int = Field(default=14, ge=0)
    consumer_max_attempts: int = Field(default=5, ge=1)
    # Kafka's defaults suit production; tests against the development broker use shorter ones
    # (it holds a JoinGroup for about half the session timeout).
    consumer_session_timeout_ms: int = Field(default=10_000, ge=1_000)
    consumer_heartbeat_interval_ms: int = Field(default=1_000, ge=100)
    # False serves HTTP only (API replicas scaled apart from the consumers).
    run_consumers: bool = True

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> ServiceSettings:
        if self.environment is Environment.PRODUCTION:
            auth_secret = self.auth_secret.get_secret_value()
            if auth_secret == DEV_AUTH_SECRET:
                raise ValueError("auth_secret must be set outside development")
            if self.encryption_key.get_secret_value() == DEV_ENCRYPTION_KEY:
                raise ValueError("encryption_key must be set outside development")
            # An HMAC key shorter than its hash's output weakens every token (RFC 7518 3.2).
            if len(auth_secret.encode()) < MIN_AUTH_SECRET_BYTES:
                raise ValueError(
                    f"auth_secret must be at least {MIN_AUTH_SECRET_BYTES} bytes in production"
                )
            for name, value in (
                ("auth_secret", auth_secret),
                ("encryption_key", self.encryption_key.get_secret_value()),
                ("database_url", self.database_url),
            ):
                if PLACEHOLDER in value:
                    raise ValueError(f"{name} still holds the template's {PLACEHOLDER}")
        return self
