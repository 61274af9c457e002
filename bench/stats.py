"""Stats benchmark (stats over 1,000,000 stored signals, p95 <= 500 ms).

Builds a SQLite database of ``--signals`` current signals in a temp dir (bulk Core inserts in
chunks, bounded memory; realistic values: the Rotterdam-Rijnmond municipalities, the covenant's
adapter parties, five years of observations, 0 to 4 indicators drawn uniformly from the catalogue,
which spreads the rollup wider than real, correlated indicators would), fills the rollup with
``gateway.storage.stats.rebuild``, and then measures in the same run:

- baseline: a bare ``SELECT count(*)`` of the current signals, and one direct ``GROUP BY form``
  over the signals table (the design the rollup replaces);
- per dimension combination: the monitor's work (rollup query, labelling, suppression), p50/p95,
  and the ratio of its p95 to the baseline's;
- the same through HTTP: ``gateway serve`` on loopback, signed ``GET /v1/stats`` calls;
- the rollup's cost on ingest: ``on_ingest`` for batches of 500 new signals, against the bare
  Core insert of the same rows.

    .venv/bin/python bench/stats.py [--signals 1000000] [--reps 20] [--keep var/bench-stats.db]

With ``--keep PATH`` the database is kept (and reused when it exists), so a second run measures
without rebuilding.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import Engine, insert, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.harness import dev_keys, gateway_process  # noqa: E402
from gateway.auth.tokens import mint_call_token  # noqa: E402
from gateway.parties.covenant import load_covenant  # noqa: E402
from gateway.parties.keys import load_signing_key  # noqa: E402
from gateway.signals.reference import load_catalogue  # noqa: E402
from gateway.stats.dimensions import Dimension, Labels, StatsQuery  # noqa: E402
from gateway.stats.suppression import suppress  # noqa: E402
from gateway.storage import stats as stats_store  # noqa: E402
from gateway.storage.database import create_db_engine, migrate  # noqa: E402
from gateway.storage.tables import SignalRow  # noqa: E402

MUNICIPALITIES = {  # the region and its neighbours, weighted roughly by population
    "GM0599": 40, "GM0622": 6, "GM0597": 4, "GM0606": 6, "GM0489": 4, "GM0502": 5, "GM0542": 2,
    "GM0556": 2, "GM1621": 4, "GM0613": 2, "GM1992": 5, "GM0482": 1, "GM0505": 6, "GM0590": 2,
}  # fmt: skip
FORMS = {
    "arbeidsuitbuiting": 35, "seksuele_uitbuiting": 30, "criminele_uitbuiting": 15,
    "gedwongen_dienstverlening": 3, "orgaanverwijdering": 0.1, "illegale_prostitutie": 6,
    "mensensmokkel": 3, "onbekend": 8,
}  # fmt: skip
PARTIES = {
    "gemeente-rotterdam": 20, "gemeente-vlaardingen": 4, "gemeente-ridderkerk": 3,
    "politie-rotterdam": 30, "om-rotterdam": 3, "arbeidsinspectie": 12, "belastingdienst": 5,
    "zorgcoordinator-rr": 10, "woningcorporatie-maasoever": 8, "riec-rr": 5,
}  # fmt: skip
CERTAINTY = {"vermoeden": 60, "aannemelijk": 30, "vastgesteld": 10}
SEALED = bytes(1400)  # the size of a real HPKE-sealed identifying part
START = datetime(2021, 1, 1, tzinfo=UTC)
SPAN_S = 5 * 365 * 86_400
D = Dimension
COMBINATIONS: list[tuple[str, StatsQuery]] = [
    ("vorm", StatsQuery((D.VORM,))),
    ("vorm,gemeente,jaar", StatsQuery((D.VORM, D.GEMEENTE, D.JAAR))),
    ("maand,gemeente,vorm", StatsQuery((D.MAAND, D.GEMEENTE, D.VORM))),
    ("zekerheid,gemeente,maand", StatsQuery((D.ZEKERHEID, D.GEMEENTE, D.MAAND))),
    ("indicator", StatsQuery((D.INDICATOR,))),
    ("indicator,zekerheid,partijtype", StatsQuery((D.INDICATOR, D.ZEKERHEID, D.PARTIJTYPE))),
    ("indicator,gemeente,minderjarig", StatsQuery((D.INDICATOR, D.GEMEENTE, D.MINDERJARIG))),
    ("barriere,maand,zekerheid", StatsQuery((D.BARRIERE, D.MAAND, D.ZEKERHEID))),
    ("maand,gemeente,indicator", StatsQuery((D.MAAND, D.GEMEENTE, D.INDICATOR))),
    # A window and a filter count as dimensions: indicator + jaar + gemeente.
    (
        "indicator in 2023 in GM0599",
        StatsQuery((D.INDICATOR,), since=202301, until=202312, gemeente="GM0599"),
    ),
]
HTTP_CALLS = [
    {"dimensions": "vorm,gemeente,jaar"},
    {"dimensions": "indicator,zekerheid,partijtype"},
    # Within the covenant's stats.max_cells (10,000) at any size: maand,gemeente,indicator over
    # all municipalities has more cells than that and is refused (422 te-veel-cellen).
    {"dimensions": "maand,indicator", "gemeente": "GM0599"},
    {"dimensions": "indicator", "since": "2023-01", "until": "2023-12", "gemeente": "GM0599"},
]


def _picker(weights: dict[str, float], rnd: random.Random) -> Callable[[int], list[str]]:
    keys, values = list(weights), list(weights.values())
    return lambda k: rnd.choices(keys, values, k=k)


def generate(count: int, *, seed: int, start_ref: int = 0) -> Iterator[list[dict[str, Any]]]:
    """Signal rows in chunks of 10,000: only one chunk is ever in memory."""
    rnd = random.Random(seed)
    indicators = sorted(load_catalogue(REPO / "policies").barriers)
    municipality, form = _picker(MUNICIPALITIES, rnd), _picker(FORMS, rnd)
    party, certainty = _picker(PARTIES, rnd), _picker(CERTAINTY, rnd)
    received = datetime(2026, 11, 1, tzinfo=UTC)
    for base in range(0, count, 10_000):
        n = min(10_000, count - base)
        m, f, p, c = municipality(n), form(n), party(n), certainty(n)
        yield [
            {
                "party": p[j],
                "ref": f"bench-{start_ref + base + j:08d}",
                "version": 1,
                "is_current": True,
                "content_sha256": (start_ref + base + j).to_bytes(32, "big"),
                "observed_at": START + timedelta(seconds=rnd.randrange(SPAN_S)),
                "received_at": received,
                "municipality": m[j],
                "form": f[j],
                "certainty": c[j],
                "indicators": rnd.sample(indicators, rnd.choice((0, 1, 1, 2, 2, 2, 3, 4))),
                "data_classes": ["gewoon"],
                "minor": rnd.random() < 0.05,
                "consent": None,
                "embargo_until": None,
                "source_protected": False,
                "sealed": SEALED,
            }
            for j in range(n)
        ]


def build(engine: Engine, count: int, barriers: dict[str, str]) -> None:
    signals = SignalRow.__table__
    started = time.perf_counter()
    for n, chunk in enumerate(generate(count, seed=7)):
        with engine.begin() as connection:
            connection.execute(insert(signals), chunk)
        if n % 10 == 9:
            done = (n + 1) * 10_000
            print(f"  inserted {done:,} signals ({time.perf_counter() - started:.0f} s)", end="\r")
    print(f"  inserted {count:,} signals in {time.perf_counter() - started:.0f} s" + " " * 20)
    started = time.perf_counter()
    with engine.begin() as connection:
        stats_store.rebuild(connection, barriers=barriers)
    print(f"  rollup rebuilt in {time.perf_counter() - started:.0f} s")


def timed(fn: Callable[[], object], reps: int, cpu: list[float] | None = None) -> list[float]:
    """Wall-clock milliseconds per call, sorted; with ``cpu``, this process's CPU time per call
    too (unlike wall time, hardly affected by other work on the machine)."""
    fn()  # warm-up: page cache and statement cache
    found = []
    for _ in range(reps):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        found.append((time.perf_counter() - started) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - started_cpu) * 1000)
    if cpu is not None:
        cpu.sort()
    return sorted(found)


def p95(values: list[float]) -> float:
    return values[max(0, int(round(len(values) * 0.95)) - 1)]


def line(label: str, values: list[float], baseline: float | None, extra: str = "") -> None:
    ratio = f"  {p95(values) / baseline:7.1f}x baseline" if baseline else ""
    print(
        f"  {label:38s} p50 {statistics.median(values):7.1f} ms  p95 {p95(values):7.1f} ms"
        f"{ratio}{extra}"
    )


def monitor(engine: Engine, labels: Labels, reps: int, baseline: float) -> None:
    print("monitor (rollup query + labels + suppression), in process:")
    for label, query in COMBINATIONS:
        sizes: dict[str, int] = {}

        def run(query: StatsQuery = query, sizes: dict[str, int] = sizes) -> None:
            with engine.connect() as connection:
                cells = stats_store.counts(connection, query, labels)
            table = suppress(cells, dimensions=len(query.dimensions), threshold=5)
            sizes["cells"] = len(table.cells)

        cpu: list[float] = []
        values = timed(run, reps, cpu)
        extra = f"  cpu p50 {statistics.median(cpu):6.1f} ms  ({sizes['cells']:,} cells)"
        line(label, values, baseline, extra)


def over_http(workdir: Path, url: str, reps: int, baseline: float) -> None:
    covenant, _, private = dev_keys(workdir)
    key = load_signing_key(private, "riec-rr")
    print("monitor over HTTP (signed GET /v1/stats, gateway serve on loopback):")
    with gateway_process(workdir, url) as base, httpx.Client(base_url=base, timeout=60) as client:
        for params in HTTP_CALLS:
            target = "/v1/stats?" + urlencode(params)

            def call(target: str = target) -> None:
                token = mint_call_token(
                    key=key,
                    subject="bench",
                    roles=["analist"],
                    audience=covenant.gateway_id,
                    method="GET",
                    target=target,
                    body=b"",
                    now=datetime.now(UTC),
                )
                response = client.get(target, headers={"Authorization": f"Bearer {token}"})
                if response.status_code != 200:
                    raise SystemExit(f"{target}: {response.status_code} {response.text[:300]}")

            line(params["dimensions"] + (" (filtered)" if len(params) > 1 else ""),
                 timed(call, reps), baseline)  # fmt: skip


def ingest_cost(engine: Engine, barriers: dict[str, str], batches: int) -> None:
    """The rollup's share of an ingest: on_ingest after the Core insert of 500 new signals, in a
    transaction that is rolled back (the database is left as it was)."""
    signals = SignalRow.__table__
    insert_ms: list[float] = []
    rollup_ms: list[float] = []
    rows = [r for chunk in generate(batches * 500, seed=11, start_ref=50_000_000) for r in chunk]
    with engine.connect() as connection:
        for n in range(batches):
            batch = rows[n * 500 : (n + 1) * 500]
            transaction = connection.begin()
            started = time.perf_counter()
            connection.execute(insert(signals), batch)
            middle = time.perf_counter()
            stats_store.on_ingest(connection, added_rows=batch, removed_ids=[], barriers=barriers)
            insert_ms.append((middle - started) * 1000)
            rollup_ms.append((time.perf_counter() - middle) * 1000)
            transaction.rollback()
    insert_p50, rollup_p50 = statistics.median(insert_ms), statistics.median(rollup_ms)
    print("rollup upkeep per ingest batch of 500 (random values: every batch spans the cube):")
    print(f"  bare Core insert of the signals        p50 {insert_p50:7.1f} ms")
    print(
        f"  on_ingest (rollup upserts)             p50 {rollup_p50:7.1f} ms"
        f"  ({rollup_p50 / insert_p50:.2f}x the insert)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the database at this path")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP measurement")
    parser.add_argument("--ingest-batches", type=int, default=10)
    args = parser.parse_args()

    covenant = load_covenant(REPO / "policies")
    catalogue = load_catalogue(REPO / "policies")
    barriers = {code: b.value for code, b in catalogue.barriers.items()}
    labels = Labels({p.id: p.type.value for p in covenant.parties.values()}, barriers)
    with tempfile.TemporaryDirectory(prefix="gateway-bench-stats-") as tmp:
        workdir = Path(tmp)
        path = args.keep or workdir / "stats.db"
        url = f"sqlite:///{path.resolve()}"
        engine = create_db_engine(url)
        migrate(engine)
        with engine.connect() as connection:
            stored = connection.execute(
                text("SELECT count(*) FROM signals WHERE is_current")
            ).scalar_one()
        if stored == 0:
            print(f"building {args.signals:,} current signals in {path}")
            build(engine, args.signals, barriers)
        elif stored != args.signals:
            raise SystemExit(f"{path} holds {stored:,} signals, not {args.signals:,}")
        with engine.connect() as connection:
            rollup = connection.execute(text("SELECT count(*) FROM stats_counts")).scalar_one()
        print(f"database: {args.signals:,} current signals, {rollup:,} rollup rows (SQLite)")
        # Other work on the machine shows in every figure; say how busy it was.
        load = os.getloadavg()[0]
        print(f"load average (1 min) before measuring: {load:.2f} on {os.cpu_count()} cores\n")

        def count_all() -> None:
            with engine.connect() as connection:
                connection.execute(text("SELECT count(*) FROM signals WHERE is_current")).one()

        def direct_group_by() -> None:
            with engine.connect() as connection:
                connection.execute(
                    text("SELECT form, count(*) FROM signals WHERE is_current GROUP BY form")
                ).all()

        print("baseline:")
        base = timed(count_all, args.reps)
        line("SELECT count(*) of current signals", base, None)
        baseline = p95(base)
        line("direct GROUP BY form over signals", timed(direct_group_by, 3), baseline)
        monitor(engine, labels, args.reps, baseline)
        if not args.no_http:
            engine.dispose()
            over_http(workdir, url, args.reps, baseline)
        ingest_cost(engine, barriers, args.ingest_batches)
        engine.dispose()
        print("budget: p95 <= 500 ms over 1,000,000 signals")


if __name__ == "__main__":
    main()
