"""Signed checkpoints made as the log grows, stored, and handed to partners.

The gateway signs a checkpoint once ``every_entries`` entries are not yet covered by one, or once
the oldest uncovered entry is ``every_s`` seconds old (settings ``audit_checkpoint_entries`` and
``audit_checkpoint_s``; the defaults are argued in docs/partners-api.md). Every ingest answer
carries the latest one, so a partner that keeps them holds the gateway to its history: a log cut
back or rewritten below a kept checkpoint no longer has its root (``gateway audit verify
--checkpoint``). Each checkpoint is also stored (``audit_checkpoints``), and ``gateway audit
verify`` checks every stored one against the log.

Checks happen where the log is read anyway: after each ingest, when ``/v1/audit/checkpoint`` is
asked, and in ``serve``'s background loop every ``every_s`` seconds, so a quiet tail is covered too.
One writer at a time makes a checkpoint: the head row is locked first, as appends do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from gateway.audit import checkpoint, store
from gateway.crypto.signing import Ed25519PrivateKey
from gateway.errors import ConfigurationError
from gateway.observability.logs import get_logger

_log = get_logger("gateway.audit")


@dataclass(frozen=True)
class Checkpointer:
    engine: Engine
    clock: Callable[[], datetime]
    origin: str
    signer: Callable[[], Ed25519PrivateKey]
    """The gateway's Ed25519 key; may raise ``ConfigurationError`` (no key on this host)."""
    every_entries: int
    every_s: float

    def _due(self, state: store.CheckpointState) -> bool:
        return checkpoint.due(
            size=state.size,
            covered=state.covered,
            first_uncovered_at=state.first_uncovered_at,
            now=self.clock(),
            every_entries=self.every_entries,
            every_s=self.every_s,
        )

    def latest(self) -> str | None:
        """The latest signed checkpoint, a new one first if one is due; None for an empty log.

        A read when none is due (the usual case after an ingest), so the hot path pays one
        small query."""
        with self.engine.connect() as connection:
            state = store.checkpoint_state(connection)
        if not self._due(state):
            return state.note
        return self.make(force=False)

    def for_answer(self) -> str | None:
        """:meth:`latest` for an answer whose effect is already committed (an ingest): without a
        signing key on this host the stored latest one, or None; the operator reads why in the
        log, and the caller still gets its answer."""
        try:
            return self.latest()
        except ConfigurationError:
            _log.error("audit.checkpoint_unsigned", problem="ConfigurationError")
        with self.engine.connect() as connection:
            return store.checkpoint_state(connection).note

    def make(self, *, force: bool) -> str | None:
        """Sign and store a checkpoint over the whole log if one is due (``force``: whenever the
        log has grown past the latest); returns the latest stored note afterwards."""
        with self.engine.begin() as connection:
            state = store.checkpoint_state(connection, lock=True)
            grown = state.covered is None or state.size > state.covered
            if not grown or not (force or self._due(state)):
                return state.note
            root = store.root(connection, state.size)
            text = checkpoint.Checkpoint(self.origin, state.size, root).text()
            note = checkpoint.sign(text, self.origin, self.signer())
            store.store_checkpoint(connection, state.size, note)
            return note

    def run(self, stop: threading.Event, on_error: Callable[[Exception], None]) -> None:
        """``serve``'s loop: every ``every_s`` seconds, a checkpoint if one is due."""
        while not stop.wait(self.every_s):
            try:
                self.latest()
            except Exception as exc:  # noqa: BLE001  (the loop outlives an outage; it is logged)
                on_error(exc)
