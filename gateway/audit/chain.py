"""Audit log core: canonical entries, leaf hashes and the hash chain. No web, no database.

Leaves are hashed as RFC 9162 §2.1.1 leaves, ``SHA-256(0x00 || entry)``, so that the Merkle tree
and signed checkpoints (``gateway.audit.checkpoint``) can be built over the same leaves. A
hash chain, ``chain_n = SHA-256(chain_{n-1} || leaf_n)`` with ``chain_0`` all zeroes, makes any
change, deletion or reordering of an entry visible to ``verify``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from gateway.jsontypes import JsonObject

ENTRY_VERSION = 1
GENESIS = bytes(32)


class AuditChainBroken(Exception):
    """The stored log does not verify; ``seq`` is the first entry that fails."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"audit entry {seq}: {reason}")
        self.seq = seq
        self.reason = reason


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """What the domain wants recorded. Ids, counts, hashes and codes only: no personal data."""

    event: str
    actor_party: str | None = None
    actor_sub: str | None = None
    object: JsonObject = field(default_factory=dict)
    detail: JsonObject = field(default_factory=dict)
    policy_revision: str | None = None


@dataclass(frozen=True, slots=True)
class SealedEntry:
    """An entry as stored: its canonical body and both hashes."""

    seq: int
    recorded_at: datetime
    event: str
    actor_party: str | None
    body: str
    leaf_hash: bytes
    chain_hash: bytes


# Built once: json.dumps with these options builds a new encoder per call, which was a fifth of
# what verify spends per entry.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_decode = json.JSONDecoder().decode


def canonical_json(document: JsonObject) -> str:
    """Sorted keys, no white space, UTF-8 kept: one byte string per document."""
    return _CANONICAL.encode(document)


def leaf_hash(body: str) -> bytes:
    return hashlib.sha256(b"\x00" + body.encode("utf-8")).digest()


def chain_hash(previous: bytes, leaf: bytes) -> bytes:
    return hashlib.sha256(previous + leaf).digest()


def seal(
    events: Iterable[AuditEvent], *, after_seq: int, after_hash: bytes, now: datetime
) -> list[SealedEntry]:
    """Number, serialise and chain ``events`` after the current head."""
    entries: list[SealedEntry] = []
    seq, previous = after_seq, after_hash
    for event in events:
        seq += 1
        body = canonical_json(
            {
                "v": ENTRY_VERSION,
                "seq": seq,
                "recorded_at": now.isoformat(),
                "event": event.event,
                "actor": {"party": event.actor_party, "sub": event.actor_sub},
                "object": event.object,
                "detail": event.detail,
                "policy_revision": event.policy_revision,
            }
        )
        leaf = leaf_hash(body)
        previous = chain_hash(previous, leaf)
        entries.append(
            SealedEntry(
                seq=seq,
                recorded_at=now,
                event=event.event,
                actor_party=event.actor_party,
                body=body,
                leaf_hash=leaf,
                chain_hash=previous,
            )
        )
    return entries


#: An entry as read for verification: ``(seq, body, leaf_hash, chain_hash)``, optionally followed
#: by the columns stored beside the body, ``(recorded_at, event, actor_party)``.
Row = tuple[int, str, bytes, bytes] | tuple[int, str, bytes, bytes, datetime, str, str | None]


# Entries appended together share their time, so verify parses each distinct one once.
_parse_time = functools.lru_cache(maxsize=256)(datetime.fromisoformat)


def _same_time(stored: datetime, hashed: datetime) -> bool:
    """The stored column against the hashed time. SQLite keeps no offset (SQLAlchemy writes the
    wall-clock fields of the datetime it was given, the same one the body was made from), so a
    naive side compares as wall clock; two aware ones compare as instants (PostgreSQL)."""
    if stored.tzinfo is None or hashed.tzinfo is None:
        return stored.replace(tzinfo=None) == hashed.replace(tzinfo=None)
    return stored == hashed


def check_columns(
    seq: int,
    document: JsonObject,
    recorded_at: datetime,
    event: str,
    actor_party: str | None,
) -> None:
    """The stored copies of an entry's fields must be what its hashed body says; the first one
    that is not names the entry (``AuditChainBroken``). A copy is what queries filter on and what
    access decisions read (``actor_party``: who may read the entry), so an edit that leaves the
    body alone must not pass as intact."""
    if document.get("event") != event:
        raise AuditChainBroken(seq, "event column does not match the hashed entry")
    actor = document.get("actor")
    if not isinstance(actor, dict) or "party" not in actor or actor["party"] != actor_party:
        raise AuditChainBroken(seq, "actor_party column does not match the hashed entry")
    hashed = document.get("recorded_at")
    try:
        when = _parse_time(hashed) if isinstance(hashed, str) else None
    except ValueError:
        when = None
    if when is None or not _same_time(recorded_at, when):
        raise AuditChainBroken(seq, "recorded_at column does not match the hashed entry")


def verify(entries: Iterable[Row], *, head: tuple[int, bytes]) -> int:
    """Check rows in order against the stored head: each body canonical and numbered, its leaf
    and chain hash, and, where a row carries them, its stored columns against the body.

    Returns the number of entries verified; raises ``AuditChainBroken`` at the first fault.
    """
    expected_seq, previous = 0, GENESIS
    for row in entries:
        seq, body, stored_leaf, stored_chain = row[0], row[1], row[2], row[3]
        expected_seq += 1
        if seq != expected_seq:
            raise AuditChainBroken(expected_seq, "entry missing or out of order")
        try:
            document = _decode(body)
        except (ValueError, RecursionError):  # JSONDecodeError, over-long ints, deep nesting
            raise AuditChainBroken(seq, "body is not JSON") from None
        if (
            not isinstance(document, dict)
            or canonical_json(document) != body
            or document.get("seq") != seq
        ):
            raise AuditChainBroken(seq, "body is not the canonical entry")
        leaf = leaf_hash(body)
        if leaf != stored_leaf:
            raise AuditChainBroken(seq, "leaf hash does not match the body")
        previous = chain_hash(previous, leaf)
        if previous != stored_chain:
            raise AuditChainBroken(seq, "chain hash does not match")
        if len(row) == 7:
            check_columns(seq, document, row[4], row[5], row[6])
    if (expected_seq, previous) != head:
        raise AuditChainBroken(expected_seq + 1, "head does not match the last entry")
    return expected_seq
