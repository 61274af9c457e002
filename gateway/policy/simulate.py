"""``policy simulate``: replay recorded decision inputs against a candidate policy.

Before a changed policy goes live, privacy officers want to know which past decisions it would
have taken differently, and why. Each recorded decision (point, input, outcome, reasons, when) is
decided again by the candidate engine; a :class:`Flip` is reported where the outcome differs, or,
with ``include_reason_changes``, where only the reasons differ. A candidate that fails to decide
shows up as a flip to a denial with its engine reason, never as a silent pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from gateway.jsontypes import Json
from gateway.policy.engine import PolicyEngine, Reason


@dataclass(frozen=True, slots=True)
class RecordedDecision:
    """A decision as stored: its point, the exact input, the outcome and reasons, and when."""

    point: str
    input: Mapping[str, Json]
    allow: bool
    reasons: tuple[Reason, ...]
    recorded_at: datetime
    revision: str | None = None


@dataclass(frozen=True, slots=True)
class Flip:
    """A recorded decision the candidate decides differently: before and after, with reasons."""

    point: str
    recorded_at: datetime
    before_allow: bool
    after_allow: bool
    before_reasons: tuple[Reason, ...]
    after_reasons: tuple[Reason, ...]
    before_revision: str | None = None
    after_revision: str | None = None

    @property
    def allow_changed(self) -> bool:
        """True for a real flip (allowed became denied or the reverse)."""
        return self.before_allow != self.after_allow


def simulate(
    records: Iterable[RecordedDecision],
    candidate: PolicyEngine,
    *,
    include_reason_changes: bool = False,
) -> list[Flip]:
    """Decide every record again with ``candidate``; return the flips in record order.

    Records are consumed one at a time, so a database cursor can stream them. An unknown decision
    point in a record raises ``ValueError`` (a record the gateway cannot have written).
    """
    flips: list[Flip] = []
    for record in records:
        decision = candidate.decide(record.point, record.input)
        allow_changed = decision.allow != record.allow
        reasons_changed = decision.reasons != tuple(record.reasons)
        if allow_changed or (include_reason_changes and reasons_changed):
            flips.append(
                Flip(
                    point=record.point,
                    recorded_at=record.recorded_at,
                    before_allow=record.allow,
                    after_allow=decision.allow,
                    before_reasons=tuple(record.reasons),
                    after_reasons=decision.reasons,
                    before_revision=record.revision,
                    after_revision=decision.revision,
                )
            )
    return flips


@dataclass(frozen=True, slots=True)
class HitFlip:
    """One cluster of a recorded ``hits`` evaluation that the candidate judges differently from
    the policy in force: hit or not, urgent or not, with the reason codes of both."""

    recorded_at: datetime
    signals: int
    parties: int
    before_hit: bool
    after_hit: bool
    before_urgent: bool
    after_urgent: bool
    before_reasons: tuple[str, ...]
    after_reasons: tuple[str, ...]


def hit_flips(
    records: Iterable[RecordedDecision], current: PolicyEngine, candidate: PolicyEngine
) -> tuple[int, list[HitFlip]]:
    """Judge the clusters of every recorded ``hits`` evaluation with both engines; returns how
    many clusters were judged and those judged differently.

    A ``hits`` evaluation is always allowed (the gateway asks it), so comparing ``allow`` says
    nothing; what a privacy officer changing a threshold wants to see is which clusters would
    become or stop being hits. The recorded input holds each cluster's signals (grouped, counted),
    never which cluster it was, so a flip is shown by its size, not by a cluster or hit id.
    """
    judged, flips = 0, []
    for record in records:
        if record.point != "hits" or record.input.get("action") != "evaluate":
            continue
        before = _verdicts(current.decide("hits", record.input).document)
        after = _verdicts(candidate.decide("hits", record.input).document)
        for cluster in record.input.get("clusters", []):
            entry = str(cluster.get("id"))
            judged += 1
            old, new = before.get(entry), after.get(entry)
            if old is None or new is None or old[:2] == new[:2]:
                continue
            signals = cluster.get("signals", [])
            flips.append(
                HitFlip(
                    recorded_at=record.recorded_at,
                    signals=sum(int(s.get("count", 1)) for s in signals),
                    parties=len({s.get("party") for s in signals}),
                    before_hit=old[0],
                    after_hit=new[0],
                    before_urgent=old[1],
                    after_urgent=new[1],
                    before_reasons=old[2],
                    after_reasons=new[2],
                )
            )
    return judged, flips


def _verdicts(document: Mapping[str, Json]) -> dict[str, tuple[bool, bool, tuple[str, ...]]]:
    found = document.get("hits")
    if not isinstance(found, Mapping):
        return {}
    return {
        str(entry): (
            verdict.get("hit") is True,
            verdict.get("urgent") is True,
            tuple(sorted(str(r.get("code")) for r in verdict.get("reasons", []))),
        )
        for entry, verdict in found.items()
        if isinstance(verdict, Mapping)
    }


@dataclass(frozen=True, slots=True)
class ReleaseChange:
    """One participant of a recorded ``release`` decision that the candidate would send
    something else: how many signals before and after, and which fields it would gain or lose."""

    recorded_at: datetime
    case: str
    participant: str
    before_signals: int
    after_signals: int
    gained_fields: tuple[str, ...]
    lost_fields: tuple[str, ...]


def release_changes(
    records: Iterable[RecordedDecision], current: PolicyEngine, candidate: PolicyEngine
) -> tuple[int, list[ReleaseChange]]:
    """Decide every recorded ``release`` input with both engines and compare, per participant,
    which signals with which fields it would receive; returns how many participants were
    compared and those that would receive something else.

    ``allow`` and the reasons can stay the same while a recipient gets other fields (a changed
    need-to-know list, a data class newly allowed for a type); for the most sensitive decision
    that is what a privacy officer most needs to see before a change goes live.
    """
    judged, changes = 0, []
    for record in records:
        if record.point != "release":
            continue
        before = _received(current.decide("release", record.input).document)
        after = _received(candidate.decide("release", record.input).document)
        case = record.input.get("case")
        case_id = str(case.get("id", "")) if isinstance(case, Mapping) else ""
        participants = {
            str(p.get("party"))
            for p in record.input.get("participants", [])
            if isinstance(p, Mapping)
        }
        for participant in sorted(participants | set(before) | set(after)):
            judged += 1
            old, new = before.get(participant, {}), after.get(participant, {})
            if old == new:
                continue
            old_fields = {(signal, field) for signal, fields in old.items() for field in fields}
            new_fields = {(signal, field) for signal, fields in new.items() for field in fields}
            changes.append(
                ReleaseChange(
                    recorded_at=record.recorded_at,
                    case=case_id,
                    participant=participant,
                    before_signals=len(old),
                    after_signals=len(new),
                    gained_fields=tuple(sorted({f for _, f in new_fields - old_fields})),
                    lost_fields=tuple(sorted({f for _, f in old_fields - new_fields})),
                )
            )
    return judged, changes


def _received(document: Mapping[str, Json]) -> dict[str, dict[str, frozenset[str]]]:
    """Per participant: signal id -> the fields it receives (nothing at all when denied)."""
    releases = document.get("releases")
    if document.get("allow") is not True or not isinstance(releases, Mapping):
        return {}
    received: dict[str, dict[str, frozenset[str]]] = {}
    for party, release in releases.items():
        signals = release.get("signals") if isinstance(release, Mapping) else None
        if isinstance(signals, Mapping) and signals:
            received[str(party)] = {
                str(signal): frozenset(str(f) for f in fields)
                for signal, fields in signals.items()
                if isinstance(fields, list)
            }
    return received
