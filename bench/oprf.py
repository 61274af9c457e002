"""OPRF benchmark: server-side evaluations per second against bare libsodium.

Builds batches of blinded elements with the client's ``blind`` (random inputs), then times the key
holder's ``blind_evaluate_batch`` (key check, every element deserialized and refused if bad, then
multiplied) and, in the same run on the same elements and key, bare libsodium
``crypto_scalarmult_ristretto255`` through pysodium with no checks at all. Rounds alternate the
two so drift affects both; the best round of each (wall clock) is reported, plus the median. The
ratio is the price of validation and the Python layers. Because other work on a shared machine
steals wall-clock time unevenly, the ratio of process CPU time (best rounds) is printed beside it
as a cross-check. Budget: >= 5,000 evaluations/s and within 1.5x of bare.

    .venv/bin/python bench/oprf.py [--batch 10000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

# Benches may call the primitive library directly: the baseline is bare libsodium by definition.
import pysodium

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.harness import dev_keys, gateway_process, signed_post  # noqa: E402
from gateway.pseudonyms import oprf  # noqa: E402

TARGET_PER_S = 5_000
TARGET_RATIO = 1.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=10_000, help="blinded elements per batch")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds of each")
    parser.add_argument("--no-http", action="store_true", help="skip the endpoint measurement")
    args = parser.parse_args()

    key, _ = oprf.derive_key_pair(os.urandom(32), b"bench:covenant")
    started = time.perf_counter()
    elements = [oprf.blind(f"bsn:{i:09d}".encode())[1] for i in range(args.batch)]
    blind_s = time.perf_counter() - started

    bare_mult = pysodium.crypto_scalarmult_ristretto255
    reference = [bare_mult(key, element) for element in elements]
    if oprf.blind_evaluate_batch(key, elements) != reference:
        raise SystemExit("FAIL: blind_evaluate_batch disagrees with bare libsodium")

    bare_times: list[float] = []
    gateway_times: list[float] = []
    bare_cpu: list[float] = []
    gateway_cpu: list[float] = []
    for round_ in range(args.rounds):
        for which in ("bare", "gateway") if round_ % 2 == 0 else ("gateway", "bare"):
            started, started_cpu = time.perf_counter(), time.process_time()
            if which == "bare":
                [bare_mult(key, element) for element in elements]
                bare_times.append(time.perf_counter() - started)
                bare_cpu.append(time.process_time() - started_cpu)
            else:
                oprf.blind_evaluate_batch(key, elements)
                gateway_times.append(time.perf_counter() - started)
                gateway_cpu.append(time.process_time() - started_cpu)

    bare = args.batch / min(bare_times)
    gateway = args.batch / min(gateway_times)
    ratio = bare / gateway
    cpu_ratio = min(gateway_cpu) / min(bare_cpu)
    if gateway >= TARGET_PER_S and ratio <= TARGET_RATIO:
        verdict = "OK"
    elif gateway >= TARGET_PER_S and cpu_ratio <= TARGET_RATIO:
        # Wall-clock time includes time the machine gave to other processes; when only the
        # wall-clock ratio misses, say so instead of blaming the code.
        verdict = "NOISY (wall clock over budget, CPU time within; rerun on a quiet machine)"
    else:
        verdict = "FAIL"
    print(f"batch                    {args.batch:,} blinded elements, {args.rounds} rounds")
    print(f"client blind             {args.batch / blind_s:,.0f} elements/s (setup, not budgeted)")
    print(
        f"bare libsodium mult      {bare:,.0f} elements/s"
        f"  (median round {args.batch / statistics.median(bare_times):,.0f})"
    )
    print(
        f"blind_evaluate_batch     {gateway:,.0f} elements/s"
        f"  (median round {args.batch / statistics.median(gateway_times):,.0f})"
    )
    print(
        f"ratio bare/gateway       {ratio:.2f}x"
        f"  (budget: >= {TARGET_PER_S:,}/s and <= {TARGET_RATIO}x)"
    )
    print(f"ratio by CPU time        {cpu_ratio:.2f}x  (cross-check)")
    print(f"verdict                  {verdict}")
    if not args.no_http:
        over_http = http_rate(elements, rounds=args.rounds)
        print(
            f"POST /v1/pseudonyms      {over_http:,.0f} elements/s"
            f"  (signed, {args.batch:,} per call, JSON + audit;"
            f" ratio to bare {bare / over_http:.2f}x)"
        )


def http_rate(elements: list[bytes], *, rounds: int) -> float:
    """The endpoint end to end: a real ``gateway serve`` on loopback, best of ``rounds`` calls."""
    import json
    import tempfile

    import httpx

    from gateway.crypto import b64u
    from gateway.parties.keys import load_signing_key

    with tempfile.TemporaryDirectory(prefix="gateway-oprf-bench-") as tmp:
        workdir = Path(tmp)
        covenant, _, private = dev_keys(workdir)
        key = load_signing_key(private, "gemeente-rotterdam")
        body = json.dumps(
            {"domain": covenant.pseudonym_domain, "elements": [b64u(e) for e in elements]}
        ).encode()
        unlimited = {"oprf_elements_per_minute": "100000000"}
        with gateway_process(workdir, f"sqlite:///{workdir / 'oprf.db'}", **unlimited) as base:
            times: list[float] = []
            with httpx.Client(base_url=base, timeout=120) as client:
                for _ in range(rounds):
                    started = time.perf_counter()
                    signed_post(
                        client,
                        key=key,
                        audience=covenant.gateway_id,
                        target="/v1/pseudonyms/evaluate",
                        body=body,
                    ).raise_for_status()
                    times.append(time.perf_counter() - started)
    return len(elements) / min(times)


if __name__ == "__main__":
    main()
