"""What embargoes of an investigation hold, and how a hit or network shows them.

An embargo lies on a subject (a pseudonym), on a signal (party and ref, every version) or on a
whole case. It holds every signal in a case that concerns an embargoed subject, whoever supplied
it, the embargoed signals themselves, and with a case embargo every signal of that case, up to
and including its end date (Dutch local date). Which recipient types may still receive what it
holds the ``embargo`` decision named when it was placed; where several embargoes hold one signal,
only the types all of them allow receive it, until the last one ends.

This module decides nothing of the covenant: it applies stored embargoes to signals and builds
the marker the ``embargo`` decision (action ``mark``) said this reader may see. No SQL, no
framework.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from gateway.jsontypes import JsonObject

SUBJECT = "subject"
SIGNAL = "signal"
CASE = "case"
TARGET_KINDS = (SUBJECT, SIGNAL, CASE)
# What a reader sees who may not know whose investigation it is, when no policy was asked (the
# covenant's own text, embargo.investigation.marker_text, comes with the ``mark`` decision).
CONTACT_TEXT = "embargo, neem contact op met het OM"


@dataclass(frozen=True, slots=True)
class Embargo:
    """A stored embargo; ``pseudonym``, ``signal`` or ``case_id`` is set as ``target_kind``
    says. The pseudonym stays in memory: it is never shown, logged or audited."""

    id: str
    target_kind: str
    pseudonym: bytes | None
    signal: tuple[str, str] | None
    case_id: str | None
    placed_by: str
    reason: str
    until: date
    allowed_types: frozenset[str]
    lifted: bool = False

    def in_force(self, today: date) -> bool:
        return not self.lifted and today <= self.until


@dataclass(frozen=True, slots=True)
class CaseSignal:
    """A signal of a case as the embargo rules see it: its id, supplier and ref, and the
    pseudonyms of its subjects."""

    id: int
    party: str
    ref: str
    pseudonyms: frozenset[bytes]


@dataclass(frozen=True, slots=True)
class Hold:
    """What holds one signal: until when, and which recipient types still receive it."""

    until: date
    allowed_types: frozenset[str]

    def flag(self) -> JsonObject:
        """The signal's ``flags.investigation_embargo`` in the release input."""
        return {"until": self.until.isoformat(), "allowed_types": sorted(self.allowed_types)}

    def joined(self, other: Hold) -> Hold:
        return Hold(max(self.until, other.until), self.allowed_types & other.allowed_types)


def holds(
    embargoes: Iterable[Embargo],
    signals: Sequence[CaseSignal],
    *,
    case_id: str | None,
    today: date,
) -> dict[int, Hold]:
    """Per signal id, what the embargoes in force hold of these signals of case ``case_id``."""
    found: dict[int, Hold] = {}

    def hold(signal_id: int, embargo: Embargo) -> None:
        new = Hold(embargo.until, embargo.allowed_types)
        found[signal_id] = found[signal_id].joined(new) if signal_id in found else new

    for embargo in embargoes:
        if not embargo.in_force(today):
            continue
        for signal in signals:
            if (
                (embargo.target_kind == CASE and case_id is not None and embargo.case_id == case_id)
                or (embargo.target_kind == SIGNAL and embargo.signal == (signal.party, signal.ref))
                or (embargo.target_kind == SUBJECT and embargo.pseudonym in signal.pseudonyms)
            ):
                hold(signal.id, embargo)
    return found


def marker(embargoes: Sequence[Embargo], *, details: bool, text: str) -> JsonObject:
    """The embargo marker on a hit, node or edge. Without ``details`` only that there is an
    embargo and whom to call: no end date, no reason, no placing party."""
    found: JsonObject = {"embargo": True, "message": text}
    if details and embargoes:
        found["until"] = max(e.until for e in embargoes).isoformat()
        found["reasons"] = sorted({e.reason for e in embargoes})
    return found
