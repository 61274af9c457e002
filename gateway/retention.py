"""The retention run (Convenant art. 15; ``gateway retention run``): signals observed longer ago
than ``retention.unlinked_signal_days`` are deleted, sealed details and all; their clusters are
re-checked (they may split) and the hits re-judged, in one audited transaction.

The period is policy data: the run reads it from the revision the gateway decides with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.audit import store as audit
from gateway.audit.chain import AuditEvent
from gateway.errors import ConfigurationError
from gateway.linkage.rules import link_rules
from gateway.runtime import Runtime
from gateway.storage import retention
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


def retention_days(rt: Runtime) -> int:
    days = rt.policy.data.get("covenant", {}).get("retention", {}).get("unlinked_signal_days")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ConfigurationError(
            "data.covenant.retention.unlinked_signal_days: verwacht een geheel getal >= 1"
        )
    return days


def run_retention(rt: Runtime, *, dry_run: bool = False) -> RetentionReport:
    now = rt.clock()
    cutoff = now - timedelta(days=retention_days(rt))
    with rt.engine.begin() as connection:
        ids = retention.due(connection, observed_before=cutoff)
        if dry_run:
            return RetentionReport(cutoff, len(ids), 0, 0, 0, True)
        linker = SqlLinker(connection, link_rules(rt.policy.data), now=now)
        barriers = {code: b.value for code, b in rt.catalogue.barriers.items()}
        deleted = retention.purge(connection, linker, ids, barriers=barriers)
        hits = HitWriter(connection, now=now).refresh(
            linker.changes, rt.policy, party_types=rt.party_types, barrier_of=rt.barrier_of
        )
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
                    },
                    policy_revision=rt.policy.revision,
                )
            ],
            now=now,
        )
    return RetentionReport(cutoff, len(ids), deleted, hits.clusters, hits.lapsed, False)
