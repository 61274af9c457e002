"""Step 2 of the linkage bench: fresh batches ingested on top of the fill, four ways.

(a) raw Core, the baseline; (b) the gateway's ingest without linkage; (c) the ingest use case's
own store step (linkage, hits, decision record, audit), timed step by step; (d) signed calls
over HTTP. Every method draws its batches with the same mix from its own pools of stored
signals, so that they change the database alike.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update

from bench import harness
from bench.linkage_gateway import TIMED_NAMES, SqlLinker, SqlSignalStore, ingest, refresh
from bench.linkage_world import (
    ADAPTER_PARTIES,
    CERTAINTY,
    EXTRA_KINDS,
    FORM,
    SHARED,
    b64u,
    indicators_for,
    municipality_chooser,
)
from gateway.auth.tokens import mint_call_token
from gateway.runtime import Runtime
from gateway.service.actor import Actor
from gateway.signals import service
from gateway.signals.models import parse_batch
from gateway.storage.signals import as_utc
from gateway.storage.tables import LinkKeyRow, SignalRow, SubjectRow
from gateway.vocabulary import Role

SIGNALS = SignalRow.__table__
SUBJECTS = SubjectRow.__table__
KEYS = LinkKeyRow.__table__


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
        self,
        rng: random.Random,
        pools: Pools,
        size: int,
        sealed_bytes: int,
        release_key: dict[str, Any],
    ) -> None:
        self.rng = rng
        self.pools = pools
        self.size = size
        self.municipality = municipality_chooser()
        # Ingest opens every envelope, and its context binds the ref: each signal is sealed for
        # real when its batch is made (outside the timed part); about ``sealed_bytes`` or more.
        self.release_key = release_key
        self.detail_chars = max(0, sealed_bytes - 1300)
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
                }
            )
            self.mix["supersedes"] += 1
        rng.shuffle(docs)
        docs = harness.seal_signals(docs, party, self.release_key, detail_chars=self.detail_chars)
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


def timed_refresh_hits(*args: Any, **kwargs: Any) -> Any:
    with _Clock.timer("hits.refresh"):
        done = refresh.refresh_hits(*args, **kwargs)
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


TIMED = {
    "SqlLinker": TimedSqlLinker,
    "SqlSignalStore": TimedSignalStore,
    "refresh_hits": timed_refresh_hits,
}
assert set(TIMED) == set(TIMED_NAMES)


@contextmanager
def timed_store(rt: Runtime) -> Iterator[None]:
    """Run the ingest use case's ``_store`` itself, with its collaborators swapped for the timed
    versions above (in this process only): the bench follows the use case as it changes."""
    saved = {n: getattr(ingest, n) for n in TIMED if hasattr(ingest, n)}
    policy = rt.policy
    for n in saved:
        setattr(ingest, n, TIMED[n])
    rt.policy = TimedPolicy(policy)  # type: ignore[assignment]
    try:
        yield
    finally:
        for n, v in saved.items():
            setattr(ingest, n, v)
        rt.policy = policy


def ingest_raw(engine: Any, rows: list[dict], subjects: list[list], retired: list[int]) -> None:
    """(a) the baseline: the same state change in bare Core, one transaction."""
    with engine.begin() as c:
        if retired:
            c.execute(update(SIGNALS).where(SIGNALS.c.id.in_(retired)).values(is_current=False))
        harness.core_insert(c, rows, subjects)


def ingest_gateway(
    rt: Runtime, actor: Actor, body: bytes, *, linkage: bool, timer: Timer
) -> service.IngestPlan:
    """(c): what ``POST /v1/signals`` does after the signature check: parse, one ``ingest``
    decision, then the use case's own ``_store`` (linkage, hits, decision record, audit).
    (b): the same, but the transaction is ``service.ingest`` without a linker, the decision
    record and the audit entry."""
    _Clock.timer = timer
    with timer("parse"):
        batch = parse_batch(body, limits=rt.signal_limits())
    with timer("prove"):  # every envelope opened and checked (issue 14, 1)
        ingest.prove(rt, actor, batch)
    with timer("decide"):
        decided = ingest.decide(rt, actor, batch)
    if not decided.decision.allow:
        raise SystemExit(f"ingest refused: {decided.decision.reasons}")
    if linkage:
        with timer("transaction"):
            return ingest._store(rt, actor, batch, "bench", decided).plan
    with timer("transaction"), rt.unit_of_work.write() as work:
        plan = service.ingest(
            TimedSignalStore(work.connection),
            party=actor.party.id,
            signals=batch.signals,
            now=work.now,
        )
        work.record(ingest.POINT, decided.input, decided.decision)
        work.audit(
            actor,
            "signals.ingested",
            {"batch_sha256": "bench"},
            {
                "stored": len(plan.inserts),
                "duplicates": plan.duplicates,
                "superseded": len(plan.retire_ids),
            },
            decided.decision.revision,
        )
    return plan


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


@dataclass
class Run:
    """What the steps after the fill share: the options, the runtime on the filled database,
    the demo covenant's keys and where they are."""

    args: Any  # argparse.Namespace of linkage.py
    workdir: Path
    url: str
    rt: Runtime
    covenant: Any
    private: Path
    n_stored: int
    methods: list[str]

    @property
    def engine(self) -> Any:
        return self.rt.engine


def batch_makers(run: Run) -> dict[str, BatchMaker]:
    """One batch maker per method, each with its own disjoint pools of stored signals to link
    to and to supersede, and the same hubs."""
    args, engine, n_stored, methods = run.args, run.engine, run.n_stored, run.methods
    rng = random.Random(args.seed + 1)
    rounds = args.batches + 1
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
    return {
        m: BatchMaker(
            random.Random(args.seed + 10 + i),
            pools[m],
            args.batch,
            args.sealed_bytes,
            dict(run.rt.release_key()),
        )
        for i, m in enumerate(methods)
    }


@dataclass
class Ingested:
    """Per method: the measured batches' seconds and the step timers."""

    batch_times: dict[str, list[float]]
    timers: dict[str, Timer]


def ingest_rounds(
    run: Run,
    makers: dict[str, BatchMaker],
    *,
    client: httpx.Client | None,
    signing: dict[str, Any],
    profiler: Any,
) -> Ingested:
    """``--batches`` + 1 rounds (the first warms up, not counted), a batch of every method per
    round, the order rotating so that no method always goes first."""
    args, engine, methods = run.args, run.engine, run.methods
    timers = {m: Timer() for m in methods}
    batch_times: dict[str, list[float]] = {m: [] for m in methods}
    actors = {
        p: Actor.acting_for(run.covenant.parties[p], "bench", [Role.ADAPTER])
        for p in ADAPTER_PARTIES
    }
    for rnd in range(args.batches + 1):
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
                    run.covenant.gateway_id,
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
                plan = ingest_gateway(
                    rt=run.rt, actor=actors[party], body=body, linkage=m == "c", timer=timer
                )
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
                        update(SIGNALS).where(SIGNALS.c.id.in_(retired)).values(cluster_id=None)
                    )
            if rnd > 0:
                batch_times[m].append(elapsed)
        print(
            f"  round {rnd}: "
            + "  ".join(f"{m} {batch_times[m][-1] * 1000:.0f} ms" for m in methods if rnd > 0),
            flush=True,
        )
    return Ingested(batch_times, timers)
