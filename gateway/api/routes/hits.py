"""``/v1/hits`` and ``/v1/hubs``: the RIEC's view of linked data, pseudonymised.

Every request asks the ``hits`` policy whether this requester may see hits (action ``view``);
every answer, given or refused, is recorded and audited with counts, never with content
(``gateway.hits.views``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from gateway.api.security import runtime, signed_call
from gateway.auth.signed_calls import VerifiedCall
from gateway.hits import views
from gateway.jsontypes import JsonObject
from gateway.service.actor import Actor

router = APIRouter(tags=["hits"])
Caller = Annotated[VerifiedCall, Depends(signed_call())]
HIT_ID = r"^hit-[0-9a-f]{16}$"


@router.get("/v1/hits", summary="Hits, newest change first, with filters and paging")
def list_hits(
    request: Request,
    call: Caller,
    gemeente: Annotated[str | None, Query(pattern=r"^GM\d{4}$")] = None,
    vorm: Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$")] = None,
    barriere: Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$")] = None,
    status: Literal["open", "vervallen", "samengevoegd", "alle"] = "open",
    urgent: bool | None = None,
    since: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: Annotated[str | None, Query(max_length=200, pattern=r"^[A-Za-z0-9_-]+$")] = None,
) -> JsonObject:
    page = views.list_hits(
        runtime(request),
        actor=Actor.of(call),
        status=None if status == "alle" else status,
        gemeente=gemeente,
        vorm=vorm,
        barriere=barriere,
        urgent=urgent,
        since=since,
        limit=limit,
        after=after,
    )
    return page.as_dict()


@router.get("/v1/hits/{hit_id}", summary="One hit with its history")
def get_hit(
    request: Request, call: Caller, hit_id: Annotated[str, Path(pattern=HIT_ID)]
) -> JsonObject:
    return views.view_hit(runtime(request), actor=Actor.of(call), hit_id=hit_id).as_dict()


@router.get(
    "/v1/hits/{hit_id}/network",
    summary="The pseudonymised network of a hit: subjects as kinds and roles, signals as edges",
)
def get_network(
    request: Request, call: Caller, hit_id: Annotated[str, Path(pattern=HIT_ID)]
) -> JsonObject:
    return views.view_network(runtime(request), actor=Actor.of(call), hit_id=hit_id).as_dict()


@router.get("/v1/hubs", summary="Pseudonyms that stopped linking: kind and count, never a value")
def list_hubs(request: Request, call: Caller) -> JsonObject:
    return views.list_hubs(runtime(request), actor=Actor.of(call)).as_dict()
