"""Releases and packages over SQL, and the case's signals as the release reads them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from gateway.storage.signals import as_utc
from gateway.storage.tables import CaseSignalRow, PackageRow, ReleaseRow, SignalRow

_releases = ReleaseRow.__table__
_packages = PackageRow.__table__
_signals = SignalRow.__table__
_case_signals = CaseSignalRow.__table__


def case_signal_rows(connection: Connection, case_id: str) -> list[Any]:
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
    seen: dict[int, Any] = {}
    for row in connection.execute(current):
        seen.setdefault(row.id, row)
    return list(seen.values())


def existing(connection: Connection, case_id: str, meeting_part: str) -> Any | None:
    return connection.execute(
        select(_releases).where(
            _releases.c.case_id == case_id, _releases.c.meeting_part == meeting_part
        )
    ).one_or_none()


def packages_of_release(connection: Connection, release_id: str) -> list[Any]:
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
    summary: dict[str, Any],
    packages: Sequence[dict[str, Any]],
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


def package_for(connection: Connection, package_id: str) -> Any | None:
    return connection.execute(select(_packages).where(_packages.c.id == package_id)).one_or_none()


def packages_for_recipient(connection: Connection, party: str) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "case": r.case_id,
            "release": r.release_id,
            "records": r.released,
            "withheld": r.withheld,
            "created_at": as_utc(r.created_at).isoformat(),
            "fetched_at": as_utc(r.fetched_at).isoformat() if r.fetched_at else None,
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
