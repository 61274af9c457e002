"""``/v1/cases``: open a case from a hit, move it through the chain process, add signals,
approve, assign interventions.

Every step is one ``case`` decision (``policies/gateway/case``). Allowed: the decision, the
effect, a case event and an audit entry commit together, under a lock on the case row, and only
if the case did not change since the decision was asked. Refused: the decision and a refusal
entry are recorded on their own and the caller gets the reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from gateway.api.auditing import audit_call
from gateway.api.problems import parse_body
from gateway.api.security import runtime, signed_call
from gateway.auth.signed_calls import VerifiedCall
from gateway.cases import model
from gateway.cases.model import CaseAction, CaseState, Stage
from gateway.errors import Conflict, FieldError, NotFound, PolicyRefused
from gateway.observability.logs import get_logger
from gateway.policy.engine import Decision
from gateway.runtime import Runtime
from gateway.storage import cases as store
from gateway.storage import decisions
from gateway.storage.hits import get_hit

router = APIRouter(prefix="/v1/cases", tags=["cases"])
_log = get_logger("gateway.cases")
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


def _record(connection: Connection, document: dict[str, Any], decision: Decision, now: Any) -> None:
    decisions.record(
        connection,
        point="case",
        input=document,
        allow=decision.allow,
        reasons=[r.as_dict() for r in decision.reasons],
        revision=decision.revision,
        now=now,
    )


def audit_case(
    rt: Runtime,
    call: VerifiedCall,
    connection: Connection,
    event: str,
    case_id: str | None,
    detail: dict[str, Any],
    revision: str,
) -> None:
    """An audit entry about a case (or about opening one: no id yet)."""
    audit_call(rt, call, connection, event, {"case": case_id} if case_id else {}, detail, revision)


def _ask(
    rt: Runtime,
    call: VerifiedCall,
    action: CaseAction,
    case: CaseState,
    **step: Any,
) -> tuple[dict[str, Any], Decision]:
    document = model.decision_input(
        action,
        now=rt.clock(),
        requester=model.requester(call.party, (r.value for r in call.roles)),
        case=case,
        sub=call.subject,
        **step,
    )
    decision = rt.policy.decide("case", document)
    if decision.allow:
        return document, decision
    with rt.engine.begin() as connection:
        _record(connection, document, decision, rt.clock())
        audit_case(
            rt,
            call,
            connection,
            "case.refused",
            case.id if action is not CaseAction.OPEN else None,
            {"action": action.value, "reasons": sorted(r.code for r in decision.reasons)},
            decision.revision,
        )
    _log.info("case.refused", party=call.party.id, action=action.value)
    raise PolicyRefused(
        "het convenantbeleid staat deze stap niet toe",
        [FieldError(action.value, r.message, r.code, r.basis) for r in decision.reasons],
        revision=decision.revision,
    )


def _step(
    rt: Runtime,
    call: VerifiedCall,
    case_id: str,
    action: CaseAction,
    effect: Callable[[Connection, CaseState, Decision], dict[str, Any]],
    **step: Any,
) -> dict[str, Any]:
    """Ask, then apply ``effect`` under the case lock if the case is still as it was asked."""
    with rt.engine.connect() as connection:
        case = store.load(connection, case_id)
    if case is None:
        raise NotFound("geen casus met dit kenmerk")
    document, decision = _ask(rt, call, action, case, **step)
    now = rt.clock()
    with rt.engine.begin() as connection:
        current = store.load(connection, case_id, lock=True)
        if current != case:
            raise Conflict("de casus is intussen gewijzigd; probeer opnieuw")
        _record(connection, document, decision, now)
        detail = effect(connection, case, decision)
        store.record_event(
            connection,
            case_id,
            action.value,
            party=call.party.id,
            detail=detail,
            revision=decision.revision,
            now=now,
        )
        audit_case(rt, call, connection, f"case.{action.value}", case_id, detail, decision.revision)
    _log.info(f"case.{action.value}", party=call.party.id)
    return detail


def _view(rt: Runtime, case_id: str) -> dict[str, Any]:
    with rt.engine.connect() as connection:
        case = store.load(connection, case_id)
        if case is None:
            raise NotFound("geen casus met dit kenmerk")
        events = store.history(connection, case_id)
    return {
        "id": case.id,
        "hit": case.hit.id,
        "stage": case.stage.value,
        "next_stages": [s.value for s in model.next_stages(case.stage)],
        "purpose": case.purpose,
        "split_meeting": case.split_meeting,
        "participants": list(case.participants),
        "signals": case.signals,
        "approvals": [
            {"role": a.role, "party": a.party, "at": a.approved_at.isoformat()}
            for a in case.approvals
        ],
        "interventions": [
            {"id": i.id, "party": i.party, "kind": i.kind, "status": i.status}
            for i in case.interventions
        ],
        "history": events,
    }


@router.post("", status_code=201, summary="Open a case from a hit (the RIEC's case director)")
def open_case(request: Request, call: Caller) -> dict[str, Any]:
    rt = runtime(request)
    body: OpenCase = parse_body(OpenCase, request)
    with rt.engine.connect() as connection:
        hit = store.hit_facts(connection, body.hit)
        row = get_hit(connection, body.hit)
    if hit is None or row is None:
        raise NotFound("geen hit met dit kenmerk")
    draft = CaseState(
        id="",
        hit=hit,
        stage=Stage.DOSSIERVORMING,
        purpose=body.purpose,
        split_meeting=body.split_meeting,
        participants=tuple(sorted(set(body.participants))),
    )
    document, decision = _ask(rt, call, CaseAction.OPEN, draft)
    now = rt.clock()
    with rt.engine.begin() as connection:
        _record(connection, document, decision, now)
        case_id = store.create(
            connection,
            hit=hit,
            purpose=body.purpose,
            participants=draft.participants,
            split_meeting=body.split_meeting,
            opened_by=call.party.id,
            now=now,
        )
        detail = {"hit": hit.id, "participants": len(draft.participants)}
        store.record_event(
            connection,
            case_id,
            "open",
            party=call.party.id,
            detail=detail,
            revision=decision.revision,
            now=now,
        )
        audit_case(rt, call, connection, "case.open", case_id, detail, decision.revision)
    _log.info("case.open", party=call.party.id)
    return _view(rt, case_id)


def _may_read(call: VerifiedCall, case: CaseState) -> None:
    """The RIEC and the participants see a case's course (never signal content); others get
    the same 404 as for a case that does not exist."""
    if call.party.id in case.participants or call.party.type.value == "riec":
        return
    raise NotFound("geen casus met dit kenmerk")


@router.get("/{case_id}", summary="A case: stage, participants, approvals, interventions, history")
def get_case(request: Request, call: Caller, case_id: CaseId) -> dict[str, Any]:
    rt = runtime(request)
    with rt.engine.connect() as connection:
        case = store.load(connection, case_id)
    if case is None:
        raise NotFound("geen casus met dit kenmerk")
    _may_read(call, case)
    return _view(rt, case_id)


@router.post("/{case_id}/transitions", summary="Move the case to its next stage, or close it")
def transition(request: Request, call: Caller, case_id: CaseId) -> dict[str, Any]:
    rt = runtime(request)
    body: Transition = parse_body(Transition, request)

    def effect(connection: Connection, case: CaseState, decision: Decision) -> dict[str, Any]:
        store.set_stage(connection, case.id, body.to, rt.clock())
        return {"from": case.stage.value, "to": body.to.value, "reason": body.reason}

    _step(
        rt, call, case_id, CaseAction.TRANSITION, effect, to_stage=body.to.value, reason=body.reason
    )
    return _view(rt, case_id)


@router.post("/{case_id}/signals", summary="A participant adds its own signals to the case")
def add_signals(request: Request, call: Caller, case_id: CaseId) -> dict[str, Any]:
    rt = runtime(request)
    body: AddSignals = parse_body(AddSignals, request)
    with rt.engine.connect() as connection:
        own = store.own_current_signals(connection, call.party.id, body.refs)
    missing = [i for i, ref in enumerate(body.refs) if ref not in own]
    if missing:
        raise NotFound(
            f"{len(missing)} ref(s) niet gevonden bij uw organisatie (eerste: refs[{missing[0]}])"
        )
    metadata = [
        {
            "party": call.party.id,
            "party_type": call.party.type.value,
            "form": own[ref].form,
            "indicators": list(own[ref].indicators),
        }
        for ref in body.refs
    ]

    def effect(connection: Connection, case: CaseState, decision: Decision) -> dict[str, Any]:
        added = store.add_signals(
            connection,
            case.id,
            [own[r].id for r in body.refs],
            added_by=call.party.id,
            now=rt.clock(),
        )
        return {"signals": added}

    return _step(rt, call, case_id, CaseAction.ADD_SIGNALS, effect, signals=metadata)


@router.post("/{case_id}/approvals", summary="Approve the case's release in one's role")
def approve(request: Request, call: Caller, case_id: CaseId) -> dict[str, Any]:
    rt = runtime(request)
    body: Approve = parse_body(Approve, request)
    if body.role not in {r.value for r in call.roles}:
        raise PolicyRefused(
            "goedkeuren kan alleen in een rol die het token draagt",
            [FieldError("role", "deze rol staat niet in het token", "rol-niet-in-token")],
            revision=rt.policy.revision,
        )

    def effect(connection: Connection, case: CaseState, decision: Decision) -> dict[str, Any]:
        store.add_approval(
            connection,
            case.id,
            role=body.role,
            party=call.party.id,
            sub=call.subject,
            now=rt.clock(),
        )
        return {"role": body.role}

    _step(rt, call, case_id, CaseAction.APPROVE, effect, approval={"role": body.role})
    return _view(rt, case_id)


@router.post("/{case_id}/interventions", status_code=201, summary="Assign an intervention")
def assign_intervention(request: Request, call: Caller, case_id: CaseId) -> dict[str, Any]:
    rt = runtime(request)
    body: AssignIntervention = parse_body(AssignIntervention, request)

    def effect(connection: Connection, case: CaseState, decision: Decision) -> dict[str, Any]:
        intervention_id = store.assign_intervention(
            connection, case.id, party=body.party, kind=body.kind, now=rt.clock()
        )
        return {"intervention": intervention_id, "party": body.party, "kind": body.kind}

    return _step(
        rt,
        call,
        case_id,
        CaseAction.ASSIGN_INTERVENTION,
        effect,
        intervention={"party": body.party, "kind": body.kind, "status": "toegewezen"},
    )


@router.post(
    "/{case_id}/interventions/{intervention_id}", summary="Report an intervention's status"
)
def update_intervention(
    request: Request,
    call: Caller,
    case_id: CaseId,
    intervention_id: Annotated[str, Path(pattern=r"^int-[0-9a-f]{16}$")],
) -> dict[str, Any]:
    rt = runtime(request)
    body: UpdateIntervention = parse_body(UpdateIntervention, request)
    with rt.engine.connect() as connection:
        case = store.load(connection, case_id)
    found = [i for i in (case.interventions if case else ()) if i.id == intervention_id]
    if not found:
        raise NotFound("geen interventie met dit kenmerk in deze casus")
    (current,) = found

    def effect(connection: Connection, case: CaseState, decision: Decision) -> dict[str, Any]:
        store.update_intervention(connection, intervention_id, status=body.status, now=rt.clock())
        return {"intervention": intervention_id, "from": current.status, "to": body.status}

    return _step(
        rt,
        call,
        case_id,
        CaseAction.UPDATE_INTERVENTION,
        effect,
        intervention={
            "party": current.party,
            "kind": current.kind,
            "status": body.status,
            "previous_status": current.status,
        },
    )
