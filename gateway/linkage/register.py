"""The register of non-linking pseudonyms and the RIEC's review of candidate hubs (use cases).

A privacy officer enters a known non-linking identifier (a shelter, a briefadres, a hotel, an
employment agency) as a pseudonym: the client pseudonymises it through the OPRF exactly as an
adapter does, so the gateway never sees the address. An entry has a kind, a covenant reason
code and an expiry, and can be withdrawn. The RIEC (an analyst) or a privacy officer confirms a
candidate hub (the structural rule named it; it stays a hub whatever its structure does later)
or overrules it (it links again, unless its kind's threshold says otherwise).

Each step is a ``hits`` decision (actions ``register``, ``withdraw``, ``list_register``,
``review``, ``list_candidates``; ``policies/gateway/hits/hubs.rego``), audited with ids, kinds
and codes, never a pseudonym. A change runs the linkage machinery for the pseudonym concerned
(:meth:`~gateway.linkage.incremental.IncrementalLinker.rejudge`: clusters split or join) and
re-judges the hits of every cluster that changed, in the same transaction as the entry, its
decision and its audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Connection

from gateway.errors import FieldError, InvalidInput, NotFound, PolicyRefused
from gateway.hits.refresh import refresh_hits
from gateway.jsontypes import JsonObject
from gateway.linkage.rules import (
    MARK_CONFIRMED,
    MARK_OVERRULED,
    MARK_REGISTER,
    REASON_STRUCTURE,
    Carrier,
    link_rules,
    shape_of,
)
from gateway.observability.logs import get_logger
from gateway.policy.engine import Decision
from gateway.runtime import Runtime
from gateway.service.actor import Actor
from gateway.storage import hub_register as store
from gateway.storage.linkage import SqlLinker, SqlLinkStore

_log = get_logger("gateway.linkage")
POINT = "hits"
VERDICTS = {"bevestigd": MARK_CONFIRMED, "verworpen": MARK_OVERRULED}


@dataclass(frozen=True, slots=True)
class Relinked:
    """What the linkage did after a change in the register (counts only)."""

    clusters_changed: int
    merged: int
    split: int
    new_hubs: int
    hits_new: int
    hits_lapsed: int

    def as_dict(self) -> JsonObject:
        return {
            "clusters_changed": self.clusters_changed,
            "merged": self.merged,
            "split": self.split,
            "new_hubs": self.new_hubs,
            "hits_new": self.hits_new,
            "hits_lapsed": self.hits_lapsed,
        }


@dataclass(frozen=True, slots=True)
class EntryAnswer:
    entry: JsonObject
    linkage: Relinked
    policy_revision: str

    def as_dict(self) -> JsonObject:
        return {
            "entry": self.entry,
            "linkage": self.linkage.as_dict(),
            "policy_revision": self.policy_revision,
        }


@dataclass(frozen=True, slots=True)
class Listing:
    items: list[JsonObject]
    policy_revision: str
    name: str

    def as_dict(self) -> JsonObject:
        return {self.name: self.items, "policy_revision": self.policy_revision}


def _shown(entry: store.Entry, now: datetime) -> JsonObject:
    """An entry as listed: never its pseudonym."""
    return {
        "id": entry.id,
        "kind": entry.kind,
        "mark": entry.mark,
        "reason": entry.reason,
        "registered_by": entry.registered_by_party,
        "registered_at": entry.registered_at.isoformat(),
        "expires_at": entry.expires_at.isoformat() if entry.expires_at else None,
        "withdrawn_at": entry.withdrawn_at.isoformat() if entry.withdrawn_at else None,
        "in_force": entry.in_force(now),
    }


def _ask(rt: Runtime, actor: Actor, action: str, entry: JsonObject) -> tuple[Decision, JsonObject]:
    """One ``hits`` decision on a step of the register; a refusal is recorded and audited in a
    unit of its own, then raised."""
    document: JsonObject = {
        "action": action,
        "now": rt.clock().isoformat(),
        "requester": actor.requester(),
        "clusters": [],
        "entry": entry,
    }
    decision = rt.policy.decide(POINT, document)
    if decision.allow:
        return decision, document
    with rt.unit_of_work.write() as work:
        work.record(POINT, document, decision)
        work.audit(
            actor,
            "hubs.refused",
            {"action": action},
            {"reasons": sorted(r.code for r in decision.reasons)},
            decision.revision,
        )
    _log.info("hubs.refused", party=actor.party.id, action=action)
    raise PolicyRefused(
        "het convenantbeleid staat deze stap in het hubregister niet toe; er is niets opgeslagen",
        [FieldError("entry", r.message, r.code, r.basis) for r in decision.reasons],
        revision=decision.revision,
    )


def _relink(rt: Runtime, connection: Connection, now: datetime, pseudonym: bytes) -> Relinked:
    """The linkage follows the register for ``pseudonym``; hits of changed clusters re-judged."""
    changes = SqlLinker(connection, link_rules(rt.policy.data), now=now).rejudge([pseudonym])
    hits = refresh_hits(
        connection,
        changes,
        rt.policy,
        now=now,
        party_types=rt.party_types,
        barrier_of=rt.barrier_of,
    )
    return Relinked(
        clusters_changed=len(changes.touched),
        merged=len(changes.merged),
        split=len(changes.split_from),
        new_hubs=changes.new_hubs,
        hits_new=hits.new,
        hits_lapsed=hits.lapsed,
    )


def _end_of(day: date, now: datetime) -> datetime:
    """The end of ``day`` in the zone of ``now``."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=now.tzinfo)


# -- the register ---------------------------------------------------------------------------------


def register(
    rt: Runtime, *, actor: Actor, pseudonym: bytes, kind: str, reason: str, expires: date
) -> EntryAnswer:
    """Enter ``pseudonym`` (of ``kind``) as never linking, up to and including ``expires``."""
    now = rt.clock()
    entry: JsonObject = {
        "mark": MARK_REGISTER,
        "kind": kind,
        "reason": reason,
        "expires": expires.isoformat(),
        "days": (expires - now.date()).days,
    }
    decision, document = _ask(rt, actor, "register", entry)
    with rt.unit_of_work.write() as work:
        entry_id = store.add(
            work.connection,
            pseudonym=pseudonym,
            kind=kind,
            mark=MARK_REGISTER,
            reason=reason,
            party=actor.party.id,
            person=actor.subject,
            now=work.now,
            expires_at=_end_of(expires, work.now),
        )
        relinked = _relink(rt, work.connection, work.now, pseudonym)
        work.record(POINT, document, decision)
        work.audit(
            actor,
            "hubs.registered",
            {"entry": entry_id},
            {"kind": kind, "reason": reason, "expires": expires.isoformat()} | relinked.as_dict(),
            decision.revision,
        )
        made = store.get(work.connection, entry_id)
        assert made is not None
        shown = _shown(made, work.now)
    _log.info("hubs.registered", party=actor.party.id, kind=kind, reason=reason)
    return EntryAnswer(shown, relinked, decision.revision)


def withdraw(rt: Runtime, *, actor: Actor, entry_id: str) -> EntryAnswer:
    """End an entry now (a register entry, or a review): the pseudonym is judged anew."""
    with rt.unit_of_work.read() as work:
        found = store.get(work.connection, entry_id)
    if found is None:
        raise NotFound("geen registerregel met dit kenmerk")
    entry: JsonObject = {
        "mark": found.mark,
        "kind": found.kind,
        "reason": found.reason,
        "registered_by_party": found.registered_by_party,
        "in_force": found.in_force(rt.clock()),
    }
    decision, document = _ask(rt, actor, "withdraw", entry)
    with rt.unit_of_work.write() as work:
        store.withdraw(work.connection, entry_id, party=actor.party.id, now=work.now)
        relinked = _relink(rt, work.connection, work.now, found.pseudonym)
        work.record(POINT, document, decision)
        work.audit(
            actor,
            "hubs.withdrawn",
            {"entry": entry_id},
            {"kind": found.kind, "mark": found.mark} | relinked.as_dict(),
            decision.revision,
        )
        ended = store.get(work.connection, entry_id)
        assert ended is not None
        shown = _shown(ended, work.now)
    _log.info("hubs.withdrawn", party=actor.party.id, kind=found.kind)
    return EntryAnswer(shown, relinked, decision.revision)


def list_register(rt: Runtime, *, actor: Actor, with_ended: bool = False) -> Listing:
    """The register's entries (and reviews): ids, kinds, marks, codes and dates, no pseudonym."""
    decision, document = _ask(rt, actor, "list_register", {})
    with rt.unit_of_work.write() as work:
        shown = [
            _shown(e, work.now)
            for e in store.listed(work.connection, work.now, with_ended=with_ended)
        ]
        work.record(POINT, document, decision)
        work.audit(actor, "hubs.register_listed", {}, {"entries": len(shown)}, decision.revision)
    return Listing(shown, decision.revision, "entries")


# -- candidate hubs -------------------------------------------------------------------------------


def list_candidates(rt: Runtime, *, actor: Actor) -> Listing:
    """Hubs the structural rule named and nobody reviewed yet, with their counts: signals,
    partners, separate groups without the key, span of observation in days. Never a value or
    a pseudonym; the id is the hub's opaque name."""
    decision, document = _ask(rt, actor, "list_candidates", {})
    rules = link_rules(rt.policy.data)
    with rt.unit_of_work.write() as work:
        hubs = store.hubs(work.connection, [REASON_STRUCTURE])
        carried: dict[bytes, list[Carrier]] = {h.pseudonym: [] for h in hubs}
        links = SqlLinkStore(work.connection, now=work.now)
        for p, carrier in links.carriers(sorted(carried)):
            carried[p].append(carrier)
        shown: list[JsonObject] = []
        for hub in hubs:
            shape = shape_of(hub.pseudonym, carried[hub.pseudonym], rules)
            shown.append(
                {
                    "id": hub.hub_id,
                    "kind": hub.kind,
                    "reason": hub.reason,
                    "signals": hub.signals,
                    "parties": shape.parties,
                    "separate_groups": shape.groups,
                    "span_days": shape.span_days,
                    "since": hub.since.isoformat() if hub.since else None,
                }
            )
        work.record(POINT, document, decision)
        work.audit(actor, "hubs.candidates_listed", {}, {"hubs": len(shown)}, decision.revision)
    return Listing(shown, decision.revision, "candidates")


def review(rt: Runtime, *, actor: Actor, hub_id: str, verdict: str, reason: str) -> EntryAnswer:
    """Confirm (``bevestigd``: stays a hub) or overrule (``verworpen``: links again) a hub."""
    if verdict not in VERDICTS:
        raise InvalidInput(
            "onbekend oordeel",
            [FieldError("body.verdict", "verwacht 'bevestigd' of 'verworpen'", "verdict")],
        )
    with rt.unit_of_work.read() as work:
        found = store.hub(work.connection, hub_id)
    if found is None:
        raise NotFound("geen hub met dit kenmerk")
    entry: JsonObject = {
        "mark": VERDICTS[verdict],
        "verdict": verdict,
        "kind": found.kind,
        "reason": reason,
        "hub_reason": found.reason,
    }
    decision, document = _ask(rt, actor, "review", entry)
    with rt.unit_of_work.write() as work:
        entry_id = store.add(
            work.connection,
            pseudonym=found.pseudonym,
            kind=found.kind,
            mark=VERDICTS[verdict],
            reason=reason,
            party=actor.party.id,
            person=actor.subject,
            now=work.now,
            expires_at=None,
        )
        relinked = _relink(rt, work.connection, work.now, found.pseudonym)
        work.record(POINT, document, decision)
        work.audit(
            actor,
            "hubs.reviewed",
            {"hub": hub_id, "entry": entry_id},
            {"kind": found.kind, "verdict": verdict, "reason": reason} | relinked.as_dict(),
            decision.revision,
        )
        made = store.get(work.connection, entry_id)
        assert made is not None
        shown = _shown(made, work.now) | {"hub": hub_id}
    _log.info("hubs.reviewed", party=actor.party.id, kind=found.kind, verdict=verdict)
    return EntryAnswer(shown, relinked, decision.revision)
