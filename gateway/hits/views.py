"""What the RIEC sees of hits: the list, one hit with its history, a hit's network, the hubs.

Every view asks the ``hits`` policy whether this requester may see hits (action ``view``); every
answer, given or refused, is recorded and audited with counts, never with content. A view that is
allowed records its decision and its audit entry in the transaction that reads the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Connection

from gateway.embargoes.holds import CaseSignal, Embargo, holds, marker
from gateway.errors import FieldError, InvalidInput, NotFound, PolicyRefused
from gateway.hits.network import MemberSignal, network_view
from gateway.jsontypes import Json, JsonObject
from gateway.observability.logs import get_logger
from gateway.policy.engine import Decision
from gateway.runtime import Runtime
from gateway.service.actor import Actor
from gateway.service.work import Work
from gateway.storage import embargoes as embargo_store
from gateway.storage import hits as store

_log = get_logger("gateway.hits")
_POINT = "hits"


@dataclass(frozen=True, slots=True)
class Viewing:
    """A ``view`` decision that allowed, with the input it was made on (recorded with the answer
    it allowed)."""

    decision: Decision
    document: JsonObject

    @property
    def revision(self) -> str:
        return self.decision.revision


def may_view(rt: Runtime, actor: Actor, what: str) -> Viewing:
    """Ask the policy whether ``actor`` may see hits; a refusal is recorded and audited in a unit
    of its own (``hits.view_refused``), then raised."""
    document: JsonObject = {
        "action": "view",
        "now": rt.clock().isoformat(),
        "requester": actor.requester(),
        "clusters": [],
    }
    decision = rt.policy.decide(_POINT, document)
    if decision.allow:
        return Viewing(decision, document)
    with rt.unit_of_work.write() as work:
        work.record(_POINT, document, decision)
        work.audit(actor, "hits.view_refused", {"view": what}, {}, decision.revision)
    _log.info("hits.view_refused", party=actor.party.id, view=what)
    raise PolicyRefused(
        "het convenantbeleid staat deze aanvrager niet toe hits te zien",
        [FieldError("requester", r.message, r.code, r.basis) for r in decision.reasons],
        revision=decision.revision,
    )


# -- the embargo marker ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Marking:
    """How this reader sees an embargo (the ``embargo`` decision, action ``mark``)."""

    details: bool
    text: str

    def of(self, embargoes: list[Embargo]) -> JsonObject:
        return marker(embargoes, details=self.details, text=self.text)


_CONTACT = "embargo, neem contact op met het OM"


def _marking(rt: Runtime, actor: Actor, work: Work) -> _Marking:
    """Asked only when an embargo is to be shown; recorded with the view. A failing engine
    shows no details (fail closed), only the contact text."""
    document: JsonObject = {
        "action": "mark",
        "now": work.now.isoformat(),
        "requester": actor.requester(),
    }
    decision = rt.policy.decide("embargo", document)
    work.record("embargo", document, decision)
    text = decision.document.get("marker_text")
    return _Marking(
        decision.allow and decision.document.get("details") is True,
        text if isinstance(text, str) and text else _CONTACT,
    )


def _mark_hits(rt: Runtime, actor: Actor, work: Work, hits: list[JsonObject]) -> int:
    """Put the embargo marker on the hits an embargo in force concerns; returns how many."""
    today = embargo_store.local_date(work.now)
    found = embargo_store.of_hits(work.connection, [str(h["id"]) for h in hits], today)
    if not found:
        return 0
    marking = _marking(rt, actor, work)
    for hit in hits:
        if hit["id"] in found:
            hit["embargo"] = marking.of(found[str(hit["id"])])
    return len(found)


# -- the list -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HitPage:
    hits: list[JsonObject]
    next: str | None
    policy_revision: str

    def as_dict(self) -> JsonObject:
        return {"hits": self.hits, "next": self.next, "policy_revision": self.policy_revision}


def _cursor(after: str | None) -> tuple[datetime, str] | None:
    if after is None:
        return None
    try:
        return store.decode_cursor(after)
    except ValueError:
        raise InvalidInput(
            "ongeldige cursor",
            [FieldError("query.after", "gebruik de waarde van 'next'", "cursor")],
        ) from None


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time.min).astimezone()
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "ongeldige datum",
            [FieldError("query.since", "verwacht JJJJ-MM-DD of een RFC 3339-tijdstip", "date")],
        ) from None
    if parsed.tzinfo is None:
        raise InvalidInput(
            "ongeldige datum",
            [FieldError("query.since", "een tijdstip moet een tijdzone hebben", "date")],
        )
    return parsed


def list_hits(
    rt: Runtime,
    *,
    actor: Actor,
    status: str | None,
    gemeente: str | None = None,
    vorm: str | None = None,
    barriere: str | None = None,
    urgent: bool | None = None,
    since: str | None = None,
    limit: int,
    after: str | None = None,
) -> HitPage:
    """Hits, newest change first. ``status`` None: every status. ``since``: a date (JJJJ-MM-DD)
    or an RFC 3339 time with zone; ``after``: the ``next`` of the previous page. Both are checked
    before the policy is asked."""
    cursor = _cursor(after)
    where = store.HitFilter(
        status=status,
        gemeente=gemeente,
        vorm=vorm,
        barriere=barriere,
        since=_since(since),
        urgent=urgent,
    )
    viewing = may_view(rt, actor, "list")
    with rt.unit_of_work.write() as work:
        work.record(_POINT, viewing.document, viewing.decision)
        page, next_cursor = store.list_hits(work.connection, where, limit=limit, after=cursor)
        _mark_hits(rt, actor, work, page)
        work.audit(actor, "hits.listed", {}, {"hits": len(page)}, viewing.revision)
    _log.info("hits.listed", party=actor.party.id, hits=len(page))
    return HitPage(page, next_cursor, viewing.revision)


# -- one hit ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HitDetail:
    summary: JsonObject
    history: list[JsonObject]

    def as_dict(self) -> JsonObject:
        return self.summary | {"history": self.history}


def _hit_or_404(connection: Connection, hit_id: str) -> Any:  # Any: a SQLAlchemy row of hits
    row = store.get_hit(connection, hit_id)
    if row is None:
        raise NotFound("geen hit met dit kenmerk")
    return row


def view_hit(rt: Runtime, *, actor: Actor, hit_id: str) -> HitDetail:
    """One hit with its history; ``NotFound`` for an unknown id (nothing is then recorded)."""
    viewing = may_view(rt, actor, "hit")
    with rt.unit_of_work.write() as work:
        work.record(_POINT, viewing.document, viewing.decision)
        row = _hit_or_404(work.connection, hit_id)
        facets = store.hit_facets(work.connection, [hit_id]).get(hit_id, {})
        summary = store.hit_summary(row, facets)
        _mark_hits(rt, actor, work, [summary])
        detail = HitDetail(summary, store.history(work.connection, hit_id))
        work.audit(actor, "hits.viewed", {"hit": hit_id}, {}, viewing.revision)
    return detail


# -- a hit's network ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HitNetwork:
    hit: str
    status: str
    merged_into: str | None
    view: JsonObject  # nodes, edges and counts (gateway.hits.network)
    policy_revision: str

    def as_dict(self) -> JsonObject:
        return {
            "hit": self.hit,
            "status": self.status,
            "merged_into": self.merged_into,
            **self.view,
            "policy_revision": self.policy_revision,
        }


def view_network(rt: Runtime, *, actor: Actor, hit_id: str) -> HitNetwork:
    """The pseudonymised network of a hit: subjects as kinds and roles, signals as edges."""
    viewing = may_view(rt, actor, "network")
    with rt.unit_of_work.write() as work:
        work.record(_POINT, viewing.document, viewing.decision)
        row = _hit_or_404(work.connection, hit_id)
        if row.cluster_id is None:
            # Merged into another hit: its signals are shown there.
            view: JsonObject = {"nodes": [], "edges": [], "counts": {}}
        else:
            members = store.cluster_members(work.connection, row.cluster_id)
            hubs = store.hub_ids(work.connection, [p for m in members for p, _, _ in m.subjects])
            view = _marked_network(rt, actor, work, hit_id, members, hubs)
        work.audit(
            actor, "hits.network_viewed", {"hit": hit_id}, dict(view["counts"]), viewing.revision
        )
    _log.info("hits.network_viewed", party=actor.party.id, signals=view["counts"].get("signals"))
    return HitNetwork(hit_id, row.status, row.merged_into, view, viewing.revision)


def _marked_network(
    rt: Runtime,
    actor: Actor,
    work: Work,
    hit_id: str,
    members: list[MemberSignal],
    hubs: dict[bytes, str],
) -> JsonObject:
    """The network view with the embargo marker on the view, on each subject under embargo
    and on each signal an embargo holds."""
    today = embargo_store.local_date(work.now)
    keys = embargo_store.signal_keys(work.connection, [m.signal_id for m in members])
    signals = [
        CaseSignal(m.signal_id, *keys[m.signal_id], frozenset(p for p, _, _ in m.subjects))
        for m in members
        if m.signal_id in keys
    ]
    embargoes = embargo_store.for_signals(
        work.connection,
        case_id=None,
        pseudonyms=[p for s in signals for p in s.pseudonyms],
        signals=[(s.party, s.ref) for s in signals],
        today=today,
    ) + embargo_store.of_hits(work.connection, [hit_id], today).get(hit_id, [])
    if not embargoes:
        return network_view(members, party_types=rt.party_types, hubs=hubs)
    marking = _marking(rt, actor, work)
    on_subject: dict[bytes, list[Embargo]] = {}
    for embargo in embargoes:
        if embargo.pseudonym is not None:
            on_subject.setdefault(embargo.pseudonym, []).append(embargo)
    held = holds([e for e in embargoes if e.case_id is None], signals, case_id=None, today=today)
    by_id = {e.id: e for e in embargoes}
    view = network_view(
        members,
        party_types=rt.party_types,
        hubs=hubs,
        node_marks={p: marking.of(found) for p, found in on_subject.items()},
        edge_marks={signal_id: marking.of([]) for signal_id in held},
    )
    view["embargo"] = marking.of(list(by_id.values()))
    return view


# -- hubs ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HubList:
    hubs: list[JsonObject]
    threshold: Json  # policy data (data.covenant.linkage.hub_threshold), shown as configured
    policy_revision: str
    thresholds: Json = None  # policy data (linkage.hub_thresholds, per kind), as configured

    def as_dict(self) -> JsonObject:
        return {
            "hubs": self.hubs,
            "threshold": self.threshold,
            "thresholds": self.thresholds if self.thresholds is not None else {},
            "policy_revision": self.policy_revision,
        }


def list_hubs(rt: Runtime, *, actor: Actor) -> HubList:
    """Pseudonyms that stopped linking: kind, count and why (``reason``), never a value."""
    viewing = may_view(rt, actor, "hubs")
    with rt.unit_of_work.write() as work:
        work.record(_POINT, viewing.document, viewing.decision)
        hubs = store.list_hubs(work.connection)
        work.audit(actor, "hubs.listed", {}, {"hubs": len(hubs)}, viewing.revision)
    linkage = rt.policy.data.get("covenant", {}).get("linkage", {})
    return HubList(
        hubs,
        linkage.get("hub_threshold"),
        viewing.revision,
        linkage.get("hub_thresholds"),
    )
