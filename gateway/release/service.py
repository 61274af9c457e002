"""One release, prepared in memory: open the case's signals, ask ``release`` once, keep per
recipient what it allows, seal a package per recipient. Nothing is stored here; the caller
commits the result with its decision and audit entry, or drops it (fail closed).

``bench/release.py`` times exactly this (decision + open + filter + seal).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway import sealing
from gateway.cases.model import CaseState
from gateway.errors import Unavailable
from gateway.observability.logs import get_logger
from gateway.policy.engine import Decision
from gateway.release import packages as pkg
from gateway.release.fields import OpenedSignal, parse_content
from gateway.runtime import Runtime
from gateway.storage.cases import new_id
from gateway.storage.signals import as_utc

_log = get_logger("gateway.release")


@dataclass
class Prepared:
    document: dict[str, Any]
    decision: Decision
    release_id: str
    packages: list[dict[str, Any]] = field(default_factory=list)
    package_ids: dict[str, str] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def open_signals(rt: Runtime, rows: Sequence[Any]) -> list[pkg.SignalMeta]:
    """The case's signal rows, opened with the gateway's release keys; in memory only."""
    opener = sealing.Opener(rt.release_keys.private_records())
    found = []
    for row in rows:
        context = sealing.SealContext(party=row.party, ref=row.ref, version=row.version)
        try:
            content = parse_content(opener.open(bytes(row.sealed), context=context))
        except (sealing.SealError, ValueError):
            # Which signal, not why: the cause is no business of the caller, nor of the logs.
            _log.error("release.unreadable_signal", signal=row.id)
            raise Unavailable(
                "een signaal van de casus kon niet worden geopend; er is niets verstrekt"
            ) from None
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
                },
            )
        )
    return found


def prepare(
    rt: Runtime,
    case: CaseState,
    rows: Sequence[Any],
    *,
    requester: Mapping[str, Any],
    meeting_part: str | None,
    acute_danger: bool,
    now: datetime,
) -> Prepared:
    signals = open_signals(rt, rows)
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
    }
    prepared.counts = {
        "packages": len(prepared.packages),
        "records": sum(p["released"] for p in prepared.packages),
        "withheld": sum(len(r.withheld) for r in outcome),
    }
    return prepared
