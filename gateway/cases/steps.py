"""One step on a case, the way every case use case takes it.

Every step is one ``case`` decision (``policies/gateway/case``). Allowed: the decision, the
effect, a case event and an audit entry commit together, under a lock on the case row, and only
if the case did not change since the decision was asked. Refused: the decision and a refusal
entry are recorded in a unit of their own and the caller gets the reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from gateway.cases import model
from gateway.cases.model import CaseAction, CaseState
from gateway.errors import Conflict, FieldError, NotFound, PolicyRefused
from gateway.observability.logs import get_logger
from gateway.policy.engine import Decision
from gateway.runtime import Runtime
from gateway.service.actor import Actor
from gateway.service.work import Work
from gateway.storage import cases as store

POINT = "case"
NO_CASE = "geen casus met dit kenmerk"
_log = get_logger("gateway.cases")


class Detail(Protocol):
    """What a step's effect reports: the detail of its case event and audit entry."""

    def as_dict(self) -> dict[str, Any]: ...  # JSON: the event's and audit entry's detail


R = TypeVar("R", bound=Detail)


@dataclass(frozen=True, slots=True)
class Asked:
    """An allowed ``case`` decision and the exact input it was made on."""

    document: dict[str, Any]  # JSON: the decision input, recorded as asked
    decision: Decision


def audit_case(
    work: Work,
    actor: Actor,
    event: str,
    case_id: str | None,
    detail: Mapping[str, Any],  # JSON
    revision: str,
) -> int:
    """An audit entry about a case (or about opening one: no id yet)."""
    return work.audit(actor, event, {"case": case_id} if case_id else {}, detail, revision)


def ask(
    rt: Runtime,
    actor: Actor,
    action: CaseAction,
    case: CaseState,
    step: Mapping[str, Any] | None = None,  # JSON: the step's own part of the decision input
) -> Asked:
    """Ask the ``case`` policy; a refusal is recorded with its audit entry and raised."""
    document = model.decision_input(
        action,
        now=rt.clock(),
        requester=model.requester(actor.party, actor.role_values),
        case=case,
        sub=actor.subject,
        **(step or {}),
    )
    decision = rt.policy.decide(POINT, document)
    if decision.allow:
        return Asked(document, decision)
    with rt.unit_of_work.write() as work:
        work.record(POINT, document, decision)
        audit_case(
            work,
            actor,
            "case.refused",
            case.id if action is not CaseAction.OPEN else None,
            {"action": action.value, "reasons": sorted(r.code for r in decision.reasons)},
            decision.revision,
        )
    _log.info("case.refused", party=actor.party.id, action=action.value)
    raise PolicyRefused(
        "het convenantbeleid staat deze stap niet toe",
        [FieldError(action.value, r.message, r.code, r.basis) for r in decision.reasons],
        revision=decision.revision,
    )


def load(rt: Runtime, case_id: str) -> CaseState:
    """The case as it is now, or the 404 of a case that does not exist."""
    with rt.unit_of_work.read() as work:
        case = store.load(work.connection, case_id)
    if case is None:
        raise NotFound(NO_CASE)
    return case


def record_step(
    work: Work,
    actor: Actor,
    case_id: str,
    event: str,
    detail: dict[str, Any],  # JSON: the event's and audit entry's detail
    asked: Asked,
) -> None:
    """The decision, the case event and the audit entry of a step, in the step's unit."""
    work.record(POINT, asked.document, asked.decision)
    store.record_event(
        work.connection,
        case_id,
        event,
        party=actor.party.id,
        detail=detail,
        revision=asked.decision.revision,
        now=work.now,
    )
    audit_case(work, actor, f"case.{event}", case_id, detail, asked.decision.revision)


def take_step(
    rt: Runtime,
    actor: Actor,
    case: CaseState,
    action: CaseAction,
    effect: Callable[[Work, CaseState], R],
    step: Mapping[str, Any] | None = None,  # JSON: the step's own part of the decision input
) -> R:
    """Ask, then apply ``effect`` under the case lock if the case is still as it was asked."""
    asked = ask(rt, actor, action, case, step)
    with rt.unit_of_work.write() as work:
        current = store.load(work.connection, case.id, lock=True)
        if current != case:
            raise Conflict("de casus is intussen gewijzigd; probeer opnieuw")
        result = effect(work, case)
        record_step(work, actor, case.id, action.value, result.as_dict(), asked)
    _log.info(f"case.{action.value}", party=actor.party.id)
    return result
