"""Audit log benchmark (append >= 5,000 entries/s, verify >= 100,000 entries/s,
inclusion proof <= 1 ms), each against a baseline measured in the same run:

1. append: ``store.append`` (canonical JSON, leaf and chain hashes, the Merkle nodes the append
   completes, the head row) in batches, against inserting the same prepared rows with bare Core;
   and one entry per transaction, as most API calls append;
2. verify: ``store.verify`` (every body re-parsed, re-serialised and hashed, the chain) plus
   ``store.verify_tree`` (every Merkle node recomputed), against hashing the same bodies alone;
3. proofs: an inclusion proof for random entries and a consistency proof, against reading one
   leaf hash by its key; and a signed checkpoint (root + Ed25519).

    .venv/bin/python bench/audit.py [--entries 200000] [--batch 500] [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, insert, select, text, update

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.harness import percentile  # noqa: E402
from gateway.audit import chain, checkpoint, store  # noqa: E402
from gateway.audit.chain import AuditEvent  # noqa: E402
from gateway.storage.database import create_db_engine, migrate  # noqa: E402
from gateway.storage.tables import AuditHeadRow, AuditNodeRow, AuditRow  # noqa: E402

NOW = datetime(2026, 11, 23, tzinfo=UTC)
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def events(n: int, offset: int = 0) -> list[AuditEvent]:
    """Entries shaped like the gateway's: an ingest receipt with ids, counts and a hash."""
    return [
        AuditEvent(
            event="signals.ingested",
            actor_party="gemeente-rotterdam",
            actor_sub="adapter",
            object={"batch_sha256": hashlib.sha256(str(offset + i).encode()).hexdigest()},
            detail={"stored": 500, "duplicates": 0, "superseded": 3, "clusters_changed": 41},
            policy_revision="sha256:" + "ab" * 32,
        )
        for i in range(n)
    ]


def reset(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as c:
        c.execute(delete(AuditRow.__table__))
        c.execute(delete(AuditNodeRow.__table__))
        c.execute(update(AuditHeadRow.__table__).values(seq=0, chain_hash=chain.GENESIS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--single", type=int, default=2_000, help="one-entry appends measured")
    parser.add_argument("--proofs", type=int, default=2_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.database == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'audit.db'}"
            engine = create_db_engine(url)
        else:
            schema = f"bench_audit_{random.randrange(1 << 30):x}"
            with create_db_engine(PG_URL).connect() as c:
                c.execute(text(f"CREATE SCHEMA {schema}"))
                c.commit()
            engine = create_db_engine(PG_URL + f"?options=-csearch_path%3D{schema}")
        migrate(engine)
        n, batch = args.entries, args.batch
        print(f"database: {args.database}; {n:,} entries in appends of {batch}")

        # 1a. baseline: the same rows, prepared in advance, inserted with bare Core.
        sealed = chain.seal(events(n), after_seq=0, after_hash=chain.GENESIS, now=NOW)
        rows = store.log_rows(sealed)
        t0 = time.perf_counter()
        for i in range(0, n, batch):
            with engine.begin() as c:
                c.execute(insert(AuditRow.__table__), rows[i : i + batch])
        raw_s = time.perf_counter() - t0
        reset(engine)

        # 1b. store.append, the same events, batched.
        todo = events(n)
        t0 = time.perf_counter()
        for i in range(0, n, batch):
            with engine.begin() as c:
                store.append(c, todo[i : i + batch], now=NOW)
        append_s = time.perf_counter() - t0

        # 1c. one entry per transaction (a refusal, a view, a case step).
        singles = events(args.single, offset=n)
        t0 = time.perf_counter()
        for event in singles:
            store.record(engine, event, now=NOW)
        single_s = time.perf_counter() - t0
        total = n + args.single

        # 2. verify, against hashing the bodies alone.
        with engine.connect() as c:
            bodies = [r.body for r in c.execute(select(AuditRow.__table__.c.body))]
        t0 = time.perf_counter()
        for body in bodies:
            hashlib.sha256(b"\x00" + body.encode()).digest()
        hash_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        with engine.connect() as c:
            verified = store.verify(c)
        verify_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        with engine.connect() as c:
            nodes = store.verify_tree(c)
        tree_s = time.perf_counter() - t0

        # 3. proofs, against one keyed read of a leaf.
        rng = random.Random(7)
        seqs = [rng.randrange(1, total + 1) for _ in range(args.proofs)]
        leaf_ms, proof_ms, consistency_ms = [], [], []
        with engine.connect() as c:
            for seq in seqs:
                t0 = time.perf_counter()
                c.execute(
                    select(AuditRow.__table__.c.leaf_hash).where(AuditRow.__table__.c.seq == seq)
                ).one()
                leaf_ms.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                store.inclusion_proof(c, seq, total)
                proof_ms.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                store.consistency_proof(c, seq, total)
                consistency_ms.append((time.perf_counter() - t0) * 1000)
            key = Ed25519PrivateKey.generate()
            sign_ms = []
            for _ in range(200):
                t0 = time.perf_counter()
                size = store.tree_size(c)
                point = checkpoint.Checkpoint("bench/audit", size, store.root(c, size))
                checkpoint.sign(point.text(), "bench/audit", key)
                sign_ms.append((time.perf_counter() - t0) * 1000)

        print()
        print(
            f"append, batches of {batch}     {n / append_s:>10,.0f} entries/s  "
            f"raw Core insert {n / raw_s:>10,.0f}/s  ({append_s / raw_s:.2f}x)"
        )
        print(
            f"append, one per transaction  {args.single / single_s:>10,.0f} entries/s  "
            f"({single_s / args.single * 1000:.2f} ms each)"
        )
        print(
            f"verify chain                 {verified / verify_s:>10,.0f} entries/s  "
            f"hashing alone {len(bodies) / hash_s:>10,.0f}/s  ({verify_s / hash_s:.1f}x)"
        )
        print(f"verify tree ({nodes:,} nodes)  {total / tree_s:>10,.0f} entries/s")
        print(f"verify chain + tree          {total / (verify_s + tree_s):>10,.0f} entries/s")
        for label, values in (
            ("inclusion proof", proof_ms),
            ("consistency proof", consistency_ms),
            ("signed checkpoint", sign_ms),
            ("baseline: read one leaf", leaf_ms),
        ):
            print(
                f"{label:<28} p50 {statistics.median(values):6.3f} ms  "
                f"p99 {percentile(values, 0.99):6.3f} ms"
            )
        p50 = statistics.median(proof_ms)
        print()
        print(
            f"target append >= 5,000/s: {n / append_s:,.0f}/s "
            f"{'met' if n / append_s >= 5000 else 'MISSED'}"
        )
        print(
            f"target verify >= 100,000/s: {total / (verify_s + tree_s):,.0f}/s "
            f"{'met' if total / (verify_s + tree_s) >= 100_000 else 'MISSED'}"
        )
        print(f"target inclusion proof <= 1 ms: p50 {p50:.3f} ms {'met' if p50 <= 1 else 'MISSED'}")
        engine.dispose()


if __name__ == "__main__":
    main()
