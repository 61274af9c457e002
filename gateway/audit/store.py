"""SQL driver of the audit log: appends in the caller's transaction, so that an effect and its
audit entry commit together or not at all (DESIGN §9)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select, update

from gateway.audit import chain
from gateway.storage.tables import AuditHeadRow, AuditRow

_log = AuditRow.__table__
_head = AuditHeadRow.__table__


def append(
    connection: Connection, events: Sequence[chain.AuditEvent], *, now: datetime
) -> list[int]:
    """Append ``events`` in order; returns their sequence numbers.

    The head row is locked first (``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
    already serialises writers), which gives concurrent writers one total order.
    """
    if not events:
        raise ValueError("no audit events to append")
    head = connection.execute(
        select(_head.c.seq, _head.c.chain_hash).where(_head.c.id == 1).with_for_update()
    ).one()
    entries = chain.seal(events, after_seq=head.seq, after_hash=head.chain_hash, now=now)
    connection.execute(
        insert(_log),
        [
            {
                "seq": e.seq,
                "recorded_at": e.recorded_at,
                "event": e.event,
                "actor_party": e.actor_party,
                "body": e.body,
                "leaf_hash": e.leaf_hash,
                "chain_hash": e.chain_hash,
            }
            for e in entries
        ],
    )
    last = entries[-1]
    connection.execute(
        update(_head).where(_head.c.id == 1).values(seq=last.seq, chain_hash=last.chain_hash)
    )
    return [e.seq for e in entries]


def verify(connection: Connection, *, batch: int = 10_000) -> int:
    """Verify the whole stored log against its head; streams, so memory stays bounded.

    The head is read ``FOR SHARE`` (PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already excludes
    writers) so no append can commit between reading the head and reading the entries: under READ
    COMMITTED each statement sees a new snapshot, and a live append would look like tampering.
    """
    head = connection.execute(
        select(_head.c.seq, _head.c.chain_hash).where(_head.c.id == 1).with_for_update(read=True)
    ).one_or_none()
    # A deleted head row is tampering too: no head matches, so verify reports it after the entries.
    stored_head = (-1, b"") if head is None else (head.seq, bytes(head.chain_hash))
    result = connection.execution_options(yield_per=batch).execute(
        select(_log.c.seq, _log.c.body, _log.c.leaf_hash, _log.c.chain_hash).order_by(_log.c.seq)
    )
    return chain.verify(
        ((r.seq, r.body, bytes(r.leaf_hash), bytes(r.chain_hash)) for r in result),
        head=stored_head,
    )


def entries(connection: Connection, *, event: str | None = None) -> list[dict[str, object]]:
    """Stored entries as documents, oldest first (for tests, the CLI and later the audit API)."""
    query = select(_log.c.body).order_by(_log.c.seq)
    if event is not None:
        query = query.where(_log.c.event == event)
    return [json.loads(row.body) for row in connection.execute(query)]


def record(engine: Engine, event: chain.AuditEvent, *, now: datetime) -> int:
    """Append one entry in its own transaction: for events with no other effect to commit with
    (a refusal, a count of evaluations). Returns its sequence number."""
    with engine.begin() as connection:
        return append(connection, [event], now=now)[0]
