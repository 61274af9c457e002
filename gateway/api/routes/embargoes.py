"""``/v1/embargoes``: politie and OM place an embargo of their investigation on a subject (by
pseudonym, formed through the OPRF as an adapter forms it), a signal (party and ref) or a whole
case; they extend it, lift it and list them.

Each route authenticates, parses its body and calls one use case of
:mod:`gateway.embargoes.service`, which asks the ``embargo`` policy and commits the embargo, the
decision and the audit entry together.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from gateway.api.problems import parse_body
from gateway.api.routes.cases import CASE_ID
from gateway.api.security import runtime, signed_call
from gateway.auth.signed_calls import VerifiedCall
from gateway.crypto import unb64u
from gateway.embargoes import service
from gateway.jsontypes import JsonObject
from gateway.service.actor import Actor
from gateway.signals.models import PSEUDONYM_PATTERN, REF_PATTERN

router = APIRouter(prefix="/v1/embargoes", tags=["embargoes"])
Caller = Annotated[VerifiedCall, Depends(signed_call())]
EmbargoId = Annotated[str, Path(pattern=r"^emb-[0-9a-f]{16}$")]
_CODE = r"^[a-z][a-z0-9_-]{0,63}$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SubjectTarget(_Body):
    """A subject by its pseudonym (64-byte OPRF output, base64url without padding)."""

    kind: Literal["subject"]
    pseudonym: Annotated[str, Field(pattern=PSEUDONYM_PATTERN)]


class SignalTarget(_Body):
    """A signal by its supplier and ref: every version of it."""

    kind: Literal["signal"]
    party: Annotated[str, Field(pattern=_CODE)]
    ref: Annotated[str, Field(pattern=REF_PATTERN)]


class CaseTarget(_Body):
    """A whole case: every signal in it."""

    kind: Literal["case"]
    case: Annotated[str, Field(pattern=CASE_ID)]


class CaseSubjectTarget(_Body):
    """A person of a case by the handle the case's network gives it (``p…``): for the OM and
    the police, who take part in the case but do not hold the person's identifiers."""

    kind: Literal["case_subject"]
    case: Annotated[str, Field(pattern=CASE_ID)]
    handle: Annotated[str, Field(pattern=r"^p[0-9a-f]{12}$")]


class PlaceEmbargo(_Body):
    target: Annotated[
        SubjectTarget | SignalTarget | CaseTarget | CaseSubjectTarget, Field(discriminator="kind")
    ]
    until: date
    reason: Annotated[str, Field(pattern=_CODE)]


class ExtendEmbargo(_Body):
    until: date


class LiftEmbargo(_Body):
    """No fields: lifting takes effect now."""


def _target(body: PlaceEmbargo) -> service.Target:
    target = body.target
    if isinstance(target, SubjectTarget):
        return service.Target.subject(unb64u(target.pseudonym))
    if isinstance(target, SignalTarget):
        return service.Target.of_signal(target.party, target.ref)
    if isinstance(target, CaseSubjectTarget):
        return service.Target.case_subject(target.case, target.handle)
    return service.Target.case(target.case)


@router.post("", status_code=201, summary="Place an embargo (politie, OM)")
def place(request: Request, call: Caller) -> JsonObject:
    body: PlaceEmbargo = parse_body(PlaceEmbargo, request)
    return service.place(
        runtime(request),
        actor=Actor.of(call),
        target=_target(body),
        until=body.until,
        reason=body.reason,
    ).as_dict()


@router.get("", summary="The embargoes in force (politie, OM)")
def list_embargoes(
    request: Request,
    call: Caller,
    include_ended: Annotated[bool, Query(alias="all")] = False,
) -> JsonObject:
    return service.list_embargoes(
        runtime(request), actor=Actor.of(call), with_ended=include_ended
    ).as_dict()


@router.post("/{embargo_id}/extend", summary="Extend an embargo to a later end date")
def extend(request: Request, call: Caller, embargo_id: EmbargoId) -> JsonObject:
    body: ExtendEmbargo = parse_body(ExtendEmbargo, request)
    return service.extend(
        runtime(request), actor=Actor.of(call), embargo_id=embargo_id, until=body.until
    ).as_dict()


@router.post("/{embargo_id}/lift", summary="Lift an embargo now")
def lift(request: Request, call: Caller, embargo_id: EmbargoId) -> JsonObject:
    parse_body(LiftEmbargo, request)
    return service.lift(runtime(request), actor=Actor.of(call), embargo_id=embargo_id).as_dict()
