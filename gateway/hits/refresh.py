"""Refresh hits after linkage changed: the use case shared by ingest, retention and a linkage
rebuild. Which clusters are hits is the ``hits`` policy's call, asked once for every cluster a
change touched; storage only reads the clusters' facts and writes the hits' new state.

Fail closed: without a judgement nothing is written (the caller's transaction rolls back), since a
batch stored without its hits would leave a cluster unjudged until its next change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from gateway.errors import Unavailable
from gateway.hits.summary import SignalFacts, evaluation_input
from gateway.linkage.incremental import Changes
from gateway.policy.engine import Decision, PolicyEngine
from gateway.service.work import Work
from gateway.storage.hits import HitWriter


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
    it holds in memory (a batch's own new clusters)."""
    known = known or {}
    writer = HitWriter(connection, now=now)
    done = Refreshed(merged=writer.follow_merges(changes))
    live = writer.live_clusters(changes)
    if not live:
        return done
    facts = writer.facts(changes, live, party_types=party_types, known=known)
    done.clusters = len(facts)
    verdicts: dict[str, Any] = {}  # Any: per-cluster verdicts as the policy returned them
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
    applied = writer.apply(
        changes,
        live,
        facts,
        verdicts,
        revision=done.decision.revision if done.decision else "",
        barrier_of=barrier_of,
        known=known,
    )
    done.new, done.changed, done.lapsed = applied.new, applied.changed, applied.lapsed
    return done
