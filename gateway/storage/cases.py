"""Cases over SQL, in the caller's transaction."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Row, Table, func, insert, select, update

from gateway.cases.model import Approval, CaseState, HitFacts, Intervention, Stage
from gateway.crypto.handles import subject_handle
from gateway.jsontypes import JsonObject
from gateway.storage.hits import hit_facets
from gateway.storage.linkage import chunks
from gateway.storage.signals import as_utc
from gateway.storage.tables import (
    ApprovalRow,
    CaseEventRow,
    CaseParticipantRow,
    CaseRow,
    CaseSignalRow,
    CaseSubjectRow,
    HitRow,
    InterventionRow,
    SignalRow,
    SubjectRow,
)

_cases = CaseRow.__table__
_participants = CaseParticipantRow.__table__
_case_signals = CaseSignalRow.__table__
_events = CaseEventRow.__table__
_approvals = ApprovalRow.__table__
_interventions = InterventionRow.__table__
_hits = HitRow.__table__
_signals = SignalRow.__table__
_case_subjects = CaseSubjectRow.__table__
_subjects = SubjectRow.__table__


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


def hit_facts(connection: Connection, hit_id: str) -> HitFacts | None:
    row = connection.execute(select(_hits).where(_hits.c.id == hit_id)).one_or_none()
    if row is None:
        return None
    types = hit_facets(connection, [hit_id]).get(hit_id, {}).get("partijtype", [])
    return HitFacts(row.id, row.status, row.urgent, row.signals, row.parties, tuple(types))


def hit_sources(connection: Connection, hit_id: str) -> tuple[tuple[str, str], ...]:
    """(partner, form) of each distinct kind of signal in the hit's cluster: what the ``case``
    policy counts independent partners from when a case is opened."""
    cluster = hit_cluster(connection, hit_id)
    if cluster is None:
        return ()
    rows = connection.execute(
        select(_signals.c.party, _signals.c.form)
        .where(_signals.c.cluster_id == cluster)
        .distinct()
        .order_by(_signals.c.party, _signals.c.form)
    )
    return tuple((str(row.party), str(row.form)) for row in rows)


def hit_cluster(connection: Connection, hit_id: str) -> int | None:
    return connection.execute(
        select(_hits.c.cluster_id).where(_hits.c.id == hit_id)
    ).scalar_one_or_none()


def create(
    connection: Connection,
    *,
    hit: HitFacts,
    purpose: str,
    participants: Sequence[str],
    split_meeting: bool,
    opened_by: str,
    handle_key: bytes,
    now: datetime,
) -> str:
    """A new case in ``dossiervorming`` with an empty case file (the director builds it)."""
    case_id = new_id("case")
    connection.execute(
        insert(_cases).values(
            id=case_id,
            hit_id=hit.id,
            stage=Stage.DOSSIERVORMING.value,
            purpose=purpose,
            split_meeting=split_meeting,
            opened_by=opened_by,
            opened_at=now,
            updated_at=now,
            handle_key=handle_key,
        )
    )
    connection.execute(
        insert(_participants), [{"case_id": case_id, "party": p} for p in sorted(participants)]
    )
    return case_id


def open_cases_on_hit(connection: Connection, hit_id: str, closed_stage: str) -> int:
    """How many cases on this hit are not closed."""
    return connection.execute(
        select(func.count())
        .select_from(_cases)
        .where(_cases.c.hit_id == hit_id, _cases.c.stage != closed_stage)
    ).scalar_one()


def handle_key(connection: Connection, case_id: str) -> bytes | None:
    key = connection.execute(
        select(_cases.c.handle_key).where(_cases.c.id == case_id)
    ).scalar_one_or_none()
    return bytes(key) if key is not None else None


def hit_cluster_of_case(connection: Connection, case_id: str) -> int | None:
    """The cluster of the hit the case was opened from (None once that hit merged away)."""
    return connection.execute(
        select(_hits.c.cluster_id)
        .join(_cases, _cases.c.hit_id == _hits.c.id)
        .where(_cases.c.id == case_id)
    ).scalar_one_or_none()


def file_signal_ids(connection: Connection, case_id: str) -> set[int]:
    return set(
        connection.execute(
            select(_case_signals.c.signal_id).where(_case_signals.c.case_id == case_id)
        ).scalars()
    )


def subject_by_handle(connection: Connection, case_id: str, handle: str) -> bytes | None:
    """The pseudonym behind a subject handle of this case (in its hit's network or its file),
    or None: how a participant names a person of the case without knowing the pseudonym."""
    key = handle_key(connection, case_id)
    if key is None:
        return None
    cluster = hit_cluster_of_case(connection, case_id)
    signal_ids = file_signal_ids(connection, case_id)
    if cluster is not None:
        signal_ids |= set(
            connection.execute(
                select(_signals.c.id).where(_signals.c.cluster_id == cluster)
            ).scalars()
        )
    candidates = set(file_subjects(connection, case_id))
    for chunk in chunks(sorted(signal_ids)):
        candidates.update(
            bytes(p)
            for p in connection.execute(
                select(_subjects.c.pseudonym).where(_subjects.c.signal_id.in_(chunk))
            ).scalars()
        )
    return next((p for p in candidates if subject_handle(key, p) == handle), None)


def file_subjects(connection: Connection, case_id: str) -> dict[bytes, str]:
    """The case file's subjects: pseudonym -> kind."""
    return {
        bytes(p): kind
        for p, kind in connection.execute(
            select(_case_subjects.c.pseudonym, _case_subjects.c.kind).where(
                _case_subjects.c.case_id == case_id
            )
        )
    }


def current_signals_with(
    connection: Connection, pseudonyms: Sequence[bytes]
) -> dict[bytes, set[int]]:
    """Pseudonym -> the current signals that carry it."""
    found: dict[bytes, set[int]] = {}
    for chunk in chunks(list(pseudonyms)):
        for pseudonym, signal_id in connection.execute(
            select(_subjects.c.pseudonym, _subjects.c.signal_id)
            .join(_signals, _signals.c.id == _subjects.c.signal_id)
            .where(_subjects.c.pseudonym.in_(chunk), _signals.c.is_current)
        ):
            found.setdefault(bytes(pseudonym), set()).add(signal_id)
    return found


def add_subjects(
    connection: Connection,
    case_id: str,
    subjects: Sequence[tuple[bytes, str]],
    *,
    added_by: str,
    reason: str,
    now: datetime,
) -> int:
    """Add (pseudonym, kind) subjects not in the file yet; returns how many were new."""
    present = file_subjects(connection, case_id)
    new = [(p, k) for p, k in dict(subjects).items() if p not in present]
    if new:
        connection.execute(
            insert(_case_subjects),
            [
                {
                    "case_id": case_id,
                    "pseudonym": p,
                    "kind": k,
                    "added_by": added_by,
                    "added_at": now,
                    "reason": reason,
                }
                for p, k in new
            ],
        )
    return len(new)


def _delete_from_case(
    connection: Connection, table: Table, column: str, case_id: str, values: Sequence[object]
) -> int:
    """Delete the case's rows of ``table`` whose ``column`` is one of ``values``; how many."""
    removed = 0
    for chunk in chunks(list(values)):
        removed += connection.execute(
            table.delete().where(table.c.case_id == case_id, table.c[column].in_(chunk))
        ).rowcount
    return removed


def remove_subjects(connection: Connection, case_id: str, pseudonyms: Sequence[bytes]) -> int:
    return _delete_from_case(connection, _case_subjects, "pseudonym", case_id, pseudonyms)


def remove_signals(connection: Connection, case_id: str, signal_ids: Sequence[int]) -> int:
    return _delete_from_case(connection, _case_signals, "signal_id", case_id, signal_ids)


def load(connection: Connection, case_id: str, *, lock: bool = False) -> CaseState | None:
    """The case, or None. ``lock``: hold its row until the transaction ends (PostgreSQL), so two
    concurrent steps on one case happen one after the other."""
    query = select(_cases).where(_cases.c.id == case_id)
    if lock:
        query = query.with_for_update()
    row = connection.execute(query).one_or_none()
    if row is None:
        return None
    hit = hit_facts(connection, row.hit_id) or HitFacts(row.hit_id, "onbekend", False, 0, 0, ())
    participants = connection.execute(
        select(_participants.c.party).where(_participants.c.case_id == case_id)
    ).scalars()
    approvals = [
        Approval(r.role, r.party, r.sub, as_utc(r.approved_at))
        for r in connection.execute(
            select(_approvals)
            .where(_approvals.c.case_id == case_id)
            .order_by(_approvals.c.approved_at)
        )
    ]
    interventions = [
        Intervention(r.id, r.party, r.kind, r.status)
        for r in connection.execute(
            select(_interventions)
            .where(_interventions.c.case_id == case_id)
            .order_by(_interventions.c.assigned_at, _interventions.c.id)
        )
    ]
    signals = connection.execute(
        select(func.count()).select_from(_case_signals).where(_case_signals.c.case_id == case_id)
    ).scalar_one()
    return CaseState(
        id=row.id,
        hit=hit,
        stage=Stage(row.stage),
        purpose=row.purpose,
        split_meeting=row.split_meeting,
        participants=tuple(sorted(participants)),
        approvals=tuple(approvals),
        interventions=tuple(interventions),
        signals=signals,
        opened_at=as_utc(row.opened_at),
    )


def history(connection: Connection, case_id: str) -> list[JsonObject]:
    return [
        {
            "at": as_utc(r.at).isoformat(),
            "event": r.event,
            "party": r.actor_party,
            "detail": r.detail,
            "policy_revision": r.policy_revision,
        }
        for r in connection.execute(
            select(_events).where(_events.c.case_id == case_id).order_by(_events.c.id)
        )
    ]


def record_event(
    connection: Connection,
    case_id: str,
    event: str,
    *,
    party: str,
    detail: JsonObject,
    revision: str,
    now: datetime,
) -> None:
    connection.execute(
        insert(_events).values(
            case_id=case_id,
            at=now,
            event=event,
            actor_party=party,
            detail=detail,
            policy_revision=revision,
        )
    )


def set_stage(connection: Connection, case_id: str, stage: Stage, now: datetime) -> None:
    connection.execute(
        update(_cases).where(_cases.c.id == case_id).values(stage=stage.value, updated_at=now)
    )


def own_current_signals(
    connection: Connection, party: str, refs: Sequence[str]
) -> dict[str, Row[int, str, str, list[str]]]:
    """ref -> the current version's row (id, ref, form, indicators) of ``party``'s own signals."""
    found: dict[str, Row[int, str, str, list[str]]] = {}
    for chunk in chunks(list(refs)):
        for row in connection.execute(
            select(_signals.c.id, _signals.c.ref, _signals.c.form, _signals.c.indicators).where(
                _signals.c.party == party, _signals.c.ref.in_(chunk), _signals.c.is_current
            )
        ):
            found[row.ref] = row
    return found


def add_signals(
    connection: Connection,
    case_id: str,
    signal_ids: Sequence[int],
    *,
    added_by: str,
    now: datetime,
    reason: str | None = None,
) -> int:
    """Add signals not in the case yet; returns how many were new."""
    present = set(
        connection.execute(
            select(_case_signals.c.signal_id).where(_case_signals.c.case_id == case_id)
        ).scalars()
    )
    new = [i for i in dict.fromkeys(signal_ids) if i not in present]
    if new:
        connection.execute(
            insert(_case_signals),
            [
                {
                    "case_id": case_id,
                    "signal_id": i,
                    "added_by": added_by,
                    "added_at": now,
                    "reason": reason,
                }
                for i in new
            ],
        )
    return len(new)


def add_approval(
    connection: Connection, case_id: str, *, role: str, party: str, sub: str, now: datetime
) -> None:
    connection.execute(
        insert(_approvals).values(case_id=case_id, role=role, party=party, sub=sub, approved_at=now)
    )


def assign_intervention(
    connection: Connection, case_id: str, *, party: str, kind: str, now: datetime
) -> str:
    intervention_id = new_id("int")
    connection.execute(
        insert(_interventions).values(
            id=intervention_id,
            case_id=case_id,
            party=party,
            kind=kind,
            status="toegewezen",
            assigned_at=now,
            updated_at=now,
        )
    )
    return intervention_id


def update_intervention(
    connection: Connection, intervention_id: str, *, status: str, now: datetime
) -> None:
    connection.execute(
        update(_interventions)
        .where(_interventions.c.id == intervention_id)
        .values(status=status, updated_at=now)
    )
