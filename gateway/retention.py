"""The retention run (Convenant art. 15; ``gateway retention run``): signals observed longer ago
than ``retention.unlinked_signal_days`` are deleted, sealed details and all; their clusters are
re-checked (they may split) and the hits re-judged; recorded policy decisions older than
``retention.decision_record_days`` (the inputs ``policy simulate`` replays) are deleted too. One
audited transaction.

The periods are policy data: the run reads them from the revision the gateway decides with.
Without ``decision_record_days`` decision records are kept (the covenant data of earlier
versions had no such period).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.audit import store as audit
from gateway.audit.chain import AuditEvent
from gateway.errors import ConfigurationError
from gateway.linkage.rules import link_rules
from gateway.runtime import Runtime
from gateway.storage import decisions, retention
from gateway.storage.hits import HitWriter
from gateway.storage.linkage import SqlLinker


@dataclass(frozen=True, slots=True)
class RetentionReport:
    cutoff: datetime
    due: int
    deleted_rows: int
    clusters_changed: int
    hits_lapsed: int
    dry_run: bool
    decisions_cutoff: datetime | None = None
    decisions: int = 0


def _days(rt: Runtime, key: str, *, required: bool) -> int | None:
    days = rt.policy.data.get("covenant", {}).get("retention", {}).get(key)
    if days is None and not required:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ConfigurationError(f"data.covenant.retention.{key}: verwacht een geheel getal >= 1")
    return days


def retention_days(rt: Runtime) -> int:
    days = _days(rt, "unlinked_signal_days", required=True)
    assert days is not None
    return days


def run_retention(rt: Runtime, *, dry_run: bool = False) -> RetentionReport:
    now = rt.clock()
    cutoff = now - timedelta(days=retention_days(rt))
    record_days = _days(rt, "decision_record_days", required=False)
    decisions_cutoff = None if record_days is None else now - timedelta(days=record_days)
    with rt.engine.begin() as connection:
        ids = retention.due(connection, observed_before=cutoff)
        if dry_run:
            old = (
                0
                if decisions_cutoff is None
                else decisions.older_than(connection, decisions_cutoff)
            )
            return RetentionReport(cutoff, len(ids), 0, 0, 0, True, decisions_cutoff, old)
        linker = SqlLinker(connection, link_rules(rt.policy.data), now=now)
        barriers = {code: b.value for code, b in rt.catalogue.barriers.items()}
        deleted = retention.purge(connection, linker, ids, barriers=barriers)
        hits = HitWriter(connection, now=now).refresh(
            linker.changes, rt.policy, party_types=rt.party_types, barrier_of=rt.barrier_of
        )
        pruned = 0 if decisions_cutoff is None else decisions.prune(connection, decisions_cutoff)
        audit.append(
            connection,
            [
                AuditEvent(
                    event="retention.purged",
                    object={"observed_before": cutoff.isoformat()},
                    detail={
                        "signals": len(ids),
                        "rows": deleted,
                        "clusters_changed": hits.clusters,
                        "hits_lapsed": hits.lapsed,
                        "decisions": pruned,
                    },
                    policy_revision=rt.policy.revision,
                )
            ],
            now=now,
        )
    return RetentionReport(
        cutoff, len(ids), deleted, hits.clusters, hits.lapsed, False, decisions_cutoff, pruned
    )
