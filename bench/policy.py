"""Policy benchmark: the release decision for a case of 50 signals.

Measures ``decide("release", ...)`` latency (p50/p99, wall clock per call) in one run for:

0. the floor: the embedded engine with a one-line policy and the same input, i.e. what moving
   the input into OPA costs before any rule runs (the bindings parse input at roughly
   0.07-0.1 ms per KiB of JSON);
0b. the output floor: a policy whose decision is the real decision document written out as a
   constant, i.e. the input plus what moving a decision of this size out of OPA costs; the rest
   of the baseline is the rules themselves;
1. the embedded engine, one caller (the baseline; target p50 <= 5 ms, p99 <= 20 ms);
2. the ``opa`` backend over loopback HTTP against the OPA-compatible test server of
   ``tests/policy_test_server.py`` (which evaluates with the same embedded engine, so the
   difference is the REST path: JSON both ways, HTTP, the server's thread hop);
3. the embedded engine with 2 concurrent callers on one engine instance: the bindings serialise
   evaluations with a lock, so each call waits for the other;
4. the same 2 callers with ``instances=2``: two engine copies, which ctypes lets run in parallel.

The input is realistic: a case director asking in the casusoverleg with four-eyes approvals,
six participants (one a non-signatory), and 50 signals from eight partners with mixed data
classes (ordinary, police, criminal, health, care secrecy, tax, the odd CIE signal), minors,
embargoes, source protection and consent, and the fields of each class plus reporter fields.
``--input contract`` (default) sends what the input contract of policies/gateway/release/README.md
asks: only the keys the policy reads, and only the flags that are set. ``--input full`` also
sends the keys the policy ignores (ref, certainty, municipality, observed_at) and every flag
with false/null, as the first version of this benchmark did (about 1.5 times the JSON).
It runs on the real ``policies/`` when they define the release decision, else on the stand-in
set (and says so).

    .venv/bin/python bench/policy.py [--calls 400] [--seed 7] [--input contract|full]
                                     [--policy auto|real|stand-in]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.harness import add_gogc_option, apply_gogc  # noqa: E402
from gateway.policy import load_policy_set  # noqa: E402
from gateway.policy.bundle import PolicySet  # noqa: E402
from gateway.policy.embedded import EmbeddedEngine  # noqa: E402
from gateway.policy.engine import DecisionPoint, PolicyEngine  # noqa: E402
from gateway.policy.opa_server import OpaServerEngine  # noqa: E402
from gateway.policy.testing import defined_decision_points  # noqa: E402
from tests.policy_test_server import opa_test_server, write_stand_in_policies  # noqa: E402

TARGET_P50_MS = 5.0
TARGET_P99_MS = 20.0
SIGNALS = 50

_SOURCES = [
    ("politie-rotterdam", "politie", ["gewoon", "politiegegevens", "strafrechtelijk"]),
    ("gemeente-rotterdam", "gemeente", ["gewoon", "seksueel_leven", "verblijfsstatus"]),
    ("gemeente-vlaardingen", "gemeente", ["gewoon", "verblijfsstatus"]),
    ("arbeidsinspectie", "arbeidsinspectie", ["gewoon", "strafrechtelijk"]),
    ("belastingdienst", "belastingdienst", ["gewoon", "fiscaal"]),
    ("zorgcoordinator-rr", "zorg", ["gewoon", "gezondheid", "zorg_beroepsgeheim"]),
    ("om-rotterdam", "om", ["gewoon", "strafrechtelijk"]),
    ("woningcorporatie-maasoever", "woningcorporatie", ["gewoon"]),
]
_FORMS = ["arbeidsuitbuiting", "seksuele_uitbuiting", "criminele_uitbuiting", "onbekend"]


def release_input(seed: int, shape: str = "contract") -> dict[str, Any]:
    """A 50-signal case in the casusoverleg, shaped like the release policy's input.

    ``shape="contract"``: only the keys the policy reads and only the flags that are set (the
    input contract); ``"full"``: also the keys it ignores and every flag, false/null included.
    """
    rng = random.Random(seed)
    covenant = json.loads((REPO / "policies" / "covenant" / "data.json").read_text("utf-8"))
    class_fields: dict[str, list[str]] = covenant.get("fields", {})
    reporter = covenant.get("source_protection", {}).get("reporter_fields", ["melder"])
    indicators = sorted(
        json.loads((REPO / "policies" / "catalogue" / "data.json").read_text("utf-8"))["indicators"]
    )
    signals = []
    for index in range(SIGNALS):
        party, party_type, classes = _SOURCES[index % len(_SOURCES)]
        chosen = ["gewoon"] + rng.sample(classes[1:], k=rng.randint(0, len(classes) - 1))
        if index % 17 == 16:
            chosen.append("cie")
        fields = [
            f
            for c in chosen
            for f in rng.sample(
                class_fields.get(c, ["naam"]), k=min(3, len(class_fields.get(c, [])))
            )
        ]
        if rng.random() < 0.3:
            fields.append(rng.choice(reporter))
        signals.append(
            {
                "index": index,
                "id": f"sig-{index:03d}",
                "ref": f"REF-{index:04d}",
                "party": party,
                "party_type": party_type,
                "form": rng.choice(_FORMS),
                "indicators": rng.sample(indicators, k=2),
                "data_classes": sorted(set(chosen)),
                "certainty": rng.choice(["vermoeden", "aannemelijk", "vastgesteld"]),
                "municipality": "GM0599",
                "observed_at": f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00Z",
                "flags": {
                    "minor": rng.random() < 0.1,
                    "consent": rng.choice([None, True, False]),
                    "embargo_until": "2026-12-31" if rng.random() < 0.1 else None,
                    "source_protected": rng.random() < 0.2,
                },
                "fields": sorted(set(fields)),
            }
        )
        if shape == "contract":
            signal = signals[-1]
            for ignored in ("index", "ref", "certainty", "municipality", "observed_at"):
                del signal[ignored]
            signal["flags"] = {k: v for k, v in signal["flags"].items() if v not in (None, False)}
    participants = [
        {
            "party": p,
            "type": covenant["parties"][p]["type"],
            "signatory": covenant["parties"][p]["signatory"],
        }
        for p in (
            "politie-rotterdam",
            "om-rotterdam",
            "gemeente-rotterdam",
            "zorgcoordinator-rr",
            "arbeidsinspectie",
            "gemeente-alblasserdam",
        )
    ]
    return {
        "now": "2026-10-01T10:00:00Z",
        "requester": {"party": "riec-rr", "type": "riec", "roles": ["casusregisseur"]},
        "case": {
            "id": "case-0001",
            "stage": "casusoverleg",
            "purpose": "ketenaanpak",
            "acute_danger": False,
            "meeting_part": None,
            "approvals": [
                {"party": "riec-rr", "role": "casusregisseur", "sub": "medewerker-0001"},
                {"party": "riec-rr", "role": "privacy_officer", "sub": "medewerker-0002"},
            ],
        },
        "participants": participants,
        "signals": signals,
    }


def choose_policy_set(workdir: Path, choice: str) -> tuple[PolicySet, str]:
    """The real set if it defines ``gateway.release.decision`` (or ``choice`` says which)."""
    real = REPO / "policies"
    if choice in ("auto", "real"):
        if any(real.glob("gateway/**/*.rego")):
            real_set = load_policy_set(real)
            if DecisionPoint.RELEASE in defined_decision_points(real_set):
                return real_set, "real policies/ (gateway/release)"
        if choice == "real":
            raise SystemExit("policies/gateway/release defines no decision yet")
    stand_in = write_stand_in_policies(workdir / "policies")
    why = "as asked" if choice == "stand-in" else "policies/gateway/release has no decision yet"
    return load_policy_set(stand_in), (
        f"STAND-IN release policy of tests/policy_test_server.py ({why})"
    )


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(engine: PolicyEngine, document: dict[str, Any], calls: int) -> list[float]:
    latencies = []
    for _ in range(calls):
        started = time.perf_counter()
        engine.decide("release", document)
        latencies.append((time.perf_counter() - started) * 1000.0)
    return latencies


def concurrent(
    engine: PolicyEngine, document: dict[str, Any], calls: int, callers: int
) -> tuple[list[float], float]:
    """``callers`` threads share ``calls``; returns every latency and the decisions per second."""
    results: list[list[float]] = [[] for _ in range(callers)]
    barrier = threading.Barrier(callers + 1)

    def run(slot: int) -> None:
        barrier.wait()
        results[slot] = timed(engine, document, calls // callers)

    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(callers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies = [value for part in results for value in part]
    return latencies, len(latencies) / elapsed


def row(label: str, latencies: list[float], throughput: float, baseline_p50: float) -> str:
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    return (
        f"  {label:<34} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  "
        f"mean {statistics.fmean(latencies):7.2f} ms  {throughput:7.0f}/s  "
        f"p50 x{p50 / baseline_p50:5.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400, help="decisions per measurement")
    parser.add_argument("--seed", type=int, default=7, help="seed of the case generator")
    parser.add_argument(
        "--input",
        choices=["contract", "full"],
        default="contract",
        help="contract: the keys the policy reads, set flags only; full: every key and flag",
    )
    parser.add_argument(
        "--policy",
        choices=["auto", "real", "stand-in"],
        default="auto",
        help="auto: the real release policy when it exists, else the stand-in",
    )
    add_gogc_option(parser)
    args = parser.parse_args()
    apply_gogc(args)

    with tempfile.TemporaryDirectory() as tmp:
        policy_set, which = choose_policy_set(Path(tmp), args.policy)
        document = release_input(args.seed, args.input)
        size = len(json.dumps(document))
        print(f"policy set: {which}")
        print(f"revision:   {policy_set.revision}")
        print(
            f"input:      {SIGNALS} signals, {len(document['participants'])} participants, "
            f"{size / 1024:.1f} KiB JSON ({args.input})"
        )

        embedded = EmbeddedEngine(policy_set)
        pair = EmbeddedEngine(policy_set, instances=2)
        floor_dir = Path(tmp) / "floor"
        (floor_dir / "gateway" / "release").mkdir(parents=True)
        (floor_dir / "gateway" / "release" / "release.rego").write_text(
            'package gateway.release\n\ndecision := {"allow": true, "reasons": []}\n', "utf-8"
        )
        floor = EmbeddedEngine(load_policy_set(floor_dir))
        decision = embedded.decide("release", document)
        if decision.error:
            raise SystemExit(f"the release decision failed: {decision.error}")
        print(
            f"decision:   allow={decision.allow}; reasons: "
            + ", ".join(sorted({r.code for r in decision.reasons}))
        )
        print(f"output:     {len(json.dumps(decision.document)) / 1024:.1f} KiB JSON")
        # The same input, and the real decision as a constant (JSON is a Rego literal).
        output_dir = Path(tmp) / "output-floor"
        (output_dir / "gateway" / "release").mkdir(parents=True)
        (output_dir / "gateway" / "release" / "release.rego").write_text(
            "package gateway.release\n\ndecision := " + json.dumps(decision.document) + "\n",
            "utf-8",
        )
        output_floor = EmbeddedEngine(load_policy_set(output_dir))

        with opa_test_server() as server:
            remote = OpaServerEngine(policy_set, server.url, 10.0)
            if remote.decide("release", document).document != decision.document:
                raise SystemExit("the two backends disagree on the benchmark input")
            measurements: list[tuple[str, Callable[[int], tuple[list[float], float]]]] = [
                ("floor: one-line policy, same input", lambda n: concurrent(floor, document, n, 1)),
                (
                    "floor + output: constant decision",
                    lambda n: concurrent(output_floor, document, n, 1),
                ),
                ("embedded, 1 caller (baseline)", lambda n: concurrent(embedded, document, n, 1)),
                ("opa over loopback, 1 caller", lambda n: concurrent(remote, document, n, 1)),
                ("embedded, 2 callers, 1 instance", lambda n: concurrent(embedded, document, n, 2)),
                ("embedded, 2 callers, 2 instances", lambda n: concurrent(pair, document, n, 2)),
            ]
            # Warm-up: prepared queries, HTTP connections, allocator; not measured.
            for _, measure in measurements:
                measure(max(20, args.calls // 10))
            results = [(label, *measure(args.calls)) for label, measure in measurements]
            remote.close()

        results = [results[2], results[0], results[1], *results[3:]]
        baseline_p50 = percentile(results[0][1], 0.50)
        print(f"\nrelease decision, {args.calls} calls per row (wall clock per call):")
        for label, latencies, throughput in results:
            print(row(label, latencies, throughput, baseline_p50))

        p50, p99 = percentile(results[0][1], 0.50), percentile(results[0][1], 0.99)
        verdict_p50 = "OK" if p50 <= TARGET_P50_MS else "OVER TARGET"
        verdict_p99 = "OK" if p99 <= TARGET_P99_MS else "OVER TARGET"
        print(f"\ntarget embedded p50 <= {TARGET_P50_MS:g} ms: {p50:.2f} ms {verdict_p50}")
        print(f"target embedded p99 <= {TARGET_P99_MS:g} ms: {p99:.2f} ms {verdict_p99}")
        engine_ms = statistics.median(
            embedded.decide("release", document).duration_ms for _ in range(50)
        )
        print(f"engine-internal median (Decision.duration_ms): {engine_ms:.2f} ms")
        input_ms = percentile(results[1][1], 0.50)
        output_ms = percentile(results[2][1], 0.50) - input_ms
        print(
            f"where the p50 goes: input {input_ms:.2f} ms, output {output_ms:.2f} ms, "
            f"rules {p50 - input_ms - output_ms:.2f} ms"
        )
        embedded.close()
        pair.close()
        floor.close()
        output_floor.close()


if __name__ == "__main__":
    main()
