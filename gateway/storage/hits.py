"""Hits over SQL: the hit tables' reads and writes after a batch, the RIEC's list, a hit's signals
for the network view, and the hubs. Runs in the caller's transaction.

A hit's id is opaque and stable; how it follows its cluster through merges and splits, and when
it arises, changes, lapses or revives, is decided in :mod:`gateway.hits.refresh`, which writes
through :class:`SqlHitStore`. Nothing here decides: it reads and writes what it is told.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, exists, insert, or_, select, update

from gateway.hits.network import MemberSignal
from gateway.hits.summary import SignalFacts
from gateway.jsontypes import JsonObject
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


@dataclass(frozen=True, slots=True)
class HitValues:
    """What a judgement says of a hit's cluster, as the hit row holds it."""

    urgent: bool
    signals: int
    parties: int
    reasons: list[str]
    policy_revision: str


@dataclass(frozen=True, slots=True)
class StoredHit:
    """A hit row as the lifecycle needs it."""

    id: str
    cluster_id: int | None
    status: str
    urgent: bool
    signals: int
    parties: int
    reasons: list[str]
    first_seen_at: datetime


def _stored(row: Any) -> StoredHit:  # Any: a row of the hits table
    return StoredHit(
        row.id,
        row.cluster_id,
        row.status,
        row.urgent,
        row.signals,
        row.parties,
        list(row.reasons),
        as_utc(row.first_seen_at),
    )


class SqlHitStore:
    """The hits tables for one transaction; ``now`` stamps what it writes."""

    def __init__(self, connection: Connection, *, now: datetime) -> None:
        self._c = connection
        self._now = now

    def hits_on(self, cluster_ids: Sequence[int]) -> list[StoredHit]:
        """The hits of ``cluster_ids`` (a cluster holds at most one), one read."""
        return [
            _stored(row)
            for row in self._c.execute(select(_hits).where(_hits.c.cluster_id.in_(cluster_ids)))
        ]

    def hits_of(self, cluster_ids: Sequence[int]) -> dict[int, StoredHit]:
        """Cluster -> its hit, for ``cluster_ids`` in chunks."""
        return {
            hit.cluster_id: hit
            for chunk in chunks(list(cluster_ids))
            for hit in self.hits_on(chunk)
            if hit.cluster_id is not None
        }

    def hit_ids_of(self, cluster_ids: Sequence[int]) -> dict[int, str]:
        """Cluster -> the id of its hit, one read."""
        return {
            cid: hit_id
            for cid, hit_id in self._c.execute(
                select(_hits.c.cluster_id, _hits.c.id).where(_hits.c.cluster_id.in_(cluster_ids))
            )
        }

    def insert_hit(self, hit_id: str, cluster_id: int, values: HitValues) -> None:
        """A new open hit, first seen now."""
        self._c.execute(
            insert(_hits).values(
                id=hit_id,
                cluster_id=cluster_id,
                status=OPEN,
                first_seen_at=self._now,
                updated_at=self._now,
                **_columns(values),
            )
        )

    def update_hit(self, hit_id: str, status: str, values: HitValues) -> None:
        self._c.execute(
            update(_hits)
            .where(_hits.c.id == hit_id)
            .values(status=status, updated_at=self._now, **_columns(values))
        )

    def merge_hits(self, keeper: str, others: Sequence[str]) -> None:
        """``others`` are merged into ``keeper`` and leave their clusters."""
        self._c.execute(
            update(_hits)
            .where(_hits.c.id.in_(others))
            .values(cluster_id=None, status=MERGED, merged_into=keeper, updated_at=self._now)
        )

    def move_hit(self, hit_id: str, cluster_id: int) -> None:
        self._c.execute(update(_hits).where(_hits.c.id == hit_id).values(cluster_id=cluster_id))

    def add_event(self, hit_id: str, event: str, detail: JsonObject) -> None:
        self._c.execute(
            insert(_events).values(hit_id=hit_id, at=self._now, event=event, detail=detail)
        )

    def set_facets(self, hit_id: str, values: Sequence[tuple[str, str]]) -> None:
        """Replace the hit's facets with ``values`` (facet, value)."""
        self._c.execute(delete(_facets).where(_facets.c.hit_id == hit_id))
        if values:
            self._c.execute(
                insert(_facets), [{"hit_id": hit_id, "facet": f, "value": v} for f, v in values]
            )


def _columns(values: HitValues) -> dict[str, object]:
    return {
        "urgent": values.urgent,
        "signals": values.signals,
        "parties": values.parties,
        "reasons": values.reasons,
        "policy_revision": values.policy_revision,
    }


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
) -> tuple[list[JsonObject], str | None]:
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


def hit_summary(
    row: Any,  # Any: a row of the hits table
    facet_values: Mapping[str, list[str]],
) -> JsonObject:
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


def get_hit(connection: Connection, hit_id: str) -> Any | None:  # Any: a row of the hits table
    return connection.execute(select(_hits).where(_hits.c.id == hit_id)).one_or_none()


def history(connection: Connection, hit_id: str) -> list[JsonObject]:
    return [
        {"at": as_utc(r.at).isoformat(), "event": r.event, "detail": r.detail}
        for r in connection.execute(
            select(_events.c.at, _events.c.event, _events.c.detail)
            .where(_events.c.hit_id == hit_id)
            .order_by(_events.c.id)
        )
    ]


def cluster_members(connection: Connection, cluster_id: int) -> list[MemberSignal]:
    """The signals of a cluster with their subjects, as the network view reads them."""
    return _members(connection, [_signals.c.cluster_id == cluster_id])


def signal_members(connection: Connection, signal_ids: Sequence[int]) -> list[MemberSignal]:
    """These signals, where still current, with their subjects (a case file's own signals)."""
    found: list[MemberSignal] = []
    for chunk in chunks(sorted(set(signal_ids))):
        found += _members(connection, [_signals.c.id.in_(chunk), _signals.c.is_current])
    return found


def _members(connection: Connection, where: Sequence[ColumnElement[bool]]) -> list[MemberSignal]:
    rows = list(
        connection.execute(
            select(
                _signals.c.id,
                _signals.c.party,
                _signals.c.form,
                _signals.c.indicators,
                _signals.c.certainty,
                _signals.c.observed_at,
            ).where(*where)
        )
    )
    subjects: dict[int, list[tuple[bytes, str, str]]] = {}
    for chunk in chunks([r.id for r in rows]):
        for signal_id, pseudonym, kind, role in connection.execute(
            select(_subjects.c.signal_id, _subjects.c.pseudonym, _subjects.c.kind, _subjects.c.role)
            .where(_subjects.c.signal_id.in_(chunk))
            .order_by(_subjects.c.id)
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


def list_hubs(connection: Connection) -> list[JsonObject]:
    return [
        {
            "id": r.hub_id,
            "kind": r.kind,
            "signals": r.signals,
            "since": as_utc(r.hub_since).isoformat() if r.hub_since else None,
            "reason": r.hub_reason,
        }
        for r in connection.execute(
            select(
                _keys.c.hub_id, _keys.c.kind, _keys.c.signals, _keys.c.hub_since, _keys.c.hub_reason
            )
            .where(_keys.c.hub_id.is_not(None))
            .order_by(_keys.c.signals.desc(), _keys.c.hub_id)
        )
    ]
