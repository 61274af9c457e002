"""Batch ingest: idempotent on (party, ref, version), versions superseded only when declared.

The rules, in the order a batch is read (a later signal in the batch sees the earlier ones):
- same (ref, version) and same content as stored: a duplicate; its original receipt is returned;
- same (ref, version) with other content: conflict;
- a new version of a ref that has one in force must say ``supersedes: <version in force>``,
  and the new version replaces it; anything else is a conflict;
- any conflict refuses the whole batch (the caller's transaction rolls back).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from gateway.audit.chain import canonical_json
from gateway.errors import Conflict, FieldError
from gateway.jsontypes import JsonObject
from gateway.signals.models import SignalIn, content_fingerprint
from gateway.vocabulary import SignalState


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """What the store knows of one stored version of a signal."""

    id: int
    ref: str
    version: int
    content_sha256: bytes
    received_at: datetime
    is_current: bool
    linked: bool = False
    """In a cluster with other signals (only read for the status view)."""
    case_stages: tuple[str, ...] = ()
    """Stages of the cases any version of this ref is part of (only read for the status view)."""


@dataclass(frozen=True, slots=True)
class Receipt:
    """Proof of receipt; identical every time the same content is sent again."""

    ref: str
    version: int
    content_sha256: str
    received_at: datetime

    def as_dict(self) -> dict[str, object]:
        return {
            "ref": self.ref,
            "version": self.version,
            "content_sha256": self.content_sha256,
            "received_at": self.received_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class NewSubject:
    kind: str
    role: str
    pseudonym: bytes


@dataclass(frozen=True, slots=True)
class NewSignal:
    """A row to insert, already decoded; ``subjects`` go to their own table."""

    signal: SignalIn
    content_sha256: bytes
    received_at: datetime
    sealed: bytes
    subjects: tuple[NewSubject, ...]
    is_current: bool = True

    @property
    def observed_at(self) -> datetime:
        return self.signal.observed_at


@dataclass
class IngestPlan:
    """What a batch will change: versions to retire, rows to insert, receipts in batch order."""

    retire_ids: list[int] = field(default_factory=list)
    inserts: list[NewSignal] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    duplicates: int = 0


class SignalStore(Protocol):
    """The storage a batch needs; implemented over SQL in ``gateway.storage.signals``."""

    def versions(self, *, party: str, refs: Sequence[str]) -> list[StoredVersion]: ...

    def retire(self, *, ids: Sequence[int]) -> None: ...

    def insert(
        self,
        *,
        party: str,
        rows: Sequence[NewSignal],
        clusters: Sequence[int | None] | None = None,
    ) -> None: ...

    def current(self, *, party: str, ref: str) -> StoredVersion | None: ...


class Linker(Protocol):
    """Linkage in the same transaction (``gateway.storage.linkage``): versions leave their
    clusters, new rows get one before they are inserted, and the rest settles afterwards."""

    def unlink(self, signal_ids: Sequence[int]) -> None: ...

    def assign(self, rows: Sequence[NewSignal], *, party: str) -> list[int | None]: ...

    def settle(self) -> object: ...


def _b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def content_hash(signal: SignalIn) -> bytes:
    return hashlib.sha256(canonical_json(content_fingerprint(signal)).encode("utf-8")).digest()


def plan_batch(
    signals: Sequence[SignalIn], *, stored: Sequence[StoredVersion], now: datetime
) -> IngestPlan:
    """Decide the effect of a batch against what is stored; raises ``Conflict`` listing all."""
    known: dict[tuple[str, int], tuple[bytes, datetime]] = {
        (v.ref, v.version): (v.content_sha256, v.received_at) for v in stored
    }
    in_force: dict[str, tuple[int, int | None]] = {
        v.ref: (v.version, v.id) for v in stored if v.is_current
    }
    plan = IngestPlan()
    conflicts: list[FieldError] = []
    for index, signal in enumerate(signals):
        where = f"signals[{index}]"
        digest = content_hash(signal)
        seen = known.get((signal.ref, signal.version))
        if seen is not None:
            if seen[0] != digest:
                conflicts.append(
                    FieldError(
                        f"{where}.version",
                        "deze versie van ref is al ontvangen met andere inhoud; "
                        "stuur een nieuwe versie met supersedes",
                        "content-differs",
                    )
                )
                continue
            plan.duplicates += 1
            plan.receipts.append(Receipt(signal.ref, signal.version, digest.hex(), seen[1]))
            continue
        current = in_force.get(signal.ref)
        if current is not None:
            current_version, current_id = current
            if signal.supersedes != current_version or signal.version <= current_version:
                conflicts.append(
                    FieldError(
                        f"{where}.supersedes",
                        f"ref heeft al versie {current_version} in gebruik; een nieuwe versie "
                        f"moet hoger zijn en supersedes: {current_version} vermelden",
                        "version-in-force",
                    )
                )
                continue
            if current_id is not None:
                plan.retire_ids.append(current_id)
        elif signal.supersedes is not None:
            conflicts.append(
                FieldError(
                    f"{where}.supersedes",
                    "er is geen eerdere versie om te vervangen",
                    "nothing-to-supersede",
                )
            )
            continue
        plan.inserts.append(
            NewSignal(
                signal=signal,
                content_sha256=digest,
                received_at=now,
                sealed=_b64u_decode(signal.sealed),
                subjects=tuple(
                    NewSubject(s.kind.value, s.role.value, _b64u_decode(s.pseudonym))
                    for s in signal.subjects
                ),
            )
        )
        known[(signal.ref, signal.version)] = (digest, now)
        # A version inserted by this batch has no id yet: when a later signal of the same batch
        # supersedes it, it is inserted as not current instead of being retired afterwards.
        in_force[signal.ref] = (signal.version, None)
        plan.receipts.append(Receipt(signal.ref, signal.version, digest.hex(), now))
    last = {row.signal.ref: i for i, row in enumerate(plan.inserts)}
    plan.inserts = [
        row if last[row.signal.ref] == i else replace(row, is_current=False)
        for i, row in enumerate(plan.inserts)
    ]
    if conflicts:
        raise Conflict(
            f"{len(conflicts)} signaal/signalen in strijd met opgeslagen versies; "
            "er is niets opgeslagen",
            conflicts,
        )
    return plan


def ingest(
    store: SignalStore,
    *,
    party: str,
    signals: Sequence[SignalIn],
    now: datetime,
    linker: Linker | None = None,
) -> IngestPlan:
    """Apply a validated batch in the caller's transaction; returns the applied plan."""
    refs = sorted({s.ref for s in signals})
    plan = plan_batch(signals, stored=store.versions(party=party, refs=refs), now=now)
    if plan.retire_ids:
        store.retire(ids=plan.retire_ids)
        if linker is not None:
            linker.unlink(plan.retire_ids)
    if plan.inserts:
        clusters = linker.assign(plan.inserts, party=party) if linker is not None else None
        store.insert(party=party, rows=plan.inserts, clusters=clusters)
    if linker is not None:
        linker.settle()
    return plan


@dataclass(frozen=True, slots=True)
class SignalStatus:
    """All a reporting party learns about its own signal (never case content)."""

    ref: str
    version: int
    state: SignalState
    received_at: datetime

    def as_dict(self) -> dict[str, object]:
        return {
            "ref": self.ref,
            "version": self.version,
            "state": self.state.value,
            "received_at": self.received_at.isoformat(),
        }


def status(store: SignalStore, *, party: str, ref: str) -> SignalStatus | None:
    """The state of ``party``'s own signal ``ref``; None for refs of other parties or unknown."""
    current = store.current(party=party, ref=ref)
    if current is None:
        return None
    if current.case_stages:
        closed = all(stage == "gesloten" for stage in current.case_stages)
        state = SignalState.CLOSED if closed else SignalState.IN_CASE
    elif current.linked:
        state = SignalState.LINKED
    else:
        state = SignalState.RECEIVED
    return SignalStatus(ref, current.version, state, current.received_at)


@dataclass(frozen=True, slots=True)
class PolicyInput:
    """The ``ingest`` decision's input, and which batch positions each policy signal stands for."""

    document: JsonObject
    positions: list[list[int]]


def policy_input(
    *, party: JsonObject, caller: JsonObject, signals: Sequence[SignalIn], now: datetime
) -> PolicyInput:
    """The ``ingest`` input for a whole batch: metadata and codes, never pseudonyms or refs.

    Signals with the same policy-relevant attributes are sent once, with ``count``: the rules
    judge a signal by what it is, never by which one it is, and an export of 500 signals holds
    a few dozen distinct kinds at most. This keeps the one evaluation per batch cheap (OPA's
    cost grows with the input) and the recorded decision small. ``index`` numbers the kinds;
    ``positions`` maps each back to the batch.
    """
    kinds: dict[str, int] = {}
    documents: list[JsonObject] = []
    positions: list[list[int]] = []
    for position, s in enumerate(signals):
        document = {
            "form": s.form.value,
            "indicators": list(s.indicators),
            "data_classes": [c.value for c in s.data_classes],
            "certainty": s.certainty.value,
            "municipality": s.municipality,
            "flags": s.flags.model_dump(mode="json"),
            "subject_kinds": sorted({x.kind.value for x in s.subjects}),
            "subject_roles": sorted({x.role.value for x in s.subjects}),
        }
        key = canonical_json(document)
        if key not in kinds:
            kinds[key] = len(documents)
            documents.append({"index": len(documents), "count": 0, **document})
            positions.append([])
        kind = kinds[key]
        documents[kind]["count"] += 1
        positions[kind].append(position)
    return PolicyInput(
        {"now": now.isoformat(), "party": party, "caller": caller, "signals": documents},
        positions,
    )
