"""The gateway's linkage and hits code as the linkage bench uses it, imported in this one place.

The linkage decisions live in ``gateway.linkage.incremental`` (``IncrementalLinker``) and the hit
lifecycle in ``gateway.hits.refresh``; ``SqlLinker`` is that linker over the SQL ``LinkStore``
and ``SqlHitStore`` the hits tables. When they move again, only this module changes. So does the
ingest use case's store step, which the bench runs itself with timed collaborators swapped in
(:data:`TIMED_NAMES` of :data:`ingest`).
"""

from __future__ import annotations

from gateway.hits import refresh
from gateway.hits.network import network_view
from gateway.hits.summary import SignalFacts, evaluation_input, facets
from gateway.linkage.rules import link_rules
from gateway.signals import ingest
from gateway.storage.hits import (
    HitFilter,
    SqlHitStore,
    cluster_members,
    decode_cursor,
    hub_ids,
    list_hits,
    new_hit_id,
)
from gateway.storage.linkage import SqlLinker
from gateway.storage.signals import SqlSignalStore

__all__ = [
    "HitFilter",
    "SignalFacts",
    "SqlHitStore",
    "SqlLinker",
    "SqlSignalStore",
    "TIMED_NAMES",
    "cluster_members",
    "decode_cursor",
    "evaluation_input",
    "facets",
    "hub_ids",
    "ingest",
    "link_rules",
    "list_hits",
    "network_view",
    "new_hit_id",
    "refresh",
]

#: The names ``ingest._store`` runs its collaborators by, which the bench swaps (in its own
#: process only) for timed versions: linkage, the signal store and the hits refresh.
TIMED_NAMES = ("SqlLinker", "SqlSignalStore", "refresh_hits")
