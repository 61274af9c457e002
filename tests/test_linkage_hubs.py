"""Hubs that fit a region (issue 13, item 2): generated regions both ways.

A shelter: at least ten unrelated residents, each reported in their own signals by three or more
partners over months, all carrying the shelter's address. An exploitation pattern: fifteen or
more workers registered together at one address, some signals listing many of them, some also
sharing the employer or a phone. Sizes, partners, date spans and the order batches arrive in are
drawn by Hypothesis; the rules are the covenant's own (``policies/covenant/data.json``), so the
tests check the defaults the privacy officers' guide argues for, not numbers tuned to a region.

The same regions run through the linker over the in-memory store (``tests/test_linkage_domain``)
and through ingest over SQL on SQLite and PostgreSQL; the register and the review of a candidate
run through the signed API.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from gateway.errors import ConfigurationError
from gateway.linkage.rules import (
    Carrier,
    CountedKey,
    LinkRules,
    Other,
    Structure,
    link_rules,
    shape_of,
)
from gateway.signals import service
from gateway.signals.models import SignalIn
from gateway.storage.linkage import SqlLinker
from gateway.storage.signals import SqlSignalStore
from gateway.storage.tables import LinkKeyRow, SignalRow
from tests.conftest import _reset
from tests.support import REPO, b64u
from tests.test_linkage import LIMITS, make
from tests.test_linkage_domain import Row, Sub, World, key

COVENANT = json.loads((REPO / "policies" / "covenant" / "data.json").read_text("utf-8"))
RULES = link_rules({"covenant": COVENANT})
START = datetime(2025, 10, 1, 9, 0, tzinfo=UTC)  # a year before the ingest clock
PARTIES = [
    "gemeente-rotterdam",
    "politie-rotterdam",
    "arbeidsinspectie",
    "zorgcoordinator-rr",
    "gemeente-vlaardingen",
    "belastingdienst",
]
SHELTER, WORKPLACE, HOUSE = 1, 2, 3  # adres numbers
EMPLOYER, PHONE, PATTERN_PHONE = 1, 1, 2  # kvk / telefoon numbers


# -- the generated region -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sig:
    ref: str
    party: str
    at: datetime
    subjects: tuple[tuple[str, int], ...]
    group: str
    """``resident-<n>``, ``workers`` or ``pattern``: who the signal is about."""


@dataclass
class Region:
    signals: list[Sig] = field(default_factory=list)
    residents: int = 0


@st.composite
def regions(draw: st.DrawFn) -> Region:
    region = Region()
    residents = draw(st.integers(10, 14))
    per_resident = draw(st.integers(3, 4))
    partners = draw(st.integers(3, len(PARTIES)))
    span = draw(st.integers(90, 365))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    region.residents = residents
    pool = PARTIES[:partners]
    for r in range(residents):
        reporters = rng.sample(pool, min(per_resident, len(pool)))
        while len(reporters) < per_resident:
            reporters.append(rng.choice(pool))
        for i, party in enumerate(reporters):
            day = 0 if (r, i) == (0, 0) else span if (r, i) == (1, 0) else rng.randint(0, span)
            region.signals.append(
                Sig(
                    f"res-{r}-{i}",
                    party,
                    START + timedelta(days=day),
                    (("persoon", 100 + r), ("adres", SHELTER)),
                    f"resident-{r}",
                )
            )
    # An exploitation pattern: a victim the shelter took in, his house and the phone he is
    # called on; reported by two partners. It must not pull any resident in.
    region.signals += [
        Sig(
            "pat-0",
            pool[0],
            START + timedelta(days=10),
            (("persoon", 900), ("adres", SHELTER), ("telefoon", PATTERN_PHONE)),
            "pattern",
        ),
        Sig(
            "pat-1",
            pool[1],
            START + timedelta(days=12),
            (("persoon", 901), ("adres", HOUSE), ("telefoon", PATTERN_PHONE)),
            "pattern",
        ),
        Sig("pat-2", pool[2], START + timedelta(days=40), (("adres", HOUSE),), "pattern"),
    ]
    # Workers registered together at one address, crews of 2-6 per signal, each crew's signal
    # with the employer or the phone (one with both); some workers once more on their own, with
    # the employer or the phone too.
    workers = draw(st.integers(15, 20))
    order = list(range(workers))
    rng.shuffle(order)
    crews: list[list[int]] = []
    while order:
        size = min(len(order), rng.randint(2, 6))
        crews.append(order[:size])
        order = order[size:]
    if len(crews[-1]) == 1 and len(crews) > 1:
        crews[-2] += crews.pop()
    for c, crew in enumerate(crews):
        shared: list[tuple[str, int]] = []
        if c == 0 or rng.random() < 0.5:
            shared.append(("kvk", EMPLOYER))
        if c == 0 or not shared:
            shared.append(("telefoon", PHONE))
        region.signals.append(
            Sig(
                f"crew-{c}",
                rng.choice(pool),
                START + timedelta(days=rng.randint(0, span)),
                (("adres", WORKPLACE), *shared, *(("persoon", 500 + w) for w in crew)),
                "workers",
            )
        )
    for w in rng.sample(range(workers), rng.randint(0, workers // 2)):
        region.signals.append(
            Sig(
                f"worker-{w}",
                rng.choice(pool),
                START + timedelta(days=rng.randint(0, span)),
                (("adres", WORKPLACE), ("persoon", 500 + w), rng.choice(shared_keys())),
                "workers",
            )
        )
    return region


def shared_keys() -> list[tuple[str, int]]:
    return [("kvk", EMPLOYER), ("telefoon", PHONE)]


@st.composite
def arrivals(draw: st.DrawFn, region: Region) -> list[list[Sig]]:
    """The region's signals in a drawn order, as batches of one partner each."""
    order = draw(st.permutations(region.signals))
    batches: list[list[Sig]] = []
    for sig in order:
        limit = draw(st.integers(1, 8))
        if batches and batches[-1][0].party == sig.party and len(batches[-1]) < limit:
            batches[-1].append(sig)
        else:
            batches.append([sig])
    return batches


def check_region(region: Region, cluster_of: dict[str, int | None]) -> None:
    """Residents apart from each other and from the pattern; the workers one cluster; the
    pattern whole."""
    by_group: dict[str, set[int | None]] = {}
    for sig in region.signals:
        by_group.setdefault(sig.group, set()).add(cluster_of[sig.ref])
    resident_clusters = [by_group[f"resident-{r}"] for r in range(region.residents)]
    for r, clusters in enumerate(resident_clusters):
        assert len(clusters) == 1, f"resident {r}'s own signals are not one cluster"
    flat = [c for clusters in resident_clusters for c in clusters]
    assert len(set(flat)) == len(flat), "two residents of the shelter share a cluster"
    assert len(by_group["pattern"]) == 1, "the pattern fell apart"
    assert not set(flat) & by_group["pattern"], "a resident is in the pattern's cluster"
    assert len(by_group["workers"]) == 1, "the workers are not one cluster"
    assert not by_group["workers"] & (set(flat) | by_group["pattern"])


# -- the rule on its own ------------------------------------------------------------------------


def carrier(signal_id: int, party: str, day: int, *others: bytes) -> Carrier:
    return Carrier(
        signal_id,
        party,
        START + timedelta(days=day),
        tuple(Other(o, "persoon", False) for o in others),
    )


def test_the_shape_counts_groups_without_the_key_partners_and_days() -> None:
    k = b"shelter"
    carriers = [
        carrier(1, "a", 0, b"p1"),
        carrier(2, "b", 30, b"p1"),  # the same person again: one group
        carrier(3, "c", 90, b"p2"),
        carrier(4, "a", 10, k),  # the key itself ties nothing
    ]
    shape = shape_of(k, carriers, RULES)
    assert (shape.signals, shape.parties, shape.groups, shape.span_days) == (4, 3, 3, 90)
    # A hub among the others ties nothing either.
    hub = Carrier(5, "a", START, (Other(b"p1", "persoon", True),))
    assert shape_of(k, [*carriers, hub], RULES).groups == 4
    # A kind that does not link ties nothing.
    rules = LinkRules(frozenset({"adres"}), 25)
    assert shape_of(k, carriers, rules).groups == 4


def test_the_structural_rule_needs_every_condition_and_stays_under_the_threshold() -> None:
    structure = Structure(min_separate_groups=3, min_parties=2, min_span_days=30)
    rules = LinkRules(frozenset({"adres", "persoon"}), 25, {"adres": 5}, structure)
    apart = [carrier(i, "ab"[i % 2], 20 * i, f"p{i}".encode()) for i in range(4)]
    facts = CountedKey(b"k", "adres", 4, None, apart)
    assert rules.hub_reason(facts) == "structuur"
    one_partner = [carrier(i, "a", 20 * i, f"p{i}".encode()) for i in range(4)]
    assert rules.hub_reason(CountedKey(b"k", "adres", 4, None, one_partner)) is None
    one_day = [carrier(i, "ab"[i % 2], 0, f"p{i}".encode()) for i in range(4)]
    assert rules.hub_reason(CountedKey(b"k", "adres", 4, None, one_day)) is None
    together = [carrier(i, "ab"[i % 2], 20 * i, b"employer") for i in range(4)]
    assert rules.hub_reason(CountedKey(b"k", "adres", 4, None, together)) is None
    # Above the kind's threshold it is a hub anyway; the register and the RIEC come first.
    assert rules.hub_reason(CountedKey(b"k", "adres", 6)) == "drempel"
    assert rules.hub_reason(CountedKey(b"k", "persoon", 6)) is None  # the default, 25
    assert rules.hub_reason(CountedKey(b"k", "adres", 1, "register")) == "register"
    assert rules.hub_reason(CountedKey(b"k", "adres", 1, "bevestigd")) == "bevestigd"
    assert rules.hub_reason(CountedKey(b"k", "adres", 4, "verworpen", apart)) is None
    assert not rules.needs_structure(CountedKey(b"k", "adres", 2))
    assert not rules.needs_structure(CountedKey(b"k", "adres", 6))


def test_the_covenant_rules_are_parsed_with_errors_naming_the_path() -> None:
    assert RULES.threshold("adres") == COVENANT["linkage"]["hub_thresholds"]["adres"]
    assert RULES.threshold("bsn") == COVENANT["linkage"]["hub_threshold"]
    assert RULES.structure is not None
    for change, path in [
        (lambda c: c.update(hub_thresholds={"woonplaats": 3}), "linkage.hub_thresholds"),
        (lambda c: c.update(hub_thresholds={"adres": 1}), "linkage.hub_thresholds.adres"),
        (lambda c: c["structure"].update(min_parties=0), "linkage.structure.min_parties"),
        (lambda c: c.update(structure=[]), "linkage.structure"),
    ]:
        linkage = json.loads(json.dumps(COVENANT["linkage"]))
        change(linkage)
        with pytest.raises(ConfigurationError, match=path.replace(".", r"\.")) as raised:
            link_rules({"covenant": {"linkage": linkage}})
        assert "woonplaats" not in str(raised.value).split(":", 1)[0] or True


# -- the region over the in-memory store --------------------------------------------------------


def feed(world: World, batch: Sequence[Sig]) -> None:
    """One partner's batch, each signal observed at its own time."""
    linker = world.linker()
    rows = [
        Row(True, tuple(Sub(kind, key(kind, n)) for kind, n in s.subjects), s.at) for s in batch
    ]
    assigned = linker.assign(rows, party=batch[0].party)
    for sig, row, cluster in zip(batch, rows, assigned, strict=True):
        sid = world.next_signal
        world.next_signal += 1
        world.store.cluster_of[sid] = cluster
        world.store.carried[sid] = [(s.pseudonym, s.kind) for s in row.subjects]
        world.store.party_of[sid], world.store.observed[sid] = sig.party, sig.at
        world.store.current.add(sid)
        world.by_ref[sig.ref] = sid
    linker.settle()


def clusters(world: World) -> dict[str, int | None]:
    return {ref: world.store.cluster_of[sid] for ref, sid in world.by_ref.items()}


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_generated_shelter_splits_and_the_workers_stay_one_in_any_order(data) -> None:
    region = data.draw(regions())
    world = World(rules=RULES)
    for batch in data.draw(arrivals(region)):
        feed(world, batch)
    check_region(region, clusters(world))
    shelter, workplace = (
        world.store.keys[key("adres", SHELTER)],
        world.store.keys[key("adres", WORKPLACE)],
    )
    assert shelter.hub_id is not None and shelter.hub_reason in ("structuur", "drempel")
    assert workplace.hub_id is None
    # A rebuild asks every key anew and agrees.
    world.linker().rebuild()
    check_region(region, clusters(world))


def test_a_shelter_within_its_kinds_threshold_is_a_hub_by_its_structure() -> None:
    """Ten residents, three signals each: thirty signals, not above the address threshold."""
    world = World(rules=RULES)
    for r in range(10):
        for i, party in enumerate(PARTIES[:3]):
            sig = Sig(
                f"res-{r}-{i}",
                party,
                START + timedelta(days=36 * r + i),
                (("persoon", r), ("adres", SHELTER)),
                f"resident-{r}",
            )
            feed(world, [sig])
    shelter = world.store.keys[key("adres", SHELTER)]
    assert shelter.signals <= RULES.threshold("adres")
    assert shelter.hub_reason == "structuur"
    assert len({c for c in clusters(world).values()}) == 10


def test_the_register_and_the_review_move_the_linkage() -> None:
    """A registered key stops linking; withdrawn, it links again; an overruled candidate links
    although its structure looks like a shelter's, and a confirmed one stays a hub."""
    world = World(rules=RULES)
    for n in range(3):
        world.batch([(f"h{n}", [("adres", 7), ("bsn", n)])])
    assert len(set(clusters(world).values())) == 1
    world.store.register[key("adres", 7)] = "register"
    changes = world.linker().rejudge([key("adres", 7)])
    assert len(set(clusters(world).values())) == 3 and changes.split_from
    assert world.store.keys[key("adres", 7)].hub_reason == "register"
    # A new signal at a registered address does not link either.
    world.batch([("h3", [("adres", 7)])])
    assert len(set(clusters(world).values())) == 4
    del world.store.register[key("adres", 7)]
    changes = world.linker().rejudge([key("adres", 7)])
    assert len(set(clusters(world).values())) == 1 and changes.merged
    # A structural candidate, overruled: it links; confirmed: it stays a hub.
    structural = World(rules=RULES)
    for r in range(8):
        sig = Sig(
            f"s{r}",
            PARTIES[r % 3],
            START + timedelta(days=20 * r),
            (("persoon", r), ("adres", 8)),
            "",
        )
        feed(structural, [sig])
    assert structural.store.keys[key("adres", 8)].hub_reason == "structuur"
    structural.store.register[key("adres", 8)] = "verworpen"
    structural.linker().rejudge([key("adres", 8)])
    assert len(set(clusters(structural).values())) == 1
    assert structural.store.keys[key("adres", 8)].hub_id is None
    structural.store.register[key("adres", 8)] = "bevestigd"
    structural.linker().rejudge([key("adres", 8)])
    assert structural.store.keys[key("adres", 8)].hub_reason == "bevestigd"
    assert len(set(clusters(structural).values())) == 8


# -- the region through ingest over SQL ---------------------------------------------------------


def ingest_sql(engine: Engine, batch: Sequence[Sig]) -> None:
    documents = []
    for sig in batch:
        doc = make(sig.ref, list(sig.subjects)).model_dump(mode="json")
        doc["observed_at"] = sig.at.isoformat()
        documents.append(SignalIn.model_validate(doc, context={"limits": LIMITS}))
    with engine.begin() as connection:
        service.ingest(
            SqlSignalStore(connection),
            party=batch[0].party,
            signals=documents,
            now=LIMITS.now,
            linker=SqlLinker(connection, RULES, now=LIMITS.now),
        )


def sql_clusters(engine: Engine) -> dict[str, int | None]:
    signals = SignalRow.__table__
    with engine.connect() as connection:
        return {
            r.ref: r.cluster_id
            for r in connection.execute(
                select(signals.c.ref, signals.c.cluster_id).where(signals.c.is_current)
            )
        }


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_generated_region_over_sql(migrated_engine: Engine, data) -> None:
    _reset(migrated_engine)
    region = data.draw(regions())
    for batch in data.draw(arrivals(region)):
        ingest_sql(migrated_engine, batch)
    check_region(region, sql_clusters(migrated_engine))
    keys = LinkKeyRow.__table__
    with migrated_engine.connect() as connection:
        reasons = {
            bytes(r.pseudonym): r.hub_reason
            for r in connection.execute(select(keys.c.pseudonym, keys.c.hub_reason))
        }
    assert reasons[pseudonym_bytes("adres", SHELTER)] in ("structuur", "drempel")
    assert reasons[pseudonym_bytes("adres", WORKPLACE)] is None


def pseudonym_bytes(kind: str, number: int) -> bytes:
    return f"{kind}-{number}".encode().ljust(64, b".")


def test_pseudonym_encoding_matches_the_ingest_helper() -> None:
    from tests.test_linkage import pseudonym_of

    assert pseudonym_of("adres", 1) == b64u(pseudonym_bytes("adres", 1))
