"""Hits over SQL: re-evaluation after a batch, the RIEC's list, a hit's signals for the network
view, and the hubs. Runs in the caller's transaction.

A hit's id is opaque and stable. It follows its cluster: when clusters merge, the oldest hit
among them carries on and the others are marked ``samengevoegd`` (merged) pointing at it; when a
cluster splits, the part keeping the cluster keeps the hit and a part that is a hit on its own
gets a new one whose history says where it came from. A cluster that stops meeting the rule
keeps its hit as ``vervallen`` (lapsed), which revives under the same id if it meets it again.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, insert, or_, select, update

from gateway.hits.network import MemberSignal
from gateway.hits.summary import SignalFacts, facets
from gateway.linkage.incremental import Changes
from gateway.storage.linkage import chunks
from gateway.storage.signals import as_utc
from gateway.storage.tables import (
    HitEventRow,
    HitFacetRow,
    HitRow,
    LinkKeyRow,
    SignalRow,
    SubjectRow,
)

_hits = HitRow.__table__
_facets = HitFacetRow.__table__
_events = HitEventRow.__table__
_signals = SignalRow.__table__
_subjects = SubjectRow.__table__
_keys = LinkKeyRow.__table__

OPEN, LAPSED, MERGED = "open", "vervallen", "samengevoegd"
STATUSES = (OPEN, LAPSED, MERGED)


@dataclass
class Applied:
    """What applying one judgement changed, for the ingest audit entry and log."""

    new: int = 0
    changed: int = 0
    lapsed: int = 0


def cluster_facts(
    connection: Connection, cluster_ids: Sequence[int], party_types: Mapping[str, str]
) -> dict[int, list[SignalFacts]]:
    found: dict[int, list[SignalFacts]] = {}
    columns = (
        _signals.c.cluster_id,
        _signals.c.party,
        _signals.c.form,
        _signals.c.indicators,
        _signals.c.minor,
        _signals.c.certainty,
        _signals.c.observed_at,
        _signals.c.municipality,
    )
    for chunk in chunks(list(cluster_ids)):
        for row in connection.execute(select(*columns).where(_signals.c.cluster_id.in_(chunk))):
            found.setdefault(row.cluster_id, []).append(
                SignalFacts(
                    cluster_id=row.cluster_id,
                    party=row.party,
                    party_type=party_types.get(row.party, "onbekend"),
                    form=row.form,
                    indicators=tuple(row.indicators),
                    minor=row.minor,
                    certainty=row.certainty,
                    observed_at=as_utc(row.observed_at),
                    municipality=row.municipality,
                )
            )
    return found


def new_hit_id() -> str:
    """Opaque: says nothing about the cluster, its size or when it arose."""
    return "hit-" + secrets.token_hex(8)


class HitWriter:
    """Applies one batch's linkage changes and one ``hits`` decision to the hits tables."""

    def __init__(self, connection: Connection, *, now: datetime) -> None:
        self._c = connection
        self._now = now

    def live_clusters(self, changes: Changes) -> list[int]:
        """The clusters a batch touched that still exist (absorbed ones live on in others)."""
        return sorted(c for c in changes.touched if c not in changes.merged)

    def facts(
        self,
        changes: Changes,
        live: Sequence[int],
        *,
        party_types: Mapping[str, str],
        known: Mapping[int, list[SignalFacts]],
    ) -> dict[int, list[SignalFacts]]:
        """The facts of each live cluster: read, except those a batch made from its own rows
        (``known``), which need no read and can hold no hit yet."""
        found = cluster_facts(self._c, [c for c in live if c not in known], party_types)
        found.update({c: list(f) for c, f in known.items() if c in changes.touched})
        return found

    def apply(
        self,
        changes: Changes,
        live: Sequence[int],
        facts: Mapping[int, list[SignalFacts]],
        verdicts: Mapping[str, Any],
        *,
        revision: str,
        barrier_of: Callable[[str], str | None],
        known: Mapping[int, list[SignalFacts]],
    ) -> Applied:
        """Bring the hit rows of ``live`` clusters to ``verdicts`` (the ``hits`` policy's answer
        per cluster id): a hit arises, changes, lapses or revives, each with its event."""
        done = Applied()
        existing = {
            row.cluster_id: row
            for chunk in chunks([c for c in live if c not in known])
            for row in self._c.execute(select(_hits).where(_hits.c.cluster_id.in_(chunk)))
        }
        origin_hits = self._origin_hits(changes, live)
        for cid in live:
            members = facts.get(cid, [])
            verdict = verdicts.get(str(cid)) if members else None
            is_hit = isinstance(verdict, dict) and verdict.get("hit") is True
            row = existing.get(cid)
            state = {
                "urgent": bool(is_hit and verdict.get("urgent") is True),  # type: ignore[union-attr]
                "signals": len(members),
                "parties": len({f.party for f in members}),
                "reasons": sorted(
                    str(r.get("code"))
                    for r in (verdict or {}).get("reasons", [])
                    if isinstance(r, dict)
                ),
                "policy_revision": revision,
            }
            if is_hit and row is None:
                hit_id = new_hit_id()
                self._c.execute(
                    insert(_hits).values(
                        id=hit_id,
                        cluster_id=cid,
                        status=OPEN,
                        first_seen_at=self._now,
                        updated_at=self._now,
                        **state,
                    )
                )
                detail = {k: v for k, v in state.items() if k != "policy_revision"}
                if cid in origin_hits:
                    detail["afgesplitst_van"] = origin_hits[cid]
                self._event(hit_id, "ontstaan", detail, state["policy_revision"])
                self._set_facets(hit_id, members, barrier_of)
                done.new += 1
            elif row is not None:
                status = OPEN if is_hit else LAPSED
                before = {k: getattr(row, k) for k in ("urgent", "signals", "parties", "reasons")}
                after = {k: state[k] for k in before}
                if status == row.status and before == after:
                    continue
                self._c.execute(
                    update(_hits)
                    .where(_hits.c.id == row.id)
                    .values(status=status, updated_at=self._now, **state)
                )
                event = (
                    "gewijzigd"
                    if status == row.status
                    else ("herleefd" if status == OPEN else "vervallen")
                )
                self._event(row.id, event, after, state["policy_revision"])
                self._set_facets(row.id, members, barrier_of)
                if event == "vervallen":
                    done.lapsed += 1
                else:
                    done.changed += 1
        return done

    def follow_merges(self, changes: Changes) -> int:
        """Move hits of absorbed clusters to their survivor; the oldest hit carries on."""
        by_survivor: dict[int, list[int]] = {}
        for absorbed in changes.merged:
            by_survivor.setdefault(changes.survivor(absorbed), []).append(absorbed)
        merged = 0
        for survivor, absorbed in sorted(by_survivor.items()):
            rows = list(
                self._c.execute(
                    select(_hits.c.id, _hits.c.cluster_id, _hits.c.first_seen_at)
                    .where(_hits.c.cluster_id.in_([survivor, *absorbed]))
                    .order_by(_hits.c.first_seen_at, _hits.c.id)
                )
            )
            if not rows:
                continue
            keeper, others = rows[0], rows[1:]
            if others:
                self._c.execute(
                    update(_hits)
                    .where(_hits.c.id.in_([r.id for r in others]))
                    .values(
                        cluster_id=None, status=MERGED, merged_into=keeper.id, updated_at=self._now
                    )
                )
                for other in others:
                    self._event(other.id, "samengevoegd", {"in": keeper.id}, "")
                self._event(keeper.id, "opgenomen", {"hits": [r.id for r in others]}, "")
                merged += len(others)
            if keeper.cluster_id != survivor:
                self._c.execute(
                    update(_hits).where(_hits.c.id == keeper.id).values(cluster_id=survivor)
                )
        return merged

    def _origin_hits(self, changes: Changes, live: Sequence[int]) -> dict[int, str]:
        """For parts that split off: the hit of the cluster they left, if it had one."""
        origins = {cid: changes.split_from[cid] for cid in live if cid in changes.split_from}
        if not origins:
            return {}
        owners: dict[int, str] = dict(
            self._c.execute(
                select(_hits.c.cluster_id, _hits.c.id).where(
                    _hits.c.cluster_id.in_(sorted(set(origins.values())))
                )
            ).all()
        )
        return {cid: owners[o] for cid, o in origins.items() if o in owners}

    def _event(self, hit_id: str, event: str, detail: dict[str, Any], revision: str) -> None:
        if revision:
            detail = {**detail, "policy_revision": revision}
        self._c.execute(
            insert(_events).values(hit_id=hit_id, at=self._now, event=event, detail=detail)
        )

    def _set_facets(
        self, hit_id: str, members: Sequence[SignalFacts], barrier_of: Callable[[str], str | None]
    ) -> None:
        self._c.execute(delete(_facets).where(_facets.c.hit_id == hit_id))
        values = sorted(facets(members, barrier_of))
        if values:
            self._c.execute(
                insert(_facets), [{"hit_id": hit_id, "facet": f, "value": v} for f, v in values]
            )


# -- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HitFilter:
    status: str | None = OPEN
    gemeente: str | None = None
    vorm: str | None = None
    barriere: str | None = None
    since: datetime | None = None
    urgent: bool | None = None


def encode_cursor(updated_at: datetime, hit_id: str) -> str:
    raw = json.dumps([as_utc(updated_at).isoformat(), hit_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Raises ``ValueError`` for anything that is not a cursor this gateway handed out."""
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    at, hit_id = json.loads(raw)
    if not isinstance(at, str) or not isinstance(hit_id, str):
        raise ValueError("cursor")
    return datetime.fromisoformat(at), hit_id


def list_hits(
    connection: Connection, where: HitFilter, *, limit: int, after: tuple[datetime, str] | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of hits, newest change first, and the cursor of the next page."""
    query = select(_hits)
    if where.status is not None:
        query = query.where(_hits.c.status == where.status)
    if where.since is not None:
        query = query.where(_hits.c.updated_at >= where.since)
    if where.urgent is not None:
        query = query.where(_hits.c.urgent == where.urgent)
    for facet, value in (
        ("gemeente", where.gemeente),
        ("vorm", where.vorm),
        ("barriere", where.barriere),
    ):
        if value is not None:
            query = query.where(
                exists().where(
                    _facets.c.hit_id == _hits.c.id,
                    _facets.c.facet == facet,
                    _facets.c.value == value,
                )
            )
    if after is not None:
        at, hit_id = after
        query = query.where(
            or_(_hits.c.updated_at < at, and_(_hits.c.updated_at == at, _hits.c.id < hit_id))
        )
    rows = list(
        connection.execute(
            query.order_by(_hits.c.updated_at.desc(), _hits.c.id.desc()).limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    facet_rows = hit_facets(connection, [r.id for r in rows])
    page = [hit_summary(r, facet_rows.get(r.id, {})) for r in rows]
    cursor = encode_cursor(rows[-1].updated_at, rows[-1].id) if more and rows else None
    return page, cursor


def hit_facets(connection: Connection, hit_ids: Sequence[str]) -> dict[str, dict[str, list[str]]]:
    """hit id -> facet -> values, sorted."""
    found: dict[str, dict[str, list[str]]] = {}
    for chunk in chunks(list(hit_ids)):
        for hit_id, facet, value in connection.execute(
            select(_facets.c.hit_id, _facets.c.facet, _facets.c.value)
            .where(_facets.c.hit_id.in_(chunk))
            .order_by(_facets.c.facet, _facets.c.value)
        ):
            found.setdefault(hit_id, {}).setdefault(facet, []).append(value)
    return found


def hit_summary(row: Any, facet_values: Mapping[str, list[str]]) -> dict[str, Any]:
    return {
        "id": row.id,
        "status": row.status,
        "urgent": row.urgent,
        "signals": row.signals,
        "parties": row.parties,
        "reasons": list(row.reasons),
        "municipalities": facet_values.get("gemeente", []),
        "forms": facet_values.get("vorm", []),
        "barriers": facet_values.get("barriere", []),
        "party_types": facet_values.get("partijtype", []),
        "first_seen_at": as_utc(row.first_seen_at).isoformat(),
        "updated_at": as_utc(row.updated_at).isoformat(),
        "merged_into": row.merged_into,
    }


def get_hit(connection: Connection, hit_id: str) -> Any | None:
    return connection.execute(select(_hits).where(_hits.c.id == hit_id)).one_or_none()


def history(connection: Connection, hit_id: str) -> list[dict[str, Any]]:
    return [
        {"at": as_utc(r.at).isoformat(), "event": r.event, "detail": r.detail}
        for r in connection.execute(
            select(_events.c.at, _events.c.event, _events.c.detail)
            .where(_events.c.hit_id == hit_id)
            .order_by(_events.c.id)
        )
    ]


def cluster_members(connection: Connection, cluster_id: int) -> list[MemberSignal]:
    rows = list(
        connection.execute(
            select(
                _signals.c.id,
                _signals.c.party,
                _signals.c.form,
                _signals.c.indicators,
                _signals.c.certainty,
                _signals.c.observed_at,
            ).where(_signals.c.cluster_id == cluster_id)
        )
    )
    subjects: dict[int, list[tuple[bytes, str, str]]] = {}
    for chunk in chunks([r.id for r in rows]):
        for signal_id, pseudonym, kind, role in connection.execute(
            select(
                _subjects.c.signal_id, _subjects.c.pseudonym, _subjects.c.kind, _subjects.c.role
            ).where(_subjects.c.signal_id.in_(chunk))
        ):
            subjects.setdefault(signal_id, []).append((bytes(pseudonym), kind, role))
    return [
        MemberSignal(
            r.id,
            r.party,
            r.form,
            tuple(r.indicators),
            r.certainty,
            as_utc(r.observed_at),
            tuple(subjects.get(r.id, [])),
        )
        for r in rows
    ]


def hub_ids(connection: Connection, pseudonyms: Sequence[bytes]) -> dict[bytes, str]:
    found: dict[bytes, str] = {}
    for chunk in chunks(sorted(set(pseudonyms))):
        for pseudonym, hub_id in connection.execute(
            select(_keys.c.pseudonym, _keys.c.hub_id).where(
                _keys.c.pseudonym.in_(chunk), _keys.c.hub_id.is_not(None)
            )
        ):
            found[bytes(pseudonym)] = hub_id
    return found


def list_hubs(connection: Connection) -> list[dict[str, Any]]:
    return [
        {
            "id": r.hub_id,
            "kind": r.kind,
            "signals": r.signals,
            "since": as_utc(r.hub_since).isoformat() if r.hub_since else None,
        }
        for r in connection.execute(
            select(_keys.c.hub_id, _keys.c.kind, _keys.c.signals, _keys.c.hub_since)
            .where(_keys.c.hub_id.is_not(None))
            .order_by(_keys.c.signals.desc(), _keys.c.hub_id)
        )
    ]
