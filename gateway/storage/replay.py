"""The JWT replay cache: a consumed ``(issuer, jti)`` is kept until the token expires."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from gateway.auth.signed_calls import ReplayDetected
from gateway.storage.tables import ReplayRow

_replay = ReplayRow.__table__


class SqlReplayGuard:
    """Consumes token ids in their own short transaction (the call may fail later; the id stays
    used: tokens are single-use whatever the outcome)."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock_skew_s: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        purge_probability: float = 0.01,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._skew = timedelta(seconds=clock_skew_s)
        self._purge_probability = purge_probability

    def consume(self, *, issuer: str, jti: str, expires_at: datetime) -> None:
        keep_until = expires_at + self._skew
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert(_replay).values(issuer=issuer, jti=jti, expires_at=keep_until)
                )
                if random.random() < self._purge_probability:  # noqa: S311 (not security)
                    connection.execute(delete(_replay).where(_replay.c.expires_at < self._clock()))
        except IntegrityError:
            raise ReplayDetected from None
