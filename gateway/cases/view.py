"""What a case shows its readers: stage, participants, approvals, interventions and the case's
history (never signal content), and who may read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from gateway.cases import model
from gateway.cases.model import CaseAction, CaseState
from gateway.embargoes.holds import CONTACT_TEXT, marker
from gateway.errors import NotFound, Unavailable
from gateway.runtime import Runtime
from gateway.service.actor import Actor
from gateway.storage import cases as store
from gateway.storage import embargoes as embargo_store

NO_CASE = "geen casus met dit kenmerk"


@dataclass(frozen=True, slots=True)
class CaseView:
    case: CaseState
    history: list[dict[str, Any]]  # JSON: the case events as stored
    embargo: dict[str, Any] | None = None  # JSON: the embargo marker, only the contact text

    def as_dict(self) -> dict[str, Any]:  # JSON
        case = self.case
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
            "history": self.history,
        } | ({"embargo": self.embargo} if self.embargo is not None else {})


def read(connection: Connection, case_id: str) -> CaseView:
    """The case and its history as stored now; the 404 of a case that does not exist."""
    case = store.load(connection, case_id)
    if case is None:
        raise NotFound(NO_CASE)
    # An embargo in force on the case, its signals or their subjects: its readers learn only
    # that there is one and whom to call (politie and OM see the details at /v1/embargoes).
    today = embargo_store.local_date(datetime.now(UTC))
    held = embargo_store.of_case(connection, case_id, today)
    shown = dict(marker(held, details=False, text=CONTACT_TEXT)) if held else None
    return CaseView(case, store.history(connection, case_id), shown)


def load(rt: Runtime, case_id: str) -> CaseView:
    with rt.unit_of_work.read() as work:
        return read(work.connection, case_id)


def may_read(rt: Runtime, actor: Actor, case: CaseState) -> None:
    """The ``case`` policy's ``view``: the RIEC and the participants see a case's course; others
    get the same 404 as for a case that does not exist. A read: the decision is not recorded."""
    document = model.decision_input(
        CaseAction.VIEW,
        now=rt.clock(),
        requester=model.requester(actor.party, actor.role_values),
        case=case,
        sub=actor.subject,
    )
    decision = rt.policy.decide("case", document)
    if decision.error is not None:
        # The engine could not answer: an outage, not a refusal (the caller may try again).
        raise Unavailable("het beleid kon niet worden geraadpleegd; probeer het later opnieuw")
    if not decision.allow:
        raise NotFound(NO_CASE)
