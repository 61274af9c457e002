"""Refresh hits after linkage changed: the use case shared by ingest, retention and a linkage
rebuild. Which clusters are hits is the ``hits`` policy's call, asked once for every cluster a
change touched; the hit lifecycle that follows from it is decided here, and storage
(:class:`~gateway.storage.hits.SqlHitStore`) only reads the clusters' facts and writes the hits'
new state.

A hit's id is opaque and stable. It follows its cluster: when clusters merge, the oldest hit
among them carries on and the others are marked ``samengevoegd`` (merged) pointing at it; when a
cluster splits, the part keeping the cluster keeps the hit and a part that is a hit on its own
gets a new one whose history says where it came from. A cluster that stops meeting the rule
keeps its hit as ``vervallen`` (lapsed), which revives under the same id if it meets it again.

Fail closed: without a judgement nothing is written (the caller's transaction rolls back), since a
batch stored without its hits would leave a cluster unjudged until its next change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from gateway.errors import Unavailable
from gateway.hits.summary import SignalFacts, evaluation_input, facets
from gateway.jsontypes import Json, JsonObject
from gateway.linkage.incremental import Changes
from gateway.policy.engine import Decision, PolicyEngine
from gateway.service.work import Work
from gateway.storage.hits import (
    LAPSED,
    OPEN,
    HitValues,
    SqlHitStore,
    StoredHit,
    cluster_facts,
    new_hit_id,
)


@dataclass
class Refreshed:
    """Counts for the audit entry and log of the change that caused the refresh."""

    clusters: int = 0
    new: int = 0
    changed: int = 0
    lapsed: int = 0
    merged: int = 0
    decision: Decision | None = field(default=None, repr=False)


def refresh_hits(
    connection: Connection,
    changes: Changes,
    policy: PolicyEngine,
    *,
    now: datetime,
    party_types: Mapping[str, str],
    barrier_of: Callable[[str], str | None],
    known: Mapping[int, list[SignalFacts]] | None = None,
) -> Refreshed:
    """Follow merges, judge every live touched cluster in one ``hits`` decision (recorded), and
    bring the hit rows to that judgement. ``known``: facts of clusters the change made from rows
    it holds in memory (a batch's own new clusters), which need no read and hold no hit yet."""
    known = known or {}
    store = SqlHitStore(connection, now=now)
    done = Refreshed(merged=follow_merges(store, changes))
    live = live_clusters(changes)
    if not live:
        return done
    facts = cluster_facts(connection, [c for c in live if c not in known], party_types)
    facts.update({c: list(f) for c, f in known.items() if c in changes.touched})
    done.clusters = len(facts)
    verdicts: dict[str, Json] = {}
    if facts:
        evaluation = evaluation_input(facts, now=now)
        decision = policy.decide("hits", evaluation.document)
        judged = decision.document.get("hits") if decision.allow else None
        if not isinstance(judged, dict):
            raise Unavailable("de hitregels konden niet worden toegepast; probeer opnieuw")
        verdicts = {
            str(cid): judged.get(entry)
            for entry, cids in evaluation.clusters.items()
            for cid in cids
        }
        Work(connection, now).record("hits", evaluation.document, decision)
        done.decision = decision
    revision = done.decision.revision if done.decision else ""
    existing = store.hits_of([c for c in live if c not in known])
    origins = origin_hits(store, changes, live)
    for cid in live:
        members = facts.get(cid, [])
        is_hit, values = judged_values(members, verdicts.get(str(cid)), revision)
        row = existing.get(cid)
        event = transition(row, is_hit, values)
        if event is None:
            continue
        if row is None:
            hit_id = new_hit_id()
            store.insert_hit(hit_id, cid, values)
            detail: JsonObject = _detail(values)
            if cid in origins:
                detail["afgesplitst_van"] = origins[cid]
            done.new += 1
        else:
            hit_id = row.id
            store.update_hit(hit_id, OPEN if is_hit else LAPSED, values)
            detail = _detail(values)
            if event == "vervallen":
                done.lapsed += 1
            else:
                done.changed += 1
        store.add_event(hit_id, event, _with_revision(detail, revision))
        store.set_facets(hit_id, sorted(facets(members, barrier_of)))
    return done


# -- the lifecycle ------------------------------------------------------------------------------


def live_clusters(changes: Changes) -> list[int]:
    """The clusters a change touched that still exist (absorbed ones live on in others)."""
    return sorted(c for c in changes.touched if c not in changes.merged)


def judged_values(
    members: Sequence[SignalFacts], verdict: Json, revision: str
) -> tuple[bool, HitValues]:
    """Whether the policy's ``verdict`` on a cluster of ``members`` calls it a hit (a cluster
    without members never is), and what its hit row then says."""
    if not members:
        verdict = None
    is_hit = isinstance(verdict, dict) and verdict.get("hit") is True
    reasons = verdict.get("reasons", []) if isinstance(verdict, dict) else []
    return is_hit, HitValues(
        urgent=bool(is_hit and isinstance(verdict, dict) and verdict.get("urgent") is True),
        signals=len(members),
        parties=len({f.party for f in members}),
        reasons=sorted(str(r.get("code")) for r in reasons if isinstance(r, dict)),
        policy_revision=revision,
    )


def transition(row: StoredHit | None, is_hit: bool, values: HitValues) -> str | None:
    """The event a judgement makes of a cluster's hit (``row``, None if it has none): a hit
    arises (``ontstaan``), changes (``gewijzigd``), lapses (``vervallen``) or revives
    (``herleefd``); None when nothing changes."""
    if row is None:
        return "ontstaan" if is_hit else None
    status = OPEN if is_hit else LAPSED
    unchanged = (row.urgent, row.signals, row.parties, row.reasons) == (
        values.urgent,
        values.signals,
        values.parties,
        values.reasons,
    )
    if status == row.status and unchanged:
        return None
    if status == row.status:
        return "gewijzigd"
    return "herleefd" if is_hit else "vervallen"


def oldest_first(hits: Sequence[StoredHit]) -> list[StoredHit]:
    """The hits of merging clusters in the order they carry on: the oldest first (then by id)."""
    return sorted(hits, key=lambda hit: (hit.first_seen_at, hit.id))


def follow_merges(store: SqlHitStore, changes: Changes) -> int:
    """Move hits of absorbed clusters to their survivor; the oldest hit carries on, the others
    are merged into it. Returns how many were merged."""
    by_survivor: dict[int, list[int]] = {}
    for cluster_id in changes.merged:
        by_survivor.setdefault(changes.survivor(cluster_id), []).append(cluster_id)
    merged = 0
    for survivor, absorbed in sorted(by_survivor.items()):
        hits = oldest_first(store.hits_on([survivor, *absorbed]))
        if not hits:
            continue
        keeper, others = hits[0], hits[1:]
        if others:
            store.merge_hits(keeper.id, [h.id for h in others])
            for other in others:
                store.add_event(other.id, "samengevoegd", {"in": keeper.id})
            store.add_event(keeper.id, "opgenomen", {"hits": [h.id for h in others]})
            merged += len(others)
        if keeper.cluster_id != survivor:
            store.move_hit(keeper.id, survivor)
    return merged


def origin_hits(store: SqlHitStore, changes: Changes, live: Sequence[int]) -> dict[int, str]:
    """For parts that split off: the hit of the cluster they left, if it had one."""
    origins = {cid: changes.split_from[cid] for cid in live if cid in changes.split_from}
    if not origins:
        return {}
    owners = store.hit_ids_of(sorted(set(origins.values())))
    return {cid: owners[o] for cid, o in origins.items() if o in owners}


def _detail(values: HitValues) -> JsonObject:
    return {
        "urgent": values.urgent,
        "signals": values.signals,
        "parties": values.parties,
        "reasons": values.reasons,
    }


def _with_revision(detail: JsonObject, revision: str) -> JsonObject:
    return {**detail, "policy_revision": revision} if revision else detail
