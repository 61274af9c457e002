"""Embargoes of an investigation over SQL: store, change, and find those in force for a case's
signals, a page of hits or a network. Data access only: what an embargo holds is
:mod:`gateway.embargoes.holds`, whether a step is allowed the ``embargo`` policy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, insert, or_, select, update

from gateway.embargoes.holds import CASE, SIGNAL, SUBJECT, Embargo
from gateway.storage.linkage import chunks
from gateway.storage.tables import (
    CaseRow,
    CaseSignalRow,
    EmbargoRow,
    HitRow,
    SignalRow,
    SubjectRow,
)

_embargoes = EmbargoRow.__table__
_signals = SignalRow.__table__
_subjects = SubjectRow.__table__
_hits = HitRow.__table__
_cases = CaseRow.__table__
_case_signals = CaseSignalRow.__table__
_AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def as_embargo(row: Any) -> Embargo:  # Any: a row of the embargoes table (Core rows are untyped)
    return Embargo(
        id=row.id,
        target_kind=row.target_kind,
        pseudonym=bytes(row.pseudonym) if row.pseudonym is not None else None,
        signal=(row.signal_party, row.signal_ref) if row.signal_party is not None else None,
        case_id=row.case_id,
        placed_by=row.placed_by,
        reason=row.reason,
        until=row.until,
        allowed_types=frozenset(row.allowed_types),
        lifted=row.lifted_at is not None,
    )


def _in_force(today: date) -> Any:  # Any: a SQL condition (ColumnElement[bool])
    return and_(_embargoes.c.lifted_at.is_(None), _embargoes.c.until >= today)


def add(
    connection: Connection,
    *,
    embargo_id: str,
    target_kind: str,
    pseudonym: bytes | None,
    signal: tuple[str, str] | None,
    case_id: str | None,
    placed_by: str,
    reason: str,
    until: date,
    allowed_types: Sequence[str],
    now: datetime,
) -> None:
    connection.execute(
        insert(_embargoes).values(
            id=embargo_id,
            target_kind=target_kind,
            pseudonym=pseudonym,
            signal_party=signal[0] if signal else None,
            signal_ref=signal[1] if signal else None,
            case_id=case_id,
            placed_by=placed_by,
            reason=reason,
            until=until,
            allowed_types=list(allowed_types),
            created_at=now,
            updated_at=now,
        )
    )


def get(connection: Connection, embargo_id: str, *, lock: bool = False) -> Embargo | None:
    query = select(_embargoes).where(_embargoes.c.id == embargo_id)
    row = connection.execute(query.with_for_update() if lock else query).one_or_none()
    return as_embargo(row) if row is not None else None


def extend(connection: Connection, embargo_id: str, until: date, now: datetime) -> None:
    connection.execute(
        update(_embargoes).where(_embargoes.c.id == embargo_id).values(until=until, updated_at=now)
    )


def lift(connection: Connection, embargo_id: str, by: str, now: datetime) -> None:
    connection.execute(
        update(_embargoes)
        .where(_embargoes.c.id == embargo_id)
        .values(lifted_at=now, lifted_by=by, updated_at=now)
    )


def listed(connection: Connection, today: date, *, with_ended: bool) -> list[Embargo]:
    """Embargoes, newest first: those in force, or all."""
    query = select(_embargoes).order_by(_embargoes.c.created_at.desc(), _embargoes.c.id)
    if not with_ended:
        query = query.where(_in_force(today))
    return [as_embargo(row) for row in connection.execute(query)]


def signal_exists(connection: Connection, party: str, ref: str) -> bool:
    return (
        connection.execute(
            select(_signals.c.id).where(_signals.c.party == party, _signals.c.ref == ref).limit(1)
        ).first()
        is not None
    )


def for_signals(
    connection: Connection,
    *,
    case_id: str | None,
    pseudonyms: Sequence[bytes],
    signals: Sequence[tuple[str, str]],
    today: date,
) -> list[Embargo]:
    """The embargoes in force on the case, on any of these subjects or on any of these signals
    (party, ref)."""
    found: dict[str, Embargo] = {}
    conditions: list[Any] = []  # Any: SQL conditions
    if case_id is not None:
        conditions.append(and_(_embargoes.c.target_kind == CASE, _embargoes.c.case_id == case_id))
    for chunk in chunks(sorted(set(pseudonyms))):
        conditions.append(
            and_(_embargoes.c.target_kind == SUBJECT, _embargoes.c.pseudonym.in_(chunk))
        )
    for chunk in chunks(sorted(set(signals))):
        conditions.append(
            and_(
                _embargoes.c.target_kind == SIGNAL,
                or_(
                    *(
                        and_(_embargoes.c.signal_party == p, _embargoes.c.signal_ref == r)
                        for p, r in chunk
                    )
                ),
            )
        )
    for condition in conditions:
        for row in connection.execute(select(_embargoes).where(_in_force(today), condition)):
            found[row.id] = as_embargo(row)
    return list(found.values())


def of_hits(
    connection: Connection, hit_ids: Sequence[str], today: date
) -> dict[str, list[Embargo]]:
    """Per hit, the embargoes in force on a subject or a signal of its cluster's current
    signals, or on a case opened from it. Driven from the embargoes (few) to the hits."""
    if not hit_ids:
        return {}
    found: dict[str, dict[str, Embargo]] = {}
    in_page = _hits.c.id.in_(list(hit_ids))
    queries = [
        select(_hits.c.id.label("hit_id"), _embargoes)
        .select_from(_embargoes)
        .join(_subjects, _subjects.c.pseudonym == _embargoes.c.pseudonym)
        .join(_signals, and_(_signals.c.id == _subjects.c.signal_id, _signals.c.is_current))
        .join(_hits, _hits.c.cluster_id == _signals.c.cluster_id)
        .where(_embargoes.c.target_kind == SUBJECT, _in_force(today), in_page),
        select(_hits.c.id.label("hit_id"), _embargoes)
        .select_from(_embargoes)
        .join(
            _signals,
            and_(
                _signals.c.party == _embargoes.c.signal_party,
                _signals.c.ref == _embargoes.c.signal_ref,
                _signals.c.is_current,
            ),
        )
        .join(_hits, _hits.c.cluster_id == _signals.c.cluster_id)
        .where(_embargoes.c.target_kind == SIGNAL, _in_force(today), in_page),
        select(_hits.c.id.label("hit_id"), _embargoes)
        .select_from(_embargoes)
        .join(_cases, _cases.c.id == _embargoes.c.case_id)
        .join(_hits, _hits.c.id == _cases.c.hit_id)
        .where(_embargoes.c.target_kind == CASE, _in_force(today), in_page),
    ]
    for query in queries:
        for row in connection.execute(query):
            found.setdefault(row.hit_id, {})[row.id] = as_embargo(row)
    return {hit_id: list(by_id.values()) for hit_id, by_id in found.items()}


def signal_keys(connection: Connection, signal_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Per signal id its (party, ref)."""
    found: dict[int, tuple[str, str]] = {}
    for chunk in chunks(sorted(set(signal_ids))):
        for signal_id, party, ref in connection.execute(
            select(_signals.c.id, _signals.c.party, _signals.c.ref).where(_signals.c.id.in_(chunk))
        ):
            found[signal_id] = (party, ref)
    return found


def case_exists(connection: Connection, case_id: str) -> bool:
    return connection.execute(select(_cases.c.id).where(_cases.c.id == case_id)).first() is not None


def local_date(now: datetime) -> date:
    """The Dutch local date of ``now``: an embargo holds up to and including its end date."""
    return now.astimezone(_AMSTERDAM).date()


def of_case(connection: Connection, case_id: str, today: date) -> list[Embargo]:
    """The embargoes in force on the case, on a subject of one of its signals or on one of its
    signals (any version)."""
    case_signals = _case_signals
    joined = _signals.alias("joined")
    found: dict[str, Embargo] = {}
    queries = [
        select(_embargoes).where(
            _embargoes.c.target_kind == CASE, _embargoes.c.case_id == case_id, _in_force(today)
        ),
        select(_embargoes)
        .join(_subjects, _subjects.c.pseudonym == _embargoes.c.pseudonym)
        .join(case_signals, case_signals.c.signal_id == _subjects.c.signal_id)
        .where(
            _embargoes.c.target_kind == SUBJECT,
            case_signals.c.case_id == case_id,
            _in_force(today),
        ),
        select(_embargoes)
        .join(
            joined,
            and_(
                joined.c.party == _embargoes.c.signal_party,
                joined.c.ref == _embargoes.c.signal_ref,
            ),
        )
        .join(case_signals, case_signals.c.signal_id == joined.c.id)
        .where(
            _embargoes.c.target_kind == SIGNAL,
            case_signals.c.case_id == case_id,
            _in_force(today),
        ),
    ]
    for query in queries:
        for row in connection.execute(query):
            found[row.id] = as_embargo(row)
    return list(found.values())
