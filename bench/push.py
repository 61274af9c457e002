"""Adapter push benchmark: a generated region through ``adapters.push`` to a real gateway.

Generates a region (``--size medium``: about 2,800 signals), starts ``gateway serve`` as its own
process on loopback (embedded defaults in a temp dir), and pushes every partner file through the
full adapter pipeline: read, normalise, OPRF blind/evaluate/finalize, HPKE seal, sign, submit.
Prints signals/s for the whole pipeline and, as the baseline in the same run, the gateway's own
ingest rate for the same signals already prepared (so the ratio is the adapter's share).

    .venv/bin/python bench/push.py [--size medium] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from adapters import push  # noqa: E402
from adapters.registry import get  # noqa: E402
from bench.harness import dev_keys, gateway_process, signed_post  # noqa: E402
from gateway.demo import shareable_care_export  # noqa: E402
from gateway.demo_data import generate_region  # noqa: E402
from gateway.parties.keys import load_signing_key  # noqa: E402


class Recording(push.GatewayClient):
    """Keeps the bodies it submitted, to replay them against a fresh gateway as the baseline."""

    bodies: list[tuple[str, list[dict]]] = []

    def submit(self, signals):  # type: ignore[no-untyped-def]
        Recording.bodies.append((self._key.party_id, signals))
        return super().submit(signals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="medium")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    unlimited = {"oprf_elements_per_minute": "10000000"}
    with tempfile.TemporaryDirectory(prefix="gateway-push-bench-") as tmp:
        workdir = Path(tmp)
        region = workdir / "region"
        generate_region(region, seed=args.seed, size=args.size)
        covenant, _, private = dev_keys(workdir)
        manifest = json.loads((region / "manifest.json").read_text())

        with gateway_process(workdir, f"sqlite:///{workdir / 'pipeline.db'}", **unlimited) as base:
            started = time.perf_counter()
            records = 0
            for entry in manifest:
                path = region / entry["file"]
                if entry["format"] == "zorg-csv":
                    # What the covenant lets a care coordinator export: registrations with the
                    # client's consent (the ingest policy refuses the rest, and a batch is atomic).
                    path = shareable_care_export(path, workdir)
                client = Recording(base_url=base, key=load_signing_key(private, entry["party"]))
                report = push.push(
                    client=client,
                    adapter=get(entry["format"]),
                    path=path,
                    party=entry["party"],
                )
                records += report.records
                client.close()
            pipeline = records / (time.perf_counter() - started)

        with gateway_process(workdir, f"sqlite:///{workdir / 'baseline.db'}", **unlimited) as base:
            bodies = [(p, json.dumps({"signals": s}).encode()) for p, s in Recording.bodies]
            with httpx.Client(base_url=base, timeout=60) as http:
                started = time.perf_counter()
                for party, body in bodies:
                    signed_post(
                        http,
                        key=load_signing_key(private, party),
                        audience=covenant.gateway_id,
                        target="/v1/signals",
                        body=body,
                    ).raise_for_status()
                ingest_only = records / (time.perf_counter() - started)
    print(
        f"region          {args.size}, seed {args.seed}: {records} signals, {len(manifest)} files"
    )
    print(f"adapter push    {pipeline:,.0f} signals/s  (read, normalise, OPRF, seal, sign, submit)")
    print(f"ingest only     {ingest_only:,.0f} signals/s  (same prepared batches, baseline)")
    print(f"ratio           {ingest_only / pipeline:.2f}x  (the adapter pipeline's share)")


if __name__ == "__main__":
    main()
