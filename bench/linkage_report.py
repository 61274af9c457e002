"""The linkage bench's report: what it prints (and keeps) after each step."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bench.linkage_ingest import BatchMaker, Ingested
from bench.linkage_reads import Timed, percentiles
from bench.linkage_world import POLICY


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)

    def __call__(self, text: str = "") -> None:
        self.lines.append(text)
        print(text, flush=True)


def report_fill(out: Report, args: Any, filled: dict[str, Any], *, db: Any, reused: bool) -> None:
    counts = filled["counts"]
    st = filled["stats"]
    out()
    out(f"== fill {'(reused from ' + str(db) + ')' if reused else ''}")
    out(
        f"signals {counts['signals']:,}   subjects {counts['signal_subjects']:,}   "
        f"clusters {counts['clusters']:,}   link_keys {counts['link_keys']:,} "
        f"(hubs {filled['hubs']}, the smallest carried by {filled['smallest_hub']} signals; "
        f"threshold {POLICY.hub_threshold})"
    )
    out(
        f"hits {counts['hits']:,} open ({st.get('urgent_hits', 0):,} urgent), hit_facets "
        f"{counts['hit_facets']:,}, stats_counts {counts.get('stats_counts', 0):,}; "
        f"sealed {args.sealed_bytes} B/signal; database {filled['bytes'] / 2**30:.2f} GiB"
    )
    t = filled["timings"]
    out(
        f"bulk fill {filled['seconds']:.0f} s: rows {t['rows']:.0f} s (hits "
        f"{filled['judge_s']:.0f} s, of which the hits policy {filled['policy_s']:.0f} s, over "
        f"{st['evaluated']:,} clusters it could call hits), pseudonym index "
        f"{t['pseudonym_index']:.0f} s, link_keys "
        f"{t['link_keys']:.0f} s"
        + (f", stats rollup {t['stats_rollup']:.0f} s" if "stats_rollup" in t else "")
        + f"; fill process peak RSS {filled['peak_rss_mb']:.0f} MB"
    )


@dataclass
class Measured:
    """Everything step 2 and 3 measured, for :func:`report_run`."""

    methods: list[str]
    n_stored: int
    ingested: Ingested
    makers: dict[str, BatchMaker]
    rollup_note: str
    cost: list[tuple]
    open_hits: int
    read_rows: list[Timed]
    stats_rows: list[Timed]
    stats_note: str
    http_reads: list[Timed]
    http_note: str
    plans: dict[str, list[str]]
    rss: dict[str, float]
    server_peak: float | None


def report_run(
    out: Report, args: Any, m: Measured, filled: dict[str, Any], *, reused: bool, started: float
) -> None:
    methods, n_stored = m.methods, m.n_stored
    batch_times, timers, makers = m.ingested.batch_times, m.ingested.timers, m.makers
    rollup_note, cost, open_hits = m.rollup_note, m.cost, m.open_hits
    read_rows, stats_rows, http_reads = m.read_rows, m.stats_rows, m.http_reads
    stats_note, http_note, plans = m.stats_note, m.http_note, m.plans
    server_peak = m.server_peak
    rss_sampled, rss_ingest, rss_reads = m.rss["sampled"], m.rss["ingest"], m.rss["reads"]
    run_started = started
    rounds = args.batches + 1
    measured = args.batches * args.batch
    rate = {m: measured / sum(batch_times[m]) for m in methods}
    names = {
        "a": "(a) raw Core insert (baseline)",
        "b": "(b) gateway ingest, no linkage",
        "c": "(c) gateway ingest + linkage + hits",
        "d": "(d) = (c) over HTTP, signed",
    }
    out()
    out(
        f"== ingest on top of {n_stored:,} stored signals: {args.batches} batches of "
        f"{args.batch} per method, interleaved round by round (warm-up round not counted)"
    )
    mix = makers["c"].mix
    out(
        f"mix of (c)'s {rounds} batches: {mix['joins']} signals join a stored cluster, "
        f"{mix['merges']} "
        f"tie two stored clusters, {mix['pairs']} share a new pseudonym within the batch, "
        f"{mix['hub']} carry a hub, {mix['supersedes']} supersede a stored signal"
    )
    out(f"{'method':40} {'signals/s':>10} {'vs (a)':>8} {'batch p50':>10} {'p95':>9} {'max':>9}")
    for m in methods:
        p50, p95, worst = percentiles(batch_times[m])
        out(
            f"{names[m]:40} {rate[m]:>10,.0f} {rate['a'] / rate[m]:>7.2f}x "
            f"{p50:>8.0f}ms {p95:>7.0f}ms {worst:>7.0f}ms"
        )
    out(
        f"linkage + hits cost, (b)/(c) rate: {rate['b'] / rate['c']:.2f}x"
        + (
            f";  HTTP + auth cost, (c)/(d) rate: {rate['c'] / rate['d']:.2f}x"
            if "d" in rate
            else ""
        )
    )
    if "d" in rate:
        ok = rate["d"] >= 2000 and rate["a"] / rate["d"] <= 3
        out(
            f"budget (HTTP, linkage, audit: >= 2,000 signals/s and <= 3x raw Core): "
            f"{rate['d']:,.0f}/s, {rate['a'] / rate['d']:.2f}x -> {'MET' if ok else 'MISSED'}"
        )
    parts = [
        "parse", "prove", "decide", "policy.ingest", "store.versions", "store.retire",
        "linker.unlink", "linker.assign", "store.insert", "linker.settle", "hits.refresh",
        "policy.hits", "transaction",
    ]  # fmt: skip
    for m in ("b", "c"):
        s = timers[m].s
        shown = "  ".join(f"{p} {s[p] / args.batches * 1000:.1f}" for p in parts if s.get(p))
        out(f"  ({m}) ms per batch: {shown}")
    s = timers["c"].s
    out(
        "      (decide includes policy.ingest; hits.refresh includes policy.hits; "
        "transaction is everything between BEGIN and COMMIT, both included)"
    )
    out(
        f"  (c) per batch: {s['n.clusters_judged'] / args.batches:.0f} clusters judged, "
        f"{s['n.hits_entries'] / args.batches:.0f} entries in the hits input (largest cluster "
        f"{s['n.hits_largest']:.0f} entries), {s['n.merges'] / args.batches:.1f} merges, "
        f"{s['n.splits'] / args.batches:.1f} splits; in all {s['n.hits_new']:.0f} new hits, "
        f"{s['n.hits_changed']:.0f} changed, {s['n.hits_merged']:.0f} merged, "
        f"{s['n.hits_lapsed']:.0f} lapsed"
    )
    out(f"  stats rollup: {rollup_note}")
    out()
    out("== hits policy cost by cluster size (one evaluation of one cluster, 4 parties, 18 months)")
    out("   " + "   ".join(f"{n} signals ({e} entries): {t * 1000:,.0f} ms" for n, e, t in cost))
    out()
    out(
        f"== reads over {n_stored:,} signals, {open_hits:,} open hits ({args.reps} runs each, "
        f"a pooled connection per call; p95 <= 500 ms)"
    )
    out(f"{'query':58} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  result")
    for label, times, note in read_rows + stats_rows + http_reads:
        p50, p95, worst = percentiles(times)
        flag = "" if p95 <= 500 else "   <-- over 500 ms"
        out(f"{label:58} {p50:>8.1f} {p95:>8.1f} {worst:>8.1f}  {note}{flag}")
    out(f"stats: {stats_note};  over HTTP: {http_note}")
    if args.explain:
        out()
        out("== query plans (EXPLAIN QUERY PLAN) of list_hits")
        for label, plan in plans.items():
            out(f"{label}: " + " | ".join(plan))
    out()
    out(
        f"== peak RSS (ru_maxrss): fill process {filled['peak_rss_mb']:.0f} MB (SQLite page "
        f"cache 256 MB of it); bench process after sampling {rss_sampled:.0f} MB, after "
        f"ingest {rss_ingest:.0f} MB, after reads {rss_reads:.0f} MB"
        + (f"; gateway serve (VmHWM) {server_peak:.0f} MB" if server_peak else "")
    )
    out(
        f"whole run {time.perf_counter() - run_started:.0f} s"
        + (" (fill reused)" if reused else "")
    )
