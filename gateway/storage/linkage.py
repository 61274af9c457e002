"""Linkage's data access over SQLAlchemy Core: :class:`SqlLinkStore` implements the
:class:`~gateway.linkage.incremental.LinkStore` that the incremental linker
(:mod:`gateway.linkage.incremental`, where every merge, split and hub decision is made) reads and
writes through, in the caller's transaction.

Only what a batch touches is read, never the whole graph (a rebuild's two reads of everything
excepted); lists of ids go in chunks of :data:`_IN_CHUNK`. Concurrent batches are serialised on
PostgreSQL by a transaction-scoped advisory lock (:meth:`SqlLinkStore.lock`, which the linker
takes before anything else; SQLite's ``BEGIN IMMEDIATE`` already serialises writers), so two
batches can never merge the same clusters in opposite directions, and new cluster ids are handed
out under it. The lock is taken before the audit head's row lock, in every path.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, func, insert, or_, select, update

from gateway.linkage.incremental import HubFlag, IncrementalLinker, KeyWrite, StoredKey, Subject
from gateway.linkage.rules import Carrier, LinkRules, Other
from gateway.storage.signals import as_utc
from gateway.storage.tables import (
    ClusterRow,
    HubRegisterRow,
    LinkKeyRow,
    SignalRow,
    SubjectRow,
)

_signals = SignalRow.__table__
_subjects = SubjectRow.__table__
_clusters = ClusterRow.__table__
_keys = LinkKeyRow.__table__
_register = HubRegisterRow.__table__
_IN_CHUNK = 500
_LOCK_ID = 0x6C696E6B  # "link": the advisory lock key of linkage on PostgreSQL


def chunks(
    values: Sequence[Any],  # Any: ids or tuples; callers reuse one loop variable for both kinds
    size: int = _IN_CHUNK,
) -> Iterable[Sequence[Any]]:  # Any: as ``values``
    """``values`` in slices of at most ``size``, for ``IN`` lists of a bounded length."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


class SqlLinkStore:
    """The linkage tables, for one transaction; ``now`` stamps what it writes."""

    def __init__(self, connection: Connection, *, now: datetime) -> None:
        self._c = connection
        self._now = now
        self._next_id: int | None = None
        self._marks: dict[bytes, str] | None = None

    def lock(self) -> None:
        if self._c.dialect.name == "postgresql":
            self._c.execute(select(func.pg_advisory_xact_lock(_LOCK_ID)))

    def detach(self, signal_ids: Sequence[int]) -> set[int]:
        clusters: set[int] = set()
        for chunk in chunks(signal_ids):
            clusters.update(
                cid
                for (cid,) in self._c.execute(
                    select(_signals.c.cluster_id).where(
                        _signals.c.id.in_(chunk), _signals.c.cluster_id.is_not(None)
                    )
                )
            )
            self._c.execute(
                update(_signals).where(_signals.c.id.in_(chunk)).values(cluster_id=None)
            )
        return clusters

    def subjects(self, signal_ids: Sequence[int]) -> Iterator[Subject]:
        for chunk in chunks(signal_ids):
            for signal_id, pseudonym, kind in self._c.execute(
                select(_subjects.c.signal_id, _subjects.c.pseudonym, _subjects.c.kind).where(
                    _subjects.c.signal_id.in_(chunk)
                )
            ):
                yield signal_id, bytes(pseudonym), kind

    def load_keys(self, pseudonyms: Sequence[bytes]) -> Iterator[StoredKey]:
        for chunk in chunks(pseudonyms):
            for row in self._c.execute(
                select(*_KEY_COLUMNS).where(_keys.c.pseudonym.in_(chunk))
            ):
                yield _stored_key(row)

    def cluster_sizes(self, cluster_ids: Sequence[int]) -> dict[int, int]:
        sizes: dict[int, int] = {}
        for chunk in chunks(cluster_ids):
            for cid, size in self._c.execute(
                select(_clusters.c.id, _clusters.c.size).where(_clusters.c.id.in_(chunk))
            ):
                sizes[cid] = size
        return sizes

    def count_members(self, cluster_ids: Sequence[int]) -> dict[int, int]:
        counted: dict[int, int] = {}
        for chunk in chunks(cluster_ids):
            for cid, count in self._c.execute(
                select(_signals.c.cluster_id, func.count())
                .where(_signals.c.cluster_id.in_(chunk))
                .group_by(_signals.c.cluster_id)
            ):
                counted[cid] = count
        return counted

    def new_clusters(self, sizes: Sequence[int], *, split_from: int | None = None) -> list[int]:
        """New cluster rows. Ids are handed out here, under the linkage lock, which saves a
        RETURNING round trip per row on the hottest path of ingest."""
        if not sizes:
            return []
        if self._next_id is None:
            self._next_id = (
                1 + self._c.execute(select(func.coalesce(func.max(_clusters.c.id), 0))).scalar_one()
            )
        ids = list(range(self._next_id, self._next_id + len(sizes)))
        self._next_id += len(sizes)
        self._c.execute(
            insert(_clusters),
            [
                {
                    "id": cid,
                    "size": size,
                    "created_at": self._now,
                    "updated_at": self._now,
                    "split_from": split_from,
                }
                for cid, size in zip(ids, sizes, strict=True)
            ],
        )
        return ids

    def absorb(self, survivor: int, absorbed: Sequence[int]) -> None:
        self._c.execute(
            update(_signals).where(_signals.c.cluster_id.in_(absorbed)).values(cluster_id=survivor)
        )
        self._c.execute(
            update(_keys).where(_keys.c.cluster_id.in_(absorbed)).values(cluster_id=survivor)
        )
        self._c.execute(
            update(_clusters)
            .where(_clusters.c.id.in_(absorbed))
            .values(merged_into=survivor, size=0, updated_at=self._now)
        )

    def insert_keys(self, keys: Sequence[KeyWrite]) -> None:
        if not keys:
            return
        self._c.execute(
            insert(_keys),
            [
                {
                    "pseudonym": k.pseudonym,
                    "kind": k.kind,
                    "signals": k.signals,
                    "cluster_id": k.cluster_id,
                    "hub_id": k.hub_id,
                    "hub_since": self._now if k.hub_id else None,
                    "hub_reason": k.hub_reason,
                }
                for k in keys
            ],
        )

    def update_keys(self, keys: Sequence[KeyWrite]) -> None:
        if not keys:
            return
        self._c.execute(
            update(_keys)
            .where(_keys.c.pseudonym == bindparam("p"))
            .values(
                signals=bindparam("n"),
                cluster_id=bindparam("cid"),
                hub_id=bindparam("hub"),
                hub_since=func.coalesce(_keys.c.hub_since, bindparam("since")),
                hub_reason=bindparam("why"),
            ),
            [
                {
                    "p": k.pseudonym,
                    "n": k.signals,
                    "cid": k.cluster_id,
                    "hub": k.hub_id,
                    "since": self._now if k.became_hub else None,
                    "why": k.hub_reason,
                }
                for k in keys
            ],
        )

    def members(self, cluster_id: int) -> list[int]:
        return list(
            self._c.execute(
                select(_signals.c.id).where(_signals.c.cluster_id == cluster_id)
            ).scalars()
        )

    def member_keys(self, cluster_id: int) -> Iterator[Subject]:
        query = (
            select(_subjects.c.signal_id, _subjects.c.pseudonym, _subjects.c.kind)
            .join(_signals, _signals.c.id == _subjects.c.signal_id)
            .join(_keys, _keys.c.pseudonym == _subjects.c.pseudonym)
            .where(_signals.c.cluster_id == cluster_id, _keys.c.hub_id.is_(None))
        )
        for signal_id, pseudonym, kind in self._c.execute(query):
            yield signal_id, bytes(pseudonym), kind

    def relabel(
        self, cluster_id: int, signal_ids: Sequence[int], pseudonyms: Sequence[bytes]
    ) -> None:
        for chunk in chunks(signal_ids):
            self._c.execute(
                update(_signals).where(_signals.c.id.in_(chunk)).values(cluster_id=cluster_id)
            )
        for keys in chunks(pseudonyms):
            self._c.execute(
                update(_keys).where(_keys.c.pseudonym.in_(keys)).values(cluster_id=cluster_id)
            )

    def refresh_sizes(self, cluster_ids: Sequence[int]) -> None:
        count = (
            select(func.count())
            .select_from(_signals)
            .where(_signals.c.cluster_id == _clusters.c.id)
            .scalar_subquery()
        )
        for chunk in chunks(cluster_ids):
            self._c.execute(
                update(_clusters)
                .where(_clusters.c.id.in_(chunk))
                .values(size=count, updated_at=self._now)
            )

    # -- for the hub rules -----------------------------------------------------------------------

    def marks(self, pseudonyms: Sequence[bytes] | None) -> dict[bytes, str]:
        """The newest entry in force per pseudonym (not withdrawn, not expired). The register
        is small (entries a privacy officer types in, reviews): it is read whole, once per
        transaction, rather than asked about every pseudonym of a batch."""
        if self._marks is None:
            in_force = and_(
                _register.c.withdrawn_at.is_(None),
                or_(_register.c.expires_at.is_(None), _register.c.expires_at > self._now),
            )
            query = (
                select(_register.c.pseudonym, _register.c.mark)
                .where(in_force)
                .order_by(_register.c.registered_at, _register.c.id)
            )
            self._marks = {bytes(p): mark for p, mark in self._c.execute(query)}
        if pseudonyms is None:
            return dict(self._marks)
        return {p: self._marks[p] for p in pseudonyms if p in self._marks}

    def carriers(self, pseudonyms: Sequence[bytes]) -> Iterator[tuple[bytes, Carrier]]:
        """Two reads per chunk: the current carriers of the keys, then every pseudonym those
        signals carry with its hub flag."""
        for chunk in chunks(pseudonyms):
            carried: dict[int, list[bytes]] = {}
            facts: dict[int, tuple[str, datetime]] = {}
            for pseudonym, signal_id, party, observed_at in self._c.execute(
                select(
                    _subjects.c.pseudonym, _signals.c.id, _signals.c.party, _signals.c.observed_at
                )
                .join(_signals, _signals.c.id == _subjects.c.signal_id)
                .where(_subjects.c.pseudonym.in_(chunk), _signals.c.is_current)
            ):
                carried.setdefault(signal_id, []).append(bytes(pseudonym))
                facts[signal_id] = (party, observed_at)
            others: dict[int, list[Other]] = {}
            for ids in chunks(sorted(carried)):
                for signal_id, pseudonym, kind, hub_id in self._c.execute(
                    select(
                        _subjects.c.signal_id,
                        _subjects.c.pseudonym,
                        _subjects.c.kind,
                        _keys.c.hub_id,
                    )
                    .outerjoin(_keys, _keys.c.pseudonym == _subjects.c.pseudonym)
                    .where(_subjects.c.signal_id.in_(ids))
                ):
                    others.setdefault(signal_id, []).append(
                        Other(bytes(pseudonym), kind, hub_id is not None)
                    )
            for signal_id, keys in carried.items():
                party, observed_at = facts[signal_id]
                carrier = Carrier(
                    signal_id, party, as_utc(observed_at), tuple(others.get(signal_id, ()))
                )
                for key in dict.fromkeys(keys):
                    yield key, carrier

    # -- for a rebuild ---------------------------------------------------------------------------

    def current_subjects(self) -> Iterator[Subject]:
        for signal_id, pseudonym, kind in self._c.execute(
            select(_subjects.c.signal_id, _subjects.c.pseudonym, _subjects.c.kind)
            .join(_signals, _signals.c.id == _subjects.c.signal_id)
            .where(_signals.c.is_current)
        ):
            yield signal_id, bytes(pseudonym), kind

    def all_keys(self) -> Iterator[StoredKey]:
        for row in self._c.execute(select(*_KEY_COLUMNS)):
            yield _stored_key(row)

    def delete_keys(self, pseudonyms: Sequence[bytes]) -> None:
        for chunk in chunks(pseudonyms):
            self._c.execute(_keys.delete().where(_keys.c.pseudonym.in_(chunk)))

    def flag_hubs(self, hubs: Sequence[HubFlag]) -> None:
        """A key that already is a hub keeps its id and since; its reason is replaced."""
        if not hubs:
            return
        self._c.execute(
            update(_keys)
            .where(_keys.c.pseudonym == bindparam("p"))
            .values(
                hub_id=func.coalesce(_keys.c.hub_id, bindparam("hub")),
                hub_since=func.coalesce(_keys.c.hub_since, self._now),
                hub_reason=bindparam("why"),
                cluster_id=None,
            ),
            [{"p": h.pseudonym, "hub": h.hub_id, "why": h.reason} for h in hubs],
        )

    def set_counts(self, counts: Sequence[tuple[bytes, int]]) -> None:
        if not counts:
            return
        self._c.execute(
            update(_keys).where(_keys.c.pseudonym == bindparam("p")).values(signals=bindparam("n")),
            [{"p": p, "n": n} for p, n in counts],
        )

    def clusters_of(self, signal_ids: Sequence[int]) -> dict[int, int | None]:
        found: dict[int, int | None] = {}
        for chunk in chunks(signal_ids):
            for signal_id, cluster_id in self._c.execute(
                select(_signals.c.id, _signals.c.cluster_id).where(_signals.c.id.in_(chunk))
            ):
                found[signal_id] = cluster_id
        return found


class SqlLinker(IncrementalLinker):
    """The incremental linker over :class:`SqlLinkStore`: what ingest, retention and a rebuild
    construct, ``SqlLinker(connection, rules, now=now)``. No decision of its own."""

    def __init__(self, connection: Connection, rules: LinkRules, *, now: datetime) -> None:
        super().__init__(SqlLinkStore(connection, now=now), rules)


# A stored key as the linker reads it, in one place for every query that reads keys.
_KEY_COLUMNS = (
    _keys.c.pseudonym,
    _keys.c.kind,
    _keys.c.signals,
    _keys.c.cluster_id,
    _keys.c.hub_id,
    _keys.c.hub_reason,
)


def _stored_key(row: Row[Any, Any, Any, Any, Any, Any]) -> StoredKey:  # Any: _KEY_COLUMNS
    return StoredKey(
        bytes(row.pseudonym), row.kind, row.signals, row.cluster_id, row.hub_id, row.hub_reason
    )
