"""``/v1/hits`` and ``/v1/hubs``: the RIEC's view of linked data, pseudonymised; the register of
non-linking pseudonyms and the review of candidate hubs (``gateway.linkage.register``).

Every request asks the ``hits`` policy whether this requester may see hits (action ``view``);
every answer, given or refused, is recorded and audited with counts, never with content
(``gateway.hits.views``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from gateway.api.problems import parse_body
from gateway.api.security import runtime, signed_call
from gateway.auth.signed_calls import VerifiedCall
from gateway.crypto import unb64u
from gateway.hits import views
from gateway.jsontypes import JsonObject
from gateway.linkage import register
from gateway.service.actor import Actor
from gateway.signals.models import PSEUDONYM_PATTERN
from gateway.vocabulary import SubjectKind

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


# -- the register of non-linking pseudonyms, candidate hubs ----------------------------------------

HubId = Annotated[str, Path(pattern=r"^hub-[0-9a-f]{16}$")]
EntryId = Annotated[str, Path(pattern=r"^reg-[0-9a-f]{16}$")]
_CODE = r"^[a-z][a-z0-9_]{0,63}$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegisterKey(_Body):
    """A known non-linking identifier, as its pseudonym: the OPRF output of its normal form
    (64 bytes, base64url without padding), formed exactly as an adapter forms it."""

    pseudonym: Annotated[str, Field(pattern=PSEUDONYM_PATTERN)]
    kind: SubjectKind
    reason: Annotated[str, Field(pattern=_CODE)]
    expires: date


class WithdrawEntry(_Body):
    """No fields: the entry ends now."""


class ReviewHub(_Body):
    verdict: Literal["bevestigd", "verworpen"]
    reason: Annotated[str, Field(pattern=_CODE)]


@router.get("/v1/hubs/candidates", summary="Candidate hubs: counts and the structural reason")
def list_candidates(request: Request, call: Caller) -> JsonObject:
    return register.list_candidates(runtime(request), actor=Actor.of(call)).as_dict()


@router.post(
    "/v1/hubs/{hub_id}/review", summary="Confirm or overrule a hub (RIEC, privacy officer)"
)
def review_hub(request: Request, call: Caller, hub_id: HubId) -> JsonObject:
    body: ReviewHub = parse_body(ReviewHub, request)
    return register.review(
        runtime(request),
        actor=Actor.of(call),
        hub_id=hub_id,
        verdict=body.verdict,
        reason=body.reason,
    ).as_dict()


@router.get("/v1/hubs/register", summary="The register of non-linking pseudonyms, no values")
def list_register(
    request: Request,
    call: Caller,
    include_ended: Annotated[bool, Query(alias="all")] = False,
) -> JsonObject:
    return register.list_register(
        runtime(request), actor=Actor.of(call), with_ended=include_ended
    ).as_dict()


@router.post(
    "/v1/hubs/register",
    status_code=201,
    summary="Register a non-linking pseudonym (privacy officer)",
)
def register_key(request: Request, call: Caller) -> JsonObject:
    body: RegisterKey = parse_body(RegisterKey, request)
    return register.register(
        runtime(request),
        actor=Actor.of(call),
        pseudonym=unb64u(body.pseudonym),
        kind=body.kind.value,
        reason=body.reason,
        expires=body.expires,
    ).as_dict()


@router.post("/v1/hubs/register/{entry_id}/withdraw", summary="Withdraw a register entry now")
def withdraw_entry(request: Request, call: Caller, entry_id: EntryId) -> JsonObject:
    parse_body(WithdrawEntry, request)
    return register.withdraw(runtime(request), actor=Actor.of(call), entry_id=entry_id).as_dict()
