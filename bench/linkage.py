"""Linkage benchmark: ingest with linkage, hits and stats over 1,000,000 signals.

One run, three parts, each against a baseline measured in the same run:

1. **Fill.** A fresh, migrated SQLite database is filled in bulk (SQLAlchemy Core executemany in
   chunks of ``--chunk`` rows, in its own process so that its memory is not counted as the
   gateway's) with ``--signals`` current signals in a consistent linkage state: 70% of clusters
   single signals, 27% of 2-8, 2.8% of 9-40, 0.2% of 41-400 (``--giant N`` adds one of N), tied
   by shared pseudonyms (chains of keys below the hub threshold for the large ones); hub
   pseudonyms above ``data.covenant.linkage.hub_threshold`` carried by signals of many clusters;
   ``link_keys`` computed from the stored subjects; a hit (with facets and an ``ontstaan`` event)
   for every cluster the ``hits`` policy calls a hit (the policy itself judges every cluster it
   could call one, 500 per decision; ``--verify`` checks the linkage against a from-scratch
   oracle); the stats rollup rebuilt.
2. **Ingest** on top of it, fresh batches of ``--batch`` signals from rotating parties (some carry
   pseudonyms of stored signals, so clusters grow and merge; some share a new pseudonym within
   the batch; some carry a hub pseudonym; 2% supersede a stored signal), four ways, interleaved
   batch by batch so that they see the same database:
   (a) raw Core: retire + insert signals + insert subjects, one transaction (the baseline);
   (b) the gateway's ingest without linkage: parse, ``ingest`` decision, ``service.ingest``
       without a linker, decision record and audit entry in one transaction;
   (c) the same with linkage and hits, exactly what the ingest use case's ``_store`` does
       (SqlLinker, the hits refresh with its ``hits`` decision), in process, timed step by step;
   (d) signed calls over HTTP to a real ``gateway serve`` process on the same database.
3. **Reads**: ``list_hits`` with and without filters and paging, the network view of the largest
   cluster, ``GET /v1/hits`` and stats when those exist.

    .venv/bin/python bench/linkage.py                              # 1,000,000 signals
    .venv/bin/python bench/linkage.py --signals 20000 --verify     # quick check + oracles

``--db PATH`` keeps the filled database (and reuses it if it is already filled: copy a pristine
one, since the ingest part adds to it); ``--explain`` prints SQLite's query plan of every
hits-list variant. Experiments without touching ``gateway/``: ``--policies DIR`` runs everything
on another policy directory, ``--index DDL`` changes the bench database's indexes first.

The parts: ``linkage_world`` (policy data, weights), ``linkage_fill`` (step 1 and its oracle),
``linkage_ingest`` (step 2), ``linkage_reads`` (step 3), ``linkage_report``; the gateway's
linkage and hits code is imported in ``linkage_gateway`` only.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import harness  # noqa: E402
from bench.harness import dev_keys  # noqa: E402
from bench.linkage_fill import fill, verify  # noqa: E402
from bench.linkage_gateway import ingest  # noqa: E402
from bench.linkage_ingest import (  # noqa: E402
    Run,
    batch_makers,
    ingest_rounds,
    peak_rss_of,
    timed_store,
)
from bench.linkage_reads import (  # noqa: E402
    Timed,
    hits_policy_cost,
    hits_reads,
    http_reads,
    stats_reads,
)
from bench.linkage_report import Measured, Report, report_fill, report_run  # noqa: E402
from bench.linkage_world import ADAPTER_PARTIES, POLICY, rss_mb, use_policies  # noqa: E402
from gateway.observability.logs import configure_logging  # noqa: E402
from gateway.parties.keys import load_signing_key  # noqa: E402
from gateway.runtime import Runtime  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from gateway.storage import stats as stats_store  # noqa: E402
from gateway.storage.database import create_db_engine, migrate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=1_000_000, help="stored before the test")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--batches", type=int, default=10, help="measured batches per method")
    parser.add_argument("--reps", type=int, default=50, help="repetitions of each read")
    parser.add_argument("--sealed-bytes", type=int, default=1024)
    parser.add_argument("--chunk", type=int, default=10_000, help="rows per executemany")
    parser.add_argument("--giant", type=int, default=0, help="add one cluster of this size")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument(
        "--policies",
        type=Path,
        default=POLICY.directory,
        help="policy directory (default: policies/)",
    )
    parser.add_argument("--db", type=Path, help="keep the filled database here (reused if filled)")
    parser.add_argument("--no-http", action="store_true", help="skip (d) and the HTTP reads")
    parser.add_argument("--verify", action="store_true", help="oracle checks of the fill")
    parser.add_argument("--explain", action="store_true", help="query plans of the hits list")
    parser.add_argument(
        "--index",
        action="append",
        default=[],
        metavar="DDL",
        help="experiment: run this DDL on the bench database before measuring (repeatable)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile (c)'s measured batches (slows them)"
    )
    parser.add_argument("--fill-into", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    use_policies(args.policies.resolve())

    if args.fill_into:  # the child process of step 1
        summary = fill(
            args.fill_into,
            n=args.signals,
            seed=args.seed,
            sealed_bytes=args.sealed_bytes,
            chunk=args.chunk,
            giant=args.giant,
        )
        Path(str(args.fill_into) + ".fill.json").write_text(json.dumps(summary))
        return

    run_started = time.perf_counter()
    configure_logging(level="WARNING", fmt="console", stream=sys.stderr)
    out = Report()
    with tempfile.TemporaryDirectory(prefix="gateway-bench-linkage-") as tmp:
        workdir = Path(tmp)
        db = args.db or workdir / "gateway.db"
        url = f"sqlite:///{db}"
        summary_file = Path(str(db) + ".fill.json")
        reused = db.exists() and summary_file.exists()
        if not reused:
            print(f"filling {db} with {args.signals:,} signals ...", flush=True)
            command = [sys.executable, __file__, "--fill-into", str(db)]
            for option in ("signals", "seed", "sealed_bytes", "chunk", "giant", "policies"):
                command += ["--" + option.replace("_", "-"), str(getattr(args, option))]
            subprocess.run(command, check=True)
        filled = json.loads(summary_file.read_text())
        report_fill(out, args, filled, db=db, reused=reused)
        if args.verify:
            problems = verify(url)
            out(f"oracle (linkage): {'consistent' if not problems else 'WRONG: ' + str(problems)}")
            if problems:
                raise SystemExit(1)
        if args.index:  # experiments: extra indexes in this bench database only
            probe = create_db_engine(url)
            with probe.begin() as c:
                for ddl in args.index:
                    t0 = time.perf_counter()
                    c.exec_driver_sql(ddl)
                    out(f"experiment: {ddl}  ({time.perf_counter() - t0:.1f} s)")
            probe.dispose()

        covenant, public, private = dev_keys(workdir)
        settings = Settings(
            database_url=url,
            policies_dir=POLICY.directory,
            keys_dir=public,
            private_keys_dir=private,
        )
        rt = Runtime.build(settings)
        # A reused fill may predate a migration (the audit tree); serve would migrate it too.
        migrate(rt.engine)
        run = Run(
            args=args,
            workdir=workdir,
            url=url,
            rt=rt,
            covenant=covenant,
            private=private,
            n_stored=filled["counts"]["signals"],
            methods=["a", "b", "c"] + ([] if args.no_http else ["d"]),
        )
        makers = batch_makers(run)
        rss = {"sampled": rss_mb()}

        # -- 2. ingest, and the HTTP reads while the server runs ---------------------------------
        server_peak = None
        http_rows: list[Timed] = []
        http_note = "not measured (--no-http)"
        store_names = set(ingest._store.__code__.co_names)
        rollup_note = (
            "the ingest route updates it (on_ingest)"
            if "on_ingest" in store_names
            else "the ingest route notes retired versions (note_retired); reads catch up"
            if "note_retired" in store_names
            else "the ingest route does not touch it"
        )
        print(f"ingest: {args.batches + 1} rounds of {len(run.methods)} batches ...", flush=True)
        serving = (
            harness.gateway_server(workdir, url, policies=POLICY.directory)
            if "d" in run.methods
            else nullcontext(None)
        )
        with serving as served, timed_store(rt):
            client = httpx.Client(base_url=served[0], timeout=600) if served else None
            signing = {p: load_signing_key(private, p) for p in ADAPTER_PARTIES} if served else {}
            profiler = cProfile.Profile() if args.profile else None
            ingested = ingest_rounds(run, makers, client=client, signing=signing, profiler=profiler)
            rss["ingest"] = rss_mb()
            if profiler is not None:
                print("\n== cProfile of (c), measured rounds, by cumulative time (top 30)")
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
            # What the first stats reader after the ingest phase pays.
            t0 = time.perf_counter()
            with rt.engine.begin() as c:
                caught = stats_store.catch_up(c, barriers=POLICY.barriers)
            catch_up_note = (
                f"; catch-up after the ingest phase: {caught:,} signals in "
                f"{(time.perf_counter() - t0) * 1000:,.0f} ms (paid once, by a reader)"
            )
            if served and client:
                http_rows, http_note = http_reads(run, served[0], client)
                server_peak = peak_rss_of(served[1].pid)
            if client:
                client.close()

        # -- 3. in-process reads -----------------------------------------------------------------
        print("reads ...", flush=True)
        read_rows, plans, open_hits = hits_reads(run)
        stats_rows, stats_note = stats_reads(run, catch_up_note)
        rss["reads"] = rss_mb()
        print("hits policy cost by cluster size ...", flush=True)
        cost = hits_policy_cost(rt.policy, (10, 50, 100, 200, 400))

        measured = Measured(
            methods=run.methods,
            n_stored=run.n_stored,
            ingested=ingested,
            makers=makers,
            rollup_note=rollup_note,
            cost=cost,
            open_hits=open_hits,
            read_rows=read_rows,
            stats_rows=stats_rows,
            stats_note=stats_note,
            http_reads=http_rows,
            http_note=http_note,
            plans=plans,
            rss=rss,
            server_peak=server_peak,
        )
        report_run(out, args, measured, filled, reused=reused, started=run_started)


if __name__ == "__main__":
    main()
