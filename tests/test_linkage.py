"""Incremental linkage against a from-scratch oracle, on SQLite and PostgreSQL.

Random sequences of batches (new signals, supersedes) and expiries run through the real ingest
service and linker; after every step the stored clusters must be exactly the connected
components of the current signals over their non-hub linking pseudonyms, computed here from the
raw rows by a plain graph search, with every count and pointer consistent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from gateway.linkage.components import DisjointSets
from gateway.linkage.rules import LinkRules, link_rules
from gateway.signals import service
from gateway.signals.models import Limits, SignalIn
from gateway.signals.reference import load_catalogue
from gateway.storage import retention
from gateway.storage.linkage import SqlLinker
from gateway.storage.signals import SqlSignalStore
from gateway.storage.tables import ClusterRow, LinkKeyRow, SignalRow, SubjectRow
from tests.conftest import _reset
from tests.support import REPO, b64u, signal

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LIMITS = Limits(
    catalogue=load_catalogue(REPO / "policies"),
    max_sealed_bytes=16384,
    max_batch_signals=1000,
    now=NOW,
    clock_skew=timedelta(seconds=30),
)
RULES = LinkRules(frozenset({"bsn", "adres"}), hub_threshold=4)
KINDS = ("bsn", "adres", "telefoon")  # telefoon does not link under RULES
PARTY = "gemeente-rotterdam"


def pseudonym_of(kind: str, number: int) -> str:
    return b64u(f"{kind}-{number}".encode().ljust(64, b"."))


def make(ref: str, subjects: list[tuple[str, int]], version: int = 1) -> SignalIn:
    document = signal(
        ref,
        version=version,
        supersedes=version - 1 if version > 1 else None,
        subjects=[
            {"kind": kind, "role": "betrokkene", "pseudonym": pseudonym_of(kind, number)}
            for kind, number in subjects
        ],
    )
    return SignalIn.model_validate(document, context={"limits": LIMITS})


# -- the oracle ---------------------------------------------------------------------------------


def current_graph(
    engine: Engine, rules: LinkRules = RULES
) -> tuple[dict[int, set[bytes]], dict[bytes, int]]:
    """Current signal id -> its linking pseudonyms, and pseudonym -> current signals carrying it."""
    signals, subjects = SignalRow.__table__, SubjectRow.__table__
    with engine.connect() as connection:
        current = set(
            connection.execute(select(signals.c.id).where(signals.c.is_current)).scalars()
        )
        links: dict[int, set[bytes]] = {i: set() for i in current}
        for signal_id, pseudonym, kind in connection.execute(
            select(subjects.c.signal_id, subjects.c.pseudonym, subjects.c.kind)
        ):
            if signal_id in current and rules.links(kind):
                links[signal_id].add(bytes(pseudonym))
    counts: dict[bytes, int] = {}
    for pseudonyms in links.values():
        for p in pseudonyms:
            counts[p] = counts.get(p, 0) + 1
    return links, counts


def components(links: dict[int, set[bytes]], hubs: set[bytes]) -> set[frozenset[int]]:
    """Connected components by breadth-first search: independent of the union-find code."""
    by_key: dict[bytes, set[int]] = {}
    for signal_id, pseudonyms in links.items():
        for p in pseudonyms - hubs:
            by_key.setdefault(p, set()).add(signal_id)
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


def check_invariants(engine: Engine, hubs: set[bytes], rules: LinkRules = RULES) -> None:
    """``hubs``: the oracle's hubs (every pseudonym ever carried by > threshold signals)."""
    links, counts = current_graph(engine, rules)
    hubs |= {p for p, n in counts.items() if n > rules.hub_threshold}
    signals, clusters, keys = SignalRow.__table__, ClusterRow.__table__, LinkKeyRow.__table__
    with engine.connect() as connection:
        placed = list(
            connection.execute(select(signals.c.id, signals.c.cluster_id, signals.c.is_current))
        )
        sizes = dict(connection.execute(select(clusters.c.id, clusters.c.size)).all())
        stored_keys = {bytes(r.pseudonym): r for r in connection.execute(select(keys))}
    by_cluster: dict[int, set[int]] = {}
    for signal_id, cluster_id, is_current in placed:
        if not is_current:
            assert cluster_id is None, "a superseded version is still in a cluster"
            continue
        assert cluster_id is not None, "a current signal has no cluster"
        by_cluster.setdefault(cluster_id, set()).add(signal_id)
    assert {frozenset(m) for m in by_cluster.values()} == components(links, hubs)
    for cluster_id, size in sizes.items():
        assert size == len(by_cluster.get(cluster_id, ())), "cluster size is stale"
    cluster_of = {s: c for c, members in by_cluster.items() for s in members}
    for p, n in counts.items():
        key = stored_keys[p]
        assert key.signals == n
        assert (key.hub_id is not None) == (p in hubs)
        if p not in hubs:
            (owner,) = {cluster_of[s] for s, ps in links.items() if p in ps}
            assert key.cluster_id == owner
    for p, key in stored_keys.items():
        if p not in counts:
            assert key.signals == 0


# -- the operations -----------------------------------------------------------------------------

subject_lists = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, 5)), min_size=1, max_size=3, unique=True
)
batches = st.lists(st.tuples(st.integers(0, 9), subject_lists), min_size=1, max_size=6)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("batch"), batches),
        st.tuples(st.just("expire"), st.lists(st.integers(0, 9), min_size=1, max_size=3)),
    ),
    min_size=1,
    max_size=7,
)


def run_batch(
    engine: Engine, versions: dict[str, int], items: list, rules: LinkRules = RULES
) -> None:
    """Ingest ``items`` as one batch: a ref already in force is superseded by a new version."""
    batch: list[SignalIn] = []
    planned = dict(versions)
    for ref_number, subjects in items:
        ref = f"r{ref_number}"
        version = planned.get(ref, 0) + 1
        planned[ref] = version
        batch.append(make(ref, subjects, version))
    with engine.begin() as connection:
        service.ingest(
            SqlSignalStore(connection),
            party=PARTY,
            signals=batch,
            now=NOW,
            linker=SqlLinker(connection, rules, now=NOW),
        )
    versions.update(planned)


def expire(engine: Engine, versions: dict[str, int], ref_numbers: list[int]) -> None:
    refs = sorted({f"r{n}" for n in ref_numbers} & set(versions))
    signals = SignalRow.__table__
    with engine.begin() as connection:
        ids = list(
            connection.execute(
                select(signals.c.id).where(signals.c.is_current, signals.c.ref.in_(refs))
            ).scalars()
        )
        retention.purge(connection, SqlLinker(connection, RULES, now=NOW), ids, barriers={})
    for ref in refs:
        del versions[ref]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_clusters_are_always_the_connected_components(migrated_engine: Engine, steps) -> None:
    _reset(migrated_engine)
    versions: dict[str, int] = {}
    hubs: set[bytes] = set()
    for kind, payload in steps:
        if kind == "batch":
            run_batch(migrated_engine, versions, payload)
        else:
            expire(migrated_engine, versions, payload)
        check_invariants(migrated_engine, hubs)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=steps,
    kinds=st.sets(st.sampled_from(KINDS), min_size=1),
    threshold=st.integers(1, 6),
    after=batches,
)
def test_a_rebuild_under_changed_rules_gives_their_connected_components(
    migrated_engine: Engine, steps, kinds, threshold, after
) -> None:
    """Link under one set of rules, change ``link_kinds`` and ``hub_threshold``, rebuild: the
    clusters, counts and hubs are those of the new rules over the current signals (a hub that
    fell under the threshold links again), and later batches carry on from there."""
    _reset(migrated_engine)
    versions: dict[str, int] = {}
    for kind, payload in steps:
        if kind == "batch":
            run_batch(migrated_engine, versions, payload)
        else:
            expire(migrated_engine, versions, payload)
    # Under the rules it was linked with, a rebuild splits nothing and makes no hub; it changes
    # a cluster only to let a hub that expiry thinned out link again (batches never un-hub).
    _, counts = current_graph(migrated_engine)
    with migrated_engine.connect() as connection:
        hub_keys = {
            bytes(p)
            for (p,) in connection.execute(
                select(LinkKeyRow.__table__.c.pseudonym).where(
                    LinkKeyRow.__table__.c.hub_id.is_not(None)
                )
            )
        }
    thinned = {p for p in hub_keys if 0 < counts.get(p, 0) <= RULES.hub_threshold}
    with migrated_engine.begin() as connection:
        unchanged = SqlLinker(connection, RULES, now=NOW).rebuild()
    assert not unchanged.split_from and unchanged.new_hubs == 0
    if not thinned:
        assert not unchanged.touched and not unchanged.merged
    rules = LinkRules(frozenset(kinds), hub_threshold=threshold)
    with migrated_engine.begin() as connection:
        SqlLinker(connection, rules, now=NOW).rebuild()
    hubs: set[bytes] = set()
    check_invariants(migrated_engine, hubs, rules)
    run_batch(migrated_engine, versions, after, rules)
    check_invariants(migrated_engine, hubs, rules)


# -- the cases the issue names ------------------------------------------------------------------


@pytest.fixture
def clean(migrated_engine: Engine) -> Iterator[Engine]:
    _reset(migrated_engine)
    yield migrated_engine


def cluster_sets(engine: Engine) -> set[frozenset[str]]:
    signals = SignalRow.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            select(signals.c.ref, signals.c.cluster_id).where(signals.c.is_current)
        )
        groups: dict[int, set[str]] = {}
        for ref, cluster_id in rows:
            groups.setdefault(cluster_id, set()).add(ref)
    return {frozenset(g) for g in groups.values()}


def test_a_superseded_bridge_splits_its_cluster(clean: Engine) -> None:
    versions: dict[str, int] = {}
    # r1 and r3 share nothing; r2 carries both their keys and so joins them.
    run_batch(clean, versions, [(1, [("bsn", 1)]), (3, [("adres", 3)])])
    run_batch(clean, versions, [(2, [("bsn", 1), ("adres", 3)])])
    assert cluster_sets(clean) == {frozenset({"r1", "r2", "r3"})}
    # The new version of r2 no longer names the address: the cluster falls apart.
    run_batch(clean, versions, [(2, [("bsn", 1)])])
    assert cluster_sets(clean) == {frozenset({"r1", "r2"}), frozenset({"r3"})}
    check_invariants(clean, set())


def test_an_expired_bridge_splits_its_cluster(clean: Engine) -> None:
    versions: dict[str, int] = {}
    run_batch(
        clean, versions, [(1, [("bsn", 1)]), (2, [("bsn", 1), ("adres", 3)]), (3, [("adres", 3)])]
    )
    assert cluster_sets(clean) == {frozenset({"r1", "r2", "r3"})}
    expire(clean, versions, [2])
    assert cluster_sets(clean) == {frozenset({"r1"}), frozenset({"r3"})}
    check_invariants(clean, set())


def test_a_pseudonym_past_the_threshold_stops_linking(clean: Engine) -> None:
    versions: dict[str, int] = {}
    # Five residents of one address (threshold 4), two of whom also share a phone... that
    # does not link; and two who share a BSN-less person key (bsn 9).
    items = [(n, [("adres", 1), ("bsn", n)]) for n in range(5)]
    run_batch(clean, versions, items[:4])
    assert cluster_sets(clean) == {frozenset({"r0", "r1", "r2", "r3"})}
    run_batch(clean, versions, items[4:] + [(5, [("bsn", 0)])])
    # The address is now a hub: everybody is on their own, except r0 and r5 (same BSN).
    assert cluster_sets(clean) == {
        frozenset({"r0", "r5"}),
        frozenset({"r1"}),
        frozenset({"r2"}),
        frozenset({"r3"}),
        frozenset({"r4"}),
    }
    with clean.connect() as connection:
        (hub,) = connection.execute(
            select(LinkKeyRow.__table__).where(LinkKeyRow.__table__.c.hub_id.is_not(None))
        ).all()
    assert hub.kind == "adres" and hub.signals == 5 and hub.cluster_id is None
    assert hub.hub_id.startswith("hub-") and hub.hub_since is not None


def test_the_rules_come_from_the_policy_data() -> None:
    import json

    data = {"covenant": json.loads((REPO / "policies/covenant/data.json").read_text("utf-8"))}
    rules = link_rules(data)
    assert rules.hub_threshold == data["covenant"]["linkage"]["hub_threshold"]
    assert rules.kinds == frozenset(data["covenant"]["linkage"]["link_kinds"])
    data["covenant"]["linkage"]["hub_threshold"] = "veel"
    with pytest.raises(Exception, match="hub_threshold"):
        link_rules(data)


def test_concurrent_batches_sharing_pseudonyms_link_correctly(clean: Engine) -> None:
    """Several parties' batches at once, all touching the same keys: on PostgreSQL the advisory
    lock orders them; on SQLite ``BEGIN IMMEDIATE`` does. The result must be the components."""
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            for round_ in range(4):
                items = [
                    (
                        f"w{number}-{round_}-{i}",
                        [("bsn", (number + i) % 6), ("adres", (round_ * i) % 5)],
                    )
                    for i in range(5)
                ]
                batch = [
                    SignalIn.model_validate(
                        signal(
                            ref,
                            subjects=[
                                {"kind": k, "role": "betrokkene", "pseudonym": pseudonym_of(k, n)}
                                for k, n in subjects
                            ],
                        ),
                        context={"limits": LIMITS},
                    )
                    for ref, subjects in items
                ]
                with clean.begin() as connection:
                    service.ingest(
                        SqlSignalStore(connection),
                        party=f"party-{number}",
                        signals=batch,
                        now=NOW,
                        linker=SqlLinker(connection, RULES, now=NOW),
                    )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    check_invariants(clean, set())


def test_disjoint_sets_agree_with_a_graph_search() -> None:
    sets: DisjointSets[int] = DisjointSets(range(6))
    sets.union(0, 1)
    sets.union(2, 3)
    sets.union(1, 3)
    assert sorted(sorted(g) for g in sets.groups()) == [[0, 1, 2, 3], [4], [5]]
