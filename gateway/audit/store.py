"""SQL driver of the audit log: appends in the caller's transaction, so that an effect and its
audit entry commit together or not at all."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Connection,
    Engine,
    String,
    bindparam,
    func,
    insert,
    select,
    type_coerce,
    union_all,
    update,
)

from gateway.audit import chain, checkpoint, merkle
from gateway.storage.tables import AuditCheckpointRow, AuditHeadRow, AuditNodeRow, AuditRow

_log = AuditRow.__table__
_head = AuditHeadRow.__table__
_nodes = AuditNodeRow.__table__
_checkpoints = AuditCheckpointRow.__table__
# Node keys are level << 48 | index with level >= 1, so every one is at least this; leaf rows
# come back as their plain index (below it), which tells the two halves of the union apart.
_FIRST_NODE_KEY = merkle.node_key(1, 0)


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
    connection.execute(insert(_log), log_rows(entries))
    completed = merkle.completed_nodes(
        head.seq,
        [e.leaf_hash for e in entries],
        read_nodes(connection, set(merkle.range_nodes(0, head.seq))),
    )
    if completed:
        connection.execute(
            insert(_nodes),
            [{"key": merkle.node_key(lv, ix), "hash": h} for lv, ix, h in completed],
        )
    last = entries[-1]
    connection.execute(
        update(_head).where(_head.c.id == 1).values(seq=last.seq, chain_hash=last.chain_hash)
    )
    return [e.seq for e in entries]


def log_rows(entries: Sequence[chain.SealedEntry]) -> list[dict[str, object]]:
    """``audit_log`` rows of sealed entries."""
    return [
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
    ]


def read_nodes(connection: Connection, wanted: set[merkle.Node]) -> dict[merkle.Node, bytes]:
    """Stored Merkle nodes, in one query of a fixed shape (so it is compiled once): level 0 from
    the entries' leaf hashes (entry ``seq`` is leaf ``seq - 1``), higher levels from
    ``audit_nodes`` by key. A missing node is a broken store."""
    if not wanted:
        return {}
    seqs = [index + 1 for level, index in wanted if level == 0] or [0]
    keys = [merkle.node_key(level, index) for level, index in wanted if level > 0] or [-1]
    query = union_all(
        select(_log.c.seq - 1, _log.c.leaf_hash).where(
            _log.c.seq.in_(bindparam("seqs", expanding=True))
        ),
        select(_nodes.c.key, _nodes.c.hash).where(
            _nodes.c.key.in_(bindparam("keys", expanding=True))
        ),
    )
    found: dict[merkle.Node, bytes] = {}
    for key, hashed in connection.execute(query, {"seqs": seqs, "keys": keys}):
        node = merkle.key_node(key) if key >= _FIRST_NODE_KEY else (0, key)
        found[node] = bytes(hashed)
    missing = wanted - found.keys()
    if missing:
        raise chain.AuditChainBroken(min(i for _, i in missing) + 1, "Merkle node missing")
    return found


def tree_size(connection: Connection) -> int:
    seq: int = connection.execute(select(_head.c.seq).where(_head.c.id == 1)).scalar_one()
    return seq


def root(connection: Connection, size: int) -> bytes:
    return merkle.root(size, lambda wanted: read_nodes(connection, wanted))


def inclusion_proof(connection: Connection, seq: int, size: int) -> tuple[bytes, list[bytes]]:
    """The leaf hash of entry ``seq`` and its audit path in the tree of ``size`` entries, read
    together in one query."""
    leaf: list[bytes] = []

    def read(wanted: set[merkle.Node]) -> dict[merkle.Node, bytes]:
        found = read_nodes(connection, wanted | {(0, seq - 1)})
        leaf.append(found[(0, seq - 1)])
        return found

    path = merkle.inclusion_proof(seq - 1, size, read)
    return leaf[0], path


def consistency_proof(connection: Connection, old: int, new: int) -> list[bytes]:
    return merkle.consistency_proof(old, new, lambda w: read_nodes(connection, w))


def verify_tree(connection: Connection, *, batch: int = 10_000) -> int:
    """Recompute every stored Merkle node from the level below it, level by level, streaming;
    returns the number of nodes checked. ``verify`` has checked the leaves (level 0) already."""
    size = tree_size(connection)
    checked, level = 0, 0
    while (size >> level) >= 2:
        below = _level_stream(connection, level, batch)
        first, last = merkle.level_keys(level + 1)
        stored = connection.execute(
            select((_nodes.c.key - first).label("idx"), _nodes.c.hash)
            .where(_nodes.c.key.between(first, last))
            .order_by(_nodes.c.key)
            .execution_options(yield_per=batch)
        )
        expected = 0
        for row in stored:
            if row.idx != expected:
                raise chain.AuditChainBroken(
                    (expected << (level + 1)) + 1, f"Merkle node ({level + 1}, {expected}) missing"
                )
            left, right = next(below), next(below)
            if merkle.node_hash(left, right) != bytes(row.hash):
                raise chain.AuditChainBroken(
                    (row.idx << (level + 1)) + 1,
                    f"Merkle node ({level + 1}, {row.idx}) does not match the entries below it",
                )
            expected += 1
            checked += 1
        if expected != size >> (level + 1):
            raise chain.AuditChainBroken((expected << (level + 1)) + 1, "Merkle nodes missing")
        level += 1
    return checked


def _level_stream(connection: Connection, level: int, batch: int) -> Iterator[bytes]:
    if level == 0:
        query = select(_log.c.leaf_hash.label("hash")).order_by(_log.c.seq)
    else:
        first, last = merkle.level_keys(level)
        query = (
            select(_nodes.c.hash).where(_nodes.c.key.between(first, last)).order_by(_nodes.c.key)
        )
    return (bytes(row.hash) for row in connection.execute(query.execution_options(yield_per=batch)))


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
    # On SQLite the time is text that anyone with the file can overwrite with anything: read it
    # as text and parse it here, so a garbled value is a broken entry, not a crash of verify.
    recorded_at = (
        type_coerce(_log.c.recorded_at, String)
        if connection.dialect.name == "sqlite"
        else _log.c.recorded_at
    )
    result = connection.execution_options(yield_per=batch).execute(
        select(
            _log.c.seq,
            _log.c.body,
            _log.c.leaf_hash,
            _log.c.chain_hash,
            recorded_at,
            _log.c.event,
            _log.c.actor_party,
        ).order_by(_log.c.seq)
    )
    return chain.verify(
        (
            (seq, body, bytes(leaf), bytes(chained), _stored_time(when), event, party)
            for seq, body, leaf, chained, when, event, party in result
        ),
        head=stored_head,
    )


_UNREADABLE_TIME = datetime.min


def _stored_time(value: object) -> datetime:
    """A stored ``recorded_at`` as a datetime; one that does not parse matches no entry."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return _parse_stored_time(value)
    return _UNREADABLE_TIME


@functools.lru_cache(maxsize=256)  # entries appended together share their time
def _parse_stored_time(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return _UNREADABLE_TIME


def entries(connection: Connection, *, event: str | None = None) -> list[dict[str, object]]:
    """Stored entries as documents, oldest first (for tests, the CLI and later the audit API)."""
    query = select(_log.c.body).order_by(_log.c.seq)
    if event is not None:
        query = query.where(_log.c.event == event)
    return [json.loads(row.body) for row in connection.execute(query)]


def entry(connection: Connection, seq: int) -> tuple[str | None, str, bytes] | None:
    """One stored entry: (actor party, canonical body, leaf hash), or None.

    The party is the one the hashed body names, and only if the ``actor_party`` column says the
    same and the leaf hash is the body's: the party decides who may read the entry, so an edited
    column or body gives no one access (None, as for a missing entry)."""
    row = connection.execute(
        select(_log.c.actor_party, _log.c.body, _log.c.leaf_hash).where(_log.c.seq == seq)
    ).one_or_none()
    if row is None or chain.leaf_hash(row.body) != bytes(row.leaf_hash):
        return None
    try:
        document = json.loads(row.body)
    except (ValueError, RecursionError):
        return None
    actor = document.get("actor") if isinstance(document, dict) else None
    party = actor.get("party") if isinstance(actor, dict) else None
    if not isinstance(party, str) or party != row.actor_party:
        return None
    return party, row.body, bytes(row.leaf_hash)


@dataclass(frozen=True, slots=True)
class CheckpointState:
    """Where the log stands against its stored checkpoints."""

    size: int
    """Entries in the log (the head)."""
    covered: int | None
    """Entries the latest stored checkpoint covers; None when none is stored."""
    note: str | None
    """That checkpoint's signed note."""
    first_uncovered_at: datetime | None
    """When the oldest entry no checkpoint covers was recorded (its verified column)."""


def checkpoint_state(connection: Connection, *, lock: bool = False) -> CheckpointState:
    """The head, the latest stored checkpoint and the age of the uncovered tail. ``lock`` takes
    the head ``FOR UPDATE`` first, so that one writer at a time makes a checkpoint."""
    head = select(_head.c.seq).where(_head.c.id == 1)
    size: int = connection.execute(head.with_for_update() if lock else head).scalar_one()
    latest = connection.execute(
        select(_checkpoints.c.size, _checkpoints.c.note)
        .order_by(_checkpoints.c.size.desc())
        .limit(1)
    ).one_or_none()
    covered = None if latest is None else int(latest.size)
    first_uncovered_at = None
    if size > (covered or 0):
        first_uncovered_at = connection.execute(
            select(_log.c.recorded_at).where(_log.c.seq == (covered or 0) + 1)
        ).scalar_one_or_none()
    return CheckpointState(
        size, covered, None if latest is None else latest.note, first_uncovered_at
    )


def store_checkpoint(connection: Connection, size: int, note: str) -> None:
    connection.execute(insert(_checkpoints).values(size=size, note=note))


def checkpoint_count(connection: Connection) -> int:
    count: int = connection.execute(select(func.count()).select_from(_checkpoints)).scalar_one()
    return count


def verify_checkpoints(
    connection: Connection, read: Callable[[str], checkpoint.Checkpoint]
) -> list[int]:
    """Check every stored checkpoint, oldest first: its note reads and is signed (``read``
    opens and parses it, raising :class:`checkpoint.NoteError`), the ``size`` column is the
    note's, and the log still has that many entries with that root. Returns the sizes checked;
    the first fault names the first entry it can be in: the one after the last checkpoint that
    holds (the rewrite lies between the two)."""
    size = tree_size(connection)
    sizes: list[int] = []
    previous = 0
    rows = connection.execute(
        select(_checkpoints.c.size, _checkpoints.c.note).order_by(_checkpoints.c.size)
    ).all()
    for stored_size, note in rows:
        try:
            point = read(note)
        except checkpoint.NoteError as exc:
            raise chain.AuditChainBroken(
                previous + 1, f"stored checkpoint of {stored_size} entries: {exc}"
            ) from None
        if point.size != stored_size:
            raise chain.AuditChainBroken(
                previous + 1,
                f"stored checkpoint of {stored_size} entries signs {point.size} entries",
            )
        if point.size > size:
            raise chain.AuditChainBroken(
                size + 1,
                f"entries {size + 1}..{point.size}, signed in a checkpoint, are missing "
                "(tail cut off)",
            )
        if root(connection, point.size) != point.root:
            raise chain.AuditChainBroken(
                previous + 1,
                f"the signed checkpoint of {point.size} entries does not match the log: "
                f"entries {previous + 1}..{point.size} were rewritten",
            )
        sizes.append(point.size)
        previous = point.size
    return sizes


def record(engine: Engine, event: chain.AuditEvent, *, now: datetime) -> int:
    """Append one entry in its own transaction: for events with no other effect to commit with
    (a refusal, a count of evaluations). Returns its sequence number."""
    with engine.begin() as connection:
        return append(connection, [event], now=now)[0]
