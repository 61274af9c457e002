"""Linkage benchmark: ingest with linkage, hits and stats over 1,000,000 signals.

One run, three parts, each against a baseline measured in the same run:

1. **Fill.** A fresh, migrated SQLite database is filled in bulk (SQLAlchemy Core executemany in
   chunks of ``--chunk`` rows, in its own process so that its memory is not counted as the
   gateway's) with ``--signals`` current signals in a consistent linkage state: 70% of clusters
   single signals, 27% of 2-8, 2.8% of 9-40, 0.2% of 41-400 (``--giant N`` adds one of N), tied
   by shared pseudonyms (chains of keys below the hub threshold for the large ones); hub
   pseudonyms above ``data.covenant.linkage.hub_threshold`` carried by signals of many clusters;
   ``link_keys`` computed from the stored subjects; a hit (with facets and an ``ontstaan`` event)
   for every cluster the ``hits`` rule calls a hit (judged by :func:`hit_rule`, a Python copy of
   the rule, since the policy is too slow for 80,000 clusters; ``--verify`` checks the copy
   against the policy and the linkage against a from-scratch oracle); the stats rollup rebuilt.
2. **Ingest** on top of it, fresh batches of ``--batch`` signals from rotating parties (some carry
   pseudonyms of stored signals, so clusters grow and merge; some share a new pseudonym within
   the batch; some carry a hub pseudonym; 2% supersede a stored signal), four ways, interleaved
   batch by batch so that they see the same database:
   (a) raw Core: retire + insert signals + insert subjects, one transaction (the baseline);
   (b) the gateway's ingest without linkage: parse, ``ingest`` decision, ``service.ingest``
       without a linker, decision record and audit entry in one transaction;
   (c) the same with linkage and hits, exactly what ``routes.signals._store`` does (SqlLinker,
       HitWriter.refresh with the ``hits`` decision), in process, timed step by step;
   (d) signed calls over HTTP to a real ``gateway serve`` process on the same database.
3. **Reads**: ``list_hits`` with and without filters and paging, the network view of the largest
   cluster, ``GET /v1/hits`` and stats when those exist.

    .venv/bin/python bench/linkage.py                              # 1,000,000 signals
    .venv/bin/python bench/linkage.py --signals 20000 --verify     # quick check + oracles

``--db PATH`` keeps the filled database (and reuses it if it is already filled: copy a pristine
one, since the ingest part adds to it); ``--explain`` prints SQLite's query plan of every
hits-list variant. Experiments without touching ``gateway/``: ``--policies DIR`` runs everything
on another policy directory, ``--index DDL`` changes the bench database's indexes first.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import cProfile
import gc
import json
import math
import os
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import (
    Connection,
    DateTime,
    case,
    event,
    func,
    insert,
    literal,
    select,
    update,
)

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import harness  # noqa: E402
from bench.harness import dev_keys  # noqa: E402
from gateway import sealing  # noqa: E402
from gateway.api.routes import signals as signal_routes  # noqa: E402
from gateway.audit import store as audit  # noqa: E402
from gateway.audit.chain import AuditEvent  # noqa: E402
from gateway.auth.signed_calls import VerifiedCall  # noqa: E402
from gateway.auth.tokens import mint_call_token  # noqa: E402
from gateway.hits.network import network_view  # noqa: E402
from gateway.hits.summary import SignalFacts, evaluation_input, facets  # noqa: E402
from gateway.linkage.rules import link_rules  # noqa: E402
from gateway.observability.logs import configure_logging  # noqa: E402
from gateway.parties.keys import load_signing_key  # noqa: E402
from gateway.policy.bundle import load_policy_set  # noqa: E402
from gateway.runtime import Runtime, open_policy  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from gateway.signals import service  # noqa: E402
from gateway.signals.models import parse_batch  # noqa: E402
from gateway.signals.reference import load_catalogue, municipalities  # noqa: E402
from gateway.stats.dimensions import Dimension, Labels, StatsQuery  # noqa: E402
from gateway.stats.suppression import suppress  # noqa: E402
from gateway.storage import stats as stats_store  # noqa: E402
from gateway.storage.database import create_db_engine, migrate  # noqa: E402
from gateway.storage.hits import (  # noqa: E402
    HitFilter,
    HitWriter,
    cluster_members,
    decode_cursor,
    hub_ids,
    list_hits,
    new_hit_id,
)
from gateway.storage.linkage import SqlLinker  # noqa: E402
from gateway.storage.signals import SqlSignalStore, as_utc  # noqa: E402
from gateway.storage.tables import (  # noqa: E402
    ClusterRow,
    HitEventRow,
    HitFacetRow,
    HitRow,
    LinkKeyRow,
    SignalRow,
    SubjectRow,
)
from gateway.vocabulary import Form, Role  # noqa: E402

SIGNALS = SignalRow.__table__
SUBJECTS = SubjectRow.__table__
CLUSTERS = ClusterRow.__table__
KEYS = LinkKeyRow.__table__
HITS = HitRow.__table__
FACETS = HitFacetRow.__table__
EVENTS = HitEventRow.__table__
POLICIES = REPO / "policies"
DATA = json.loads((POLICIES / "covenant" / "data.json").read_text("utf-8"))
CATALOGUE = load_catalogue(POLICIES)
HUB_THRESHOLD: int = DATA["linkage"]["hub_threshold"]
PARTY_TYPES = {pid: p["type"] for pid, p in DATA["parties"].items()}
BARRIERS = {code: b.value for code, b in CATALOGUE.barriers.items()}

# Who reports how much (adapter parties of the demo covenant; the police and the big city most).
PARTY_WEIGHTS = {
    "politie-rotterdam": 25,
    "gemeente-rotterdam": 20,
    "arbeidsinspectie": 12,
    "zorgcoordinator-rr": 10,
    "woningcorporatie-maasoever": 7,
    "gemeente-vlaardingen": 6,
    "om-rotterdam": 6,
    "belastingdienst": 5,
    "riec-rr": 5,
    "gemeente-ridderkerk": 4,
}
ADAPTER_PARTIES = sorted(PARTY_WEIGHTS)
# Rijnmond municipalities (CBS codes) take 83% of signals; the rest spread over the country.
REGION = {
    "GM0599": 40,
    "GM0606": 6,
    "GM0622": 6,
    "GM0502": 5,
    "GM1930": 5,
    "GM0597": 4,
    "GM1621": 4,
    "GM0489": 3,
    "GM0556": 3,
    "GM1992": 3,
    "GM0542": 2,
    "GM0613": 2,
}
FORM_WEIGHTS = {
    Form.ARBEIDSUITBUITING.value: 35,
    Form.SEKSUELE_UITBUITING.value: 28,
    Form.CRIMINELE_UITBUITING.value: 12,
    Form.ONBEKEND.value: 8,
    Form.ILLEGALE_PROSTITUTIE.value: 6,
    Form.MENSENSMOKKEL.value: 6,
    Form.GEDWONGEN_DIENSTVERLENING.value: 4.8,
    Form.ORGAANVERWIJDERING.value: 0.2,
}
assert set(FORM_WEIGHTS) == {f.value for f in Form}
CERTAINTY_WEIGHTS = {"vermoeden": 60, "aannemelijk": 30, "vastgesteld": 10}
INDICATOR_BIAS = {
    "seksuele_uitbuiting": ("SEKS-", "WERV-", "FIN-"),
    "illegale_prostitutie": ("SEKS-", "WERV-"),
    "arbeidsuitbuiting": ("ARB-", "HUIS-", "ENTREE-"),
    "criminele_uitbuiting": ("CRIM-", "FIN-", "VERV-"),
    "gedwongen_dienstverlening": ("DIENST-", "HUIS-"),
}
URGENT_INDICATOR = "SEKS-MINDERJARIG"
# Pseudonyms several signals share: (kind, role, weight). Hubs are addresses (a shelter).
SHARED_KINDS = [
    ("bsn", "slachtoffer", 30),
    ("adres", "verblijfplaats", 25),
    ("kvk", "werkgever", 15),
    ("persoon", "verdachte", 15),
    ("telefoon", "contactmiddel", 10),
    ("url", "advertentie", 5),
]
EXTRA_KINDS = [  # a signal's own further subjects: (kind, role, probability)
    ("telefoon", "contactmiddel", 0.40),
    ("iban", "rekening", 0.15),
    ("kenteken", "voertuig", 0.10),
]
START = datetime(2025, 1, 1, tzinfo=UTC)


def use_policies(directory: Path) -> None:
    """Another policy directory (``--policies``) for everything in this run: the fill, the
    runtime and the server (an experiment with a changed rule, or a snapshot)."""
    global POLICIES, DATA, CATALOGUE, HUB_THRESHOLD, BARRIERS, PARTY_TYPES, ALL_INDICATORS
    global MIN_PARTIES, WINDOW_DAYS, OUT_OF_SCOPE, URGENCY_RULES
    POLICIES = directory
    DATA = json.loads((POLICIES / "covenant" / "data.json").read_text("utf-8"))
    CATALOGUE = load_catalogue(POLICIES)
    HUB_THRESHOLD = DATA["linkage"]["hub_threshold"]
    BARRIERS = {code: b.value for code, b in CATALOGUE.barriers.items()}
    PARTY_TYPES = {pid: p["type"] for pid, p in DATA["parties"].items()}
    ALL_INDICATORS = sorted(i for i in CATALOGUE.barriers if i != URGENT_INDICATOR)
    MIN_PARTIES = DATA["thresholds"]["hits"]["min_parties"]
    WINDOW_DAYS = DATA["thresholds"]["hits"]["window_days"]
    OUT_OF_SCOPE = frozenset(DATA["forms"]["out_of_scope"])
    URGENCY_RULES = DATA["thresholds"]["urgency"]["rules"]


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Chooser:
    """Weighted choice by bisect over cumulative weights (``random.choices`` per call is slow)."""

    def __init__(self, weights: dict[Any, float]) -> None:
        self.values = list(weights)
        total, self.cumulative = 0.0, []
        for w in weights.values():
            total += w
            self.cumulative.append(total)
        self.total = total

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect(self.cumulative, rng.random() * self.total)]


PARTY = Chooser(PARTY_WEIGHTS)
FORM = Chooser(FORM_WEIGHTS)
CERTAINTY = Chooser(CERTAINTY_WEIGHTS)
SHARED = Chooser({(k, r): w for k, r, w in SHARED_KINDS})


def municipality_chooser() -> Chooser:
    codes = municipalities()
    missing = set(REGION) - set(codes)
    if missing:
        raise SystemExit(f"not CBS codes: {sorted(missing)}")
    others = [c for c in codes if c not in REGION]
    weights: dict[str, float] = dict(REGION)
    for code in others:
        weights[code] = 17 / len(others)
    return Chooser(weights)


ALL_INDICATORS = sorted(i for i in CATALOGUE.barriers if i != URGENT_INDICATOR)


_PREFERRED: dict[str, list[str]] = {}


def indicators_for(rng: random.Random, form: str) -> list[str]:
    preferred = _PREFERRED.get(form)
    if preferred is None:
        prefixes = INDICATOR_BIAS.get(form)
        preferred = [i for i in ALL_INDICATORS if prefixes and i.startswith(prefixes)]
        _PREFERRED[form] = preferred
    chosen: list[str] = []
    for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 3, 4))):
        pool = preferred if preferred and rng.random() < 0.6 else ALL_INDICATORS
        code = rng.choice(pool)
        if code not in chosen:
            chosen.append(code)
    if form in ("seksuele_uitbuiting", "illegale_prostitutie") and rng.random() < 0.003:
        chosen.append(URGENT_INDICATOR)
    return chosen


def urgent_like(f: SignalFacts) -> bool:
    return (f.minor and f.form == "seksuele_uitbuiting") or URGENT_INDICATOR in f.indicators


def barrier_of(indicator: str) -> str | None:
    barrier = CATALOGUE.barriers.get(indicator)
    return None if barrier is None else barrier.value


MIN_PARTIES: int = DATA["thresholds"]["hits"]["min_parties"]
WINDOW_DAYS: int = DATA["thresholds"]["hits"]["window_days"]
OUT_OF_SCOPE = frozenset(DATA["forms"]["out_of_scope"])
URGENCY_RULES = DATA["thresholds"]["urgency"]["rules"]


def _urgency_rules(f: SignalFacts) -> set[str]:
    found = set()
    for rule in URGENCY_RULES:
        forms, flags, indicators = (rule.get(k, []) for k in ("forms", "flags", "indicators"))
        if not (forms or flags or indicators):
            continue
        if forms and f.form not in forms:
            continue
        if not all({"minor": f.minor}.get(flag, False) for flag in flags):
            continue
        if indicators and not set(indicators) & set(f.indicators):
            continue
        found.add(rule["id"])
    return found


def hit_rule(facts: list[SignalFacts]) -> dict[str, Any]:
    """``policies/gateway/hits`` (``cluster_result``) in Python, for the bulk fill only: the
    policy's window rule is quadratic in a cluster's signals (see the report's cost table), too
    slow to judge 1,000,000 signals' clusters in a bench; ``--verify`` compares the two."""
    counted = [f for f in facts if f.form not in OUT_OF_SCOPE]
    days = sorted((f.observed_at.date().toordinal(), f.party) for f in counted)
    most, active, left, right = 0, defaultdict(int), 0, 0
    for start in sorted({d for d, _ in days}):
        while left < len(days) and days[left][0] < start:
            active[days[left][1]] -= 1
            left += 1
        while right < len(days) and days[right][0] - start <= WINDOW_DAYS:
            active[days[right][1]] += 1
            right += 1
        most = max(most, sum(1 for n in active.values() if n > 0))
    urgent_rules = set().union(*(_urgency_rules(f) for f in counted)) if counted else set()
    enough = most >= MIN_PARTIES
    reasons = ["hit-meerdere-partijen" if enough else "te-weinig-partijen"]
    if urgent_rules:
        reasons.append("hit-urgent")
    if len(counted) < len(facts):
        reasons.append("signalen-niet-meegeteld")
    return {
        "hit": enough or bool(urgent_rules),
        "urgent": bool(urgent_rules),
        "reasons": sorted(reasons),
    }


def rss_mb(usage: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(usage).ru_maxrss / 1024  # Linux: KiB


# -- 1. the bulk fill (own process) -------------------------------------------------------------


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
        check_policy: bool,
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
        self.policy = open_policy(Settings(policies_dir=POLICIES)) if check_policy else None
        self.revision = load_policy_set(POLICIES).revision
        self.check_policy = check_policy
        self.stats: dict[str, int] = defaultdict(int)
        self.rule_s = 0.0

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
        candidate = False
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
                PARTY_TYPES[party],
                f,
                tuple(indicators),
                minor,
                certainty,
                observed,
                municipality,
            )
            facts.append(fact)
            received.append(got)
            candidate = candidate or urgent_like(fact)
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
        if candidate or len({f.party for f in facts}) >= 2:
            self.pending.append(PendingCluster(cid, facts, received))
            self.pending_signals += size
            if len(self.pending) >= 500 or self.pending_signals >= 20_000:
                self.evaluate()

    def evaluate(self) -> None:
        """Hit rows for the pending clusters the hit rule calls hits (see :func:`hit_rule`)."""
        if not self.pending:
            return
        started = time.perf_counter()
        if self.check_policy:
            self.cross_check()
        for p in self.pending:
            self.stats["evaluated"] += 1
            verdict = hit_rule(p.facts)
            if not verdict["hit"]:
                continue
            hit_id = new_hit_id()
            urgent = verdict["urgent"]
            order = sorted(range(len(p.facts)), key=lambda i: p.received[i])
            parties: set[str] = set()
            first_seen = p.received[order[-1]]
            for i in order:  # when the cluster first met the rule (near enough for a bench)
                f = p.facts[i]
                if f.form not in OUT_OF_SCOPE:
                    parties.add(f.party)
                if len(parties) >= MIN_PARTIES or urgent_like(f):
                    first_seen = p.received[i]
                    break
            state = {
                "urgent": urgent,
                "signals": len(p.facts),
                "parties": len({f.party for f in p.facts}),
                "reasons": verdict["reasons"],
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
            for facet, value in sorted(facets(p.facts, barrier_of)):
                self.w.add(FACETS, {"hit_id": hit_id, "facet": facet, "value": value})
            self.stats["hits"] += 1
            self.stats["urgent_hits"] += urgent
        self.pending.clear()
        self.pending_signals = 0
        self.rule_s += time.perf_counter() - started

    def cross_check(self) -> None:
        """--verify: the real ``hits`` policy must judge every (small) pending cluster as
        :func:`hit_rule` does."""
        small = {p.cid: p.facts for p in self.pending if len(p.facts) <= 60}
        if not small:
            return
        evaluation = evaluation_input(small, now=self.now)
        decision = self.policy.decide("hits", evaluation.document)  # type: ignore[union-attr]
        judged = decision.document.get("hits") or {}
        for entry, cids in evaluation.clusters.items():
            verdict = judged.get(entry) or {}
            got = {
                "hit": verdict.get("hit") is True,
                "urgent": verdict.get("urgent") is True,
                "reasons": sorted(str(r.get("code")) for r in verdict.get("reasons", [])),
            }
            for cid in cids:
                self.stats["policy_checked"] += 1
                if hit_rule(small[cid]) != got:
                    self.stats["policy_mismatch"] += 1


def fill(
    db: Path, *, n: int, seed: int, sealed_bytes: int, chunk: int, giant: int, check: bool
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
            check_policy=check,
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
        rules = link_rules({"covenant": DATA})
        carried = func.count(SUBJECTS.c.signal_id)
        is_hub = carried > HUB_THRESHOLD
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
        stats_store.rebuild(connection, barriers=BARRIERS)
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
        "rule_s": filler.rule_s,
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
            if len(sids) <= HUB_THRESHOLD:
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
            hub = len(sids) > HUB_THRESHOLD
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


@dataclass
class Stored:
    """A stored signal, as sampled for linking to it or superseding it."""

    id: int
    party: str
    ref: str
    observed_at: datetime
    municipality: str
    form: str
    indicators: list[str]
    certainty: str
    minor: bool
    subjects: list[tuple[str, str, bytes, bool]]  # kind, role, pseudonym, is a hub


def sample_stored(engine: Any, ids: list[int]) -> list[Stored]:
    found: dict[int, Stored] = {}
    with engine.connect() as c:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for r in c.execute(select(SIGNALS).where(SIGNALS.c.id.in_(chunk))):
                found[r.id] = Stored(
                    r.id,
                    r.party,
                    r.ref,
                    as_utc(r.observed_at),
                    r.municipality,
                    r.form,
                    list(r.indicators),
                    r.certainty,
                    r.minor,
                    [],
                )
            query = (
                select(SUBJECTS.c.signal_id, SUBJECTS.c.kind, SUBJECTS.c.role, SUBJECTS.c.pseudonym)
                .add_columns(KEYS.c.hub_id)
                .join_from(SUBJECTS, KEYS, KEYS.c.pseudonym == SUBJECTS.c.pseudonym, isouter=True)
                .where(SUBJECTS.c.signal_id.in_(chunk))
            )
            for sid, kind, role, p, hub in c.execute(query):
                found[sid].subjects.append((kind, role, bytes(p), hub is not None))
    return [found[i] for i in ids if i in found]


@dataclass
class Pools:
    links: list[tuple[str, str, bytes]]
    supersede: dict[str, list[Stored]]
    hubs: list[bytes]


class BatchMaker:
    """Fresh batches with the same mix for every method, drawn from disjoint pools."""

    def __init__(
        self, rng: random.Random, pools: Pools, size: int, sealed_bytes: int, kid: str
    ) -> None:
        self.rng = rng
        self.pools = pools
        self.size = size
        self.municipality = municipality_chooser()
        # Stand-in envelopes: the header of the release key ingest accepts, then random bytes.
        header = sealing.header(kid)
        self.sealed = [b64u(header + rng.randbytes(sealed_bytes)) for _ in range(32)]
        self.mix: dict[str, int] = defaultdict(int)

    def subject(self, kind: str, role: str, pseudonym: bytes) -> dict[str, str]:
        return {"kind": kind, "role": role, "pseudonym": b64u(pseudonym)}

    def batch(self, tag: str, number: int, party: str, now: datetime) -> tuple[list[dict], list]:
        rng = self.rng
        supersedes = self.pools.supersede.get(party, [])
        n_super = min(len(supersedes), self.size // 50)
        docs: list[dict] = []
        for i in range(self.size - n_super):
            form = FORM(rng)
            subjects = [self.subject(rng.choice(("bsn", "persoon")), "slachtoffer", os.urandom(64))]
            for kind, role, p in EXTRA_KINDS:
                if rng.random() < p:
                    subjects.append(self.subject(kind, role, os.urandom(64)))
            r = rng.random()
            if r < 0.12 and self.pools.links:  # joins a stored cluster
                subjects.append(self.subject(*self.pools.links.pop()))
                self.mix["joins"] += 1
            elif r < 0.15 and len(self.pools.links) >= 2:  # ties two stored clusters: a merge
                subjects.append(self.subject(*self.pools.links.pop()))
                subjects.append(self.subject(*self.pools.links.pop()))
                self.mix["merges"] += 1
            elif r < 0.16 and self.pools.hubs:  # a shelter address: counts, does not link
                subjects.append(
                    self.subject("adres", "verblijfplaats", rng.choice(self.pools.hubs))
                )
                self.mix["hub"] += 1
            elif r < 0.26 and docs:  # shares a new pseudonym with the previous signal
                kind, role = SHARED(rng)
                shared = self.subject(kind, role, os.urandom(64))
                docs[-1]["subjects"].append(shared)
                subjects.append(shared)
                self.mix["pairs"] += 1
            observed = now - timedelta(days=rng.uniform(1, 60))
            docs.append(
                {
                    "ref": f"{tag}-{number:04d}-{i:03d}",
                    "observed_at": observed.isoformat(),
                    "municipality": self.municipality(rng),
                    "form": form,
                    "indicators": indicators_for(rng, form),
                    "data_classes": ["gewoon"],
                    "certainty": CERTAINTY(rng),
                    "flags": {"minor": rng.random() < 0.02, "source_protected": False},
                    "subjects": subjects,
                    "sealed": rng.choice(self.sealed),
                }
            )
        retired: list[int] = []
        for _ in range(n_super):
            old = supersedes.pop()
            retired.append(old.id)
            subjects = [self.subject(k, r, p) for k, r, p, _ in old.subjects]
            if len(subjects) > 1 and rng.random() < 0.5:  # a subject corrected away: may split
                subjects.pop(rng.randrange(len(subjects)))
            else:
                subjects.append(self.subject("telefoon", "contactmiddel", os.urandom(64)))
            docs.append(
                {
                    "ref": old.ref,
                    "version": 2,
                    "supersedes": 1,
                    "observed_at": old.observed_at.isoformat(),
                    "municipality": old.municipality,
                    "form": old.form,
                    "indicators": old.indicators,
                    "data_classes": ["gewoon"],
                    "certainty": old.certainty,
                    "flags": {"minor": old.minor, "source_protected": False},
                    "subjects": subjects,
                    "sealed": rng.choice(self.sealed),
                }
            )
            self.mix["supersedes"] += 1
        rng.shuffle(docs)
        return docs, retired


class Timer:
    """Seconds and counts per named step, summed over batches."""

    def __init__(self) -> None:
        self.s: dict[str, float] = defaultdict(float)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.s[name] += time.perf_counter() - t0


class _Clock:
    """Where the timed subclasses below report; swapped per batch and method."""

    timer = Timer()


def _timed(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _Clock.timer(name):
            return method(self, *args, **kwargs)

    return wrapper


class TimedSqlLinker(SqlLinker):
    unlink = _timed("linker.unlink", SqlLinker.unlink)
    assign = _timed("linker.assign", SqlLinker.assign)

    def settle(self) -> Any:
        with _Clock.timer("linker.settle"):
            changes = super().settle()
        s = _Clock.timer.s
        s["n.merges"] += len(self.changes.merged)
        s["n.splits"] += len(self.changes.split_from)
        s["n.new_hubs"] += self.changes.new_hubs
        return changes


class TimedHitWriter(HitWriter):
    def refresh(self, *args: Any, **kwargs: Any) -> Any:
        with _Clock.timer("hits.refresh"):
            done = super().refresh(*args, **kwargs)
        s = _Clock.timer.s
        s["n.clusters_judged"] += done.clusters
        s["n.hits_new"] += done.new
        s["n.hits_changed"] += done.changed
        s["n.hits_merged"] += done.merged
        s["n.hits_lapsed"] += done.lapsed
        return done


class TimedSignalStore(SqlSignalStore):
    versions = _timed("store.versions", SqlSignalStore.versions)
    retire = _timed("store.retire", SqlSignalStore.retire)
    insert = _timed("store.insert", SqlSignalStore.insert)


class TimedPolicy:
    """The runtime's policy engine, timing each decision; for ``hits`` it also notes how many
    signals (input entries, weighted by ``count``) the rules had to look at."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def decide(self, point: Any, document: Any) -> Any:
        name = getattr(point, "value", point)
        with _Clock.timer(f"policy.{name}"):
            decision = self.inner.decide(point, document)
        if name == "hits" and isinstance(document, dict):
            s = _Clock.timer.s
            entries = [len(c.get("signals", [])) for c in document.get("clusters", [])]
            s["n.hits_inputs"] += 1
            s["n.hits_entries"] += sum(entries)
            s["n.hits_largest"] = max(s["n.hits_largest"], max(entries, default=0))
        return decision

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@contextmanager
def timed_routes(rt: Runtime) -> Iterator[None]:
    """Run ``routes.signals._store`` itself, with its collaborators swapped for the timed
    subclasses above (in this process only): the bench follows the route as it changes."""
    names = {"SqlLinker": TimedSqlLinker, "HitWriter": TimedHitWriter}
    names["SqlSignalStore"] = TimedSignalStore
    saved = {n: getattr(signal_routes, n) for n in names if hasattr(signal_routes, n)}
    policy = rt.policy
    for n in saved:
        setattr(signal_routes, n, names[n])
    rt.policy = TimedPolicy(policy)  # type: ignore[assignment]
    try:
        yield
    finally:
        for n, v in saved.items():
            setattr(signal_routes, n, v)
        rt.policy = policy


def ingest_raw(engine: Any, rows: list[dict], subjects: list[list], retired: list[int]) -> None:
    """(a) the baseline: the same state change in bare Core, one transaction."""
    with engine.begin() as c:
        if retired:
            c.execute(update(SIGNALS).where(SIGNALS.c.id.in_(retired)).values(is_current=False))
        harness.core_insert(c, rows, subjects)


def ingest_gateway(
    rt: Runtime, call: VerifiedCall, body: bytes, *, linkage: bool, timer: Timer
) -> service.IngestPlan:
    """(c): what ``POST /v1/signals`` does after the signature check: parse, one ``ingest``
    decision, then the route's own ``_store`` (linkage, hits, decision record, audit).
    (b): the same, but the transaction is ``service.ingest`` without a linker, the decision
    record and the audit entry."""
    _Clock.timer = timer
    with timer("parse"):
        batch = parse_batch(body, limits=rt.signal_limits())
    with timer("decide"):
        decided = signal_routes._decide(rt, call, batch)
    if not decided.decision.allow:
        raise SystemExit(f"ingest refused: {decided.decision.reasons}")
    if linkage:
        with timer("transaction"):
            return signal_routes._store(rt, call, batch, "bench", decided)[0]
    with timer("transaction"), rt.engine.begin() as connection:
        now = rt.clock()
        plan = service.ingest(
            TimedSignalStore(connection), party=call.party.id, signals=batch.signals, now=now
        )
        decided.record(connection, now=rt.clock())
        audit.append(
            connection,
            [
                AuditEvent(
                    event="signals.ingested",
                    actor_party=call.party.id,
                    actor_sub=call.subject,
                    object={"batch_sha256": "bench"},
                    detail={
                        "stored": len(plan.inserts),
                        "duplicates": plan.duplicates,
                        "superseded": len(plan.retire_ids),
                    },
                    policy_revision=decided.decision.revision,
                )
            ],
            now=rt.clock(),
        )
    return plan


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


@contextmanager
def gateway_server(workdir: Path, url: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """``gateway serve`` on the filled database, with the bench's policy directory."""
    with harness.gateway_server(workdir, url, policies=POLICIES) as served:
        yield served


def peak_rss_of(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def signed(
    client: httpx.Client, key: Any, audience: str, method: str, target: str, body: bytes, roles
) -> httpx.Response:
    token = mint_call_token(
        key=key,
        subject="bench",
        roles=roles,
        audience=audience,
        method=method,
        target=target,
        body=body,
        now=datetime.now(UTC),
    )
    headers = {"Authorization": f"Bearer {token}"}
    if method == "POST":
        return client.post(target, content=body, headers=headers)
    return client.get(target, headers=headers)


# -- 3. reads -----------------------------------------------------------------------------------


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


# -- the run ------------------------------------------------------------------------------------


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)

    def __call__(self, text: str = "") -> None:
        self.lines.append(text)
        print(text, flush=True)


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
        "--policies", type=Path, default=POLICIES, help="policy directory (default: policies/)"
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
            check=args.verify,
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
            subprocess.run(command + (["--verify"] if args.verify else []), check=True)
        filled = json.loads(summary_file.read_text())
        counts = filled["counts"]
        st = filled["stats"]
        out()
        out(f"== fill {'(reused from ' + str(db) + ')' if reused else ''}")
        out(
            f"signals {counts['signals']:,}   subjects {counts['signal_subjects']:,}   "
            f"clusters {counts['clusters']:,}   link_keys {counts['link_keys']:,} "
            f"(hubs {filled['hubs']}, the smallest carried by {filled['smallest_hub']} signals; "
            f"threshold {HUB_THRESHOLD})"
        )
        out(
            f"hits {counts['hits']:,} open ({st.get('urgent_hits', 0):,} urgent), hit_facets "
            f"{counts['hit_facets']:,}, stats_counts {counts.get('stats_counts', 0):,}; "
            f"sealed {args.sealed_bytes} B/signal; database {filled['bytes'] / 2**30:.2f} GiB"
        )
        t = filled["timings"]
        out(
            f"bulk fill {filled['seconds']:.0f} s: rows {t['rows']:.0f} s (hit rule "
            f"{filled['rule_s']:.0f} s over {st['evaluated']:,} clusters of 2+ parties or "
            f"urgent), pseudonym index {t['pseudonym_index']:.0f} s, link_keys "
            f"{t['link_keys']:.0f} s"
            + (f", stats rollup {t['stats_rollup']:.0f} s" if "stats_rollup" in t else "")
            + f"; fill process peak RSS {filled['peak_rss_mb']:.0f} MB"
        )
        if args.verify:
            problems = verify(url)
            out(f"oracle (linkage): {'consistent' if not problems else 'WRONG: ' + str(problems)}")
            out(
                f"oracle (hit rule vs hits policy): {st.get('policy_checked', 0):,} clusters "
                f"compared, {st.get('policy_mismatch', 0)} differ"
            )
            if problems or st.get("policy_mismatch"):
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
            database_url=url, policies_dir=POLICIES, keys_dir=public, private_keys_dir=private
        )
        rt = Runtime.build(settings)
        engine = rt.engine
        # A reused fill may predate a migration (the audit tree); serve would migrate it too.
        migrate(engine)
        rng = random.Random(args.seed + 1)
        n_stored = counts["signals"]
        methods = ["a", "b", "c"] + ([] if args.no_http else ["d"])
        rounds = args.batches + 1  # the first round warms up and is not counted
        per_method = rounds * args.batch
        link_ids = rng.sample(
            range(1, n_stored + 1), min(n_stored // 2, len(methods) * per_method // 5 + 100)
        )
        links = []
        for s in sample_stored(engine, link_ids):
            usable = [(k, r, p) for k, r, p, hub in s.subjects if not hub]
            if usable:
                links.append(rng.choice(usable))
        taken = set(link_ids)
        super_ids = [
            i
            for i in rng.sample(range(1, n_stored + 1), min(n_stored // 2, 40 * rounds * 10))
            if i not in taken
        ]
        with engine.connect() as c:
            hubs = [
                bytes(p)
                for (p,) in c.execute(select(KEYS.c.pseudonym).where(KEYS.c.hub_id.is_not(None)))
            ]
        pools: dict[str, Pools] = {}
        supersede_all = sample_stored(engine, super_ids)
        for index, m in enumerate(methods):
            by_party: dict[str, list[Stored]] = defaultdict(list)
            for s in supersede_all[index :: len(methods)]:
                by_party[s.party].append(s)
            pools[m] = Pools(links[index :: len(methods)], by_party, hubs)
        del supersede_all, links
        makers = {
            m: BatchMaker(
                random.Random(args.seed + 10 + i),
                pools[m],
                args.batch,
                args.sealed_bytes,
                rt.release_key()["kid"],
            )
            for i, m in enumerate(methods)
        }
        rss_sampled = rss_mb()

        # -- ingest ------------------------------------------------------------------------------
        timers = {m: Timer() for m in methods}
        batch_times: dict[str, list[float]] = {m: [] for m in methods}
        calls = {
            p: VerifiedCall(covenant.parties[p], "bench", frozenset({Role.ADAPTER}), "bench")
            for p in ADAPTER_PARTIES
        }
        server_peak = None
        http_reads: list[tuple[str, list[float], str]] = []
        http_note = "not measured (--no-http)"
        store_names = set(signal_routes._store.__code__.co_names)
        rollup_note = (
            "the ingest route updates it (on_ingest)"
            if "on_ingest" in store_names
            else "the ingest route notes retired versions (note_retired); reads catch up"
            if "note_retired" in store_names
            else "the ingest route does not touch it"
        )
        print(f"ingest: {rounds} rounds of {len(methods)} batches ...", flush=True)
        with (
            gateway_server(workdir, url) if "d" in methods else _nothing() as served,
            timed_routes(rt),
        ):
            client = httpx.Client(base_url=served[0], timeout=600) if served else None
            signing = {p: load_signing_key(private, p) for p in ADAPTER_PARTIES} if served else {}
            profiler = cProfile.Profile() if args.profile else None
            for rnd in range(rounds):
                order = methods[rnd % len(methods) :] + methods[: rnd % len(methods)]
                for m in order:
                    party = ADAPTER_PARTIES[(rnd + methods.index(m)) % len(ADAPTER_PARTIES)]
                    now = datetime.now(UTC)
                    docs, retired = makers[m].batch(f"bench{m}", rnd, party, now)
                    timer = Timer() if rnd == 0 else timers[m]
                    if m == "a":
                        rows, subjects = harness.core_rows(docs, party, now)
                        t0 = time.perf_counter()
                        ingest_raw(engine, rows, subjects, retired)
                        elapsed = time.perf_counter() - t0
                    elif m == "d":
                        body = json.dumps({"signals": docs}).encode()
                        t0 = time.perf_counter()
                        response = signed(
                            client,  # type: ignore[arg-type]
                            signing[party],
                            covenant.gateway_id,
                            "POST",
                            "/v1/signals",
                            body,
                            ["adapter"],
                        )
                        elapsed = time.perf_counter() - t0
                        if response.status_code != 200 or response.json()["stored"] != len(docs):
                            raise SystemExit(f"(d): {response.status_code} {response.text[:400]}")
                    else:
                        body = json.dumps({"signals": docs}).encode()
                        profiling = profiler is not None and m == "c" and rnd > 0
                        if profiling:
                            profiler.enable()
                        t0 = time.perf_counter()
                        plan = ingest_gateway(rt, calls[party], body, linkage=m == "c", timer=timer)
                        elapsed = time.perf_counter() - t0
                        if profiling:
                            profiler.disable()
                        if len(plan.inserts) != len(docs):
                            raise SystemExit(f"({m}): stored {len(plan.inserts)} of {len(docs)}")
                    if m in ("a", "b") and retired:
                        # Untimed: without a linker a retired version keeps its cluster id;
                        # clear it so that later linked batches see consistent clusters.
                        with engine.begin() as c:
                            c.execute(
                                update(SIGNALS)
                                .where(SIGNALS.c.id.in_(retired))
                                .values(cluster_id=None)
                            )
                    if rnd > 0:
                        batch_times[m].append(elapsed)
                print(
                    f"  round {rnd}: "
                    + "  ".join(
                        f"{m} {batch_times[m][-1] * 1000:.0f} ms" for m in methods if rnd > 0
                    ),
                    flush=True,
                )
            rss_ingest = rss_mb()
            if profiler is not None:
                print("\n== cProfile of (c), measured rounds, by cumulative time (top 30)")
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
            # What the first stats reader after the ingest phase pays.
            t0 = time.perf_counter()
            with engine.begin() as c:
                caught = stats_store.catch_up(c, barriers=BARRIERS)
            catch_up_note = (
                f"; catch-up after the ingest phase: {caught:,} signals in "
                f"{(time.perf_counter() - t0) * 1000:,.0f} ms (paid once, by a reader)"
            )

            # -- the HTTP reads, if the routes exist ---------------------------------------------
            if served:
                paths = httpx.get(served[0] + "/openapi.json").json().get("paths", {})
                analyst = load_signing_key(private, "riec-rr")
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
                http_note = (
                    "GET /v1/hits: "
                    + ("there" if "/v1/hits" in paths else "NOT in /openapi.json")
                    + "; GET /v1/stats: "
                    + ("there" if "/v1/stats" in paths else "NOT in /openapi.json")
                )
                for target in gets:

                    def get(target: str = target) -> httpx.Response:
                        r = signed(
                            client,  # type: ignore[arg-type]
                            analyst,
                            covenant.gateway_id,
                            "GET",
                            target,
                            b"",
                            ["analist"],
                        )
                        refused = r.status_code == 422 and "te-veel-cellen" in r.text
                        if r.status_code != 200 and not refused:
                            raise SystemExit(f"{target}: {r.status_code} {r.text[:300]}")
                        return r

                    times, response = repeat(get, args.reps)
                    body = response.json()
                    what = (
                        f"{len(body['hits'])} hits"
                        if "hits" in body
                        else "refused: te-veel-cellen"
                        if response.status_code == 422
                        else f"{len(body.get('cells', body.get('rows', [])))} cells"
                    )
                    http_reads.append((f"GET {target}", times, what))
                server_peak = peak_rss_of(served[1].pid)
            if client:
                client.close()

        # -- in-process reads --------------------------------------------------------------------
        print("reads ...", flush=True)
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

            def run() -> Any:
                with engine.connect() as c:  # a connection per call, as a request has
                    return list_hits(c, where, limit=50, after=after)

            return run

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
            run = hits_case(where, page)
            times, (items, _) = repeat(run, args.reps)
            with Capture(engine) as cap:
                run()
            statement, parameters = next(
                (s, p) for s, p in cap.statements if "FROM hits" in s and "ORDER BY" in s
            )
            plans[label] = explain(engine, statement, parameters)
            note = f"{len(items)} rows" + (f" of {matching:,}" if matching >= 0 else "")
            read_rows.append((f"list_hits {label}", times, note))

        def network(cluster_id: int) -> Callable[[], Any]:
            def run() -> Any:
                with engine.connect() as c:
                    members = cluster_members(c, cluster_id)
                    hubs_seen = hub_ids(c, [p for m in members for p, _, _ in m.subjects])
                return network_view(members, party_types=rt.party_types, hubs=hubs_seen)

            return run

        for label, cid in (
            (f"network view, largest cluster ({largest.size:,} signals)", largest.id),
            (f"network view, median hit ({typical_size} signals)", typical),
        ):
            if cid is None:
                continue
            times, view = repeat(network(cid), max(10, args.reps // 2))
            note = f"{view['counts']['subjects']:,} nodes, {len(view['edges']):,} edges"
            read_rows.append((label, times, note))

        stats_rows: list[tuple[str, list[float], str]] = []
        stats_note = "in process as the route does it: catch_up, counts (rollup), suppress"
        labels = Labels(party_types=PARTY_TYPES, barriers=BARRIERS)
        threshold = int(DATA.get("small_cell_threshold", 5))
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
                    stats_store.catch_up(c, barriers=BARRIERS)
                with engine.connect() as c:
                    cells = stats_store.counts(c, query, labels)
                t0 = time.perf_counter()
                table = suppress(cells, dimensions=len(query.dimensions), threshold=threshold)
                split.append(time.perf_counter() - t0)
                return table

            times, table = repeat(stats_run, args.reps)
            label = "stats " + ",".join(d.value for d in dims)
            label += "".join(f" {k}={v}" for k, v in extra.items())
            suppressing = sorted(split)[len(split) // 2] * 1000
            note = f"{len(table.cells):,} cells; suppress() p50 {suppressing:.0f} ms of it"
            stats_rows.append((label, times, note))
        rss_reads = rss_mb()

        print("hits policy cost by cluster size ...", flush=True)
        cost = hits_policy_cost(rt.policy, (10, 50, 100, 200, 400))

        # -- report ------------------------------------------------------------------------------
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
        out(
            f"{'method':40} {'signals/s':>10} {'vs (a)':>8} {'batch p50':>10} {'p95':>9} {'max':>9}"
        )
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
            "parse", "decide", "policy.ingest", "store.versions", "store.retire",
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
        out(
            "== hits policy cost by cluster size (one evaluation of one cluster, 4 parties, "
            "18 months)"
        )
        out(
            "   " + "   ".join(f"{n} signals ({e} entries): {t * 1000:,.0f} ms" for n, e, t in cost)
        )
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


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    main()
