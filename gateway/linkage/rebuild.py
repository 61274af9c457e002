"""``gateway linkage rebuild``: bring the stored links to the link rules in force.

Linkage is incremental: a change to ``data.covenant.linkage`` (``link_kinds``, ``hub_threshold``)
applies to the batches that follow, not to what is stored. If privacy officers stop linking on a
kind because it proved disproportionate, existing clusters still hold signals together through it
until they are rebuilt. This run does that in one audited transaction: links under the current
rules over the current signals (:meth:`~gateway.linkage.incremental.IncrementalLinker.rebuild`),
then the hit rule on every cluster that changed, as after a batch. ``dry_run`` does the same
work and rolls it back, to show what would change.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.audit import store as audit
from gateway.audit.chain import AuditEvent
from gateway.hits.refresh import refresh_hits
from gateway.linkage.rules import link_rules
from gateway.runtime import Runtime
from gateway.storage.linkage import SqlLinker


@dataclass(frozen=True, slots=True)
class RebuildReport:
    clusters_changed: int
    merged: int
    split: int
    new_hubs: int
    hits_new: int
    hits_lapsed: int
    dry_run: bool


def rebuild_linkage(rt: Runtime, *, dry_run: bool = False) -> RebuildReport:
    now = rt.clock()
    rules = link_rules(rt.policy.data)
    with rt.engine.connect() as connection:
        transaction = connection.begin()
        try:
            changes = SqlLinker(connection, rules, now=now).rebuild()
            hits = refresh_hits(
                connection,
                changes,
                rt.policy,
                now=now,
                party_types=rt.party_types,
                barrier_of=rt.barrier_of,
            )
            report = RebuildReport(
                clusters_changed=len(changes.touched),
                merged=len(changes.merged),
                split=len(changes.split_from),
                new_hubs=changes.new_hubs,
                hits_new=hits.new,
                hits_lapsed=hits.lapsed,
                dry_run=dry_run,
            )
            if dry_run:
                transaction.rollback()
                return report
            audit.append(
                connection,
                [
                    AuditEvent(
                        event="linkage.rebuilt",
                        object={
                            "link_kinds": sorted(rules.kinds),
                            "hub_threshold": rules.hub_threshold,
                        },
                        detail={
                            "clusters_changed": report.clusters_changed,
                            "merged": report.merged,
                            "split": report.split,
                            "new_hubs": report.new_hubs,
                            "hits_new": report.hits_new,
                            "hits_lapsed": report.hits_lapsed,
                        },
                        policy_revision=rt.policy.revision,
                    )
                ],
                now=now,
            )
            transaction.commit()
        except BaseException:
            if transaction.is_active:
                transaction.rollback()
            raise
    return report
