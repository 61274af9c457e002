"""The embargo of an investigation as use cases for politie and OM: place one on a subject (by
pseudonym), a signal (party and ref) or a whole case, extend it, lift it, list them.

Each step asks the ``embargo`` policy once (who may, which reason codes, how long, who still
receives what it holds). Refused: the decision and a refusal entry are recorded in a unit of
their own, then ``PolicyRefused`` (403) with every reason. Allowed: the embargo, the decision
record and the audit entry commit together. The decision input and the audit entry hold codes,
dates and ids, never a pseudonym or a ref; the answer never repeats the pseudonym either.

What an embargo holds in a release and how hits show it: :mod:`gateway.embargoes.holds`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from gateway.embargoes.holds import CASE, SIGNAL, SUBJECT, Embargo
from gateway.errors import Conflict, FieldError, NotFound, PolicyRefused
from gateway.jsontypes import JsonObject
from gateway.observability.logs import get_logger
from gateway.policy.engine import Decision
from gateway.runtime import Runtime
from gateway.service.actor import Actor
from gateway.storage import cases as case_store
from gateway.storage import embargoes as store

_log = get_logger("gateway.embargoes")
POINT = "embargo"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NO_EMBARGO = "geen embargo met dit kenmerk"


def local_today(now: datetime) -> date:
    """The Dutch local date: an embargo holds up to and including its end date."""
    return now.astimezone(AMSTERDAM).date()


@dataclass(frozen=True, slots=True)
class Target:
    """What an embargo lies on: one of a pseudonym, a signal (party, ref) or a case id."""

    kind: str
    pseudonym: bytes | None = None
    signal: tuple[str, str] | None = None
    case_id: str | None = None
    handle: str | None = None

    @classmethod
    def subject(cls, pseudonym: bytes) -> Target:
        return cls(SUBJECT, pseudonym=pseudonym)

    @classmethod
    def of_signal(cls, party: str, ref: str) -> Target:
        return cls(SIGNAL, signal=(party, ref))

    @classmethod
    def case(cls, case_id: str) -> Target:
        return cls(CASE, case_id=case_id)

    @classmethod
    def case_subject(cls, case_id: str, handle: str) -> Target:
        """A person of a case by the handle the case's network gives it: placed as an embargo
        on that subject's pseudonym, which the placing party never sees."""
        return cls(SUBJECT, case_id=case_id, handle=handle)


def _shown(embargo: Embargo, today: date) -> JsonObject:
    """An embargo as politie and OM see it: never the pseudonym."""
    target: JsonObject = {"kind": embargo.target_kind}
    if embargo.signal is not None:
        target["party"], target["ref"] = embargo.signal
    if embargo.case_id is not None:
        target["case"] = embargo.case_id
    return {
        "id": embargo.id,
        "target": target,
        "placed_by": embargo.placed_by,
        "reason": embargo.reason,
        "until": embargo.until.isoformat(),
        "allowed_types": sorted(embargo.allowed_types),
        "in_force": embargo.in_force(today),
        "lifted": embargo.lifted,
    }


@dataclass(frozen=True, slots=True)
class EmbargoAnswer:
    embargo: JsonObject
    reasons: list[JsonObject]
    policy_revision: str

    def as_dict(self) -> JsonObject:
        return {
            **self.embargo,
            "reasons": list(self.reasons),
            "policy_revision": self.policy_revision,
        }


def _document(rt: Runtime, actor: Actor, action: str, embargo: JsonObject) -> JsonObject:
    document: JsonObject = {
        "action": action,
        "now": rt.clock().isoformat(),
        "requester": {**actor.requester()},
    }
    if embargo:
        document["embargo"] = embargo
    return document


def _ask(rt: Runtime, actor: Actor, document: JsonObject, audit_object: JsonObject) -> Decision:
    """One ``embargo`` decision; a refusal is recorded and audited, then raised."""
    decision = rt.policy.decide(POINT, document)
    if decision.allow:
        return decision
    with rt.unit_of_work.write() as work:
        work.record(POINT, document, decision)
        work.audit(
            actor,
            "embargo.refused",
            audit_object,
            {
                "action": str(document["action"]),
                "reasons": sorted(r.code for r in decision.reasons),
            },
            decision.revision,
        )
    _log.info("embargo.refused", party=actor.party.id, action=str(document["action"]))
    raise PolicyRefused(
        "het convenantbeleid staat deze stap van het embargo niet toe; er is niets opgeslagen",
        [FieldError("embargo", r.message, r.code, r.basis) for r in decision.reasons],
        revision=decision.revision,
    )


def place(rt: Runtime, *, actor: Actor, target: Target, until: date, reason: str) -> EmbargoAnswer:
    """Place an embargo. A signal or case that does not exist is ``NotFound``; a subject is
    never looked up (an embargo may precede any signal about the person, and the answer must
    not tell whether the gateway knows the pseudonym)."""
    with rt.unit_of_work.read() as work:
        if target.signal is not None and not store.signal_exists(work.connection, *target.signal):
            raise NotFound("geen signaal met dit kenmerk")
        if target.case_id is not None and not store.case_exists(work.connection, target.case_id):
            raise NotFound("geen casus met dit kenmerk")
        if target.handle is not None and target.case_id is not None:
            found = case_store.subject_by_handle(work.connection, target.case_id, target.handle)
            if found is None:
                raise NotFound("geen betrokkene met dit kenmerk in deze casus")
            target = Target.subject(found)
    document = _document(
        rt,
        actor,
        "place",
        {"target_kind": target.kind, "reason": reason, "until": until.isoformat()},
    )
    decision = _ask(rt, actor, document, {"target_kind": target.kind})
    raw_types = decision.document.get("allowed_types")
    allowed = sorted(str(t) for t in raw_types) if isinstance(raw_types, list) else []
    embargo_id = f"emb-{secrets.token_hex(8)}"
    with rt.unit_of_work.write() as work:
        store.add(
            work.connection,
            embargo_id=embargo_id,
            target_kind=target.kind,
            pseudonym=target.pseudonym,
            signal=target.signal,
            case_id=target.case_id,
            placed_by=actor.party.id,
            reason=reason,
            until=until,
            allowed_types=allowed,
            now=work.now,
        )
        work.record(POINT, document, decision)
        audit_object: JsonObject = {"embargo": embargo_id, "target_kind": target.kind}
        if target.case_id is not None:
            audit_object["case"] = target.case_id
        work.audit(
            actor,
            "embargo.placed",
            audit_object,
            {"reason": reason, "until": until.isoformat(), "allowed_types": list(allowed)},
            decision.revision,
        )
        placed = store.get(work.connection, embargo_id)
        today = local_today(work.now)
    assert placed is not None
    _log.info("embargo.placed", party=actor.party.id, target_kind=target.kind)
    return EmbargoAnswer(
        _shown(placed, today), [r.as_dict() for r in decision.reasons], decision.revision
    )


def _change(
    rt: Runtime, *, actor: Actor, embargo_id: str, action: str, until: date | None
) -> EmbargoAnswer:
    with rt.unit_of_work.read() as work:
        current = store.get(work.connection, embargo_id)
    if current is None:
        raise NotFound(NO_EMBARGO)
    facts: JsonObject = {
        "target_kind": current.target_kind,
        "reason": current.reason,
        "placed_by": current.placed_by,
        "placed_by_type": rt.party_types.get(current.placed_by, "onbekend"),
        "current_until": current.until.isoformat(),
        "lifted": current.lifted,
    }
    if until is not None:
        facts["until"] = until.isoformat()
    document = _document(rt, actor, action, facts)
    decision = _ask(rt, actor, document, {"embargo": embargo_id})
    with rt.unit_of_work.write() as work:
        locked = store.get(work.connection, embargo_id, lock=True)
        if locked != current:
            raise Conflict("het embargo is intussen gewijzigd; vraag opnieuw")
        if action == "extend" and until is not None:
            store.extend(work.connection, embargo_id, until, work.now)
            detail: JsonObject = {"from": current.until.isoformat(), "until": until.isoformat()}
            event = "embargo.extended"
        else:
            store.lift(work.connection, embargo_id, actor.party.id, work.now)
            detail = {"until": current.until.isoformat()}
            event = "embargo.lifted"
        work.record(POINT, document, decision)
        work.audit(
            actor,
            event,
            {"embargo": embargo_id, "target_kind": current.target_kind},
            detail,
            decision.revision,
        )
        changed = store.get(work.connection, embargo_id)
        today = local_today(work.now)
    assert changed is not None
    _log.info(event, party=actor.party.id)
    return EmbargoAnswer(
        _shown(changed, today), [r.as_dict() for r in decision.reasons], decision.revision
    )


def extend(rt: Runtime, *, actor: Actor, embargo_id: str, until: date) -> EmbargoAnswer:
    """Move an embargo's end date later (the placing party, or the OM)."""
    return _change(rt, actor=actor, embargo_id=embargo_id, action="extend", until=until)


def lift(rt: Runtime, *, actor: Actor, embargo_id: str) -> EmbargoAnswer:
    """Lift an embargo now (the placing party, or the OM); a new release may follow."""
    return _change(rt, actor=actor, embargo_id=embargo_id, action="lift", until=None)


@dataclass(frozen=True, slots=True)
class EmbargoList:
    embargoes: list[JsonObject]
    policy_revision: str

    def as_dict(self) -> JsonObject:
        return {"embargoes": list(self.embargoes), "policy_revision": self.policy_revision}


def list_embargoes(rt: Runtime, *, actor: Actor, with_ended: bool = False) -> EmbargoList:
    """The embargoes in force (or all, ``with_ended``), for politie and OM."""
    document = _document(rt, actor, "list", {})
    decision = _ask(rt, actor, document, {})
    with rt.unit_of_work.write() as work:
        today = local_today(work.now)
        shown = [
            _shown(e, today) for e in store.listed(work.connection, today, with_ended=with_ended)
        ]
        work.record(POINT, document, decision)
        work.audit(actor, "embargoes.listed", {}, {"embargoes": len(shown)}, decision.revision)
    return EmbargoList(shown, decision.revision)
