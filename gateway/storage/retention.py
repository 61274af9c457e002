"""Expiry (Convenant art. 15): signals past the retention period leave their clusters and are
deleted, sealed details and all, in one transaction with the linkage and hit changes it causes.

Which signals are due is the caller's question (``due``); cases will keep their signals out of
it. Deleting a signal deletes every version of its ``(party, ref)``: an old version outliving the
current one would keep what the period was meant to end.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, select, tuple_

from gateway.storage.linkage import SqlLinker, chunks
from gateway.storage.tables import SignalRow, SubjectRow

_signals = SignalRow.__table__
_subjects = SubjectRow.__table__


def due(connection: Connection, *, observed_before: datetime) -> list[int]:
    """Current signals observed before ``observed_before``."""
    return list(
        connection.execute(
            select(_signals.c.id)
            .where(_signals.c.is_current, _signals.c.observed_at < observed_before)
            .order_by(_signals.c.id)
        ).scalars()
    )


def purge(connection: Connection, linker: SqlLinker, signal_ids: Sequence[int]) -> int:
    """Unlink and delete ``signal_ids`` and their other versions; returns rows deleted."""
    if not signal_ids:
        return 0
    linker.unlink(signal_ids)
    keys: set[tuple[str, str]] = set()
    for chunk in chunks(list(signal_ids)):
        keys.update(
            (party, ref)
            for party, ref in connection.execute(
                select(_signals.c.party, _signals.c.ref).where(_signals.c.id.in_(chunk))
            )
        )
    ids: list[int] = []
    for chunk in chunks(sorted(keys)):
        ids.extend(
            connection.execute(
                select(_signals.c.id).where(tuple_(_signals.c.party, _signals.c.ref).in_(chunk))
            ).scalars()
        )
    deleted = 0
    for chunk in chunks(ids):
        connection.execute(delete(_subjects).where(_subjects.c.signal_id.in_(chunk)))
        deleted += connection.execute(delete(_signals).where(_signals.c.id.in_(chunk))).rowcount
    linker.settle()
    return deleted
