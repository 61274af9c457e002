"""``/v1/cases``: open a case from a hit, move it through the chain process, add signals,
approve, assign interventions.

Each route authenticates, parses its body and calls one use case of
:mod:`gateway.cases.service`, which asks the ``case`` policy and commits the effect, the
decision, a case event and an audit entry together.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from gateway.api.problems import parse_body
from gateway.api.security import runtime, signed_call
from gateway.auth.signed_calls import VerifiedCall
from gateway.cases import casefile, service
from gateway.cases.model import Stage
from gateway.jsontypes import JsonObject
from gateway.service.actor import Actor

router = APIRouter(prefix="/v1/cases", tags=["cases"])
Caller = Annotated[VerifiedCall, Depends(signed_call())]
CASE_ID = r"^case-[0-9a-f]{16}$"
CaseId = Annotated[str, Path(pattern=CASE_ID)]
_CODE = r"^[a-z][a-z0-9_-]{0,63}$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpenCase(_Body):
    hit: Annotated[str, Field(pattern=r"^hit-[0-9a-f]{16}$")]
    purpose: Annotated[str, Field(pattern=_CODE)]
    participants: Annotated[list[Annotated[str, Field(pattern=_CODE)]], Field(min_length=1)]
    split_meeting: bool = False
    second_case_reason: Annotated[str | None, Field(pattern=_CODE)] = None


_HANDLES = Annotated[
    list[Annotated[str, Field(pattern=r"^[ps][0-9a-f]{12}$")]], Field(max_length=500)
]


class EditFile(_Body):
    """Subjects (``p...``) and signals (``s...``) by their handles in the case's network."""

    reason: Annotated[str, Field(pattern=_CODE)]
    add_subjects: _HANDLES = []
    remove_subjects: _HANDLES = []
    add_signals: _HANDLES = []
    remove_signals: _HANDLES = []
    with_signals: bool = True


class Transition(_Body):
    to: Stage
    reason: Annotated[str | None, Field(pattern=_CODE)] = None


class AddSignals(_Body):
    refs: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=128)]],
        Field(min_length=1, max_length=500),
    ]


class Approve(_Body):
    role: Annotated[str, Field(pattern=_CODE)]


class AssignIntervention(_Body):
    party: Annotated[str, Field(pattern=_CODE)]
    kind: Annotated[str, Field(pattern=_CODE)]


class UpdateIntervention(_Body):
    status: Annotated[str, Field(pattern=_CODE)]


@router.post("", status_code=201, summary="Open a case from a hit (the RIEC's case director)")
def open_case(request: Request, call: Caller) -> JsonObject:
    body: OpenCase = parse_body(OpenCase, request)
    return service.open_case(
        runtime(request),
        actor=Actor.of(call),
        hit=body.hit,
        purpose=body.purpose,
        participants=body.participants,
        split_meeting=body.split_meeting,
        second_case_reason=body.second_case_reason,
    ).as_dict()


@router.get("/{case_id}", summary="A case: stage, participants, approvals, interventions, history")
def get_case(request: Request, call: Caller, case_id: CaseId) -> JsonObject:
    return service.view_case(runtime(request), actor=Actor.of(call), case_id=case_id).as_dict()


@router.get("/{case_id}/network", summary="The case's network, to build its case file")
def case_network(request: Request, call: Caller, case_id: CaseId) -> JsonObject:
    return casefile.view_file_network(
        runtime(request), actor=Actor.of(call), case_id=case_id
    ).as_dict()


@router.post("/{case_id}/file", summary="Add or remove subjects and signals of the case file")
def edit_file(request: Request, call: Caller, case_id: CaseId) -> JsonObject:
    body: EditFile = parse_body(EditFile, request)
    return casefile.edit_file(
        runtime(request),
        actor=Actor.of(call),
        case_id=case_id,
        reason=body.reason,
        add_subjects=body.add_subjects,
        remove_subjects=body.remove_subjects,
        add_signals=body.add_signals,
        remove_signals=body.remove_signals,
        with_signals=body.with_signals,
    ).as_dict()


@router.post("/{case_id}/transitions", summary="Move the case to its next stage, or close it")
def transition(request: Request, call: Caller, case_id: CaseId) -> JsonObject:
    body: Transition = parse_body(Transition, request)
    return service.transition(
        runtime(request), actor=Actor.of(call), case_id=case_id, to=body.to, reason=body.reason
    ).as_dict()


@router.post("/{case_id}/signals", summary="A participant adds its own signals to the case")
def add_signals(request: Request, call: Caller, case_id: CaseId) -> JsonObject:
    body: AddSignals = parse_body(AddSignals, request)
    return service.add_signals(
        runtime(request), actor=Actor.of(call), case_id=case_id, refs=body.refs
    ).as_dict()


@router.post("/{case_id}/approvals", summary="Approve the case's release in one's role")
def approve(request: Request, call: Caller, case_id: CaseId) -> JsonObject:
    body: Approve = parse_body(Approve, request)
    return service.approve(
        runtime(request), actor=Actor.of(call), case_id=case_id, role=body.role
    ).as_dict()


@router.post("/{case_id}/interventions", status_code=201, summary="Assign an intervention")
def assign_intervention(request: Request, call: Caller, case_id: CaseId) -> JsonObject:
    body: AssignIntervention = parse_body(AssignIntervention, request)
    return service.assign_intervention(
        runtime(request), actor=Actor.of(call), case_id=case_id, party=body.party, kind=body.kind
    ).as_dict()


@router.post(
    "/{case_id}/interventions/{intervention_id}", summary="Report an intervention's status"
)
def update_intervention(
    request: Request,
    call: Caller,
    case_id: CaseId,
    intervention_id: Annotated[str, Path(pattern=r"^int-[0-9a-f]{16}$")],
) -> JsonObject:
    body: UpdateIntervention = parse_body(UpdateIntervention, request)
    return service.update_intervention(
        runtime(request),
        actor=Actor.of(call),
        case_id=case_id,
        intervention_id=intervention_id,
        status=body.status,
    ).as_dict()
