"""``/v1/hits`` and ``/v1/hubs``: the RIEC's view of linked data, pseudonymised.

Every request asks the ``hits`` policy whether this requester may see hits (action ``view``);
every answer, given or refused, is recorded and audited with counts, never with content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy import Connection

from gateway.api.auditing import audit_call
from gateway.api.security import runtime, signed_call
from gateway.auth.signed_calls import VerifiedCall
from gateway.errors import FieldError, InvalidInput, NotFound, PolicyRefused
from gateway.hits.network import network_view
from gateway.observability.logs import get_logger
from gateway.policy.engine import Decision
from gateway.runtime import Runtime
from gateway.storage import decisions
from gateway.storage import hits as store

router = APIRouter(tags=["hits"])
_log = get_logger("gateway.hits")
Caller = Annotated[VerifiedCall, Depends(signed_call())]
HIT_ID = r"^hit-[0-9a-f]{16}$"


@dataclass(frozen=True)
class _Allowed:
    """A ``view`` decision that allowed; recorded with the answer it allowed."""

    decision: Decision
    input: dict[str, Any]

    def record(self, connection: Connection, now: datetime) -> None:
        _record(connection, self.input, self.decision, now)


def _record(
    connection: Connection, document: dict[str, Any], decision: Decision, now: datetime
) -> None:
    decisions.record(
        connection,
        point="hits",
        input=document,
        allow=decision.allow,
        reasons=[r.as_dict() for r in decision.reasons],
        revision=decision.revision,
        now=now,
    )


def _may_view(rt: Runtime, call: VerifiedCall, what: str) -> _Allowed:
    """Ask the policy; a refusal is recorded and audited on its own, then raised."""
    document = {
        "action": "view",
        "now": rt.clock().isoformat(),
        "requester": {
            "party": call.party.id,
            "type": call.party.type.value,
            "roles": sorted(r.value for r in call.roles),
        },
        "clusters": [],
    }
    decision = rt.policy.decide("hits", document)
    if decision.allow:
        return _Allowed(decision, document)
    with rt.engine.begin() as connection:
        _record(connection, document, decision, rt.clock())
        audit_call(rt, call, connection, "hits.view_refused", {"view": what}, {}, decision.revision)
    _log.info("hits.view_refused", party=call.party.id, view=what)
    raise PolicyRefused(
        "het convenantbeleid staat deze aanvrager niet toe hits te zien",
        [FieldError("requester", r.message, r.code, r.basis) for r in decision.reasons],
        revision=decision.revision,
    )


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


def _hit_or_404(connection: Connection, hit_id: str) -> Any:
    row = store.get_hit(connection, hit_id)
    if row is None:
        raise NotFound("geen hit met dit kenmerk")
    return row


@router.get("/v1/hits", summary="Hits, newest change first, with filters and paging")
def list_hits(
    request: Request,
    call: Caller,
    gemeente: Annotated[str | None, Query(pattern=r"^GM\d{4}$")] = None,
    vorm: Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$")] = None,
    barriere: Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$")] = None,
    status: Literal["open", "vervallen", "samengevoegd", "alle"] = "open",
    urgent: bool | None = None,
    since: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: Annotated[str | None, Query(max_length=200, pattern=r"^[A-Za-z0-9_-]+$")] = None,
) -> dict[str, Any]:
    rt = runtime(request)
    cursor = None
    if after is not None:
        try:
            cursor = store.decode_cursor(after)
        except ValueError:
            raise InvalidInput(
                "ongeldige cursor",
                [FieldError("query.after", "gebruik de waarde van 'next'", "cursor")],
            ) from None
    where = store.HitFilter(
        status=None if status == "alle" else status,
        gemeente=gemeente,
        vorm=vorm,
        barriere=barriere,
        since=_since(since),
        urgent=urgent,
    )
    allowed = _may_view(rt, call, "list")
    decision = allowed.decision
    with rt.engine.begin() as connection:
        allowed.record(connection, rt.clock())
        page, next_cursor = store.list_hits(connection, where, limit=limit, after=cursor)
        audit_call(rt, call, connection, "hits.listed", {}, {"hits": len(page)}, decision.revision)
    _log.info("hits.listed", party=call.party.id, hits=len(page))
    return {"hits": page, "next": next_cursor, "policy_revision": decision.revision}


@router.get("/v1/hits/{hit_id}", summary="One hit with its history")
def get_hit(
    request: Request, call: Caller, hit_id: Annotated[str, Path(pattern=HIT_ID)]
) -> dict[str, Any]:
    rt = runtime(request)
    allowed = _may_view(rt, call, "hit")
    decision = allowed.decision
    with rt.engine.begin() as connection:
        allowed.record(connection, rt.clock())
        row = _hit_or_404(connection, hit_id)
        facets = store.hit_facets(connection, [hit_id]).get(hit_id, {})
        body = store.hit_summary(row, facets) | {"history": store.history(connection, hit_id)}
        audit_call(rt, call, connection, "hits.viewed", {"hit": hit_id}, {}, decision.revision)
    return body


@router.get(
    "/v1/hits/{hit_id}/network",
    summary="The pseudonymised network of a hit: subjects as kinds and roles, signals as edges",
)
def get_network(
    request: Request, call: Caller, hit_id: Annotated[str, Path(pattern=HIT_ID)]
) -> dict[str, Any]:
    rt = runtime(request)
    allowed = _may_view(rt, call, "network")
    decision = allowed.decision
    with rt.engine.begin() as connection:
        allowed.record(connection, rt.clock())
        row = _hit_or_404(connection, hit_id)
        if row.cluster_id is None:
            # Merged into another hit: its signals are shown there.
            view: dict[str, Any] = {"nodes": [], "edges": [], "counts": {}}
        else:
            members = store.cluster_members(connection, row.cluster_id)
            hubs = store.hub_ids(connection, [p for m in members for p, _, _ in m.subjects])
            view = network_view(members, party_types=rt.party_types, hubs=hubs)
        audit_call(
            rt,
            call,
            connection,
            "hits.network_viewed",
            {"hit": hit_id},
            dict(view["counts"]),
            decision.revision,
        )
    _log.info("hits.network_viewed", party=call.party.id, signals=view["counts"].get("signals"))
    return {
        "hit": hit_id,
        "status": row.status,
        "merged_into": row.merged_into,
        **view,
        "policy_revision": decision.revision,
    }


@router.get("/v1/hubs", summary="Pseudonyms that stopped linking: kind and count, never a value")
def list_hubs(request: Request, call: Caller) -> dict[str, Any]:
    rt = runtime(request)
    allowed = _may_view(rt, call, "hubs")
    decision = allowed.decision
    with rt.engine.begin() as connection:
        allowed.record(connection, rt.clock())
        hubs = store.list_hubs(connection)
        audit_call(rt, call, connection, "hubs.listed", {}, {"hubs": len(hubs)}, decision.revision)
    return {
        "hubs": hubs,
        "threshold": rt.policy.data.get("covenant", {}).get("linkage", {}).get("hub_threshold"),
        "policy_revision": decision.revision,
    }
