"""SQL driver for signals (the ``SignalStore`` of ``gateway.signals.service``), Core bulk writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from gateway import sealing
from gateway.signals.service import NewSignal, StoredVersion
from gateway.storage.tables import CaseRow, CaseSignalRow, ClusterRow, SignalRow, SubjectRow

_signals = SignalRow.__table__
_subjects = SubjectRow.__table__
_clusters = ClusterRow.__table__
_cases = CaseRow.__table__
_case_signals = CaseSignalRow.__table__
_IN_CHUNK = 500  # keeps IN lists well under SQLite's and PostgreSQL's parameter limits


def as_utc(value: datetime) -> datetime:
    """SQLite hands datetimes back naive; everything stored is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _version(row: Row[*tuple[Any, ...]]) -> StoredVersion:  # Any: any columns
    return StoredVersion(
        id=row.id,
        ref=row.ref,
        version=row.version,
        content_sha256=bytes(row.content_sha256),
        received_at=as_utc(row.received_at),
        is_current=row.is_current,
    )


_VERSION_COLUMNS = (
    _signals.c.id,
    _signals.c.ref,
    _signals.c.version,
    _signals.c.content_sha256,
    _signals.c.received_at,
    _signals.c.is_current,
)


class SqlSignalStore:
    """Signals in the caller's connection and transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def versions(self, *, party: str, refs: Sequence[str]) -> list[StoredVersion]:
        found: list[StoredVersion] = []
        for start in range(0, len(refs), _IN_CHUNK):
            chunk = refs[start : start + _IN_CHUNK]
            query = select(*_VERSION_COLUMNS).where(
                _signals.c.party == party, _signals.c.ref.in_(chunk)
            )
            found.extend(_version(row) for row in self._connection.execute(query))
        return found

    def current(self, *, party: str, ref: str) -> StoredVersion | None:
        row = self._connection.execute(
            select(*_VERSION_COLUMNS, _clusters.c.size)
            .outerjoin(_clusters, _clusters.c.id == _signals.c.cluster_id)
            .where(_signals.c.party == party, _signals.c.ref == ref, _signals.c.is_current)
        ).one_or_none()
        if row is None:
            return None
        stages = self._connection.execute(
            select(_cases.c.stage)
            .join(_case_signals, _case_signals.c.case_id == _cases.c.id)
            .join(_signals, _signals.c.id == _case_signals.c.signal_id)
            .where(_signals.c.party == party, _signals.c.ref == ref)
        ).scalars()
        return replace(_version(row), linked=(row.size or 0) > 1, case_stages=tuple(stages))

    def retire(self, *, ids: Sequence[int]) -> None:
        for start in range(0, len(ids), _IN_CHUNK):
            self._connection.execute(
                update(_signals)
                .where(_signals.c.id.in_(ids[start : start + _IN_CHUNK]))
                .values(is_current=False)
            )

    def insert(
        self,
        *,
        party: str,
        rows: Sequence[NewSignal],
        clusters: Sequence[int | None] | None = None,
    ) -> None:
        cluster_ids = list(clusters) if clusters is not None else [None] * len(rows)
        signal_rows = [
            {
                "party": party,
                "ref": r.signal.ref,
                "version": r.signal.version,
                "is_current": r.is_current,
                "content_sha256": r.content_sha256,
                # In UTC: SQLite keeps no offset, and months are counted from what is stored.
                "observed_at": r.signal.observed_at.astimezone(UTC),
                "received_at": r.received_at,
                "municipality": r.signal.municipality,
                "form": r.signal.form.value,
                "certainty": r.signal.certainty.value,
                "indicators": list(r.signal.indicators),
                "data_classes": [c.value for c in r.signal.data_classes],
                "minor": r.signal.flags.minor,
                "consent": r.signal.flags.consent,
                "embargo_until": r.signal.flags.embargo_until,
                "source_protected": r.signal.flags.source_protected,
                "sealed": r.sealed,
                "sealed_kid": sealing.named_kid(r.sealed),
                "cluster_id": cluster_id,
            }
            for r, cluster_id in zip(rows, cluster_ids, strict=True)
        ]
        ids = (
            self._connection.execute(
                insert(_signals).returning(_signals.c.id, sort_by_parameter_order=True), signal_rows
            )
            .scalars()
            .all()
        )
        subject_rows = [
            {"signal_id": signal_id, "kind": s.kind, "role": s.role, "pseudonym": s.pseudonym}
            for signal_id, r in zip(ids, rows, strict=True)
            for s in r.subjects
        ]
        self._connection.execute(insert(_subjects), subject_rows)


def sealed_to(connection: Connection, kid: str) -> int:
    """How many stored signal versions (current or not) are sealed to release key ``kid``."""
    return connection.execute(
        select(func.count()).select_from(_signals).where(_signals.c.sealed_kid == kid)
    ).scalar_one()


def sealed_rows(connection: Connection, kid: str) -> list[Row[int, str, str, int, bytes]]:
    """The stored versions sealed to release key ``kid``: id, party, ref, version, sealed."""
    return list(
        connection.execute(
            select(
                _signals.c.id,
                _signals.c.party,
                _signals.c.ref,
                _signals.c.version,
                _signals.c.sealed,
            )
            .where(_signals.c.sealed_kid == kid)
            .order_by(_signals.c.id)
        )
    )


def replace_sealed(connection: Connection, signal_id: int, sealed: bytes, kid: str) -> None:
    """Store a version's envelope re-sealed to release key ``kid``."""
    connection.execute(
        update(_signals).where(_signals.c.id == signal_id).values(sealed=sealed, sealed_kid=kid)
    )
