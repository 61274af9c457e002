"""``GET /v1/stats``: the regional monitor, counts with small-cell suppression.

    GET /v1/stats?dimensions=vorm,gemeente&since=2025-01&until=2025-12&gemeente=GM0599&vorm=…

Every call is signed; the ``stats`` policy decides which dimensions this requester gets (only
those are computed) and the threshold below which counts are suppressed. Filters and windows
count as dimensions for the policy (``gateway.stats.dimensions``): a filter the policy does not
release refuses the whole request, since dropping a filter would answer another question.
The decision is recorded and the view audited (``stats.viewed``: dimensions, filters and how much
was suppressed; never a count, a ref or a pseudonym) before anything is returned. This module reads
and checks the query parameters; the use case is ``gateway.stats.service``.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, params
from fastapi.responses import JSONResponse

from gateway.api.security import runtime, signed_call
from gateway.auth.signed_calls import VerifiedCall
from gateway.errors import FieldError, InvalidInput
from gateway.runtime import Runtime
from gateway.service.actor import Actor
from gateway.signals.reference import validate_municipality
from gateway.stats import service
from gateway.stats.dimensions import Dimension, StatsQuery, parse_month
from gateway.stats.service import StatsRequest
from gateway.vocabulary import Form

router = APIRouter(prefix="/v1/stats", tags=["stats"])
# No role is required here: who may see figures is the policy's call (``access.stats.roles``),
# so that a refusal comes with its reasons and is recorded like every other decision.
Requester = Annotated[VerifiedCall, Depends(signed_call())]

_PARAMETERS = ("dimensions", "since", "until", "gemeente", "vorm")
_NAME = re.compile(r"^[a-z_]{1,32}$")
_MAX_REQUESTED = 10


def _parse(request: Request) -> StatsRequest:
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
    return StatsRequest(names, query)


def _max_cells(rt: Runtime) -> int | None:
    """The most cells one table may have (policy data, ``gateway.stats.service.cell_limit``)."""
    return service.cell_limit(rt)


def _documented(description: str) -> params.Query:
    """A query parameter for the OpenAPI description only: ``_parse`` reads and checks them all
    (with Dutch messages and locations), so FastAPI is given plain optional strings."""
    # FastAPI types Query() as returning Any (so it fits as a default); it makes a params.Query.
    parameter: params.Query = Query(description=description)
    return parameter


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
    figures = service.regional_stats(
        rt, actor=Actor.of(call), asked=asked, max_cells=_max_cells(rt), render=JSONResponse
    )
    return figures.rendered
