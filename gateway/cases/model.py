"""What a case is to the policy: the ``case`` decision's input, built in one place.

The gateway never decides itself whether a step is allowed; it describes the case, the requester
and the step, and the ``case`` policy answers (``policies/gateway/case/README.md`` is the
contract). People are described by role and an alias that is stable within one decision only,
so the policy can tell "the same person approved twice" without seeing who.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gateway.jsontypes import Json, JsonObject
from gateway.parties.covenant import Party


class Stage(StrEnum):
    """The chain process after detection, in order."""

    DOSSIERVORMING = "dossiervorming"
    WEGING = "weging"
    CASUSOVERLEG = "casusoverleg"
    TOEWIJZING = "toewijzing"
    UITVOERING = "uitvoering"
    EVALUATIE = "evaluatie"
    GESLOTEN = "gesloten"


class CaseAction(StrEnum):
    OPEN = "open"
    TRANSITION = "transition"
    ADD_SIGNALS = "add_signals"
    EDIT_FILE = "edit_file"
    VIEW_FILE = "view_file"
    ASSIGN_INTERVENTION = "assign_intervention"
    UPDATE_INTERVENTION = "update_intervention"
    APPROVE = "approve"
    VIEW = "view"


@dataclass(frozen=True, slots=True)
class Approval:
    role: str
    party: str
    sub: str
    approved_at: datetime


@dataclass(frozen=True, slots=True)
class Intervention:
    id: str
    party: str
    kind: str
    status: str


@dataclass(frozen=True, slots=True)
class HitFacts:
    """What the policy needs of the hit a case is (to be) opened from."""

    id: str
    status: str
    urgent: bool
    signals: int
    parties: int
    party_types: tuple[str, ...]
    # (partner, form) of each distinct kind of signal in the hit, for the independent-partner
    # count when a case is opened (lib.independent_parties); read only for ``open``.
    sources: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class CaseState:
    id: str
    hit: HitFacts
    stage: Stage
    purpose: str
    split_meeting: bool
    participants: tuple[str, ...]
    approvals: tuple[Approval, ...] = ()
    interventions: tuple[Intervention, ...] = ()
    signals: int = 0
    opened_at: datetime | None = None


def requester(party: Party, roles: Iterable[str]) -> JsonObject:
    return {
        "party": party.id,
        "type": party.type.value,
        "signatory": party.signatory,
        "roles": sorted(roles),
    }


def aliases(subs: Iterable[str]) -> dict[str, str]:
    """Each distinct employee id -> ``persoon-N``, in order of first appearance."""
    found: dict[str, str] = {}
    for sub in subs:
        found.setdefault(sub, f"persoon-{len(found) + 1}")
    return found


def case_document(case: CaseState, alias: dict[str, str]) -> JsonObject:
    return {
        "id": case.id,
        "stage": case.stage.value,
        "purpose": case.purpose,
        "participants": sorted(case.participants),
        "split_meeting": case.split_meeting,
        "hit": {
            "id": case.hit.id,
            "status": case.hit.status,
            "urgent": case.hit.urgent,
            "signals": case.hit.signals,
            "parties": case.hit.parties,
            "party_types": sorted(case.hit.party_types),
            "sources": [{"party": party, "form": form} for party, form in case.hit.sources],
        },
        "approvals": [
            {"role": a.role, "party": a.party, "sub_alias": alias[a.sub]} for a in case.approvals
        ],
    }


def decision_input(
    action: CaseAction,
    *,
    now: datetime,
    requester: JsonObject,
    case: CaseState,
    sub: str,
    **step: Json,
) -> JsonObject:
    """The ``case`` input for one step; ``sub`` (the employee acting) gets an alias too, so an
    approval by someone who approved before is recognisable."""
    alias = aliases([*(a.sub for a in case.approvals), sub])
    return {
        "action": action.value,
        "now": now.isoformat(),
        "requester": {**requester, "sub_alias": alias[sub]},
        "case": case_document(case, alias),
        **step,
    }


def next_stages(stage: Stage) -> Sequence[Stage]:
    """Informative only (the policy decides): the next stage and closing."""
    order = list(Stage)
    index = order.index(stage)
    if stage is Stage.GESLOTEN:
        return ()
    following = [order[index + 1]]
    return following if following[0] is Stage.GESLOTEN else [*following, Stage.GESLOTEN]
