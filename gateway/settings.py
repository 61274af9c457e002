"""Typed configuration, loaded once at start-up from ``GATEWAY_*`` environment variables.

Every setting has an embedded default so that ``gateway init && gateway serve`` runs on a laptop
with SQLite, the in-process policy engine and generated dev keys. The README's configuration table
documents each field; a test keeps the two in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Gateway configuration. Field descriptions are copied into the README table."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="forbid", frozen=True)

    database_url: SecretStr = Field(
        default=SecretStr("sqlite:///var/gateway.db"),
        description="SQLAlchemy URL of the database: SQLite file (embedded) or "
        "`postgresql+psycopg://user@host/db` (production).",
    )
    policies_dir: Path = Field(
        default=Path("policies"),
        description="Policy directory: Rego policies, covenant data and the indicator catalogue.",
    )
    keys_dir: Path = Field(
        default=Path("keys/dev"),
        description="Public keys of the covenant parties, one `<party>.jwks.json` per party.",
    )
    private_keys_dir: Path = Field(
        default=Path("var/dev-keys"),
        description="Private keys written by `gateway init` (dev only; git-ignored, mode 0600).",
    )
    release_key_rotation_days: int = Field(
        default=90,
        ge=1,
        le=3660,
        description="Days a release key stays current; `gateway retention run` then rotates it. "
        "Expired signals become unreadable in backups at most this long after their retention "
        "date (crypto-shredding, docs/sealing.md).",
    )
    release_key_grace_days: int = Field(
        default=7,
        ge=1,
        le=365,
        description="Days a retired release key is still accepted at ingest (adapters that read "
        "`/v1/gateway` before a rotation); only after that can it be shredded.",
    )
    host: str = Field(default="127.0.0.1", description="Address `gateway serve` binds to.")
    port: int = Field(default=8080, ge=1, le=65535, description="Port `gateway serve` listens on.")
    max_batch_signals: int = Field(
        default=1000, ge=1, le=100_000, description="Most signals accepted in one batch."
    )
    max_body_bytes: int = Field(
        default=32 * 1024 * 1024, ge=1024, description="Largest request body accepted, in bytes."
    )
    max_sealed_bytes: int = Field(
        default=16 * 1024, ge=64, description="Largest sealed blob per signal, in bytes (decoded)."
    )
    token_max_lifetime_s: int = Field(
        default=300, ge=10, le=300, description="Longest accepted token lifetime (`exp - iat`)."
    )
    clock_skew_s: int = Field(
        default=30, ge=0, le=120, description="Tolerated clock difference with callers, seconds."
    )
    policy_engine: Literal["embedded", "opa"] = Field(
        default="embedded",
        description="`embedded`: OPA's engine in-process; `opa`: an OPA server at GATEWAY_OPA_URL.",
    )
    opa_url: str = Field(
        default="http://127.0.0.1:8181",
        description=(
            "OPA server as `http(s)://host[:port]`, no path (with `policy_engine=opa`; "
            "opa-python-client addresses a server by host and port)."
        ),
    )
    opa_push: bool = Field(
        default=True,
        description="Push policies and data to the OPA server at start; `false` when OPA loads "
        "them from a mount (the revision is checked either way).",
    )
    opa_timeout_s: float = Field(
        default=2.0, gt=0, le=30, description="Timeout of one OPA server call; past it: deny."
    )
    policy_reload_s: float = Field(
        default=10.0,
        ge=0,
        description="How often `serve` looks for a changed policy directory (0: never). A change "
        "goes live only if it parses and its tests pass.",
    )
    stats_catchup_s: float = Field(
        default=5.0,
        ge=0,
        description="How often `serve` brings the statistics rollup up to date in the background "
        "(0: only when /v1/stats is read), so no reader pays for a large backlog.",
    )
    audit_checkpoint_entries: int = Field(
        default=1000,
        ge=1,
        le=1_000_000,
        description="A signed audit checkpoint is made once this many entries are not covered by "
        "one (docs/partners-api.md argues the defaults); every ingest answer carries the latest.",
    )
    audit_checkpoint_s: float = Field(
        default=60.0,
        ge=1,
        le=86_400,
        description="A signed audit checkpoint is also made once the oldest entry not covered "
        "by one is this many seconds old; `serve` checks this often in the background, so a "
        "quiet tail is signed too.",
    )
    oprf_elements_per_minute: int = Field(
        default=100_000, ge=1, description="Pseudonym evaluations allowed per party per minute."
    )
    max_oprf_batch: int = Field(
        default=10_000,
        ge=1,
        le=100_000,
        description="Most blinded elements in one evaluation call.",
    )
    keyholder_url: str | None = Field(
        default=None,
        description="URL of a separate key-holder process (`gateway keyholder serve`); "
        "unset: the key holder runs inside the gateway.",
    )
    keyholder_token: SecretStr | None = Field(
        default=None, description="Shared secret between gateway and a separate key holder."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Lowest level written to the log."
    )
    log_format: Literal["json", "console"] = Field(
        default="json", description="`json` for machines, `console` for people at a terminal."
    )

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if not url.startswith(("sqlite:///", "postgresql+psycopg://")):
            raise ValueError("use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.get_secret_value().startswith("sqlite:")
