"""The regional monitor as a use case: which figures a requester gets, suppressed, recorded and
audited.

The ``stats`` policy decides which dimensions this requester gets (only those are computed) and
the threshold below which counts are suppressed. Filters and windows count as dimensions for the
policy (``gateway.stats.dimensions``): a filter the policy does not release refuses the whole
request, since dropping a filter would answer another question. The decision is recorded and the
view audited (``stats.viewed``: dimensions, filters and how much was suppressed; never a count, a
ref or a pseudonym) before anything is returned.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway.errors import FieldError, InvalidInput, PolicyRefused
from gateway.jsontypes import JsonObject
from gateway.observability.logs import get_logger
from gateway.policy.engine import Decision
from gateway.runtime import Runtime
from gateway.service.actor import Actor
from gateway.stats import report
from gateway.stats.dimensions import Dimension, Labels, StatsQuery
from gateway.stats.suppression import suppress
from gateway.storage import stats as stats_store

_log = get_logger("gateway.stats")
_FILTER_PARAMETER = {
    Dimension.GEMEENTE: "gemeente",
    Dimension.VORM: "vorm",
    Dimension.JAAR: "since",
    Dimension.KWARTAAL: "since",
    Dimension.MAAND: "since",
}

Rendered = TypeVar("Rendered")


@dataclass(frozen=True, slots=True)
class StatsRequest:
    names: list[str]  # as asked, unknown names included (the policy gives their reason)
    query: StatsQuery  # the known dimensions, with the filters


@dataclass(frozen=True, slots=True)
class Figures(Generic[Rendered]):
    """The report as a document and as rendered by the caller's ``render``."""

    body: JsonObject
    rendered: Rendered


def cell_limit(rt: Runtime) -> int | None:
    """``data.covenant.stats.max_cells``: the most cells one table may have (policy data)."""
    value = rt.policy.data.get("covenant", {}).get("stats", {}).get("max_cells")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _policy_input(rt: Runtime, actor: Actor, asked: StatsRequest) -> JsonObject:
    implied = [d.value for d in asked.query.implied_dimensions()]
    return {
        "requester": {
            "party": actor.party.id,
            "type": actor.party.type.value,
            "signatory": actor.party.signatory,
            "roles": actor.role_values,
        },
        "dimensions": [*asked.names, *implied],
        "now": rt.clock().isoformat(),
    }


def _refuse(
    rt: Runtime,
    actor: Actor,
    decision: Decision,
    policy_input: JsonObject,
    refusal: PolicyRefused,
) -> PolicyRefused:
    """Record the decision and audit the refusal in one unit of work; returns what to raise."""
    with rt.unit_of_work.write() as work:
        work.record(decision.point.value, policy_input, decision)
        work.audit(
            actor,
            "stats.refused",
            {"dimensions": policy_input["dimensions"]},
            {"problem": refusal.code, "reasons": sorted({e.code for e in refusal.errors})},
            decision.revision,
        )
    rt.metrics.refusals.labels(problem=refusal.code).inc()
    _log.info("stats.refused", party=actor.party.id, reasons=len(refusal.errors))
    return refusal


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while one table is built.

    A table of month x municipality x indicator over 1,000,000 signals has 26,000 cells; building,
    suppressing and rendering it allocates some 200,000 acyclic objects, and the collector's
    passes over them took 40% of the time (bench/stats.py). Nothing here makes cycles, so there
    is nothing for it to find. Re-enabled only by whoever disabled it, so concurrent requests
    always leave it on.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _threshold(decision: Decision) -> int | None:
    value = decision.document.get("small_cell_threshold")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 2:
        return value
    return None


def _filter_refusals(decision: Decision, query: StatsQuery, released: set[str]) -> list[FieldError]:
    """A filter whose dimension is not released: the policy's reason, at the filter."""
    found = []
    for dimension in query.implied_dimensions():
        if dimension.value in released:
            continue
        quoted = f'"{dimension.value}"'
        reason = next((r for r in decision.reasons if quoted in r.message), None)
        parameter = _FILTER_PARAMETER[dimension]
        if parameter == "since" and query.since is None:
            parameter = "until"
        found.append(
            FieldError(
                f"query.{parameter}",
                (reason.message if reason else f"Dimensie {quoted} is niet toegestaan.")
                + " Een filter of tijdvenster telt als dimensie.",
                reason.code if reason else "dimensie-niet-toegestaan",
                reason.basis if reason else "Convenant art. 16 lid 1",
            )
        )
    return found


def regional_stats(
    rt: Runtime,
    *,
    actor: Actor,
    asked: StatsRequest,
    max_cells: int | None,
    render: Callable[[JsonObject], Rendered],
) -> Figures[Rendered]:
    """Counts per released dimension with small-cell suppression.

    ``max_cells``: the most cells the table may have (:func:`cell_limit`; ``None``: no limit).
    ``render`` turns the report into the answer while the collector is still paused (see
    :func:`_collector_paused`); the view is audited after that, before the answer is returned.
    """
    policy_input = _policy_input(rt, actor, asked)
    decision = rt.policy.decide("stats", policy_input)
    reasons = [FieldError("dimensions", r.message, r.code, r.basis) for r in decision.reasons]
    threshold = _threshold(decision)
    if not decision.allow or threshold is None:
        raise _refuse(
            rt,
            actor,
            decision,
            policy_input,
            PolicyRefused(
                "het convenantbeleid staat deze cijfers niet toe",
                reasons,
                revision=decision.revision,
            ),
        )
    released = {str(d) for d in decision.document.get("dimensions", [])}
    refused_filters = _filter_refusals(decision, asked.query, released)
    grouped = tuple(d for d in asked.query.dimensions if d.value in released)
    if refused_filters or not grouped:
        raise _refuse(
            rt,
            actor,
            decision,
            policy_input,
            PolicyRefused(
                "het convenantbeleid staat deze filters niet toe"
                if refused_filters
                else "geen van de gevraagde dimensies is toegestaan",
                refused_filters or reasons,
                revision=decision.revision,
            ),
        )
    query = StatsQuery(
        dimensions=grouped,
        since=asked.query.since,
        until=asked.query.until,
        gemeente=asked.query.gemeente,
        vorm=asked.query.vorm,
    )
    labels = Labels(
        party_types={p.id: p.type.value for p in rt.covenant.parties.values()},
        barriers={code: b.value for code, b in rt.catalogue.barriers.items()},
    )
    explained = [r.as_dict() for r in decision.reasons]
    with rt.unit_of_work.write() as work:
        stats_store.catch_up(work.connection, barriers=labels.barriers)
    with _collector_paused():
        with rt.unit_of_work.read() as work:
            cells = stats_store.counts(work.connection, query, labels)
        if max_cells is not None and len(cells) > max_cells:
            # Not a report any more, and a map for re-identification: narrow it first.
            raise InvalidInput(
                f"deze tabel heeft {len(cells)} cellen; het convenant staat er hoogstens "
                f"{max_cells} toe",
                [
                    FieldError(
                        "query.dimensions",
                        "kies minder of grovere dimensies, een venster (since/until) of een "
                        "filter (gemeente, vorm)",
                        "te-veel-cellen",
                        "Convenant art. 16 lid 3",
                    )
                ],
            )
        table = suppress(cells, dimensions=len(grouped), threshold=threshold)
        body = report.document(query, table, revision=decision.revision, reasons=explained)
        rendered = render(body)
    # The view is audited before it is returned: no audit entry, no figures.
    with rt.unit_of_work.write() as work:
        work.record(decision.point.value, policy_input, decision)
        work.audit(
            actor,
            "stats.viewed",
            {"dimensions": [d.value for d in grouped]},
            {
                "filters": {k: v for k, v in body["filters"].items() if v is not None},
                "cells": len(table.cells),
                "primary": table.primary,
                "complementary": table.complementary,
                "threshold": threshold,
            },
            decision.revision,
        )
    _log.info(
        "stats.viewed",
        party=actor.party.id,
        dimensions=len(grouped),
        cells=len(table.cells),
        suppressed=table.primary + table.complementary,
    )
    return Figures(body, rendered)
