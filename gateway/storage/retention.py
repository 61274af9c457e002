"""Expiry (Convenant art. 15): signals past the retention period leave their clusters and are
deleted, sealed details and all, in one transaction with the linkage and hit changes it causes.

Signals in a case are never due here. Deleting a signal deletes every version of its
``(party, ref)``: an old version outliving the current one would keep what the period was meant
to end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, exists, select, tuple_

from gateway.storage import stats
from gateway.storage.linkage import SqlLinker, chunks
from gateway.storage.tables import CaseSignalRow, SignalRow, SubjectRow

_signals = SignalRow.__table__
_subjects = SubjectRow.__table__
_case_signals = CaseSignalRow.__table__


def due(connection: Connection, *, observed_before: datetime) -> list[int]:
    """Current signals observed before ``observed_before`` that never became part of a case
    (a case's signals follow the case's own retention, Convenant art. 15 lid 2)."""
    version = _signals.alias("version")
    in_case = (
        select(_case_signals.c.signal_id)
        .join(version, version.c.id == _case_signals.c.signal_id)
        .where(version.c.party == _signals.c.party, version.c.ref == _signals.c.ref)
    )
    return list(
        connection.execute(
            select(_signals.c.id)
            .where(
                _signals.c.is_current,
                _signals.c.observed_at < observed_before,
                ~exists(in_case),
            )
            .order_by(_signals.c.id)
        ).scalars()
    )


def purge(
    connection: Connection,
    linker: SqlLinker,
    signal_ids: Sequence[int],
    *,
    barriers: Mapping[str, str],
) -> int:
    """Unlink and delete the current versions ``signal_ids`` and their other versions, and take
    them out of the statistics rollup; returns rows deleted."""
    if not signal_ids:
        return 0
    # The rollup counts them now; subtracted before their rows (and values) are gone.
    stats.catch_up(connection, barriers=barriers)
    stats.on_ingest(connection, added_rows=[], removed_ids=signal_ids, barriers=barriers)
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
