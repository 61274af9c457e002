"""Everything a running gateway holds, built once from settings and passed in (no globals)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from gateway.audit.checkpointing import Checkpointer
from gateway.auth.signed_calls import CallVerifier
from gateway.crypto import unb64u
from gateway.crypto.signing import Ed25519PrivateKey, Ed25519PublicKey, ed25519_public_key
from gateway.errors import ConfigurationError
from gateway.jsontypes import JsonObject
from gateway.observability.metrics import Metrics
from gateway.parties.covenant import Covenant, load_covenant
from gateway.parties.keys import KeyRing, load_keyring, load_signing_key
from gateway.parties.release_keys import ReleaseKeys
from gateway.policy.bundle import PolicySet, load_policy_set
from gateway.policy.engine import PolicyEngine
from gateway.policy.factory import open_policy_engine
from gateway.pseudonyms.keyholder import (
    KeyHolder,
    LocalKeyHolder,
    RemoteKeyHolder,
    load_master_seed,
)
from gateway.pseudonyms.ratelimit import ElementBudget
from gateway.service.work import UnitOfWork
from gateway.settings import Settings
from gateway.signals.models import Limits
from gateway.signals.reference import IndicatorCatalogue, load_catalogue
from gateway.storage.database import create_db_engine
from gateway.storage.replay import SqlReplayGuard


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    covenant: Covenant
    keyring: KeyRing
    catalogue: IndicatorCatalogue
    verifier: CallVerifier
    metrics: Metrics
    clock: Callable[[], datetime]
    keyholder: KeyHolder
    oprf_budget: ElementBudget
    gateway_keys: JsonObject
    policy: PolicyEngine
    policy_directory_problem: tuple[str, ...] = ()
    """Why the policy directory on disk was refused at the last reload (file:line and message),
    while the engine keeps the last good revision; empty when the directory is in force."""

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        engine: Engine | None = None,
        policy: PolicyEngine | None = None,
    ) -> Runtime:
        """Load covenant, keys and catalogue; fail early with a message naming the bad file."""
        covenant = load_covenant(settings.policies_dir)
        keyring = load_keyring(settings.keys_dir, covenant)
        catalogue = load_catalogue(settings.policies_dir)
        engine = engine or create_db_engine(settings.database_url.get_secret_value())
        verifier = CallVerifier(
            covenant=covenant,
            keyring=keyring,
            replay=SqlReplayGuard(engine, clock_skew_s=settings.clock_skew_s, clock=clock),
            max_lifetime_s=settings.token_max_lifetime_s,
            clock_skew_s=settings.clock_skew_s,
            clock=clock,
        )
        return cls(
            settings,
            engine,
            covenant,
            keyring,
            catalogue,
            verifier,
            Metrics(),
            clock,
            keyholder=_keyholder(settings, covenant),
            oprf_budget=ElementBudget(settings.oprf_elements_per_minute),
            gateway_keys=gateway_public_keys(settings, covenant),
            policy=policy or open_policy(settings),
        )

    @cached_property
    def unit_of_work(self) -> UnitOfWork:
        """Where every use case opens its transactions (``gateway.service.work``)."""
        return UnitOfWork(self.engine, self.clock)

    @cached_property
    def release_keys(self) -> ReleaseKeys:
        """The gateway's release key pairs, one per period (crypto-shredding, docs/sealing.md)."""
        return ReleaseKeys(self.settings.private_keys_dir, self.covenant.gateway_id)

    def release_key(self) -> JsonObject:
        """The current release key: the public HPKE key adapters seal identifying details to."""
        return self.release_keys.current(self.clock()).public

    @property
    def release_key_grace(self) -> timedelta:
        return timedelta(days=self.settings.release_key_grace_days)

    @property
    def audit_origin(self) -> str:
        """The audit log's name in its checkpoints (C2SP origin and key name)."""
        return audit_origin(self.covenant.gateway_id)

    def audit_public_key(self) -> Ed25519PublicKey:
        return audit_public_key(self.gateway_keys)

    @cached_property
    def audit_signer(self) -> Ed25519PrivateKey:
        """The gateway's own Ed25519 signing key, for checkpoints; read when first needed."""
        return audit_signer(self.settings.private_keys_dir, self.covenant.gateway_id)

    @cached_property
    def audit_checkpoints(self) -> Checkpointer:
        """Makes and hands out the signed checkpoints (every N entries or T seconds)."""
        return Checkpointer(
            engine=self.engine,
            clock=self.clock,
            origin=self.audit_origin,
            signer=lambda: self.audit_signer,
            every_entries=self.settings.audit_checkpoint_entries,
            every_s=self.settings.audit_checkpoint_s,
        )

    @cached_property
    def party_types(self) -> dict[str, str]:
        """Party id -> party type, as the hit rules and the RIEC's views name parties."""
        return {p.id: p.type.value for p in self.covenant.parties.values()}

    def barrier_of(self, indicator: str) -> str | None:
        barrier = self.catalogue.barriers.get(indicator)
        return None if barrier is None else barrier.value

    def signal_limits(self) -> Limits:
        now = self.clock()
        return Limits(
            catalogue=self.catalogue,
            max_sealed_bytes=self.settings.max_sealed_bytes,
            max_batch_signals=self.settings.max_batch_signals,
            now=now,
            clock_skew=timedelta(seconds=self.settings.clock_skew_s),
            release_kids=self.release_keys.accepted_kids(now, self.release_key_grace),
        )


def _keyholder(settings: Settings, covenant: Covenant) -> KeyHolder:
    if settings.keyholder_url:
        if settings.keyholder_token is None:
            raise ConfigurationError(
                "GATEWAY_KEYHOLDER_TOKEN is verplicht met GATEWAY_KEYHOLDER_URL"
            )
        return RemoteKeyHolder(
            url=settings.keyholder_url, token=settings.keyholder_token.get_secret_value()
        )
    seed = load_master_seed(settings.private_keys_dir / covenant.gateway_id)
    return LocalKeyHolder(seed=seed, domains=[covenant.pseudonym_domain])


def audit_origin(gateway_id: str) -> str:
    return f"{gateway_id}/audit"


def audit_public_key(gateway_keys: JsonObject) -> Ed25519PublicKey:
    """The gateway's published Ed25519 key (its JWKS), which checkpoints verify with."""
    jwk = next(
        k for k in gateway_keys["keys"] if k.get("use") == "sig" and k.get("crv") == "Ed25519"
    )
    return ed25519_public_key(unb64u(jwk["x"]))


def audit_signer(private_keys_dir: Path, gateway_id: str) -> Ed25519PrivateKey:
    key = load_signing_key(private_keys_dir, gateway_id).key
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError("de ondertekensleutel van de gateway is geen Ed25519-sleutel")
    return key


def gateway_public_keys(settings: Settings, covenant: Covenant) -> JsonObject:
    path = settings.keys_dir / f"{covenant.gateway_id}.jwks.json"
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        raise ConfigurationError(f"{path}: publieke sleutels van de gateway ontbreken") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not any(
        isinstance(k, dict) and k.get("use") == "sig" for k in keys
    ):
        raise ConfigurationError(f"{path}: geen ondertekeningssleutel (use: sig) gevonden")
    # Release keys (use: enc) come from the key store, where they rotate (ReleaseKeys).
    return {"keys": [k for k in keys if isinstance(k, dict) and k.get("use") != "enc"]}


def open_policy_engine_for(settings: Settings) -> Callable[[PolicySet], PolicyEngine]:
    """Opens the configured kind of engine over a policy set (at start-up and on reloads)."""

    def open_(policy_set: PolicySet) -> PolicyEngine:
        return open_policy_engine(
            policy_set,
            kind=settings.policy_engine,
            opa_url=settings.opa_url,
            timeout_s=settings.opa_timeout_s,
            opa_push=settings.opa_push,
        )

    return open_


def open_policy(settings: Settings) -> PolicyEngine:
    """The configured engine over the configured policy directory."""
    return open_policy_engine_for(settings)(load_policy_set(settings.policies_dir))
