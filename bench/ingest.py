"""Ingest benchmark: signed batches over real HTTP against raw Core inserts.

Starts ``gateway serve`` as its own process on loopback (embedded defaults in a temp dir), sends
signed batches of 500 signals, and measures signals/s end to end. In the same run it inserts the
same rows with bare SQLAlchemy Core into a fresh database with the same schema; the ratio of the
two is the overhead of everything the gateway adds (HTTP, JSON, token check, replay cache,
validation, idempotency lookup, audit).

    .venv/bin/python bench/ingest.py [--signals 20000] [--batch 500] [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.harness import (  # noqa: E402
    core_insert,
    core_rows,
    dev_keys,
    gateway_process,
    seal_signals,
    signed_post,
)
from gateway.parties.keys import load_signing_key  # noqa: E402
from gateway.storage.database import create_db_engine, migrate  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PARTIES = [
    "gemeente-rotterdam",
    "politie-rotterdam",
    "arbeidsinspectie",
    "woningcorporatie-maasoever",
]


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_signal(i: int) -> dict:
    return {
        "ref": f"bench-{i:08d}",
        "observed_at": "2026-10-01T09:30:00+02:00",
        "municipality": "GM0599",
        "form": "arbeidsuitbuiting",
        "indicators": ["ARB-ONDERBETALING", "HUIS-OVERBEWONING"],
        "data_classes": ["gewoon"],
        "certainty": "vermoeden",
        "flags": {"minor": False, "source_protected": False},
        "subjects": [
            {"kind": "bsn", "role": "slachtoffer", "pseudonym": b64u(secrets.token_bytes(64))},
            {"kind": "adres", "role": "verblijfplaats", "pseudonym": b64u(secrets.token_bytes(64))},
            {"kind": "kvk", "role": "werkgever", "pseudonym": b64u(secrets.token_bytes(64))},
        ],
        # The size of a real HPKE-sealed identifying part (ML-KEM-768+X25519 enc is 1120 bytes).
        "sealed": b64u(secrets.token_bytes(1400)),
    }


def fresh_database(kind: str, workdir: Path, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / f'{name}.db'}"
    schema = f"bench_{name}_{secrets.token_hex(3)}"
    admin = create_db_engine(PG)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    return f"{PG}?options=-csearch_path%3D{schema}"


def raw_core_rate(url: str, batches: list[list[dict]]) -> float:
    """Same rows, bare Core: one transaction per batch, signals with RETURNING, then subjects."""
    engine = create_db_engine(url)
    migrate(engine)
    now = datetime.now(UTC)
    prepared = [core_rows(docs, PARTIES[n % len(PARTIES)], now) for n, docs in enumerate(batches)]
    started = time.perf_counter()
    total = 0
    for n, (rows, subs) in enumerate(prepared):
        if n == 1:  # the first batch warms caches and connections, as in the HTTP run
            started, total = time.perf_counter(), 0
        with engine.begin() as connection:
            core_insert(connection, rows, subs)
        total += len(rows)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return total / elapsed


def http_rate(url: str, workdir: Path, batches: list[list[dict]]) -> tuple[float, list[float]]:
    covenant, _, private = dev_keys(workdir)
    with gateway_process(workdir, url) as base:
        signing = {p: load_signing_key(private, p) for p in PARTIES}
        # Ingest opens every envelope: each signal sealed for real to the gateway's release key,
        # for its batch's party, here at set-up (outside the timed part). The baseline stores
        # stand-in bytes of about the same size.
        release_key = httpx.get(base + "/v1/gateway").json()["release_key"]
        bodies = [
            json.dumps(
                {"signals": seal_signals(docs, PARTIES[n % len(PARTIES)], release_key)}
            ).encode()
            for n, docs in enumerate(batches)
        ]
        latencies: list[float] = []
        with httpx.Client(base_url=base, timeout=60) as client:
            started = time.perf_counter()
            for n, body in enumerate(bodies):
                if n == 1:  # the first batch pays for lazy imports and connection set-up
                    started, latencies = time.perf_counter(), []
                t0 = time.perf_counter()
                response = signed_post(
                    client,
                    key=signing[PARTIES[n % len(PARTIES)]],
                    audience=covenant.gateway_id,
                    target="/v1/signals",
                    body=body,
                )
                if response.status_code != 200 or response.json()["stored"] != len(batches[n]):
                    raise SystemExit(f"batch {n}: {response.status_code} {response.text[:300]}")
                latencies.append(time.perf_counter() - t0)
            elapsed = time.perf_counter() - started
    return sum(len(b) for b in batches[1:]) / elapsed, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=20_500, help="the first batch is warm-up")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    docs = [make_signal(i) for i in range(args.signals)]
    batches = [docs[i : i + args.batch] for i in range(0, len(docs), args.batch)]
    with tempfile.TemporaryDirectory(prefix="gateway-bench-") as tmp:
        workdir = Path(tmp)
        raw = raw_core_rate(fresh_database(args.database, workdir, "raw"), batches)
        over_http, latencies = http_rate(
            fresh_database(args.database, workdir, "http"), workdir, batches
        )
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
    print(f"database            {args.database}")
    print(f"signals             {args.signals} in batches of {args.batch}")
    print(f"raw Core insert     {raw:,.0f} signals/s")
    print(
        f"gateway over HTTP   {over_http:,.0f} signals/s"
        f"  (batch p50 {p50:.0f} ms, p95 {p95:.0f} ms)"
    )
    print(f"ratio raw/gateway   {raw / over_http:.2f}x  (budget: >= 2,000/s and <= 3x on SQLite)")


if __name__ == "__main__":
    main()
