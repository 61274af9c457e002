"""The register of non-linking pseudonyms (``hub_register``) and the hubs the RIEC reviews:
data access only, in the caller's transaction. Nothing read here leaves the gateway with a
pseudonym in it: the use case (:mod:`gateway.linkage.register`) shows ids, kinds, codes and
counts."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from gateway.storage.signals import as_utc
from gateway.storage.tables import HubRegisterRow, LinkKeyRow

_register = HubRegisterRow.__table__
_keys = LinkKeyRow.__table__


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    pseudonym: bytes
    kind: str
    mark: str
    reason: str
    registered_by_party: str
    registered_at: datetime
    expires_at: datetime | None
    withdrawn_at: datetime | None

    def in_force(self, now: datetime) -> bool:
        return self.withdrawn_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True, slots=True)
class Hub:
    """A hub as stored (the pseudonym stays inside the gateway)."""

    hub_id: str
    pseudonym: bytes
    kind: str
    signals: int
    since: datetime | None
    reason: str | None


def new_entry_id() -> str:
    return "reg-" + secrets.token_hex(8)


def _entry(row: Any) -> Entry:  # Any: a row of the hub_register table
    return Entry(
        id=row.id,
        pseudonym=bytes(row.pseudonym),
        kind=row.kind,
        mark=row.mark,
        reason=row.reason,
        registered_by_party=row.registered_by_party,
        registered_at=as_utc(row.registered_at),
        expires_at=_utc(row.expires_at),
        withdrawn_at=_utc(row.withdrawn_at),
    )


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def add(
    connection: Connection,
    *,
    pseudonym: bytes,
    kind: str,
    mark: str,
    reason: str,
    party: str,
    person: str,
    now: datetime,
    expires_at: datetime | None,
) -> str:
    """A new entry; an earlier entry in force on the same pseudonym ends now (withdrawn by the
    same party), so that one word holds at a time."""
    connection.execute(
        update(_register)
        .where(_register.c.pseudonym == pseudonym, _register.c.withdrawn_at.is_(None))
        .values(withdrawn_at=now, withdrawn_by_party=party)
    )
    entry_id = new_entry_id()
    connection.execute(
        insert(_register).values(
            id=entry_id,
            pseudonym=pseudonym,
            kind=kind,
            mark=mark,
            reason=reason,
            registered_by_party=party,
            registered_by=person,
            registered_at=now,
            expires_at=expires_at,
        )
    )
    return entry_id


def get(connection: Connection, entry_id: str) -> Entry | None:
    row = connection.execute(select(_register).where(_register.c.id == entry_id)).first()
    return _entry(row) if row is not None else None


def withdraw(connection: Connection, entry_id: str, *, party: str, now: datetime) -> None:
    connection.execute(
        update(_register)
        .where(_register.c.id == entry_id, _register.c.withdrawn_at.is_(None))
        .values(withdrawn_at=now, withdrawn_by_party=party)
    )


def listed(connection: Connection, now: datetime, *, with_ended: bool) -> list[Entry]:
    query = select(_register).order_by(_register.c.registered_at.desc(), _register.c.id)
    if not with_ended:
        query = query.where(
            and_(
                _register.c.withdrawn_at.is_(None),
                or_(_register.c.expires_at.is_(None), _register.c.expires_at > now),
            )
        )
    return [_entry(row) for row in connection.execute(query)]


def hub(connection: Connection, hub_id: str) -> Hub | None:
    row = connection.execute(
        select(
            _keys.c.hub_id,
            _keys.c.pseudonym,
            _keys.c.kind,
            _keys.c.signals,
            _keys.c.hub_since,
            _keys.c.hub_reason,
        ).where(_keys.c.hub_id == hub_id)
    ).first()
    if row is None:
        return None
    return Hub(
        row.hub_id, bytes(row.pseudonym), row.kind, row.signals, _utc(row.hub_since), row.hub_reason
    )


def hubs(connection: Connection, reasons: Sequence[str]) -> list[Hub]:
    """Hubs flagged for one of ``reasons``, most signals first."""
    return [
        Hub(r.hub_id, bytes(r.pseudonym), r.kind, r.signals, _utc(r.hub_since), r.hub_reason)
        for r in connection.execute(
            select(
                _keys.c.hub_id,
                _keys.c.pseudonym,
                _keys.c.kind,
                _keys.c.signals,
                _keys.c.hub_since,
                _keys.c.hub_reason,
            )
            .where(_keys.c.hub_id.is_not(None), _keys.c.hub_reason.in_(list(reasons)))
            .order_by(_keys.c.signals.desc(), _keys.c.hub_id)
        )
    ]
