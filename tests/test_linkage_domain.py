"""The incremental linkage algorithm on its own (``gateway.linkage.incremental``), no database.

A fake :class:`LinkStore` keeps the tables in dictionaries and notes every call, so that the
tests can see both the outcome (clusters are the connected components, the largest survives a
merge and keeps its id in a split, hubs stop linking) and the manner (the lock comes first, only
the clusters a batch touches are read). ``tests/test_linkage.py`` runs the same linker over SQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.linkage.incremental import (
    Changes,
    HubFlag,
    IncrementalLinker,
    KeyWrite,
    Part,
    StoredKey,
    Subject,
    connected_parts,
    survivor_of,
)
from gateway.linkage.rules import Carrier, CountedKey, KeyFacts, LinkRules, Other

RULES = LinkRules(frozenset({"bsn", "adres"}), hub_threshold=3)
KINDS = ("bsn", "adres", "telefoon")  # telefoon does not link under RULES


def key(kind: str, number: int) -> bytes:
    return f"{kind}-{number}".encode()


# -- a fake store -------------------------------------------------------------------------------


@dataclass
class Cluster:
    size: int
    merged_into: int | None = None
    split_from: int | None = None


@dataclass
class Key:
    kind: str
    signals: int
    cluster_id: int | None
    hub_id: str | None
    hub_since: bool = False
    hub_reason: str | None = None


@dataclass(frozen=True)
class Sub:
    kind: str
    pseudonym: bytes


@dataclass(frozen=True)
class Row:
    is_current: bool
    subjects: tuple[Sub, ...]
    observed_at: datetime = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class FakeStore:
    """The linkage tables in memory, with a log of calls: (method, what it was asked about)."""

    cluster_of: dict[int, int | None] = field(default_factory=dict)
    current: set[int] = field(default_factory=set)
    carried: dict[int, list[tuple[bytes, str]]] = field(default_factory=dict)
    clusters: dict[int, Cluster] = field(default_factory=dict)
    keys: dict[bytes, Key] = field(default_factory=dict)
    party_of: dict[int, str] = field(default_factory=dict)
    observed: dict[int, datetime] = field(default_factory=dict)
    register: dict[bytes, str] = field(default_factory=dict)
    calls: list[tuple[str, object]] = field(default_factory=list)
    locked: bool = False

    def _note(self, method: str, about: object = None) -> None:
        assert method == "lock" or self.locked, f"{method} before the lock"
        self.calls.append((method, about))

    # LinkStore

    def lock(self) -> None:
        self.locked = True
        self._note("lock")

    def detach(self, signal_ids: Sequence[int]) -> set[int]:
        self._note("detach", list(signal_ids))
        found = {c for s in signal_ids if (c := self.cluster_of.get(s)) is not None}
        for s in signal_ids:
            self.cluster_of[s] = None
        return found

    def subjects(self, signal_ids: Sequence[int]) -> Iterator[Subject]:
        self._note("subjects", list(signal_ids))
        for s in signal_ids:
            for p, kind in self.carried.get(s, []):
                yield s, p, kind

    def load_keys(self, pseudonyms: Sequence[bytes]) -> Iterator[StoredKey]:
        self._note("load_keys", list(pseudonyms))
        for p in pseudonyms:
            if p in self.keys:
                k = self.keys[p]
                yield StoredKey(p, k.kind, k.signals, k.cluster_id, k.hub_id, k.hub_reason)

    def cluster_sizes(self, cluster_ids: Sequence[int]) -> dict[int, int]:
        self._note("cluster_sizes", list(cluster_ids))
        return {c: self.clusters[c].size for c in cluster_ids if c in self.clusters}

    def count_members(self, cluster_ids: Sequence[int]) -> dict[int, int]:
        self._note("count_members", list(cluster_ids))
        counted: dict[int, int] = {}
        for c in self.cluster_of.values():
            if c in cluster_ids:
                counted[c] = counted.get(c, 0) + 1
        return counted

    def new_clusters(self, sizes: Sequence[int], *, split_from: int | None = None) -> list[int]:
        self._note("new_clusters", list(sizes))
        start = max(self.clusters, default=0) + 1
        ids = list(range(start, start + len(sizes)))
        for cid, size in zip(ids, sizes, strict=True):
            self.clusters[cid] = Cluster(size, split_from=split_from)
        return ids

    def absorb(self, survivor: int, absorbed: Sequence[int]) -> None:
        self._note("absorb", (survivor, list(absorbed)))
        for s, c in self.cluster_of.items():
            if c in absorbed:
                self.cluster_of[s] = survivor
        for k in self.keys.values():
            if k.cluster_id in absorbed:
                k.cluster_id = survivor
        for c in absorbed:
            self.clusters[c].merged_into = survivor
            self.clusters[c].size = 0

    def insert_keys(self, keys: Sequence[KeyWrite]) -> None:
        self._note("insert_keys", [k.pseudonym for k in keys])
        for k in keys:
            assert k.pseudonym not in self.keys
            self.keys[k.pseudonym] = Key(
                k.kind, k.signals, k.cluster_id, k.hub_id, k.hub_id is not None, k.hub_reason
            )

    def update_keys(self, keys: Sequence[KeyWrite]) -> None:
        self._note("update_keys", [k.pseudonym for k in keys])
        for k in keys:
            stored = self.keys[k.pseudonym]
            stored.signals, stored.cluster_id, stored.hub_id = k.signals, k.cluster_id, k.hub_id
            stored.hub_since = stored.hub_since or k.became_hub
            stored.hub_reason = k.hub_reason

    def members(self, cluster_id: int) -> list[int]:
        self._note("members", cluster_id)
        return sorted(s for s, c in self.cluster_of.items() if c == cluster_id)

    def member_keys(self, cluster_id: int) -> Iterator[Subject]:
        self._note("member_keys", cluster_id)
        for s in sorted(s for s, c in self.cluster_of.items() if c == cluster_id):
            for p, kind in self.carried.get(s, []):
                if p in self.keys and self.keys[p].hub_id is None:
                    yield s, p, kind

    def relabel(
        self, cluster_id: int, signal_ids: Sequence[int], pseudonyms: Sequence[bytes]
    ) -> None:
        self._note("relabel", cluster_id)
        for s in signal_ids:
            self.cluster_of[s] = cluster_id
        for p in pseudonyms:
            self.keys[p].cluster_id = cluster_id

    def refresh_sizes(self, cluster_ids: Sequence[int]) -> None:
        self._note("refresh_sizes", list(cluster_ids))
        for c in cluster_ids:
            self.clusters[c].size = sum(1 for x in self.cluster_of.values() if x == c)

    def current_subjects(self) -> Iterator[Subject]:
        self._note("current_subjects")
        for s in sorted(self.current):
            for p, kind in self.carried.get(s, []):
                yield s, p, kind

    def all_keys(self) -> Iterator[StoredKey]:
        self._note("all_keys")
        for p, k in list(self.keys.items()):
            yield StoredKey(p, k.kind, k.signals, k.cluster_id, k.hub_id, k.hub_reason)

    def delete_keys(self, pseudonyms: Sequence[bytes]) -> None:
        self._note("delete_keys", list(pseudonyms))
        for p in pseudonyms:
            del self.keys[p]

    def flag_hubs(self, hubs: Sequence[HubFlag]) -> None:
        self._note("flag_hubs", [h.pseudonym for h in hubs])
        for h in hubs:
            k = self.keys[h.pseudonym]
            k.hub_id, k.hub_since, k.cluster_id = k.hub_id or h.hub_id, True, None
            k.hub_reason = h.reason

    def marks(self, pseudonyms: Sequence[bytes] | None) -> dict[bytes, str]:
        self._note("marks", None if pseudonyms is None else list(pseudonyms))
        if pseudonyms is None:
            return dict(self.register)
        return {p: self.register[p] for p in pseudonyms if p in self.register}

    def carriers(self, pseudonyms: Sequence[bytes]) -> Iterator[tuple[bytes, Carrier]]:
        self._note("carriers", list(pseudonyms))
        wanted = set(pseudonyms)
        for s in sorted(self.current):
            carried = self.carried.get(s, [])
            others = tuple(
                Other(p, kind, p in self.keys and self.keys[p].hub_id is not None)
                for p, kind in carried
            )
            carrier = Carrier(s, self.party_of.get(s, "p"), self.observed[s], others)
            for p in dict.fromkeys(p for p, _ in carried if p in wanted):
                yield p, carrier

    def set_counts(self, counts: Sequence[tuple[bytes, int]]) -> None:
        self._note("set_counts", list(counts))
        for p, n in counts:
            self.keys[p].signals = n

    def clusters_of(self, signal_ids: Sequence[int]) -> dict[int, int | None]:
        self._note("clusters_of", list(signal_ids))
        return {s: self.cluster_of.get(s) for s in signal_ids}


# -- driving it as ingest, retention and a rebuild do -------------------------------------------


@dataclass
class World:
    """Signals by ref (the current version's id), linked batch by batch through ``store``."""

    store: FakeStore = field(default_factory=FakeStore)
    rules: LinkRules = RULES
    by_ref: dict[str, int] = field(default_factory=dict)
    next_signal: int = 1

    def linker(self) -> IncrementalLinker:
        self.store.locked = False
        self.store.calls.clear()
        return IncrementalLinker(self.store, self.rules)

    def batch(
        self,
        items: Sequence[tuple[str, Sequence[tuple[str, int]]]],
        *,
        party: str = "p",
        at: datetime = datetime(2026, 1, 1, tzinfo=UTC),
    ) -> Changes:
        """As ``gateway.signals.service.ingest``: a ref in force is superseded; of one ref twice
        in a batch, the last is current. ``party`` supplies them, observed ``at``."""
        retire = [
            self.by_ref[ref] for ref in dict.fromkeys(r for r, _ in items) if ref in self.by_ref
        ]
        last = {ref: i for i, (ref, _) in enumerate(items)}
        rows = [
            Row(last[ref] == i, tuple(Sub(kind, key(kind, n)) for kind, n in subjects), at)
            for i, (ref, subjects) in enumerate(items)
        ]
        linker = self.linker()
        self.store.current -= set(retire)
        linker.unlink(retire)
        assigned = linker.assign(rows, party=party)
        for (ref, _), row, cluster in zip(items, rows, assigned, strict=True):
            sid = self.next_signal
            self.next_signal += 1
            self.store.party_of[sid], self.store.observed[sid] = party, at
            self.store.cluster_of[sid] = cluster
            self.store.carried[sid] = [(s.pseudonym, s.kind) for s in row.subjects]
            if row.is_current:
                self.store.current.add(sid)
                self.by_ref[ref] = sid
        return linker.settle()

    def expire(self, refs: Sequence[str]) -> Changes:
        """As retention: unlink, delete the rows, settle."""
        ids = [self.by_ref.pop(ref) for ref in dict.fromkeys(refs) if ref in self.by_ref]
        linker = self.linker()
        linker.unlink(ids)
        for sid in ids:
            self.store.current.discard(sid)
            del self.store.cluster_of[sid]
            del self.store.carried[sid]
        return linker.settle()

    def rebuild(self, rules: LinkRules) -> Changes:
        self.rules = rules
        return self.linker().rebuild()

    def cluster(self, ref: str) -> int | None:
        return self.store.cluster_of[self.by_ref[ref]]

    def groups(self) -> set[frozenset[str]]:
        by_cluster: dict[int | None, set[str]] = {}
        for ref, sid in self.by_ref.items():
            by_cluster.setdefault(self.store.cluster_of[sid], set()).add(ref)
        return {frozenset(refs) for refs in by_cluster.values()}


# -- the oracle ---------------------------------------------------------------------------------


def components(links: dict[int, set[bytes]], hubs: set[bytes]) -> set[frozenset[int]]:
    """Connected components by a graph search, independent of the union-find."""
    by_key: dict[bytes, set[int]] = {}
    for s, ps in links.items():
        for p in ps - hubs:
            by_key.setdefault(p, set()).add(s)
    seen: set[int] = set()
    found: set[frozenset[int]] = set()
    for start in links:
        if start in seen:
            continue
        part, frontier = {start}, [start]
        while frontier:
            node = frontier.pop()
            for p in links[node] - hubs:
                for other in by_key[p] - part:
                    part.add(other)
                    frontier.append(other)
        seen |= part
        found.add(frozenset(part))
    return found


def check(world: World, hubs: set[bytes]) -> None:
    """``hubs``: the oracle's, every key the rules called a hub since the last rebuild."""
    store, rules = world.store, world.rules
    links = {s: {p for p, kind in store.carried[s] if rules.links(kind)} for s in store.current}
    counts: dict[bytes, int] = {}
    for ps in links.values():
        for p in ps:
            counts[p] = counts.get(p, 0) + 1
    hubs |= {p for p, n in counts.items() if rules.is_hub(CountedKey(p, store.keys[p].kind, n))}
    by_cluster: dict[int, set[int]] = {}
    for s, c in store.cluster_of.items():
        if s not in store.current:
            assert c is None, "a superseded version is still in a cluster"
            continue
        assert c is not None, "a current signal has no cluster"
        by_cluster.setdefault(c, set()).add(s)
    assert {frozenset(m) for m in by_cluster.values()} == components(links, hubs)
    for cid, cluster in store.clusters.items():
        assert cluster.size == len(by_cluster.get(cid, ())), "cluster size is stale"
        if cluster.merged_into is not None:
            assert cid not in by_cluster
    cluster_of = {s: c for c, members in by_cluster.items() for s in members}
    for p, n in counts.items():
        k = store.keys[p]
        assert k.signals == n
        assert (k.hub_id is not None) == (p in hubs)
        assert k.hub_id is None or k.hub_since
        if p not in hubs:
            (owner,) = {cluster_of[s] for s, ps in links.items() if p in ps}
            assert k.cluster_id == owner
        else:
            assert k.cluster_id is None
    for p, k in store.keys.items():
        if p not in counts:
            assert k.signals == 0


# -- the property -------------------------------------------------------------------------------

subject_lists = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, 5)), min_size=1, max_size=3, unique=True
)
batches = st.lists(
    st.tuples(st.integers(0, 9).map(lambda n: f"r{n}"), subject_lists), min_size=1, max_size=6
)
rule_sets = st.builds(
    LinkRules,
    st.frozensets(st.sampled_from(KINDS), min_size=1).map(frozenset),
    st.integers(2, 5),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("batch"), batches),
        st.tuples(
            st.just("expire"), st.lists(st.integers(0, 9).map(lambda n: f"r{n}"), min_size=1)
        ),
        st.tuples(st.just("rebuild"), rule_sets),
    ),
    min_size=1,
    max_size=10,
)


@settings(max_examples=300, deadline=None)
@given(steps=steps)
def test_clusters_are_always_the_connected_components_over_non_hub_linking_keys(steps) -> None:
    world = World()
    hubs: set[bytes] = set()
    for op, arg in steps:
        if op == "batch":
            world.batch(arg)
        elif op == "expire":
            world.expire(arg)
        else:
            world.rebuild(arg)
            hubs = set()  # a rebuild asks every key anew
        check(world, hubs)


# -- single cases -------------------------------------------------------------------------------


def test_a_merge_goes_into_the_largest_cluster_then_the_lowest_id() -> None:
    world = World()
    world.batch([("a1", [("bsn", 1)]), ("a2", [("bsn", 1)])])  # cluster 1, two signals
    world.batch([("b1", [("bsn", 2)])])  # cluster 2
    world.batch([("c1", [("bsn", 3)])])  # cluster 3
    big, small, other = world.cluster("a1"), world.cluster("b1"), world.cluster("c1")
    changes = world.batch([("x", [("bsn", 1), ("bsn", 2), ("bsn", 3)])])
    assert world.cluster("x") == big
    assert changes.merged == {small: big, other: big}
    assert changes.survivor(small) == big and not changes.fresh
    assert world.store.clusters[small].merged_into == big
    # Equal sizes: the lowest id survives.
    world.batch([("d1", [("adres", 1)])])
    world.batch([("e1", [("adres", 2)])])
    low, high = world.cluster("d1"), world.cluster("e1")
    assert low is not None and high is not None and low < high
    world.batch([("y", [("adres", 1), ("adres", 2)])])
    assert world.cluster("y") == low


def test_a_batch_on_its_own_makes_fresh_clusters_with_their_sizes() -> None:
    world = World()
    changes = world.batch([("a", [("bsn", 1)]), ("b", [("bsn", 1)]), ("c", [("telefoon", 1)])])
    assert sorted(len(v) for v in changes.fresh.values()) == [1, 2]
    assert {world.store.clusters[c].size for c in changes.fresh} == {1, 2}
    assert world.groups() == {frozenset({"a", "b"}), frozenset({"c"})}


def test_a_split_leaves_the_id_with_the_largest_part() -> None:
    world = World()
    world.batch(
        [
            ("a", [("bsn", 1)]),
            ("b", [("bsn", 1), ("bsn", 2)]),  # the bridge
            ("c", [("bsn", 2)]),
            ("d", [("bsn", 2)]),
        ]
    )
    cid = world.cluster("a")
    changes = world.batch([("b", [("telefoon", 9)])])  # a new version without the bridge
    assert world.cluster("c") == world.cluster("d") == cid  # the larger part keeps the id
    new = world.cluster("a")
    assert new != cid and changes.split_from[new] == cid
    assert world.store.clusters[new].split_from == cid
    assert {cid, new} <= changes.touched


def test_a_key_past_the_threshold_becomes_a_hub_and_stops_linking() -> None:
    world = World()
    for n in range(3):
        world.batch([(f"r{n}", [("adres", 1), ("bsn", n)])])
    assert len(world.groups()) == 1
    changes = world.batch([("r3", [("adres", 1)])])  # the fourth signal at the address
    assert changes.new_hubs == 1
    assert world.groups() == {frozenset({f"r{n}"}) for n in range(4)}
    hub = world.store.keys[key("adres", 1)]
    assert hub.hub_id is not None and hub.hub_id.startswith("hub-") and hub.cluster_id is None
    # A hub stays one when it thins out, until a rebuild lets it link again.
    world.expire(["r3", "r2"])
    assert world.store.keys[key("adres", 1)].hub_id is not None
    changes = world.rebuild(RULES)
    assert world.store.keys[key("adres", 1)].hub_id is None
    assert world.groups() == {frozenset({"r0", "r1"})} and changes.merged


def test_is_hub_is_the_one_rule_a_linker_asks() -> None:
    """A rule on the key's facts (here: per kind) changes linkage without touching the linker."""

    @dataclass(frozen=True)
    class PerKind(LinkRules):
        def hub_reason(self, key: KeyFacts) -> str | None:
            return "drempel" if key.signals > (1 if key.kind == "adres" else 10) else None

    world = World(rules=PerKind(frozenset({"bsn", "adres"}), hub_threshold=10))
    world.batch([("a", [("adres", 1)]), ("b", [("adres", 1)]), ("c", [("bsn", 1)])])
    world.batch([("d", [("bsn", 1)]), ("e", [("bsn", 1)])])
    assert world.groups() == {frozenset({"a"}), frozenset({"b"}), frozenset({"c", "d", "e"})}
    check(world, set())


def test_a_rebuild_under_other_rules_splits_and_joins() -> None:
    world = World()
    world.batch([("a", [("bsn", 1)]), ("b", [("bsn", 1), ("telefoon", 1)])])
    world.batch([("c", [("telefoon", 1)])])
    assert world.groups() == {frozenset({"a", "b"}), frozenset({"c"})}
    changes = world.rebuild(LinkRules(frozenset({"telefoon"}), hub_threshold=3))
    assert world.groups() == {frozenset({"a"}), frozenset({"b", "c"})}
    assert changes.split_from and changes.merged
    assert key("bsn", 1) not in world.store.keys
    check(world, set())


def test_the_lock_comes_first_and_only_touched_clusters_are_read() -> None:
    world = World()
    world.batch([("a", [("bsn", 1)]), ("b", [("bsn", 1)])])
    world.batch([("c", [("bsn", 2)])])
    world.batch([("z", [("bsn", 3)]), ("y", [("bsn", 3)])])  # a cluster nobody touches next
    untouched = world.cluster("z")
    world.batch([("a", [("bsn", 2)])])  # a leaves {a, b}, joins c
    calls = world.store.calls
    assert calls[0] == ("lock", None) and [m for m, _ in calls].count("lock") == 1
    for method, about in calls:
        if method in ("members", "member_keys", "relabel"):
            assert about != untouched
        if method in ("cluster_sizes", "count_members") and isinstance(about, list):
            assert untouched not in about
    assert not {m for m, _ in calls} & {"current_subjects", "all_keys", "clusters_of"}


def test_connected_parts_largest_first() -> None:
    subjects = [(1, b"k", "bsn"), (2, b"k", "bsn"), (3, b"t", "telefoon"), (4, b"t", "telefoon")]
    assert connected_parts([1, 2, 3, 4], subjects, RULES) == [
        Part([1, 2], [b"k"]),
        Part([3], []),
        Part([4], []),
    ]
    # Ties: by the first member's id as text (the order the gateway has always split in).
    assert [p.signals for p in connected_parts([3, 12], [], RULES)] == [[12], [3]]


@pytest.mark.parametrize(
    ("ids", "sizes", "expected"),
    [([5, 7], {5: 1, 7: 2}, 7), ([5, 7], {5: 2, 7: 2}, 5), ([9, 4], {}, 4)],
)
def test_survivor_of(ids: list[int], sizes: dict[int, int], expected: int) -> None:
    assert survivor_of(ids, sizes) == expected
