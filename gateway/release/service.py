"""Release of a case to the casusoverleg (:func:`release_case`), and one release prepared in
memory (:func:`prepare`): open the case's signals, ask ``release`` once, keep per recipient what
it allows, seal a package per recipient. ``prepare`` stores nothing; ``release_case`` commits its
result with the decision, the case event and the audit entry, or drops it.

Fail closed, in this order: a signal that does not open, a refusing or failing policy engine,
a recipient without an encryption key, a sealing error, an audit entry that cannot be written:
each ends the request before anything is stored, so no package exists afterwards. The release,
its packages, the decision, the case event and the audit entry commit together under the case's
row lock. A repeated request on the same basis gets that release back; a changed basis makes
the next, numbered release (:mod:`gateway.release.basis`).

``bench/release.py`` times ``prepare`` (decision + open + filter + seal).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from gateway import sealing
from gateway.cases.model import CaseState, Intervention
from gateway.cases.steps import audit_case
from gateway.embargoes.holds import CaseSignal, Hold, holds
from gateway.errors import Conflict, FieldError, NotFound, PolicyRefused, Unavailable
from gateway.observability.logs import get_logger
from gateway.policy.engine import Decision
from gateway.release import packages as pkg
from gateway.release.basis import Basis, supplier_embargo_holds
from gateway.release.fields import OpenedSignal, only_file_subjects, parse_content
from gateway.runtime import Runtime
from gateway.service.actor import Actor
from gateway.storage import cases as case_store
from gateway.storage import embargoes as embargo_store
from gateway.storage import releases
from gateway.storage.cases import new_id
from gateway.storage.signals import as_utc

_log = get_logger("gateway.release")
POINT = "release"
WHOLE_MEETING = "geheel"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@dataclass
class Prepared:
    document: dict[str, Any]  # JSON: the decision input
    decision: Decision
    release_id: str
    packages: list[dict[str, Any]] = field(default_factory=list)  # package rows to store
    package_ids: dict[str, str] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)  # JSON: the release summary
    counts: dict[str, int] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)
    """Signals whose envelope did not open (``s<id>``): withheld from everyone."""


@dataclass(frozen=True, slots=True)
class FileScope:
    """Whom a release may name: the case file's subjects, and each signal's stored subjects in
    the order it listed them (to find them in the sealed content)."""

    subjects: frozenset[bytes]
    stored: Mapping[int, Sequence[tuple[bytes, str]]]


def open_signals(
    rt: Runtime,
    rows: Sequence[Any],  # Any: signal rows as releases.case_signal_rows returns them
    scope: FileScope | None = None,
    held: Mapping[int, Hold] | None = None,
) -> tuple[list[pkg.SignalMeta], int, list[str]]:
    """The case's signal rows, opened with the gateway's release keys; in memory only. With a
    ``scope``, each keeps only the case file's subjects; the second value counts those left
    out. ``held``: what the investigation's embargoes hold (flag ``investigation_embargo``).

    A signal whose envelope does not open (a key incident, a restored backup) does not stop the
    release: it is left out, and the third value names it (``s<id>``) so the case director
    sees which signal was withheld and why."""
    opener = sealing.Opener(rt.release_keys.private_records())
    found = []
    outside = 0
    unreadable: list[str] = []
    for row in rows:
        context = sealing.SealContext(party=row.party, ref=row.ref, version=row.version)
        try:
            content = parse_content(opener.open(bytes(row.sealed), context=context))
        except (sealing.SealError, ValueError):
            # Which signal, not why: the cause is no business of the caller, nor of the logs.
            _log.error("release.unreadable_signal", signal=row.id)
            unreadable.append(f"s{row.id}")
            continue
        if scope is not None:
            content, left_out = only_file_subjects(
                content, scope.stored.get(row.id, ()), scope.subjects
            )
            outside += left_out
        opened = OpenedSignal(
            id=f"s{row.id}",
            party=row.party,
            ref=row.ref,
            observed_at=as_utc(row.observed_at),
            form=row.form,
            indicators=tuple(row.indicators),
            content=content,
        )
        found.append(
            pkg.SignalMeta(
                opened=opened,
                party_type=rt.party_types.get(row.party, "onbekend"),
                data_classes=tuple(row.data_classes),
                flags={
                    "minor": row.minor,
                    "consent": row.consent,
                    "embargo_until": row.embargo_until.isoformat() if row.embargo_until else None,
                    "source_protected": row.source_protected,
                }
                | (
                    {"investigation_embargo": held[row.id].flag()}
                    if held is not None and row.id in held
                    else {}
                ),
            )
        )
    return found, outside, unreadable


UNREADABLE = {
    "code": "signaal-niet-te-openen",
    "message": (
        "De verzegelde inhoud van dit signaal kon niet worden geopend (sleutel of opslag); het "
        "signaal is aan niemand verstrekt. Vraag de aanleverende partner het opnieuw aan te "
        "leveren, of meld het aan de beheerder."
    ),
    "basis": "AVG art. 5 lid 1 sub d en f",
}


def prepare(
    rt: Runtime,
    case: CaseState,
    rows: Sequence[Any],  # Any: signal rows as releases.case_signal_rows returns them
    *,
    requester: Mapping[str, Any],  # JSON: the requester as the release input names it
    meeting_part: str | None,
    acute_danger: bool,
    now: datetime,
    scope: FileScope | None = None,
    held: Mapping[int, Hold] | None = None,
) -> Prepared:
    signals, outside, unreadable = open_signals(rt, rows, scope, held)
    participants = []
    for party_id in case.participants:
        party = rt.covenant.party(party_id)
        participants.append(
            {
                "party": party_id,
                "type": rt.party_types.get(party_id, "onbekend"),
                "signatory": bool(party and party.signatory),
            }
        )
    document = pkg.decision_input(
        now=now,
        requester=requester,
        case={
            "id": case.id,
            "stage": case.stage.value,
            "purpose": case.purpose,
            "acute_danger": acute_danger,
            "meeting_part": meeting_part,
            "approvals": [{"party": a.party, "role": a.role, "sub": a.sub} for a in case.approvals],
            # After the case meeting a recipient gets only what its intervention needs.
            "interventions": [
                {"party": i.party, "kind": i.kind, "status": i.status} for i in case.interventions
            ],
        },
        participants=participants,
        signals=signals,
    )
    decision = rt.policy.decide("release", document)
    prepared = Prepared(document, decision, new_id("rel"))
    if not decision.allow:
        return prepared
    outcome = pkg.results(decision.document, signals, list(case.participants))
    for result in outcome:
        if not result.records:
            continue
        keys = rt.keyring.encryption_keys(result.party)
        if not keys:
            raise Unavailable(
                f"geen encryptiesleutel voor ontvanger {result.party}; er is niets verstrekt"
            )
        plaintext = pkg.package_document(
            result,
            case_id=case.id,
            release_id=prepared.release_id,
            released_at=now,
            revision=decision.revision,
        )
        try:
            blob = pkg.seal_package(
                plaintext,
                recipient_key=keys[0],
                recipient=result.party,
                release_id=prepared.release_id,
            )
        except sealing.SealError:
            raise Unavailable(
                f"verzegelen voor ontvanger {result.party} mislukte; er is niets verstrekt"
            ) from None
        prepared.package_ids[result.party] = new_id("pkg")
        prepared.packages.append(
            {
                "id": prepared.package_ids[result.party],
                "recipient": result.party,
                "sealed": blob,
                "released": len(result.records),
                "withheld": len(result.withheld),
            }
        )
    prepared.summary = {
        "meeting_part": meeting_part,
        "policy_revision": decision.revision,
        "reasons": [r.as_dict() for r in decision.reasons],
        "recipients": {r.party: r.summary() for r in outcome},
        "unreadable": [{"signal": signal_id, **UNREADABLE} for signal_id in unreadable],
    }
    prepared.counts = {
        "packages": len(prepared.packages),
        "records": sum(p["released"] for p in prepared.packages),
        "withheld": sum(len(r.withheld) for r in outcome),
        "subjects_outside_file": outside,
        "unreadable": len(unreadable),
    }
    prepared.unreadable = unreadable
    return prepared


@dataclass(frozen=True, slots=True)
class Released:
    """The answer to a release request: the release, whether it existed before, and its summary
    (meeting part, policy revision, reasons, and per recipient what was released or withheld and
    the package id)."""

    release_id: str
    existing: bool
    summary: dict[str, Any]  # JSON: the release summary as stored, with package ids

    def as_dict(self) -> dict[str, Any]:  # JSON
        return {"release": self.release_id, "existing": self.existing, **self.summary}


def _earlier(connection: Connection, release: Any) -> Released:  # Any: a release row
    by_party = {p.recipient: p.id for p in releases.packages_of_release(connection, release.id)}
    summary = dict(release.summary)
    for party, entry in summary.get("recipients", {}).items():
        entry["package"] = by_party.get(party)
    return Released(release.id, True, summary)


def _current_on(
    connection: Connection, case_id: str, part: str, basis: Basis
) -> Any | None:  # Any: a release row (SQLAlchemy Core rows have no static column types)
    """The case part's newest release if it rests on this very basis (a retry), else None.
    Only the newest counts: an older release with the same basis was superseded, and going
    back to its facts is a change that makes a new release."""
    newest = releases.latest(connection, case_id, part)
    if newest is None:
        return None
    if newest.basis_digest == basis.digest():
        return newest
    # A basis stored before a newer gateway recorded more facts: the same when nothing differs.
    earlier = newest.summary.get("basis")
    return newest if isinstance(earlier, dict) and not basis.changes_since(earlier) else None


def basis_of(
    rows: Sequence[Any],  # Any: signal rows as releases.case_signal_rows returns them
    *,
    acute_danger: bool,
    revision: str,
    now: datetime,
    subjects: Iterable[bytes] = (),
    held: Iterable[int] = (),
    unreadable: Iterable[str] = (),
    interventions: Iterable[Intervention] = (),
) -> Basis:
    """The facts a release of these signals rests on today (see :mod:`gateway.release.basis`);
    ``held``: the signals an investigation's embargo holds; ``unreadable``: the signals whose
    envelope did not open; ``interventions``: those assigned in the case."""
    today = now.astimezone(AMSTERDAM).date()
    investigation = set(held)
    return Basis.of(
        unreadable=unreadable,
        interventions=(f"{i.party}:{i.kind}:{i.status}" for i in interventions),
        signals=(f"s{row.id}" for row in rows),
        embargoed=(
            f"s{row.id}"
            for row in rows
            if row.id in investigation
            or supplier_embargo_holds(
                date.fromisoformat(row.embargo_until.isoformat()[:10])
                if row.embargo_until
                else None,
                today,
            )
        ),
        consent=(f"s{row.id}" for row in rows if row.consent),
        acute_danger=acute_danger,
        revision=revision,
        subjects=subjects,
    )


def investigation_holds(
    connection: Connection,
    case_id: str,
    rows: Sequence[Any],  # Any: signal rows as releases.case_signal_rows returns them
    stored: Mapping[int, Sequence[tuple[bytes, str]]],
    now: datetime,
) -> dict[int, Hold]:
    """What the investigation's embargoes in force hold of the case's signals: every signal
    about an embargoed subject (whoever supplied it), each embargoed signal, all signals of an
    embargoed case (:func:`gateway.embargoes.holds.holds`)."""
    today = now.astimezone(AMSTERDAM).date()
    signals = [
        CaseSignal(row.id, row.party, row.ref, frozenset(p for p, _ in stored.get(row.id, ())))
        for row in rows
    ]
    embargoes = embargo_store.for_signals(
        connection,
        case_id=case_id,
        pseudonyms=[p for s in signals for p in s.pseudonyms],
        signals=[(s.party, s.ref) for s in signals],
        today=today,
    )
    return holds(embargoes, signals, case_id=case_id, today=today)


def release_case(
    rt: Runtime, *, actor: Actor, case_id: str, meeting_part: str | None, acute_danger: bool
) -> Released:
    """Release the case (or one part of a split meeting) to its participants. A repeated request
    on the same basis gets the release already made; when the basis changed (case file,
    embargoes, consent, acute danger, policy revision) it is the next release of that part: it
    names its predecessor and what changed, and the predecessor's packages are superseded."""
    part = meeting_part or WHOLE_MEETING
    now = rt.clock()
    with rt.unit_of_work.read() as work:
        case = case_store.load(work.connection, case_id)
        if case is None:
            raise NotFound("geen casus met dit kenmerk")
        rows = releases.case_signal_rows(work.connection, case_id)
        scope = FileScope(
            frozenset(case_store.file_subjects(work.connection, case_id)),
            releases.signal_subjects(work.connection, [row.id for row in rows]),
        )
        held = investigation_holds(work.connection, case_id, rows, scope.stored, now)
        previous = releases.latest(work.connection, case_id, part)
    # Prepared first (in memory, nothing stored): which envelopes open is part of the basis.
    prepared = prepare(
        rt,
        case,
        rows,
        requester={**actor.requester(), "sub": actor.subject},
        meeting_part=meeting_part,
        acute_danger=acute_danger,
        now=now,
        scope=scope,
        held=held,
    )
    decision = prepared.decision
    basis = basis_of(
        rows,
        acute_danger=acute_danger,
        revision=decision.revision,
        now=now,
        subjects=scope.subjects,
        held=held,
        unreadable=prepared.unreadable,
        interventions=case.interventions,
    )
    with rt.unit_of_work.read() as work:
        same = _current_on(work.connection, case_id, part, basis)
        if same is not None:
            return _earlier(work.connection, same)
    if not decision.allow:
        with rt.unit_of_work.write() as work:
            work.record(POINT, prepared.document, decision)
            audit_case(
                work,
                actor,
                "case.release_refused",
                case_id,
                {"reasons": sorted(r.code for r in decision.reasons)},
                decision.revision,
            )
        raise PolicyRefused(
            "het convenantbeleid staat deze verstrekking niet toe; er is niets verstrekt",
            [FieldError("case", r.message, r.code, r.basis) for r in decision.reasons],
            revision=decision.revision,
        )
    number = previous.number + 1 if previous is not None else 1
    prepared.summary.update(
        {
            "number": number,
            "predecessor": previous.id if previous is not None else None,
            "changes": (
                [c.as_dict() for c in basis.changes_since(previous.summary.get("basis"))]
                if previous is not None
                else []
            ),
            "basis": basis.as_dict(),
        }
    )
    detail = {
        "release": prepared.release_id,
        "number": number,
        "predecessor": previous.id if previous is not None else None,
        **prepared.counts,
    }
    try:
        with rt.unit_of_work.write() as work:
            current = case_store.load(work.connection, case_id, lock=True)
            if current != case:
                raise Conflict("de casus is intussen gewijzigd; vraag de verstrekking opnieuw")
            same = _current_on(work.connection, case_id, part, basis)
            if same is not None:
                return _earlier(work.connection, same)
            newest = releases.latest(work.connection, case_id, part)
            if (newest.id if newest else None) != (previous.id if previous else None):
                raise Conflict(
                    "er is intussen een andere verstrekking van dit casusdeel; vraag opnieuw"
                )
            work.record(POINT, prepared.document, decision)
            releases.store(
                work.connection,
                release_id=prepared.release_id,
                case_id=case_id,
                meeting_part=part,
                requested_by=actor.party.id,
                now=now,
                revision=decision.revision,
                summary=prepared.summary,
                packages=prepared.packages,
                number=number,
                predecessor=previous.id if previous is not None else None,
                basis_digest=basis.digest(),
            )
            if previous is not None:
                releases.supersede(work.connection, previous.id, by=prepared.release_id, now=now)
            case_store.record_event(
                work.connection,
                case_id,
                "release",
                party=actor.party.id,
                detail=detail,
                revision=decision.revision,
                now=now,
            )
            audit_case(work, actor, "case.released", case_id, detail, decision.revision)
    except IntegrityError:
        # A concurrent request stored this release first: that one is the release.
        with rt.unit_of_work.read() as work:
            same = _current_on(work.connection, case_id, part, basis)
            if same is None:
                raise
            return _earlier(work.connection, same)
    _log.info("case.released", party=actor.party.id, number=number, **prepared.counts)
    for party, entry in prepared.summary["recipients"].items():
        entry["package"] = prepared.package_ids.get(party)
    return Released(prepared.release_id, False, prepared.summary)
