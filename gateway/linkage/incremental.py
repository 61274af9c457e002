"""Incremental linkage: the merge, split and hub decisions, over a storage interface.

A batch is linked in three steps, all in the caller's transaction:

1. :meth:`IncrementalLinker.unlink`: versions leaving the current set (superseded, expired) leave
   their cluster; their pseudonyms count one signal less and the cluster is marked for a
   re-check, since it may fall apart.
2. :meth:`IncrementalLinker.assign`: before the batch's rows are inserted, their linking
   pseudonyms are looked up; the batch and the clusters it touches are joined in memory
   (union-find), clusters that now belong together are merged into the largest (its signals keep
   their ``cluster_id``; the smaller ones are relabelled), and each new row learns its cluster.
3. :meth:`IncrementalLinker.settle`: after the insert, pseudonym counts are written, pseudonyms
   the rules call a hub (:meth:`LinkRules.is_hub`) are flagged and stop linking, and every
   cluster marked in 1 or by a new hub is re-checked on its own signals and split where it fell
   apart (the largest part keeps the id).

After a change of the link rules, :meth:`IncrementalLinker.rebuild` (``gateway linkage
rebuild``) brings what is stored to them with the same steps: what stops linking leaves and its
clusters split, what starts linking joins its clusters into the largest. After a change in the
register of non-linking pseudonyms (``hub_register``: a privacy officer's entry, the RIEC's
confirmation or overruling of a candidate), :meth:`IncrementalLinker.rejudge` does the same for
the pseudonyms concerned only.

The structural rule (:meth:`LinkRules.hub_reason`, reason ``structuur``) needs a key's carrier
signals: in step 2 the linker reads them (:meth:`LinkStore.carriers`) only for keys this batch
brings a signal and :meth:`LinkRules.needs_structure` names, which the kind's threshold bounds.

Everything the linker reads or writes goes through a :class:`LinkStore` (over SQL in
``gateway.storage.linkage``), which only touches the clusters a batch reaches, never the whole
graph, and which serialises concurrent linkers (:meth:`LinkStore.lock`, taken before anything
else). The decisions are all here: which keys link, when a key becomes a hub, which clusters
merge and which survives, how a cluster splits.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from gateway.linkage.components import DisjointSets
from gateway.linkage.rules import Carrier, CountedKey, LinkRules, Other

Subject = tuple[int, bytes, str]
"""A pseudonym one signal carries: (signal id, pseudonym, kind)."""


class RowSubject(Protocol):
    """A pseudonym on a row about to be inserted (``gateway.signals.service.NewSubject``)."""

    @property
    def kind(self) -> str: ...

    @property
    def pseudonym(self) -> bytes: ...


class NewRow(Protocol):
    """A row about to be inserted, as linkage sees it (``gateway.signals.service.NewSignal``)."""

    @property
    def is_current(self) -> bool: ...

    @property
    def subjects(self) -> Sequence[RowSubject]: ...

    @property
    def observed_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A linking pseudonym as stored."""

    pseudonym: bytes
    kind: str
    signals: int
    """Current signals carrying it."""
    cluster_id: int | None
    """The cluster it ties (None for a hub, or a key no current signal carries)."""
    hub_id: str | None
    """The opaque name of a hub; None while it links."""
    hub_reason: str | None = None
    """Why it is a hub (``gateway.linkage.rules.HUB_REASONS``)."""


@dataclass(frozen=True, slots=True)
class KeyWrite:
    """A linking pseudonym's new state. On insert a hub is flagged since now; on update the time
    it was first flagged stays, and ``became_hub`` sets it if it had none."""

    pseudonym: bytes
    kind: str
    signals: int
    cluster_id: int | None
    hub_id: str | None
    became_hub: bool = False
    hub_reason: str | None = None


@dataclass(frozen=True, slots=True)
class HubFlag:
    """A key that becomes a hub in a rebuild: its opaque name and why."""

    pseudonym: bytes
    hub_id: str
    reason: str


class LinkStore(Protocol):
    """Where linkage lives: clusters, the signals' cluster, linking pseudonyms. Data access only;
    implemented with SQLAlchemy Core in ``gateway.storage.linkage``. Every method runs in the
    linker's transaction and reads only what it is asked for."""

    def lock(self) -> None:
        """Serialise linkers until the transaction ends. Called before any other method."""

    def detach(self, signal_ids: Sequence[int]) -> set[int]:
        """``signal_ids`` leave their clusters (no cluster any more); returns those clusters."""
        ...

    def subjects(self, signal_ids: Sequence[int]) -> Iterable[Subject]:
        """The pseudonyms ``signal_ids`` carry, of every kind."""
        ...

    def load_keys(self, pseudonyms: Sequence[bytes]) -> Iterable[StoredKey]:
        """The stored keys among ``pseudonyms``."""
        ...

    def cluster_sizes(self, cluster_ids: Sequence[int]) -> dict[int, int]:
        """The stored size of each cluster."""
        ...

    def count_members(self, cluster_ids: Sequence[int]) -> dict[int, int]:
        """Members per cluster, counted now (stored sizes lag until :meth:`refresh_sizes`)."""
        ...

    def new_clusters(self, sizes: Sequence[int], *, split_from: int | None = None) -> list[int]:
        """New clusters of ``sizes``, in order; their ids are handed out under the lock."""
        ...

    def absorb(self, survivor: int, absorbed: Sequence[int]) -> None:
        """The signals and keys of ``absorbed`` move to ``survivor``; those clusters end, merged
        into it."""

    def insert_keys(self, keys: Sequence[KeyWrite]) -> None: ...

    def update_keys(self, keys: Sequence[KeyWrite]) -> None: ...

    def members(self, cluster_id: int) -> list[int]:
        """The signals in ``cluster_id``."""
        ...

    def member_keys(self, cluster_id: int) -> Iterable[Subject]:
        """The pseudonyms of the signals in ``cluster_id`` that are stored keys and no hub."""
        ...

    def relabel(
        self, cluster_id: int, signal_ids: Sequence[int], pseudonyms: Sequence[bytes]
    ) -> None:
        """``signal_ids`` and the keys ``pseudonyms`` move to ``cluster_id``."""

    def refresh_sizes(self, cluster_ids: Sequence[int]) -> None:
        """Store each cluster's size as counted now."""

    # -- for the hub rules -----------------------------------------------------------------------

    def marks(self, pseudonyms: Sequence[bytes] | None) -> dict[bytes, str]:
        """The register's word in force on each of ``pseudonyms`` that has one
        (``gateway.linkage.rules.MARKS``); None: on every pseudonym that has one."""
        ...

    def carriers(self, pseudonyms: Sequence[bytes]) -> Iterable[tuple[bytes, Carrier]]:
        """The current signals carrying each of ``pseudonyms``, with their party, observation
        time and other pseudonyms (``hub`` as stored)."""
        ...

    # -- for a rebuild: the whole linkage, once ------------------------------------------------

    def current_subjects(self) -> Iterable[Subject]:
        """The pseudonyms of every current signal."""
        ...

    def all_keys(self) -> Iterable[StoredKey]: ...

    def delete_keys(self, pseudonyms: Sequence[bytes]) -> None: ...

    def flag_hubs(self, hubs: Sequence[HubFlag]) -> None:
        """Each a hub from now on (with its reason), in no cluster."""

    def set_counts(self, counts: Sequence[tuple[bytes, int]]) -> None:
        """Each (pseudonym, current signals carrying it)."""

    def clusters_of(self, signal_ids: Sequence[int]) -> dict[int, int | None]:
        """The cluster of each signal."""
        ...


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


# -- the decisions, as functions ----------------------------------------------------------------


def new_hub_id() -> str:
    """The opaque name of a hub: random, so it says nothing about the pseudonym."""
    return "hub-" + secrets.token_hex(8)


def survivor_of(cluster_ids: Iterable[int], sizes: Mapping[int, int]) -> int:
    """The cluster that carries on when ``cluster_ids`` merge: the largest, then the lowest id."""
    return max(cluster_ids, key=lambda cid: (sizes.get(cid, 0), -cid))


@dataclass(frozen=True, slots=True)
class Part:
    """A connected part of a cluster: its signals and the keys that tie them."""

    signals: list[int]
    keys: list[bytes]


def connected_parts(
    members: Sequence[int], subjects: Iterable[Subject], rules: LinkRules
) -> list[Part]:
    """``members`` as connected parts over the linking keys among ``subjects`` (those of non-hub
    stored keys), largest first; ties by the first member's id as text, the order the gateway
    has always split in. The first part keeps the cluster's id."""
    sets: DisjointSets[tuple[str, int | bytes]] = DisjointSets(("s", m) for m in members)
    for signal_id, pseudonym, kind in subjects:
        if rules.links(kind):
            sets.union(("s", signal_id), ("k", pseudonym))
    parts = [
        Part(
            [v for t, v in group if t == "s" and isinstance(v, int)],
            [v for t, v in group if t == "k" and isinstance(v, bytes)],
        )
        for group in sets.groups()
    ]
    parts.sort(key=lambda part: (-len(part.signals), str(part.signals[0])))
    return parts


@dataclass(slots=True)
class _Key:
    """A linking pseudonym as stored, plus this transaction's change to its count; the
    :class:`~gateway.linkage.rules.KeyFacts` the rules are asked about."""

    pseudonym: bytes
    kind: str
    stored_signals: int = 0
    cluster_id: int | None = None
    hub_id: str | None = None
    stored: bool = False
    delta: int = 0
    became_hub: bool = False
    hub_reason: str | None = None
    mark: str | None = None
    mark_read: bool = False
    carriers: list[Carrier] | None = None

    @property
    def signals(self) -> int:
        """Current signals carrying it, this transaction's changes included."""
        return self.stored_signals + self.delta


class IncrementalLinker:
    """Links one batch; use :meth:`unlink`, then :meth:`assign`, insert, :meth:`settle`."""

    def __init__(self, store: LinkStore, rules: LinkRules) -> None:
        self._store = store
        self._rules = rules
        self._keys: dict[bytes, _Key] = {}
        self._dirty: set[int] = set()
        self.changes = Changes()
        self._locked = False
        self._left: set[int] = set()

    # -- step 1 ----------------------------------------------------------------------------------

    def unlink(self, signal_ids: Sequence[int]) -> None:
        """``signal_ids`` stop being current: out of their clusters, their keys count down."""
        if not signal_ids:
            return
        self._lock()
        ids = list(signal_ids)
        self._left.update(ids)
        clusters = self._store.detach(ids)
        leaving: dict[int, set[bytes]] = {}
        for signal_id, pseudonym, kind in self._store.subjects(ids):
            if self._rules.links(kind):
                leaving.setdefault(signal_id, set()).add(pseudonym)
        self._load_keys({p for ps in leaving.values() for p in ps}, kinds={})
        for pseudonyms in leaving.values():
            for p in pseudonyms:
                if p in self._keys and self._keys[p].stored:
                    self._keys[p].delta -= 1
        self._dirty |= clusters
        self.changes.touched |= clusters

    # -- step 2 ----------------------------------------------------------------------------------

    def assign(self, rows: Sequence[NewRow], *, party: str = "") -> list[int | None]:
        """The cluster of each row (None for rows inserted as already superseded); ``party``
        supplied the rows (the structural rule counts partners)."""
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
        tie = {p: k.cluster_id if k.signals > 0 else None for p, k in self._keys.items()}
        for mine in linking:
            for p in mine:
                self._keys[p].delta += 1
        self._load_marks()
        for key in self._keys.values():
            if key.hub_id is None:
                self._judge(key)
        self._judge_structure(rows, linking, party)

        # Nodes: a row ("s", position), a key ("k", pseudonym), a stored cluster ("c", id).
        sets: DisjointSets[tuple[str, int | bytes]] = DisjointSets()
        for position, (row, mine) in enumerate(zip(rows, linking, strict=True)):
            if not row.is_current:
                continue
            node: tuple[str, int | bytes] = ("s", position)
            sets.add(node)
            for p in mine:
                if self._keys[p].hub_id is not None:
                    continue
                sets.union(node, ("k", p))
                stored_cluster = tie.get(p)
                if stored_cluster is not None:
                    sets.union(node, ("c", stored_cluster))

        groups = sets.groups()
        olds_of = [[v for t, v in g if t == "c" and isinstance(v, int)] for g in groups]
        sizes = self._store.cluster_sizes(sorted({cid for olds in olds_of for cid in olds}))
        fresh = [g for g, olds in zip(groups, olds_of, strict=True) if not olds]
        fresh_positions = [[v for t, v in g if t == "s" and isinstance(v, int)] for g in fresh]
        new_ids = self._store.new_clusters([len(p) for p in fresh_positions])
        cluster_of: dict[tuple[str, int | bytes], int] = {}
        for group, positions, new_id in zip(fresh, fresh_positions, new_ids, strict=True):
            self.changes.fresh[new_id] = positions
            for member in group:
                cluster_of[member] = new_id
        for group, olds in zip(groups, olds_of, strict=True):
            if not olds:
                continue
            survivor = survivor_of(olds, sizes)
            self._merge(survivor, [cid for cid in olds if cid != survivor])
            for member in group:
                cluster_of[member] = survivor
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

    def _judge(self, key: _Key) -> None:
        reason = self._rules.hub_reason(key)
        if reason is None:
            return
        key.hub_id = new_hub_id()
        key.hub_reason = reason
        key.became_hub = True
        self.changes.new_hubs += 1
        if key.cluster_id is not None:
            self._dirty.add(key.cluster_id)
        key.cluster_id = None

    def _judge_structure(
        self, rows: Sequence[NewRow], linking: Sequence[list[bytes]], party: str
    ) -> None:
        """The structural rule on the keys this batch brings a signal, where the rules ask for
        it: their stored carriers (read once for all of them) and the batch's own rows."""
        brought = {p for mine in linking for p in mine}
        wanted = sorted(
            p
            for p in brought
            if self._keys[p].hub_id is None and self._rules.needs_structure(self._keys[p])
        )
        if not wanted:
            return
        found: dict[bytes, list[Carrier]] = {p: [] for p in wanted}
        for p, carrier in self._store.carriers(wanted):
            if carrier.signal_id not in self._left:
                found[p].append(self._as_now(carrier))
        for position, (row, mine) in enumerate(zip(rows, linking, strict=True)):
            if not row.is_current:
                continue
            others = tuple(
                Other(s.pseudonym, s.kind, self._hub_now(s.pseudonym)) for s in row.subjects
            )
            for p in mine:
                if p in found:
                    found[p].append(Carrier(-1 - position, party, row.observed_at, others))
        for p in wanted:
            key = self._keys[p]
            key.carriers = found[p]
            self._judge(key)
            key.carriers = None

    def _hub_now(self, pseudonym: bytes) -> bool:
        key = self._keys.get(pseudonym)
        return key is not None and key.hub_id is not None

    def _as_now(self, carrier: Carrier) -> Carrier:
        """``carrier`` with the hub flags of this transaction's keys."""
        if not any(o.pseudonym in self._keys for o in carrier.others):
            return carrier
        others = tuple(
            replace(o, hub=self._hub_now(o.pseudonym)) if o.pseudonym in self._keys else o
            for o in carrier.others
        )
        return replace(carrier, others=others)

    def _load_marks(self) -> None:
        """The register's word on this transaction's keys (read once)."""
        unread = sorted(p for p, k in self._keys.items() if not k.mark_read)
        if not unread:
            return
        marks = self._store.marks(unread)
        for p in unread:
            self._keys[p].mark = marks.get(p)
            self._keys[p].mark_read = True

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
        if stale:
            self._store.refresh_sizes(stale)
        return self.changes

    # -- after a change of rules ------------------------------------------------------------------

    def rebuild(self) -> Changes:
        """Bring every link to the current rules over the current signals, as if each had been
        linked under them: after a privacy officer changes ``link_kinds`` or ``hub_threshold``,
        or to let a hub that retention has thinned out link again.

        Two steps with the machinery of ordinary batches, so that hits keep their ids the same
        way: first what stops linking (a kind no longer linked, a pseudonym now a hub) leaves,
        and the clusters it held are re-checked and split where they fell apart (the largest
        part keeps the id); then what starts linking (a kind newly linked, a hub no longer one)
        joins the clusters of its signals into the largest.
        """
        self._lock()
        store, rules = self._store, self._rules
        carriers: dict[bytes, set[int]] = {}
        kinds: dict[bytes, str] = {}
        for signal_id, pseudonym, kind in store.current_subjects():
            if rules.links(kind):
                carriers.setdefault(pseudonym, set()).add(signal_id)
                kinds[pseudonym] = kind
        marks = {p: m for p, m in store.marks(None).items() if p in carriers}
        reason_now = {
            p: rules.hub_reason(CountedKey(p, kinds[p], len(s), marks.get(p)))
            for p, s in carriers.items()
        }
        # The structural rule last, over the hubs the other rules name (evaluated once).
        shaped = sorted(
            p
            for p, reason in reason_now.items()
            if reason is None
            and rules.needs_structure(CountedKey(p, kinds[p], len(carriers[p]), marks.get(p)))
        )
        if shaped:
            found: dict[bytes, list[Carrier]] = {p: [] for p in shaped}
            for p, carrier in store.carriers(shaped):
                others = tuple(
                    replace(o, hub=reason_now.get(o.pseudonym) is not None) for o in carrier.others
                )
                found[p].append(replace(carrier, others=others))
            for p in shaped:
                facts = CountedKey(p, kinds[p], len(carriers[p]), marks.get(p), found[p])
                reason_now[p] = rules.hub_reason(facts)
        hub_now = {p: reason is not None for p, reason in reason_now.items()}
        stored = {key.pseudonym: key for key in store.all_keys()}
        # 1. What stops linking leaves; its clusters are re-checked.
        dirty: set[int] = set()
        gone = [p for p in stored if p not in carriers]
        for p in gone:
            cid = stored[p].cluster_id
            if cid is not None:
                dirty.add(cid)
        store.delete_keys(gone)
        hubs = [
            p for p, key in stored.items() if p in carriers and hub_now[p] and key.hub_id is None
        ]
        for p in hubs:
            cid = stored[p].cluster_id
            if cid is not None:
                dirty.add(cid)
        reasoned = [
            HubFlag(p, key.hub_id, reason)
            for p, key in stored.items()
            if key.hub_id is not None
            and (reason := reason_now.get(p)) is not None
            and key.hub_reason != reason
        ]
        store.flag_hubs([HubFlag(p, new_hub_id(), reason_now[p] or "") for p in hubs] + reasoned)
        self.changes.new_hubs += len(hubs)
        for cid in sorted(dirty):
            self._recheck(cid)
        self.changes.touched |= dirty
        # 2. What starts linking joins the clusters of its signals.
        joining = {
            p: carriers[p]
            for p in carriers
            if not hub_now[p] and (p not in stored or stored[p].hub_id is not None)
        }
        cluster_by_key = self._join(joining)
        rejoined: list[KeyWrite] = []
        added: list[KeyWrite] = []
        for p, cid in cluster_by_key.items():
            key = KeyWrite(p, kinds[p], len(carriers[p]), cid, None)
            (rejoined if p in stored else added).append(key)
        # A pseudonym of a newly linked kind that is already a hub is one at once.
        born_hubs = [p for p in carriers if p not in stored and hub_now[p]]
        added += [
            KeyWrite(p, kinds[p], len(carriers[p]), None, new_hub_id(), hub_reason=reason_now[p])
            for p in born_hubs
        ]
        store.update_keys(rejoined)
        store.insert_keys(added)
        self.changes.new_hubs += len(born_hubs)
        # Counts of the keys that stay as they were, recomputed over the current signals.
        store.set_counts(
            [
                (p, len(carriers[p]))
                for p, key in stored.items()
                if p in carriers and p not in cluster_by_key and key.signals != len(carriers[p])
            ]
        )
        return self.settle()

    def rejudge(self, pseudonyms: Sequence[bytes]) -> Changes:
        """Ask the hub rule anew about ``pseudonyms`` alone, after the register changed (an
        entry made or withdrawn, a candidate confirmed or overruled), and bring their links to
        the answer as a rebuild does: a new hub leaves and its cluster splits where it falls
        apart; a hub that links again joins the clusters of its signals into the largest."""
        self._lock()
        store, rules = self._store, self._rules
        wanted = sorted(set(pseudonyms))
        stored = {key.pseudonym: key for key in store.load_keys(wanted)}
        marks = store.marks(wanted)
        found: dict[bytes, list[Carrier]] = {p: [] for p in stored}
        for p, carrier in store.carriers(sorted(stored)):
            if p in found:
                found[p].append(carrier)
        flags: list[HubFlag] = []
        dirty: set[int] = set()
        joining: dict[bytes, set[int]] = {}
        for p, key in stored.items():
            carried = found[p]
            if not carried or not rules.links(key.kind):
                continue
            reason = rules.hub_reason(CountedKey(p, key.kind, len(carried), marks.get(p), carried))
            if reason is not None and key.hub_id is None:
                flags.append(HubFlag(p, new_hub_id(), reason))
                self.changes.new_hubs += 1
                if key.cluster_id is not None:
                    dirty.add(key.cluster_id)
            elif reason is not None and key.hub_id is not None and key.hub_reason != reason:
                flags.append(HubFlag(p, key.hub_id, reason))
            elif reason is None and key.hub_id is not None:
                joining[p] = {c.signal_id for c in carried}
        store.flag_hubs(flags)
        for cid in sorted(dirty):
            self._recheck(cid)
        self.changes.touched |= dirty
        cluster_by_key = self._join(joining)
        store.update_keys(
            [
                KeyWrite(p, stored[p].kind, len(joining[p]), cid, None)
                for p, cid in cluster_by_key.items()
            ]
        )
        return self.settle()

    def _join(self, joining: Mapping[bytes, set[int]]) -> dict[bytes, int]:
        """Keys that start linking, with their carriers: the clusters of each key's carriers
        merge into the largest; returns the cluster each key ties."""
        store = self._store
        cluster_of = store.clusters_of(sorted({s for ids in joining.values() for s in ids}))
        # Every current signal is in a cluster; a row without one (written around the linker)
        # is left as it is rather than guessed at.
        clusters_by_key: dict[bytes, list[int]] = {}
        for p, ids in joining.items():
            found = sorted({c for s in ids if (c := cluster_of.get(s)) is not None})
            if found:
                clusters_by_key[p] = found
        sets: DisjointSets[int] = DisjointSets()
        for clusters in clusters_by_key.values():
            sets.add(clusters[0])
            for other in clusters[1:]:
                sets.union(clusters[0], other)
        survivors: dict[int, int] = {}
        for group in sets.groups():
            sizes = store.count_members(sorted(group)) if len(group) > 1 else {}
            survivor = survivor_of(group, sizes)
            if len(group) > 1:  # a key within one cluster changes nobody's cluster
                self._merge(survivor, [cid for cid in group if cid != survivor])
                self.changes.touched.add(survivor)
            survivors.update({cid: survivor for cid in group})
        return {p: survivors[clusters[0]] for p, clusters in clusters_by_key.items()}

    # -- helpers ---------------------------------------------------------------------------------

    def _lock(self) -> None:
        if not self._locked:
            self._store.lock()
        self._locked = True

    def _load_keys(self, pseudonyms: set[bytes], *, kinds: Mapping[bytes, str]) -> None:
        wanted = sorted(p for p in pseudonyms if p not in self._keys)
        if not wanted:
            return
        for key in self._store.load_keys(wanted):
            self._keys[key.pseudonym] = _Key(
                key.pseudonym,
                key.kind,
                key.signals,
                key.cluster_id,
                key.hub_id,
                stored=True,
                hub_reason=key.hub_reason,
            )
        for p in wanted:
            if p not in self._keys and p in kinds:
                self._keys[p] = _Key(p, kinds[p])

    def _merge(self, survivor: int, absorbed: list[int]) -> None:
        if not absorbed:
            return
        self._store.absorb(survivor, absorbed)
        for cid in absorbed:
            self.changes.merged[cid] = survivor
        for key in self._keys.values():
            if key.cluster_id in absorbed:
                key.cluster_id = survivor
        self._dirty = {survivor if c in absorbed else c for c in self._dirty}

    def _write_keys(self) -> None:
        """The keys this transaction loaded or made, with their new counts (nothing is written,
        so nothing needs the lock, when a settle follows no unlink and no assign)."""
        new = [
            KeyWrite(p, k.kind, k.signals, k.cluster_id, k.hub_id, hub_reason=k.hub_reason)
            for p, k in self._keys.items()
            if not k.stored and k.signals > 0
        ]
        changed = [
            KeyWrite(
                p,
                k.kind,
                k.signals,
                k.cluster_id if k.signals > 0 else None,
                k.hub_id,
                became_hub=k.became_hub,
                hub_reason=k.hub_reason,
            )
            for p, k in self._keys.items()
            if k.stored
        ]
        if new:
            self._store.insert_keys(new)
        if changed:
            self._store.update_keys(changed)

    def _recheck(self, cluster_id: int) -> None:
        """Split ``cluster_id`` into its connected parts, if it no longer is one."""
        members = self._store.members(cluster_id)
        if not members:
            return
        parts = connected_parts(members, self._store.member_keys(cluster_id), self._rules)
        if len(parts) <= 1:
            return
        new_ids = self._store.new_clusters([0] * (len(parts) - 1), split_from=cluster_id)
        for part, new_id in zip(parts[1:], new_ids, strict=True):
            self._store.relabel(new_id, part.signals, part.keys)
            self.changes.touched.add(new_id)
            self.changes.split_from[new_id] = cluster_id
        self.changes.touched.add(cluster_id)
