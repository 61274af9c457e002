"""Everything a running gateway holds, built once from settings and passed in (no globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from gateway.auth.signed_calls import CallVerifier
from gateway.observability.metrics import Metrics
from gateway.parties.covenant import Covenant, load_covenant
from gateway.parties.keys import KeyRing, load_keyring
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

    @classmethod
    def build(
        cls, settings: Settings, *, clock: Callable[[], datetime] = utc_now, engine: Engine | None = None
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
        return cls(settings, engine, covenant, keyring, catalogue, verifier, Metrics(), clock)

    def signal_limits(self) -> Limits:
        return Limits(
            catalogue=self.catalogue,
            max_sealed_bytes=self.settings.max_sealed_bytes,
            max_batch_signals=self.settings.max_batch_signals,
            now=self.clock(),
            clock_skew=timedelta(seconds=self.settings.clock_skew_s),
        )
