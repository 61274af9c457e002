"""Step 3 of the linkage bench: the reads over the filled database (hits list, network view,
stats, over HTTP when the routes exist) and the ``hits`` policy's cost by cluster size."""

from __future__ import annotations

import gc
import math
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import event, func, select

from bench.linkage_gateway import (
    HitFilter,
    SignalFacts,
    cluster_members,
    decode_cursor,
    evaluation_input,
    hub_ids,
    list_hits,
    network_view,
)
from bench.linkage_ingest import Run, signed
from bench.linkage_world import POLICY
from gateway.parties.keys import load_signing_key
from gateway.stats.dimensions import Dimension, Labels, StatsQuery
from gateway.stats.suppression import suppress
from gateway.storage import stats as stats_store
from gateway.storage.tables import ClusterRow, HitFacetRow, HitRow

CLUSTERS = ClusterRow.__table__
HITS = HitRow.__table__
FACETS = HitFacetRow.__table__
#: (label, seconds per run, what it returned)
Timed = tuple[str, list[float], str]


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    s = sorted(samples)
    p = lambda q: s[max(0, math.ceil(q * len(s)) - 1)] * 1000  # noqa: E731
    return p(0.5), p(0.95), s[-1] * 1000


def repeat(fn: Callable[[], Any], reps: int) -> tuple[list[float], Any]:
    fn()  # warm: statement cache, pages
    times, result = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


class Capture:
    """The SQL statements an engine runs, to show their query plans."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.statements: list[tuple[str, Any]] = []

    def __enter__(self) -> Capture:
        event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on)

    def _on(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.statements.append((statement, parameters))


def explain(engine: Any, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as c:
        return [
            row[-1]
            for row in c.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        ]


def hits_policy_cost(policy: Any, sizes: tuple[int, ...], reps: int = 3) -> list[tuple]:
    """One ``hits`` evaluation of one cluster of n signals from four parties, each on its own
    day over 18 months (so the window rule has work to do): the policy's cost by cluster size."""
    rng = random.Random(7)
    parties = ["politie-rotterdam", "gemeente-rotterdam", "arbeidsinspectie", "zorgcoordinator-rr"]
    now = datetime.now(UTC)
    found = []
    for n in sizes:
        facts = [
            SignalFacts(
                1,
                rng.choice(parties),
                "x",
                "arbeidsuitbuiting",
                ("ARB-ONDERBETALING",),
                False,
                "vermoeden",
                now - timedelta(days=rng.uniform(0, 540)),
                "GM0599",
            )
            for _ in range(n)
        ]
        document = evaluation_input({1: facts}, now=now).document
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            policy.decide("hits", document)
            times.append(time.perf_counter() - t0)
        found.append((n, len(document["clusters"][0]["signals"]), sorted(times)[len(times) // 2]))
    return found


def http_reads(run: Run, base: str, client: httpx.Client) -> tuple[list[Timed], str]:
    """``GET /v1/hits`` and ``GET /v1/stats`` as the RIEC's analyst, if the routes exist."""
    paths = httpx.get(base + "/openapi.json").json().get("paths", {})
    analyst = load_signing_key(run.private, "riec-rr")
    gets = []
    if "/v1/hits" in paths:
        gets += [
            "/v1/hits",
            "/v1/hits?gemeente=GM0599",
            "/v1/hits?vorm=orgaanverwijdering",
            "/v1/hits?barriere=huisvesting&gemeente=GM0606",
        ]
    if "/v1/stats" in paths:
        gets += [
            "/v1/stats?dimensions=vorm",
            "/v1/stats?dimensions=vorm,gemeente",
            "/v1/stats?dimensions=jaar,gemeente,vorm",
            # Over stats.max_cells (policy data): refused, after counting.
            "/v1/stats?dimensions=kwartaal,gemeente,vorm",
            "/v1/stats?dimensions=indicator,jaar&gemeente=GM0599",
        ]
    note = (
        "GET /v1/hits: "
        + ("there" if "/v1/hits" in paths else "NOT in /openapi.json")
        + "; GET /v1/stats: "
        + ("there" if "/v1/stats" in paths else "NOT in /openapi.json")
    )
    found: list[Timed] = []
    for target in gets:

        def get(target: str = target) -> httpx.Response:
            r = signed(client, analyst, run.covenant.gateway_id, "GET", target, b"", ["analist"])
            refused = r.status_code == 422 and "te-veel-cellen" in r.text
            if r.status_code != 200 and not refused:
                raise SystemExit(f"{target}: {r.status_code} {r.text[:300]}")
            return r

        times, response = repeat(get, run.args.reps)
        body = response.json()
        what = (
            f"{len(body['hits'])} hits"
            if "hits" in body
            else "refused: te-veel-cellen"
            if response.status_code == 422
            else f"{len(body.get('cells', body.get('rows', [])))} cells"
        )
        found.append((f"GET {target}", times, what))
    return found, note


def hits_reads(run: Run) -> tuple[list[Timed], dict[str, list[str]], int]:
    """``list_hits`` with and without filters and paging, and the network view of the largest
    cluster and of a median hit; returns the rows, the query plans and the open hits."""
    engine, reps, party_types = run.engine, run.args.reps, run.rt.party_types
    # The bench's own objects (pools, timers) stay out of the collector's way, as a server
    # process would not hold them.
    gc.collect()
    gc.freeze()
    now = datetime.now(UTC)
    with engine.connect() as c:
        by_value = {
            (f, v): n
            for f, v, n in c.execute(
                select(FACETS.c.facet, FACETS.c.value, func.count())
                .join_from(FACETS, HITS, HITS.c.id == FACETS.c.hit_id)
                .where(HITS.c.status == "open")
                .group_by(FACETS.c.facet, FACETS.c.value)
            )
        }
        open_hits = c.execute(
            select(func.count()).select_from(HITS).where(HITS.c.status == "open")
        ).scalar_one()
        largest = c.execute(
            select(CLUSTERS.c.id, CLUSTERS.c.size).order_by(CLUSTERS.c.size.desc()).limit(1)
        ).one()
        sizes = sorted(
            s for (s,) in c.execute(select(HITS.c.signals).where(HITS.c.status == "open"))
        )
        typical_size = sizes[len(sizes) // 2] if sizes else 0
        typical = c.execute(
            select(HITS.c.cluster_id)
            .where(HITS.c.status == "open", HITS.c.signals == typical_size)
            .limit(1)
        ).scalar()
    gemeenten = sorted((n, v) for (f, v), n in by_value.items() if f == "gemeente")
    rare_gemeente = gemeenten[0][1] if gemeenten else "GM0014"

    def hits_case(where: HitFilter, page: int = 1) -> Callable[[], Any]:
        after = None
        if page > 1:
            with engine.connect() as c:
                cursor = None
                for _ in range(page - 1):
                    _, cursor = list_hits(
                        c, where, limit=50, after=decode_cursor(cursor) if cursor else None
                    )
            after = decode_cursor(cursor) if cursor else None

        def call() -> Any:
            with engine.connect() as c:  # a connection per call, as a request has
                return list_hits(c, where, limit=50, after=after)

        return call

    def n_of(facet: str, value: str) -> int:
        return by_value.get((facet, value), 0)

    gm, rare = "GM0599", rare_gemeente
    cases: list[tuple[str, HitFilter, int, int]] = [
        ("open, no filter", HitFilter(), 1, open_hits),
        (f"gemeente={gm} (Rotterdam)", HitFilter(gemeente=gm), 1, n_of("gemeente", gm)),
        (f"gemeente={rare} (fewest hits)", HitFilter(gemeente=rare), 1, n_of("gemeente", rare)),
    ]
    for facet, value in (
        ("vorm", "arbeidsuitbuiting"),
        ("vorm", "orgaanverwijdering"),
        ("barriere", "huisvesting"),
        ("barriere", "vervoer"),
    ):
        where = HitFilter(**{facet: value})
        cases.append((f"{facet}={value}", where, 1, n_of(facet, value)))
    three = HitFilter(gemeente="GM0606", vorm="criminele_uitbuiting", barriere="financien")
    cases += [
        ("gemeente+vorm+barriere", three, 1, -1),
        ("urgent=true", HitFilter(urgent=True), 1, -1),
        ("since 30 days", HitFilter(since=now - timedelta(days=30)), 1, -1),
        ("status=alle", HitFilter(status=None), 1, -1),
        ("page 2 (cursor)", HitFilter(), 2, open_hits),
        ("page 20 (cursor)", HitFilter(), 20, open_hits),
        (f"gemeente={gm}, page 2", HitFilter(gemeente=gm), 2, n_of("gemeente", gm)),
    ]
    read_rows: list[tuple[str, list[float], str]] = []
    plans: dict[str, list[str]] = {}
    for label, where, page, matching in cases:
        call = hits_case(where, page)
        times, (items, _) = repeat(call, reps)
        with Capture(engine) as cap:
            call()
        statement, parameters = next(
            (s, p) for s, p in cap.statements if "FROM hits" in s and "ORDER BY" in s
        )
        plans[label] = explain(engine, statement, parameters)
        note = f"{len(items)} rows" + (f" of {matching:,}" if matching >= 0 else "")
        read_rows.append((f"list_hits {label}", times, note))

    def network(cluster_id: int) -> Callable[[], Any]:
        def call() -> Any:
            with engine.connect() as c:
                members = cluster_members(c, cluster_id)
                hubs_seen = hub_ids(c, [p for m in members for p, _, _ in m.subjects])
            return network_view(members, party_types=party_types, hubs=hubs_seen)

        return call

    for label, cid in (
        (f"network view, largest cluster ({largest.size:,} signals)", largest.id),
        (f"network view, median hit ({typical_size} signals)", typical),
    ):
        if cid is None:
            continue
        times, view = repeat(network(cid), max(10, reps // 2))
        note = f"{view['counts']['subjects']:,} nodes, {len(view['edges']):,} edges"
        read_rows.append((label, times, note))

    return read_rows, plans, open_hits


def stats_reads(run: Run, catch_up_note: str) -> tuple[list[Timed], str]:
    """Stats in process as the route does it: catch up the rollup, count, suppress small cells."""
    engine = run.engine
    stats_rows: list[tuple[str, list[float], str]] = []
    stats_note = "in process as the route does it: catch_up, counts (rollup), suppress"
    labels = Labels(party_types=POLICY.party_types, barriers=POLICY.barriers)
    threshold = int(POLICY.data.get("small_cell_threshold", 5))
    stats_note += catch_up_note
    D = Dimension
    for dims, extra in (
        ((D.VORM,), {}),
        ((D.VORM, D.GEMEENTE), {}),
        ((D.KWARTAAL, D.GEMEENTE, D.VORM), {}),
        ((D.INDICATOR, D.JAAR), {"gemeente": "GM0599"}),
        ((D.BARRIERE, D.PARTIJTYPE, D.MAAND), {}),
    ):
        query = StatsQuery(dimensions=dims, **extra)

        split: list[float] = []

        def stats_run(query: StatsQuery = query, split: list[float] = split) -> Any:
            with engine.begin() as c:  # as the route does before every read
                stats_store.catch_up(c, barriers=POLICY.barriers)
            with engine.connect() as c:
                cells = stats_store.counts(c, query, labels)
            t0 = time.perf_counter()
            table = suppress(cells, dimensions=len(query.dimensions), threshold=threshold)
            split.append(time.perf_counter() - t0)
            return table

        times, table = repeat(stats_run, run.args.reps)
        label = "stats " + ",".join(d.value for d in dims)
        label += "".join(f" {k}={v}" for k, v in extra.items())
        suppressing = sorted(split)[len(split) // 2] * 1000
        note = f"{len(table.cells):,} cells; suppress() p50 {suppressing:.0f} ms of it"
        stats_rows.append((label, times, note))
    return stats_rows, stats_note
