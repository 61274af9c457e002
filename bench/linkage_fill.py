"""Step 1 of the linkage bench: the bulk fill of a fresh database, and its from-scratch oracle.

Runs in its own process (``linkage.py --fill-into``) so that its memory is not counted as the
gateway's. Clusters are generated one at a time; every cluster the ``hits`` policy could call a
hit (:func:`bench.linkage_world.may_be_hit`) is judged by the policy itself, 500 clusters per
decision, and gets a hit row with facets and an ``ontstaan`` event when the policy says so.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, case, func, insert, literal, select

from bench.linkage_gateway import SignalFacts, evaluation_input, facets, link_rules, new_hit_id
from bench.linkage_world import (
    CERTAINTY,
    EXTRA_KINDS,
    FORM,
    PARTY,
    POLICY,
    SHARED,
    START,
    indicators_for,
    may_be_hit,
    may_be_urgent,
    municipality_chooser,
    rss_mb,
)
from gateway.policy.bundle import load_policy_set
from gateway.runtime import open_policy
from gateway.settings import Settings
from gateway.storage import stats as stats_store
from gateway.storage.database import create_db_engine, migrate
from gateway.storage.tables import (
    ClusterRow,
    HitEventRow,
    HitFacetRow,
    HitRow,
    LinkKeyRow,
    SignalRow,
    SubjectRow,
)

SIGNALS = SignalRow.__table__
SUBJECTS = SubjectRow.__table__
CLUSTERS = ClusterRow.__table__
KEYS = LinkKeyRow.__table__
HITS = HitRow.__table__
FACETS = HitFacetRow.__table__
EVENTS = HitEventRow.__table__


class BulkWriter:
    """Buffers rows per table and writes them with one executemany per ``chunk`` rows."""

    ORDER = (SIGNALS, SUBJECTS, CLUSTERS, HITS, FACETS, EVENTS)

    def __init__(self, connection: Connection, chunk: int) -> None:
        self.c = connection
        self.chunk = chunk
        self.buffers: dict[Any, list[dict[str, Any]]] = {t: [] for t in self.ORDER}
        self.written: dict[str, int] = defaultdict(int)

    def add(self, table: Any, row: dict[str, Any]) -> None:
        buffer = self.buffers[table]
        buffer.append(row)
        if len(buffer) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        for table in self.ORDER:  # signals before the subjects that refer to them
            buffer = self.buffers[table]
            if buffer:
                self.c.execute(insert(table), buffer)
                self.written[table.name] += len(buffer)
                buffer.clear()


@dataclass
class PendingCluster:
    cid: int
    facts: list[SignalFacts]
    received: list[datetime]


class Filler:
    """Generates clusters one at a time; memory holds one cluster and the pending hit checks."""

    def __init__(
        self,
        writer: BulkWriter,
        *,
        n: int,
        seed: int,
        sealed_bytes: int,
        now: datetime,
        giant: int,
    ) -> None:
        self.w = writer
        self.n = n
        self.rng = random.Random(seed)
        self.now = now
        self.municipality = municipality_chooser()
        self.sealed_pool = [
            self.rng.randbytes(max(64, int(sealed_bytes * self.rng.uniform(0.9, 1.1))))
            for _ in range(64)
        ]
        self.n_hubs = max(2, n // 25_000)
        self.hubs = [self.rng.randbytes(64) for _ in range(self.n_hubs)]
        self.p_hub = min(0.2, self.n_hubs * 150 / n)  # ~150 signals per hub, far over 25
        # --giant: one network of that many signals (a labour-exploitation case over many
        # addresses and employers), placed at random.
        self.giants = [self.rng.randrange(n)] if giant else []
        self.giant = giant
        self.pending: list[PendingCluster] = []
        self.pending_signals = 0
        self.policy = open_policy(Settings(policies_dir=POLICY.directory))
        self.revision = load_policy_set(POLICY.directory).revision
        self.stats: dict[str, int] = defaultdict(int)
        self.judge_s = 0.0  # judging clusters and writing their hits
        self.policy_s = 0.0  # of which the hits decisions

    def cluster_size(self, next_id: int) -> int:
        if self.giants and next_id >= self.giants[0]:
            self.giants.pop(0)
            return self.giant
        r = self.rng.random()
        if r < 0.70:
            return 1
        if r < 0.97:
            return self.rng.randint(2, 8)
        if r < 0.998:
            return self.rng.randint(9, 40)
        return self.rng.randint(41, 400)

    def run(self, commit_every: int = 100_000) -> None:
        next_id, cid, since_commit = 1, 0, 0
        while next_id <= self.n:
            size = min(self.cluster_size(next_id), self.n - next_id + 1)
            cid += 1
            self.cluster(cid, next_id, size)
            next_id += size
            since_commit += size
            if since_commit >= commit_every:
                self.w.flush()
                self.w.c.commit()
                since_commit = 0
        self.evaluate()
        self.w.flush()
        self.w.c.commit()
        self.stats["clusters"] = cid

    def cluster(self, cid: int, first_id: int, size: int) -> None:
        rng = self.rng
        home, form, muni = PARTY(rng), FORM(rng), self.municipality(rng)
        span = timedelta(days=120 if size <= 40 else 365)
        latest = self.now - timedelta(days=1)
        base = START + (latest - START) * rng.random()
        # Shared keys: one for a small cluster; for a large one a chain of groups of 4-20, each
        # with its own key and the first member of a group carrying the previous group's key too,
        # so that no key comes near the hub threshold.
        group_of: list[int] = []
        keys: list[tuple[str, str, bytes]] = []
        if size > 1:
            while len(group_of) < size:
                g = rng.randint(4, 20) if size > 20 else size
                kind, role = SHARED(rng)
                keys.append((kind, role, rng.randbytes(64)))
                group_of += [len(keys) - 1] * g
            group_of = group_of[:size]
        facts: list[SignalFacts] = []
        received: list[datetime] = []
        for m in range(size):
            sid = first_id + m
            party = home if size > 1 and rng.random() < 0.55 else PARTY(rng)
            f = form if rng.random() < 0.85 else FORM(rng)
            observed = min(base + span * rng.random(), latest)
            got = observed + timedelta(hours=rng.uniform(1, 14 * 24))
            if got > self.now:  # received some time in the last day, not all "now"
                got = self.now - timedelta(seconds=rng.uniform(60, 86_400))
            minor = rng.random() < 0.02
            indicators = indicators_for(rng, f)
            municipality = muni if rng.random() < 0.8 else self.municipality(rng)
            certainty = CERTAINTY(rng)
            subjects: list[tuple[str, str, bytes]] = []
            if size > 1:
                g = group_of[m]
                subjects.append(keys[g])
                if g > 0 and (m == 0 or group_of[m - 1] != g):
                    subjects.append(keys[g - 1])
            if not subjects or subjects[0][0] != "bsn":
                subjects.append((rng.choice(("bsn", "persoon")), "slachtoffer", rng.randbytes(64)))
            for kind, role, p in EXTRA_KINDS:
                if rng.random() < p:
                    subjects.append((kind, role, rng.randbytes(64)))
            if rng.random() < self.p_hub:
                subjects.append(("adres", "verblijfplaats", rng.choice(self.hubs)))
                self.stats["hub_links"] += 1
            self.w.add(
                SIGNALS,
                {
                    "id": sid,
                    "party": party,
                    "ref": f"fill-{sid:08d}",
                    "version": 1,
                    "is_current": True,
                    "content_sha256": rng.randbytes(32),
                    "observed_at": observed,
                    "received_at": got,
                    "municipality": municipality,
                    "form": f,
                    "certainty": certainty,
                    "indicators": indicators,
                    "data_classes": ["gewoon"],
                    "minor": minor,
                    "consent": None,
                    "embargo_until": None,
                    "source_protected": False,
                    "sealed": rng.choice(self.sealed_pool),
                    "cluster_id": cid,
                },
            )
            for kind, role, pseudonym in subjects:
                self.w.add(
                    SUBJECTS,
                    {"signal_id": sid, "kind": kind, "role": role, "pseudonym": pseudonym},
                )
            fact = SignalFacts(
                cid,
                party,
                POLICY.party_types[party],
                f,
                tuple(indicators),
                minor,
                certainty,
                observed,
                municipality,
            )
            facts.append(fact)
            received.append(got)
        self.w.add(
            CLUSTERS,
            {
                "id": cid,
                "size": size,
                "created_at": min(received),
                "updated_at": max(received),
                "merged_into": None,
                "split_from": None,
            },
        )
        if may_be_hit(facts):
            self.pending.append(PendingCluster(cid, facts, received))
            self.pending_signals += size
            if len(self.pending) >= 500 or self.pending_signals >= 20_000:
                self.evaluate()

    def evaluate(self) -> None:
        """Hit rows for the pending clusters that the ``hits`` policy calls hits: one decision
        for all of them, as the gateway's hits refresh asks it."""
        if not self.pending:
            return
        started = time.perf_counter()
        evaluation = evaluation_input({p.cid: p.facts for p in self.pending}, now=self.now)
        decision = self.policy.decide("hits", evaluation.document)
        judged = decision.document.get("hits") if decision.allow else None
        if not isinstance(judged, dict):
            raise SystemExit(f"the hits policy did not judge the fill's clusters: {decision}")
        verdicts = {
            cid: judged.get(entry) or {}
            for entry, cids in evaluation.clusters.items()
            for cid in cids
        }
        self.policy_s += time.perf_counter() - started
        for p in self.pending:
            self.stats["evaluated"] += 1
            verdict = verdicts.get(p.cid, {})
            if verdict.get("hit") is not True:
                continue
            hit_id = new_hit_id()
            urgent = verdict.get("urgent") is True
            order = sorted(range(len(p.facts)), key=lambda i: p.received[i])
            parties: set[str] = set()
            first_seen = p.received[order[-1]]
            for i in order:  # when the cluster first met the rule (near enough for a bench)
                f = p.facts[i]
                if f.form not in POLICY.out_of_scope:
                    parties.add(f.party)
                if len(parties) >= POLICY.min_parties or (urgent and may_be_urgent(f)):
                    first_seen = p.received[i]
                    break
            state = {
                "urgent": urgent,
                "signals": len(p.facts),
                "parties": len({f.party for f in p.facts}),
                "reasons": sorted(str(r.get("code")) for r in verdict.get("reasons", [])),
            }
            self.w.add(
                HITS,
                {
                    "id": hit_id,
                    "cluster_id": p.cid,
                    "status": "open",
                    **state,
                    "first_seen_at": first_seen,
                    "updated_at": max(p.received),
                    "merged_into": None,
                    "policy_revision": self.revision,
                },
            )
            self.w.add(
                EVENTS,
                {
                    "hit_id": hit_id,
                    "at": first_seen,
                    "event": "ontstaan",
                    "detail": {**state, "policy_revision": self.revision},
                },
            )
            for facet, value in sorted(facets(p.facts, POLICY.barrier_of)):
                self.w.add(FACETS, {"hit_id": hit_id, "facet": facet, "value": value})
            self.stats["hits"] += 1
            self.stats["urgent_hits"] += urgent
        self.pending.clear()
        self.pending_signals = 0
        self.judge_s += time.perf_counter() - started


def fill(
    db: Path, *, n: int, seed: int, sealed_bytes: int, chunk: int, giant: int
) -> dict[str, Any]:
    url = f"sqlite:///{db}"
    started = time.perf_counter()
    engine = create_db_engine(url)
    migrate(engine)
    timings: dict[str, float] = {}
    with engine.connect() as connection:
        dbapi = connection.connection.driver_connection
        # Bulk-load settings for this connection only (the gateway's own engine is untouched).
        for pragma in ("synchronous=OFF", "foreign_keys=OFF", "cache_size=-262144"):
            dbapi.execute(f"PRAGMA {pragma}")
        # Random 64-byte pseudonyms make the subjects' pseudonym index a random-order insert;
        # build it once at the end from sorted data instead (same DDL as the migration).
        (ddl,) = dbapi.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_signal_subjects_pseudonym'"
        ).fetchone()
        dbapi.execute("DROP INDEX ix_signal_subjects_pseudonym")
        now = datetime.now(UTC)
        writer = BulkWriter(connection, chunk)
        filler = Filler(
            writer,
            n=n,
            seed=seed,
            sealed_bytes=sealed_bytes,
            now=now,
            giant=giant,
        )
        t0 = time.perf_counter()
        filler.run()
        timings["rows"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        dbapi.execute(ddl)
        timings["pseudonym_index"] = time.perf_counter() - t0
        # link_keys from what is stored: every linking pseudonym (all kinds link in the demo
        # covenant) with its count of current signals; over the threshold a hub, not linking.
        t0 = time.perf_counter()
        rules = link_rules({"covenant": POLICY.data})
        carried = func.count(SUBJECTS.c.signal_id)
        is_hub = carried > POLICY.hub_threshold
        hub_name = literal("hub-") + func.lower(func.hex(func.randomblob(8)))
        connection.execute(
            insert(KEYS).from_select(
                ["pseudonym", "kind", "signals", "cluster_id", "hub_id", "hub_since"],
                select(
                    SUBJECTS.c.pseudonym,
                    func.min(SUBJECTS.c.kind),
                    carried,
                    case((is_hub, None), else_=func.min(SIGNALS.c.cluster_id)),
                    case((is_hub, hub_name), else_=None),
                    case((is_hub, literal(now, DateTime(timezone=True))), else_=None),
                )
                .join_from(SUBJECTS, SIGNALS, SIGNALS.c.id == SUBJECTS.c.signal_id)
                .where(SIGNALS.c.is_current, SUBJECTS.c.kind.in_(sorted(rules.kinds)))
                .group_by(SUBJECTS.c.pseudonym)
                .order_by(SUBJECTS.c.pseudonym),
            )
        )
        connection.commit()
        timings["link_keys"] = time.perf_counter() - t0
        # The regional monitor's rollup, as gateway.storage.stats keeps it.
        t0 = time.perf_counter()
        stats_store.rebuild(connection, barriers=POLICY.barriers)
        connection.commit()
        timings["stats_rollup"] = time.perf_counter() - t0
        counts = {
            t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (SIGNALS, SUBJECTS, CLUSTERS, KEYS, HITS, FACETS, EVENTS)
        }
        if "stats_counts" in SignalRow.metadata.tables:
            counts["stats_counts"] = connection.exec_driver_sql(
                "SELECT count(*) FROM stats_counts"
            ).scalar_one()
        hubs = connection.execute(
            select(func.count(), func.min(KEYS.c.signals)).where(KEYS.c.hub_id.is_not(None))
        ).one()
        connection.rollback()
        dbapi.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return {
        "seconds": time.perf_counter() - started,
        "timings": timings,
        "judge_s": filler.judge_s,
        "policy_s": filler.policy_s,
        "counts": counts,
        "hubs": hubs[0],
        "smallest_hub": hubs[1],
        "stats": dict(filler.stats),
        "bytes": db.stat().st_size,
        "peak_rss_mb": rss_mb(),
    }


def verify(url: str) -> list[str]:
    """From-scratch oracle: clusters are exactly the components over non-hub keys, and every
    count and pointer agrees (small databases only: it reads everything)."""
    engine = create_db_engine(url)
    problems: list[str] = []
    with engine.connect() as c:
        current = {
            i: cid
            for i, cid in c.execute(
                select(SIGNALS.c.id, SIGNALS.c.cluster_id).where(SIGNALS.c.is_current)
            )
        }
        carriers: dict[bytes, set[int]] = defaultdict(set)
        for sid, p in c.execute(select(SUBJECTS.c.signal_id, SUBJECTS.c.pseudonym)):
            if sid in current:
                carriers[bytes(p)].add(sid)
        parent = {i: i for i in current}

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for sids in carriers.values():
            if len(sids) <= POLICY.hub_threshold:
                first, *rest = sids
                for other in rest:
                    parent[find(other)] = find(first)
        component_cluster: dict[int, int] = {}
        for sid, cid in current.items():
            root = find(sid)
            if component_cluster.setdefault(root, cid) != cid:
                problems.append(f"component of signal {sid} spans clusters")
                break
        if len(set(component_cluster.values())) != len(component_cluster):
            problems.append("a cluster holds several components")
        sizes = defaultdict(int)
        for cid in current.values():
            sizes[cid] += 1
        for cid, size in c.execute(select(CLUSTERS.c.id, CLUSTERS.c.size)):
            if sizes.get(cid, 0) != size:
                problems.append(f"cluster {cid}: size {size}, members {sizes.get(cid, 0)}")
                break
        keys = {bytes(r.pseudonym): r for r in c.execute(select(KEYS))}
        if set(keys) != set(carriers):
            problems.append("link_keys differ from the carried pseudonyms")
        for p, sids in carriers.items():
            row = keys.get(p)
            hub = len(sids) > POLICY.hub_threshold
            if row is None or row.signals != len(sids) or (row.hub_id is not None) != hub:
                problems.append("a link key's count or hub flag is wrong")
                break
            if not hub and row.cluster_id != current[next(iter(sids))]:
                problems.append("a link key points at the wrong cluster")
                break
        for hit in c.execute(select(HITS.c.cluster_id, HITS.c.signals)):
            if sizes.get(hit.cluster_id) != hit.signals:
                problems.append("a hit's signal count is wrong")
                break
    engine.dispose()
    return problems


# -- 2. ingest on top ---------------------------------------------------------------------------
