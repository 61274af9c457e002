"""``GET /v1/stats``: the regional monitor, counts with small-cell suppression.

    GET /v1/stats?dimensions=vorm,gemeente&since=2025-01&until=2025-12&gemeente=GM0599&vorm=…

Every call is signed; the ``stats`` policy decides which dimensions this requester gets (only
those are computed) and the threshold below which counts are suppressed. Filters and windows
count as dimensions for the policy (``gateway.stats.dimensions``): a filter the policy does not
release refuses the whole request, since dropping a filter would answer another question.
The decision is recorded and the view audited (``stats.viewed``: dimensions, filters and how much
was suppressed; never a count, a ref or a pseudonym) before anything is returned.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection

from gateway.api.auditing import audit_call
from gateway.api.security import runtime, signed_call
from gateway.auth.signed_calls import VerifiedCall
from gateway.errors import FieldError, InvalidInput, PolicyRefused
from gateway.observability.logs import get_logger
from gateway.policy.engine import Decision
from gateway.runtime import Runtime
from gateway.signals.reference import validate_municipality
from gateway.stats import report
from gateway.stats.dimensions import Dimension, Labels, StatsQuery, parse_month
from gateway.stats.suppression import suppress
from gateway.storage import decisions
from gateway.storage import stats as stats_store
from gateway.vocabulary import Form

router = APIRouter(prefix="/v1/stats", tags=["stats"])
_log = get_logger("gateway.stats")
# No role is required here: who may see figures is the policy's call (``access.stats.roles``),
# so that a refusal comes with its reasons and is recorded like every other decision.
Requester = Annotated[VerifiedCall, Depends(signed_call())]

_PARAMETERS = ("dimensions", "since", "until", "gemeente", "vorm")
_NAME = re.compile(r"^[a-z_]{1,32}$")
_MAX_REQUESTED = 10
_FILTER_PARAMETER = {
    Dimension.GEMEENTE: "gemeente",
    Dimension.VORM: "vorm",
    Dimension.JAAR: "since",
    Dimension.KWARTAAL: "since",
    Dimension.MAAND: "since",
}


@dataclass(frozen=True, slots=True)
class _Request:
    names: list[str]  # as asked, unknown names included (the policy gives their reason)
    query: StatsQuery  # the known dimensions, with the filters


def _parse(request: Request) -> _Request:
    """Query parameters, every problem located (``query.<name>``); values are never echoed."""
    params = request.query_params
    errors: list[FieldError] = []
    for name in sorted(set(params.keys())):
        if name not in _PARAMETERS:
            errors.append(FieldError(f"query.{name}", "onbekende parameter", "extra_forbidden"))
        elif len(params.getlist(name)) > 1:
            errors.append(FieldError(f"query.{name}", "mag maar één keer voorkomen", "repeated"))
    raw = params.get("dimensions")
    names = [n.strip() for n in raw.split(",")] if raw else []
    if not names:
        errors.append(
            FieldError("query.dimensions", "geef één of meer dimensies, met komma's", "missing")
        )
    elif len(names) > _MAX_REQUESTED or not all(_NAME.match(n) for n in names):
        errors.append(
            FieldError(
                "query.dimensions",
                f"hoogstens {_MAX_REQUESTED} namen van kleine letters en '_'",
                "value_error",
            )
        )
    elif len(set(names)) != len(names):
        errors.append(FieldError("query.dimensions", "dimensies komen dubbel voor", "value_error"))
    months: dict[str, int | None] = {"since": None, "until": None}
    for name in months:
        value = params.get(name)
        if value is not None:
            try:
                months[name] = parse_month(value)
            except ValueError as exc:
                errors.append(FieldError(f"query.{name}", str(exc), "value_error"))
    gemeente = params.get("gemeente")
    if gemeente is not None:
        try:
            validate_municipality(gemeente)
        except ValueError as exc:
            errors.append(FieldError("query.gemeente", str(exc), "value_error"))
    vorm = params.get("vorm")
    if vorm is not None and vorm not in {f.value for f in Form}:
        errors.append(FieldError("query.vorm", "onbekende verschijningsvorm", "enum"))
    since, until = months["since"], months["until"]
    if since is not None and until is not None and since > until:
        errors.append(FieldError("query.until", "until ligt vóór since", "value_error"))
    if errors:
        raise InvalidInput("de parameters van het verzoek kloppen niet", errors)
    known = {d.value for d in Dimension}
    query = StatsQuery(
        dimensions=tuple(Dimension(n) for n in names if n in known),
        since=since,
        until=until,
        gemeente=gemeente,
        vorm=vorm,
    )
    return _Request(names, query)


def _policy_input(rt: Runtime, call: VerifiedCall, asked: _Request) -> dict[str, Any]:
    party = call.party
    implied = [d.value for d in asked.query.implied_dimensions()]
    return {
        "requester": {
            "party": party.id,
            "type": party.type.value,
            "signatory": party.signatory,
            "roles": sorted(r.value for r in call.roles),
        },
        "dimensions": [*asked.names, *implied],
        "now": rt.clock().isoformat(),
    }


def _record(
    connection: Connection, rt: Runtime, decision: Decision, policy_input: dict[str, Any]
) -> None:
    decisions.record(
        connection,
        point=decision.point.value,
        input=policy_input,
        allow=decision.allow,
        reasons=[r.as_dict() for r in decision.reasons],
        revision=decision.revision,
        now=rt.clock(),
    )


def _refuse(
    rt: Runtime,
    call: VerifiedCall,
    decision: Decision,
    policy_input: dict[str, Any],
    refusal: PolicyRefused,
) -> PolicyRefused:
    """Record the decision and audit the refusal in one transaction; returns what to raise."""
    with rt.engine.begin() as connection:
        _record(connection, rt, decision, policy_input)
        audit_call(
            rt,
            call,
            connection,
            "stats.refused",
            {"dimensions": policy_input["dimensions"]},
            {"problem": refusal.code, "reasons": sorted({e.code for e in refusal.errors})},
            decision.revision,
        )
    rt.metrics.refusals.labels(problem=refusal.code).inc()
    _log.info("stats.refused", party=call.party.id, reasons=len(refusal.errors))
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


def _max_cells(rt: Runtime) -> int | None:
    """``data.covenant.stats.max_cells``: the most cells one table may have (policy data)."""
    value = rt.policy.data.get("covenant", {}).get("stats", {}).get("max_cells")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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


def _documented(description: str) -> Any:
    """A query parameter for the OpenAPI description only: ``_parse`` reads and checks them all
    (with Dutch messages and locations), so FastAPI is given plain optional strings."""
    return Query(description=description)


@router.get("", summary="Counts per dimension with small-cell suppression (regional monitor)")
def regional_stats(
    request: Request,
    call: Requester,
    dimensions: Annotated[
        str | None, _documented("1 to 3 of the covenant's stats dimensions, comma-separated")
    ] = None,
    since: Annotated[str | None, _documented("first month, YYYY-MM (a dimension)")] = None,
    until: Annotated[str | None, _documented("last month, YYYY-MM (a dimension)")] = None,
    gemeente: Annotated[
        str | None, _documented("CBS municipality code (counts as a dimension)")
    ] = None,
    vorm: Annotated[str | None, _documented("form of exploitation (counts as a dimension)")] = None,
) -> JSONResponse:
    rt = runtime(request)
    asked = _parse(request)
    policy_input = _policy_input(rt, call, asked)
    decision = rt.policy.decide("stats", policy_input)
    reasons = [FieldError("dimensions", r.message, r.code, r.basis) for r in decision.reasons]
    threshold = _threshold(decision)
    if not decision.allow or threshold is None:
        raise _refuse(
            rt,
            call,
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
            call,
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
    with rt.engine.begin() as connection:
        stats_store.catch_up(connection, barriers=labels.barriers)
    with _collector_paused():
        with rt.engine.connect() as connection:
            cells = stats_store.counts(connection, query, labels)
        limit = _max_cells(rt)
        if limit is not None and len(cells) > limit:
            # Not a report any more, and a map for re-identification: narrow it first.
            raise InvalidInput(
                f"deze tabel heeft {len(cells)} cellen; het convenant staat er hoogstens "
                f"{limit} toe",
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
        rendered = JSONResponse(body)
    # The view is audited before it is returned: no audit entry, no figures.
    with rt.engine.begin() as connection:
        _record(connection, rt, decision, policy_input)
        audit_call(
            rt,
            call,
            connection,
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
        party=call.party.id,
        dimensions=len(grouped),
        cells=len(table.cells),
        suppressed=table.primary + table.complementary,
    )
    return rendered
