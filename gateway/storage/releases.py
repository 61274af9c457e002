"""Releases and packages over SQL, and the case's signals as the release reads them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from gateway.jsontypes import JsonObject
from gateway.storage.linkage import chunks
from gateway.storage.signals import as_utc
from gateway.storage.tables import CaseSignalRow, PackageRow, ReleaseRow, SignalRow, SubjectRow

_releases = ReleaseRow.__table__
_packages = PackageRow.__table__
_signals = SignalRow.__table__
_case_signals = CaseSignalRow.__table__
_subjects = SubjectRow.__table__


def case_signal_rows(
    connection: Connection, case_id: str
) -> list[Any]:  # Any: a signal row (SQLAlchemy Core rows have no static column types)
    """The case's signals, each in the version now current (a signal corrected after it joined
    the case is released as corrected; one withdrawn by expiry is gone)."""
    version = _signals.alias("joined")
    current = (
        select(_signals)
        .join(version, (version.c.party == _signals.c.party) & (version.c.ref == _signals.c.ref))
        .join(_case_signals, _case_signals.c.signal_id == version.c.id)
        .where(_case_signals.c.case_id == case_id, _signals.c.is_current)
        .order_by(_signals.c.id)
    )
    seen: dict[int, Any] = {}  # Any: a signal row (Core rows: no static column types)
    for row in connection.execute(current):
        seen.setdefault(row.id, row)
    return list(seen.values())


def signal_subjects(
    connection: Connection, signal_ids: Sequence[int]
) -> dict[int, list[tuple[bytes, str]]]:
    """Per signal its subjects as (pseudonym, kind), in the order the signal listed them."""
    found: dict[int, list[tuple[bytes, str]]] = {}
    for chunk in chunks(sorted(set(signal_ids))):
        for signal_id, pseudonym, kind in connection.execute(
            select(_subjects.c.signal_id, _subjects.c.pseudonym, _subjects.c.kind)
            .where(_subjects.c.signal_id.in_(chunk))
            .order_by(_subjects.c.id)
        ):
            found.setdefault(signal_id, []).append((bytes(pseudonym), kind))
    return found


def latest(
    connection: Connection, case_id: str, meeting_part: str
) -> Any | None:  # Any: a release row (SQLAlchemy Core rows have no static column types)
    """The newest release of this case part (the highest number), or None."""
    return connection.execute(
        select(_releases)
        .where(_releases.c.case_id == case_id, _releases.c.meeting_part == meeting_part)
        .order_by(_releases.c.number.desc())
        .limit(1)
    ).one_or_none()


def supersede(connection: Connection, release_id: str, *, by: str, now: datetime) -> None:
    """Mark the packages of ``release_id`` as replaced by release ``by``."""
    connection.execute(
        update(_packages)
        .where(_packages.c.release_id == release_id, _packages.c.superseded_by.is_(None))
        .values(superseded_by=by, superseded_at=now)
    )


def packages_of_release(connection: Connection, release_id: str) -> list[Row[str, str, int, int]]:
    """(id, recipient, released, withheld) of each package of the release."""
    return list(
        connection.execute(
            select(
                _packages.c.id,
                _packages.c.recipient,
                _packages.c.released,
                _packages.c.withheld,
            ).where(_packages.c.release_id == release_id)
        )
    )


def store(
    connection: Connection,
    *,
    release_id: str,
    case_id: str,
    meeting_part: str,
    requested_by: str,
    now: datetime,
    revision: str,
    summary: JsonObject,
    packages: Sequence[Mapping[str, object]],
    number: int = 1,
    predecessor: str | None = None,
    basis_digest: str | None = None,
) -> None:
    connection.execute(
        insert(_releases).values(
            id=release_id,
            case_id=case_id,
            meeting_part=meeting_part,
            requested_by=requested_by,
            released_at=now,
            policy_revision=revision,
            summary=summary,
            number=number,
            predecessor=predecessor,
            basis_digest=basis_digest,
        )
    )
    if packages:
        connection.execute(
            insert(_packages),
            [
                {**p, "release_id": release_id, "case_id": case_id, "created_at": now}
                for p in packages
            ],
        )


def package_for(
    connection: Connection, package_id: str
) -> Any | None:  # Any: a package row (SQLAlchemy Core rows have no static column types)
    return connection.execute(select(_packages).where(_packages.c.id == package_id)).one_or_none()


def packages_for_recipient(connection: Connection, party: str) -> list[JsonObject]:
    return [
        {
            "id": r.id,
            "case": r.case_id,
            "release": r.release_id,
            "records": r.released,
            "withheld": r.withheld,
            "created_at": as_utc(r.created_at).isoformat(),
            "fetched_at": as_utc(r.fetched_at).isoformat() if r.fetched_at else None,
            "status": "vervangen" if r.superseded_by else "actueel",
            "superseded_by": r.superseded_by,
        }
        for r in connection.execute(
            select(_packages)
            .where(_packages.c.recipient == party)
            .order_by(_packages.c.created_at.desc(), _packages.c.id)
        )
    ]


def mark_fetched(connection: Connection, package_id: str, now: datetime) -> None:
    connection.execute(
        update(_packages)
        .where(_packages.c.id == package_id, _packages.c.fetched_at.is_(None))
        .values(fetched_at=now)
    )
