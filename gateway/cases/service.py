"""The case use cases: open a case from a hit, view it, move it through the chain process, add
one's own signals, approve, assign and update interventions.

Each asks the ``case`` policy and commits its effect, decision, case event and audit entry
together (:mod:`gateway.cases.steps`); the API, the CLI and the demo only call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from gateway.cases import steps, view
from gateway.cases.model import CaseAction, CaseState, Stage
from gateway.cases.view import CaseView
from gateway.crypto.handles import new_case_key
from gateway.errors import FieldError, NotFound, PolicyRefused
from gateway.observability.logs import get_logger
from gateway.runtime import Runtime
from gateway.service.actor import Actor
from gateway.service.work import Work
from gateway.storage import cases as store

_log = get_logger("gateway.cases")


@dataclass(frozen=True, slots=True)
class Opened:
    hit: str
    participants: int

    def as_dict(self) -> dict[str, Any]:  # JSON: the event's detail
        return {"hit": self.hit, "participants": self.participants}


@dataclass(frozen=True, slots=True)
class Moved:
    from_stage: Stage
    to_stage: Stage
    reason: str | None

    def as_dict(self) -> dict[str, Any]:  # JSON: the event's detail
        return {"from": self.from_stage.value, "to": self.to_stage.value, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class SignalsAdded:
    signals: int  # how many were new to the case

    def as_dict(self) -> dict[str, Any]:  # JSON: the event's detail and the API's answer
        return {"signals": self.signals}


@dataclass(frozen=True, slots=True)
class Approved:
    role: str

    def as_dict(self) -> dict[str, Any]:  # JSON: the event's detail
        return {"role": self.role}


@dataclass(frozen=True, slots=True)
class InterventionAssigned:
    intervention: str
    party: str
    kind: str

    def as_dict(self) -> dict[str, Any]:  # JSON: the event's detail and the API's answer
        return {"intervention": self.intervention, "party": self.party, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class InterventionUpdated:
    intervention: str
    from_status: str
    to_status: str

    def as_dict(self) -> dict[str, Any]:  # JSON: the event's detail and the API's answer
        return {"intervention": self.intervention, "from": self.from_status, "to": self.to_status}


def open_case(
    rt: Runtime,
    *,
    actor: Actor,
    hit: str,
    purpose: str,
    participants: Sequence[str],
    split_meeting: bool,
    second_case_reason: str | None = None,
) -> CaseView:
    """The RIEC's case director opens a case from a hit; the answer is the new case, with an
    empty case file (:mod:`gateway.cases.casefile`). A hit that has an open case gets a second
    one only for a reason the covenant names (``second_case_reason``)."""
    closed = str(rt.policy.data.get("covenant", {}).get("cases", {}).get("closed_stage", ""))
    with rt.unit_of_work.read() as work:
        facts = store.hit_facts(work.connection, hit)
        open_cases = store.open_cases_on_hit(work.connection, hit, closed)
        sources = store.hit_sources(work.connection, hit)
    if facts is None:
        raise NotFound("geen hit met dit kenmerk")
    facts = replace(facts, sources=sources)
    draft = CaseState(
        id="",
        hit=facts,
        stage=Stage.DOSSIERVORMING,
        purpose=purpose,
        split_meeting=split_meeting,
        participants=tuple(sorted(set(participants))),
    )
    asked = steps.ask(
        rt,
        actor,
        CaseAction.OPEN,
        draft,
        {"open_cases": open_cases, "second_case_reason": second_case_reason},
    )
    with rt.unit_of_work.write() as work:
        case_id = store.create(
            work.connection,
            hit=facts,
            purpose=purpose,
            participants=draft.participants,
            split_meeting=split_meeting,
            opened_by=actor.party.id,
            handle_key=new_case_key(),
            now=work.now,
        )
        opened = Opened(facts.id, len(draft.participants))
        steps.record_step(work, actor, case_id, CaseAction.OPEN.value, opened.as_dict(), asked)
    _log.info("case.open", party=actor.party.id)
    return view.load(rt, case_id)


def view_case(rt: Runtime, *, actor: Actor, case_id: str) -> CaseView:
    """A case as its readers see it (the ``case`` policy's ``view``); to anyone else it does
    not exist."""
    with rt.unit_of_work.read() as work:
        seen = view.read(work.connection, case_id)
    view.may_read(rt, actor, seen.case)
    return seen


def transition(
    rt: Runtime, *, actor: Actor, case_id: str, to: Stage, reason: str | None
) -> CaseView:
    """Move the case to its next stage, or close it; the answer is the case afterwards."""

    def effect(work: Work, case: CaseState) -> Moved:
        store.set_stage(work.connection, case.id, to, work.now)
        return Moved(case.stage, to, reason)

    case = steps.load(rt, case_id)
    steps.take_step(
        rt,
        actor,
        case,
        CaseAction.TRANSITION,
        effect,
        {"to_stage": to.value, "reason": reason},
    )
    return view.load(rt, case_id)


def add_signals(rt: Runtime, *, actor: Actor, case_id: str, refs: Sequence[str]) -> SignalsAdded:
    """A participant adds its own current signals (by ref) to the case."""
    with rt.unit_of_work.read() as work:
        own = store.own_current_signals(work.connection, actor.party.id, refs)
    missing = [i for i, ref in enumerate(refs) if ref not in own]
    if missing:
        raise NotFound(
            f"{len(missing)} ref(s) niet gevonden bij uw organisatie (eerste: refs[{missing[0]}])"
        )
    metadata = [
        {
            "party": actor.party.id,
            "party_type": actor.party.type.value,
            "form": own[ref].form,
            "indicators": list(own[ref].indicators),
        }
        for ref in refs
    ]

    def effect(work: Work, case: CaseState) -> SignalsAdded:
        added = store.add_signals(
            work.connection,
            case.id,
            [own[r].id for r in refs],
            added_by=actor.party.id,
            now=work.now,
        )
        return SignalsAdded(added)

    case = steps.load(rt, case_id)
    return steps.take_step(rt, actor, case, CaseAction.ADD_SIGNALS, effect, {"signals": metadata})


def approve(rt: Runtime, *, actor: Actor, case_id: str, role: str) -> CaseView:
    """Approve the case's release in one of the caller's roles; the answer is the case."""
    if role not in actor.role_values:
        raise PolicyRefused(
            "goedkeuren kan alleen in een rol die het token draagt",
            [FieldError("role", "deze rol staat niet in het token", "rol-niet-in-token")],
            revision=rt.policy.revision,
        )

    def effect(work: Work, case: CaseState) -> Approved:
        store.add_approval(
            work.connection,
            case.id,
            role=role,
            party=actor.party.id,
            sub=actor.subject,
            now=work.now,
        )
        return Approved(role)

    case = steps.load(rt, case_id)
    steps.take_step(rt, actor, case, CaseAction.APPROVE, effect, {"approval": {"role": role}})
    return view.load(rt, case_id)


def assign_intervention(
    rt: Runtime, *, actor: Actor, case_id: str, party: str, kind: str
) -> InterventionAssigned:
    """The case director assigns an intervention to a participant."""

    def effect(work: Work, case: CaseState) -> InterventionAssigned:
        intervention_id = store.assign_intervention(
            work.connection, case.id, party=party, kind=kind, now=work.now
        )
        return InterventionAssigned(intervention_id, party, kind)

    case = steps.load(rt, case_id)
    return steps.take_step(
        rt,
        actor,
        case,
        CaseAction.ASSIGN_INTERVENTION,
        effect,
        {"intervention": {"party": party, "kind": kind, "status": "toegewezen"}},
    )


def update_intervention(
    rt: Runtime, *, actor: Actor, case_id: str, intervention_id: str, status: str
) -> InterventionUpdated:
    """The intervention's party (or the case director) reports its status."""
    with rt.unit_of_work.read() as work:
        case = store.load(work.connection, case_id)
    found = [i for i in (case.interventions if case else ()) if i.id == intervention_id]
    if case is None or not found:
        raise NotFound("geen interventie met dit kenmerk in deze casus")
    (current,) = found

    def effect(work: Work, case: CaseState) -> InterventionUpdated:
        store.update_intervention(work.connection, intervention_id, status=status, now=work.now)
        return InterventionUpdated(intervention_id, current.status, status)

    return steps.take_step(
        rt,
        actor,
        case,
        CaseAction.UPDATE_INTERVENTION,
        effect,
        {
            "intervention": {
                "party": current.party,
                "kind": current.kind,
                "status": status,
                "previous_status": current.status,
            }
        },
    )
