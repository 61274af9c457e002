"""Incremental linkage in the ingest transaction, over SQLAlchemy Core.

A batch is linked in three steps, all in the caller's transaction:

1. :meth:`SqlLinker.unlink`: versions leaving the current set (superseded, expired) leave their
   cluster; their pseudonyms count one signal less and the cluster is marked for a re-check,
   since it may fall apart.
2. :meth:`SqlLinker.assign`: before the batch's rows are inserted, their linking pseudonyms are
   looked up; the batch and the clusters it touches are joined in memory (union-find), clusters
   that now belong together are merged into the largest (its signals keep their ``cluster_id``;
   the smaller ones are relabelled), and each new row learns its cluster.
3. :meth:`SqlLinker.settle`: after the insert, pseudonym counts are written, pseudonyms past the
   hub threshold are flagged and stop linking, and every cluster marked in 1 or by a new hub is
   re-checked on its own signals and split where it fell apart (the largest part keeps the id).

After a change of the link rules, :meth:`SqlLinker.rebuild` (``gateway linkage rebuild``) brings
what is stored to them with the same steps: what stops linking leaves and its clusters split,
what starts linking joins its clusters into the largest.

Only the clusters a batch touches are read, never the whole graph. Concurrent batches are
serialised on PostgreSQL by a transaction-scoped advisory lock taken in step 1 or 2 (SQLite's
``BEGIN IMMEDIATE`` already serialises writers), so two batches can never merge the same clusters
in opposite directions. The lock is taken before the audit head's row lock, in every path.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, insert, select, update

from gateway.linkage.components import DisjointSets
from gateway.linkage.rules import LinkRules
from gateway.signals.service import NewSignal
from gateway.storage.tables import ClusterRow, LinkKeyRow, SignalRow, SubjectRow

_signals = SignalRow.__table__
_subjects = SubjectRow.__table__
_clusters = ClusterRow.__table__
_keys = LinkKeyRow.__table__
_IN_CHUNK = 500
_LOCK_ID = 0x6C696E6B  # "link": the advisory lock key of linkage on PostgreSQL


def chunks(values: Sequence, size: int = _IN_CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass
class _Key:
    """A linking pseudonym as stored, plus this transaction's change to its count."""

    kind: str
    signals: int = 0
    cluster_id: int | None = None
    hub_id: str | None = None
    stored: bool = False
    delta: int = 0
    became_hub: bool = False

    @property
    def count(self) -> int:
        return self.signals + self.delta


@dataclass
class Changes:
    """What a batch did to the clusters, for the hit evaluation that follows."""

    touched: set[int] = field(default_factory=set)
    """Clusters whose membership changed (including new ones and the parts of a split)."""
    merged: dict[int, int] = field(default_factory=dict)
    """Absorbed cluster -> the cluster it went into."""
    split_from: dict[int, int] = field(default_factory=dict)
    """A part split off -> the cluster it left."""
    fresh: dict[int, list[int]] = field(default_factory=dict)
    """A cluster made of this batch's rows alone -> their positions in the batch."""
    new_hubs: int = 0

    def survivor(self, cluster_id: int) -> int:
        while cluster_id in self.merged:
            cluster_id = self.merged[cluster_id]
        return cluster_id


class SqlLinker:
    """Links one batch; use :meth:`unlink`, then :meth:`assign`, insert, :meth:`settle`."""

    def __init__(self, connection: Connection, rules: LinkRules, *, now: datetime) -> None:
        self._c = connection
        self._rules = rules
        self._now = now
        self._keys: dict[bytes, _Key] = {}
        self._dirty: set[int] = set()
        self._pending: list[tuple[int, list[bytes]]] = []
        self.changes = Changes()
        self._locked = False
        self._next_id: int | None = None

    # -- step 1 ----------------------------------------------------------------------------------

    def unlink(self, signal_ids: Sequence[int]) -> None:
        """``signal_ids`` stop being current: out of their clusters, their keys count down."""
        if not signal_ids:
            return
        self._lock()
        ids = list(signal_ids)
        clusters: set[int] = set()
        for chunk in chunks(ids):
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
        leaving: dict[int, set[bytes]] = {}
        for chunk in chunks(ids):
            for signal_id, pseudonym, kind in self._c.execute(
                select(_subjects.c.signal_id, _subjects.c.pseudonym, _subjects.c.kind).where(
                    _subjects.c.signal_id.in_(chunk)
                )
            ):
                if self._rules.links(kind):
                    leaving.setdefault(signal_id, set()).add(bytes(pseudonym))
        self._load_keys({p for ps in leaving.values() for p in ps}, kinds={})
        for pseudonyms in leaving.values():
            for p in pseudonyms:
                if p in self._keys and self._keys[p].stored:
                    self._keys[p].delta -= 1
        self._dirty |= clusters
        self.changes.touched |= clusters

    # -- step 2 ----------------------------------------------------------------------------------

    def assign(self, rows: Sequence[NewSignal]) -> list[int | None]:
        """The cluster of each row (None for rows inserted as already superseded)."""
        self._lock()
        linking: list[list[bytes]] = []
        kinds: dict[bytes, str] = {}
        for row in rows:
            mine: list[bytes] = []
            if row.is_current:
                for subject in row.subjects:
                    if self._rules.links(subject.kind) and subject.pseudonym not in mine:
                        mine.append(subject.pseudonym)
                        kinds[subject.pseudonym] = subject.kind
            linking.append(mine)
        self._load_keys(set(kinds), kinds=kinds)
        # A key's stored cluster still holds when some current signal carries it after step 1.
        tie = {p: k.cluster_id if k.count > 0 else None for p, k in self._keys.items()}
        for mine in linking:
            for p in mine:
                self._keys[p].delta += 1
        threshold = self._rules.hub_threshold
        for key in self._keys.values():
            if key.hub_id is None and key.count > threshold:
                key.hub_id = _hub_id()
                key.became_hub = True
                self.changes.new_hubs += 1
                if key.cluster_id is not None:
                    self._dirty.add(key.cluster_id)
                key.cluster_id = None

        sets: DisjointSets[tuple[str, object]] = DisjointSets()
        for position, (row, mine) in enumerate(zip(rows, linking, strict=True)):
            if not row.is_current:
                continue
            node = ("s", position)
            sets.add(node)
            for p in mine:
                key = self._keys[p]
                if key.hub_id is not None:
                    continue
                sets.union(node, ("k", p))
                if tie.get(p) is not None:
                    sets.union(node, ("c", tie[p]))

        groups = sets.groups()
        existing = sorted({cid for g in groups for (tag, cid) in g if tag == "c"})
        sizes = self._sizes(existing)
        fresh = [g for g in groups if not any(tag == "c" for tag, _ in g)]
        fresh_positions = [[int(v) for t, v in g if t == "s"] for g in fresh]  # type: ignore[call-overload]
        new_ids = self._new_clusters([len(p) for p in fresh_positions])
        cluster_of: dict[tuple[str, object], int] = {}
        for group, positions, new_id in zip(fresh, fresh_positions, new_ids, strict=True):
            self.changes.fresh[new_id] = positions
            for node in group:
                cluster_of[node] = new_id
        for group in groups:
            olds = [int(cid) for tag, cid in group if tag == "c"]  # type: ignore[call-overload]
            if not olds:
                continue
            survivor = max(olds, key=lambda cid: (sizes.get(cid, 0), -cid))
            self._merge(survivor, [cid for cid in olds if cid != survivor])
            for node in group:
                cluster_of[node] = survivor
        assigned: list[int | None] = []
        for position, (row, mine) in enumerate(zip(rows, linking, strict=True)):
            if not row.is_current:
                assigned.append(None)
                continue
            cid = cluster_of[("s", position)]
            assigned.append(cid)
            self.changes.touched.add(cid)
            for p in mine:
                if self._keys[p].hub_id is None:
                    self._keys[p].cluster_id = cid
        return assigned

    # -- step 3 ----------------------------------------------------------------------------------

    def settle(self) -> Changes:
        """Write the keys, split what fell apart, refresh sizes; returns what changed."""
        self._write_keys()
        for cid in sorted({self.changes.survivor(c) for c in self._dirty}):
            self._recheck(cid)
        touched = sorted({self.changes.survivor(c) for c in self.changes.touched})
        self.changes.touched = set(touched) | set(self.changes.merged)
        # A cluster made by this batch alone was written with its size.
        stale = [c for c in touched if c not in self.changes.fresh]
        for chunk in chunks(stale):
            count = (
                select(func.count())
                .select_from(_signals)
                .where(_signals.c.cluster_id == _clusters.c.id)
                .scalar_subquery()
            )
            self._c.execute(
                update(_clusters)
                .where(_clusters.c.id.in_(chunk))
                .values(size=count, updated_at=self._now)
            )
        return self.changes

    # -- after a change of rules ------------------------------------------------------------------

    def rebuild(self) -> Changes:
        """Bring every link to the current rules over the current signals, as if each had been
        linked under them: after a privacy officer changes ``link_kinds`` or ``hub_threshold``,
        or to let a hub that retention has thinned out link again.

        Two steps with the machinery of ordinary batches, so that hits keep their ids the same
        way: first what stops linking (a kind no longer linked, a pseudonym now past the
        threshold) leaves, and the clusters it held are re-checked and split where they fell
        apart (the largest part keeps the id); then what starts linking (a kind newly linked, a
        hub now under the threshold) joins the clusters of its signals into the largest.
        """
        self._lock()
        carriers: dict[bytes, set[int]] = {}
        kinds: dict[bytes, str] = {}
        for signal_id, pseudonym, kind in self._c.execute(
            select(_subjects.c.signal_id, _subjects.c.pseudonym, _subjects.c.kind)
            .join(_signals, _signals.c.id == _subjects.c.signal_id)
            .where(_signals.c.is_current)
        ):
            if self._rules.links(kind):
                carriers.setdefault(bytes(pseudonym), set()).add(signal_id)
                kinds[bytes(pseudonym)] = kind
        threshold = self._rules.hub_threshold
        stored = {
            bytes(row.pseudonym): row
            for row in self._c.execute(
                select(_keys.c.pseudonym, _keys.c.cluster_id, _keys.c.hub_id, _keys.c.signals)
            )
        }
        # 1. What stops linking leaves; its clusters are re-checked.
        dirty: set[int] = set()
        gone = [p for p in stored if p not in carriers]
        for p in gone:
            if stored[p].cluster_id is not None:
                dirty.add(stored[p].cluster_id)
        for chunk in chunks(gone):
            self._c.execute(_keys.delete().where(_keys.c.pseudonym.in_(chunk)))
        hubs = [
            p
            for p, row in stored.items()
            if p in carriers and len(carriers[p]) > threshold and row.hub_id is None
        ]
        for p in hubs:
            if stored[p].cluster_id is not None:
                dirty.add(stored[p].cluster_id)
            self._c.execute(
                update(_keys)
                .where(_keys.c.pseudonym == p)
                .values(hub_id=_hub_id(), hub_since=self._now, cluster_id=None)
            )
        self.changes.new_hubs += len(hubs)
        for cid in sorted(dirty):
            self._recheck(cid)
        self.changes.touched |= dirty
        # 2. What starts linking joins the clusters of its signals.
        joining = [
            p
            for p in carriers
            if len(carriers[p]) <= threshold and (p not in stored or stored[p].hub_id is not None)
        ]
        cluster_of: dict[int, int] = {}
        wanted = sorted({s for p in joining for s in carriers[p]})
        for chunk in chunks(wanted):
            cluster_of.update(
                self._c.execute(
                    select(_signals.c.id, _signals.c.cluster_id).where(_signals.c.id.in_(chunk))
                ).all()
            )
        sets: DisjointSets[int] = DisjointSets()
        # Every current signal is in a cluster; a row without one (written around the linker)
        # is left as it is rather than guessed at.
        joining = [p for p in joining if any(cluster_of.get(s) is not None for s in carriers[p])]
        for p in joining:
            clusters = sorted({cluster_of[s] for s in carriers[p]} - {None})
            sets.add(clusters[0])
            for other in clusters[1:]:
                sets.union(clusters[0], other)
        survivor_of: dict[int, int] = {}
        for group in sets.groups():
            sizes = self._counted(sorted(group)) if len(group) > 1 else {}
            survivor = max(group, key=lambda cid: (sizes.get(cid, 0), -cid))
            if len(group) > 1:  # a key within one cluster changes nobody's cluster
                self._merge(survivor, [cid for cid in group if cid != survivor])
                self.changes.touched.add(survivor)
            survivor_of.update({cid: survivor for cid in group})
        for p in joining:
            owner = survivor_of[min({cluster_of[s] for s in carriers[p]} - {None})]
            values = {"signals": len(carriers[p]), "cluster_id": owner, "hub_id": None}
            if p in stored:
                self._c.execute(update(_keys).where(_keys.c.pseudonym == p).values(**values))
            else:
                self._c.execute(insert(_keys).values(pseudonym=p, kind=kinds[p], **values))
        # A pseudonym of a newly linked kind that is already past the threshold is a hub at once.
        born_hubs = [p for p in carriers if p not in stored and len(carriers[p]) > threshold]
        for p in born_hubs:
            self._c.execute(
                insert(_keys).values(
                    pseudonym=p,
                    kind=kinds[p],
                    signals=len(carriers[p]),
                    cluster_id=None,
                    hub_id=_hub_id(),
                    hub_since=self._now,
                )
            )
        self.changes.new_hubs += len(born_hubs)
        # Counts of the keys that stay as they were, recomputed over the current signals.
        for p, row in stored.items():
            if p in carriers and p not in joining and row.signals != len(carriers[p]):
                self._c.execute(
                    update(_keys).where(_keys.c.pseudonym == p).values(signals=len(carriers[p]))
                )
        return self.settle()

    def _counted(self, cluster_ids: Sequence[int]) -> dict[int, int]:
        """Current members per cluster, counted (stored sizes may lag inside a rebuild)."""
        counted: dict[int, int] = {}
        for chunk in chunks(cluster_ids):
            counted.update(
                self._c.execute(
                    select(_signals.c.cluster_id, func.count())
                    .where(_signals.c.cluster_id.in_(chunk))
                    .group_by(_signals.c.cluster_id)
                ).all()
            )
        return counted

    # -- helpers ---------------------------------------------------------------------------------

    def _lock(self) -> None:
        if not self._locked and self._c.dialect.name == "postgresql":
            self._c.execute(select(func.pg_advisory_xact_lock(_LOCK_ID)))
        self._locked = True

    def _load_keys(self, pseudonyms: set[bytes], *, kinds: dict[bytes, str]) -> None:
        wanted = sorted(p for p in pseudonyms if p not in self._keys)
        for chunk in chunks(wanted):
            for row in self._c.execute(
                select(
                    _keys.c.pseudonym,
                    _keys.c.kind,
                    _keys.c.signals,
                    _keys.c.cluster_id,
                    _keys.c.hub_id,
                ).where(_keys.c.pseudonym.in_(chunk))
            ):
                self._keys[bytes(row.pseudonym)] = _Key(
                    row.kind, row.signals, row.cluster_id, row.hub_id, stored=True
                )
        for p in wanted:
            if p not in self._keys and p in kinds:
                self._keys[p] = _Key(kinds[p])

    def _sizes(self, cluster_ids: Sequence[int]) -> dict[int, int]:
        sizes: dict[int, int] = {}
        for chunk in chunks(cluster_ids):
            for cid, size in self._c.execute(
                select(_clusters.c.id, _clusters.c.size).where(_clusters.c.id.in_(chunk))
            ):
                sizes[cid] = size
        return sizes

    def _new_clusters(self, sizes: Sequence[int], *, split_from: int | None = None) -> list[int]:
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

    def _merge(self, survivor: int, absorbed: list[int]) -> None:
        if not absorbed:
            return
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
        for cid in absorbed:
            self.changes.merged[cid] = survivor
        for key in self._keys.values():
            if key.cluster_id in absorbed:
                key.cluster_id = survivor
        self._dirty = {survivor if c in absorbed else c for c in self._dirty}

    def _write_keys(self) -> None:
        new = [
            {
                "pseudonym": p,
                "kind": k.kind,
                "signals": k.count,
                "cluster_id": k.cluster_id,
                "hub_id": k.hub_id,
                "hub_since": self._now if k.hub_id else None,
            }
            for p, k in self._keys.items()
            if not k.stored and k.count > 0
        ]
        if new:
            self._c.execute(insert(_keys), new)
        changed = [
            {
                "p": p,
                "n": k.count,
                "cid": k.cluster_id if k.count > 0 else None,
                "hub": k.hub_id,
                "since": self._now if k.became_hub else None,
            }
            for p, k in self._keys.items()
            if k.stored
        ]
        if changed:
            self._c.execute(
                update(_keys)
                .where(_keys.c.pseudonym == bindparam("p"))
                .values(
                    signals=bindparam("n"),
                    cluster_id=bindparam("cid"),
                    hub_id=bindparam("hub"),
                    hub_since=func.coalesce(_keys.c.hub_since, bindparam("since")),
                ),
                changed,
            )

    def _recheck(self, cluster_id: int) -> None:
        """Split ``cluster_id`` into its connected parts, if it no longer is one."""
        members = list(
            self._c.execute(
                select(_signals.c.id).where(_signals.c.cluster_id == cluster_id)
            ).scalars()
        )
        if not members:
            return
        sets: DisjointSets[tuple[str, object]] = DisjointSets(("s", m) for m in members)
        query = (
            select(_subjects.c.signal_id, _subjects.c.pseudonym, _subjects.c.kind)
            .join(_signals, _signals.c.id == _subjects.c.signal_id)
            .join(_keys, _keys.c.pseudonym == _subjects.c.pseudonym)
            .where(_signals.c.cluster_id == cluster_id, _keys.c.hub_id.is_(None))
        )
        key_nodes: dict[tuple[str, object], bytes] = {}
        for signal_id, pseudonym, kind in self._c.execute(query):
            if self._rules.links(kind):
                node = ("k", bytes(pseudonym))
                key_nodes[node] = bytes(pseudonym)
                sets.union(("s", signal_id), node)
        groups = sorted(sets.groups(), key=lambda g: (-sum(1 for t, _ in g if t == "s"), str(g[0])))
        if len(groups) <= 1:
            return
        new_ids = self._new_clusters([0] * (len(groups) - 1), split_from=cluster_id)
        for group, new_id in zip(groups[1:], new_ids, strict=True):
            signal_ids = [int(v) for t, v in group if t == "s"]  # type: ignore[call-overload]
            pseudonyms = [key_nodes[n] for n in group if n[0] == "k"]
            for chunk in chunks(signal_ids):
                self._c.execute(
                    update(_signals).where(_signals.c.id.in_(chunk)).values(cluster_id=new_id)
                )
            for chunk in chunks(pseudonyms):
                self._c.execute(
                    update(_keys).where(_keys.c.pseudonym.in_(chunk)).values(cluster_id=new_id)
                )
            self.changes.touched.add(new_id)
            self.changes.split_from[new_id] = cluster_id
        self.changes.touched.add(cluster_id)


def _hub_id() -> str:
    """The opaque name of a hub: random, so it says nothing about the pseudonym."""
    return "hub-" + secrets.token_hex(8)
