"""The ``release`` decision's input, and packages built from its answer.

Order of a release (``gateway.api.routes.release``): open the case's signals in memory, name
their fields, ask ``release`` once for all participants, keep per recipient only the signals
and fields it allows, seal one package per recipient party to that party's HPKE key. A
package holds the records and, for every signal withheld from that recipient, the reasons.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gateway import sealing
from gateway.jsontypes import Json, JsonObject
from gateway.release.fields import OpenedSignal, record

PACKAGE_PURPOSE = "package"


@dataclass(frozen=True, slots=True)
class SignalMeta:
    """What the policy sees of a case signal: codes and flags, and field names without values."""

    opened: OpenedSignal
    party_type: str
    data_classes: tuple[str, ...]
    flags: Mapping[str, Json]

    def as_input(self) -> JsonObject:
        return {
            "id": self.opened.id,
            "party": self.opened.party,
            "party_type": self.party_type,
            "form": self.opened.form,
            "indicators": list(self.opened.indicators),
            "data_classes": list(self.data_classes),
            # Only the flags that are set: absent, false and null mean the same to the policy,
            # and every KiB of input costs the decision time.
            "flags": {k: v for k, v in self.flags.items() if v not in (None, False)},
            "fields": self.opened.field_names(),
        }


def decision_input(
    *,
    now: datetime,
    requester: Mapping[str, Json],
    case: Mapping[str, Json],
    participants: Sequence[Mapping[str, Json]],
    signals: Sequence[SignalMeta],
) -> JsonObject:
    return {
        "now": now.isoformat(),
        "requester": dict(requester),
        "case": dict(case),
        "participants": [dict(p) for p in participants],
        "signals": [s.as_input() for s in signals],
    }


@dataclass(frozen=True, slots=True)
class RecipientResult:
    party: str
    records: list[JsonObject]
    withheld: list[JsonObject]
    reasons: list[JsonObject]

    def summary(self) -> JsonObject:
        """For the case director and the audit: ids and reasons, never field values."""
        return {
            "released": [
                {"signal": r["signaal"], "fields": sorted(_fields_of(r))} for r in self.records
            ],
            "withheld": self.withheld,
            "reasons": self.reasons,
        }


def _fields_of(found: Mapping[str, Json]) -> set[str]:
    names = {k for k in ("bron_partij", "bron_referentie", "waargenomen_op") if k in found}
    names |= set(found.get("toelichting", {}))
    for subject in found.get("betrokkenen", []):
        names |= {k for k in subject if k != "soort"}
    return names


def results(
    decision: Mapping[str, Json], signals: Sequence[SignalMeta], participants: Sequence[str]
) -> list[RecipientResult]:
    """Per participant: the records it may have (allowed fields only) and, per signal it does
    not get, every reason (the decision groups them by reason; a package lists them by signal).

    Anything the decision does not positively release is withheld: a participant missing from
    ``releases``, a signal named nowhere, a field not listed.
    """
    by_id = {s.opened.id: s for s in signals}
    releases = _mapping(decision.get("releases"))
    for_all = _grouped(decision.get("withheld"))
    found: list[RecipientResult] = []
    for party in participants:
        verdict = _mapping(releases.get(party))
        records = []
        for signal_id, fields in sorted(_mapping(verdict.get("signals")).items()):
            meta = by_id.get(signal_id)
            if meta is None or not isinstance(fields, list) or not fields:
                continue
            records.append(record(meta.opened, {str(f) for f in fields}))
        released = {r["signaal"] for r in records}
        reasons_of: dict[str, list[JsonObject]] = {}
        for signal_id, reason in [*for_all, *_grouped(verdict.get("withheld"))]:
            if signal_id not in released:
                reasons_of.setdefault(signal_id, []).append(reason)
        withheld = [
            {"signal": s.opened.id, "reasons": reasons_of.get(s.opened.id) or [_not_released()]}
            for s in signals
            if s.opened.id not in released
        ]
        reasons = [dict(r) for r in verdict.get("reasons", []) if isinstance(r, Mapping)]
        found.append(RecipientResult(party, records, withheld, reasons))
    return found


def _mapping(value: Json) -> Mapping[str, Json]:
    return value if isinstance(value, Mapping) else {}


def _grouped(groups: Json) -> list[tuple[str, JsonObject]]:
    """``[{code, message, basis, signals}]`` -> (signal id, reason) pairs."""
    pairs: list[tuple[str, JsonObject]] = []
    for group in groups if isinstance(groups, list) else []:
        if not isinstance(group, Mapping):
            continue
        reason = {k: str(group.get(k, "")) for k in ("code", "message", "basis")}
        pairs += [(str(sid), reason) for sid in group.get("signals", [])]
    return pairs


def _not_released() -> dict[str, str]:
    return {
        "code": "niet-vrijgegeven",
        "message": "Het beleid heeft dit signaal niet voor deze ontvanger vrijgegeven.",
        "basis": "standaard geweigerd (deny by default)",
    }


def package_document(
    result: RecipientResult,
    *,
    case_id: str,
    release_id: str,
    released_at: datetime,
    revision: str,
) -> bytes:
    return json.dumps(
        {
            "v": 1,
            "casus": case_id,
            "verstrekking": release_id,
            "ontvanger": result.party,
            "verstrekt_op": released_at.isoformat(),
            "beleidsrevisie": revision,
            "records": result.records,
            "achtergehouden": result.withheld,
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode("utf-8")


def package_context(recipient: str, release_id: str) -> sealing.SealContext:
    """Binds a package to its recipient and release: moved elsewhere, it does not open."""
    return sealing.SealContext(party=recipient, ref=release_id, version=1, purpose=PACKAGE_PURPOSE)


def seal_package(
    plaintext: bytes, *, recipient_key: Mapping[str, Json], recipient: str, release_id: str
) -> bytes:
    return sealing.seal(
        plaintext, recipient=recipient_key, context=package_context(recipient, release_id)
    )


def open_package(
    envelope: Mapping[str, Json], *, private_keys: Mapping[str, Mapping[str, Json]]
) -> JsonObject:
    """Open a package as fetched (``GET /v1/packages/{id}``) with the recipient's private key."""
    blob = base64.urlsafe_b64decode(str(envelope["sealed"]) + "==")
    plaintext = sealing.open_sealed(
        blob,
        private_keys=private_keys,
        context=package_context(str(envelope["recipient"]), str(envelope["release"])),
    )
    package: JsonObject = json.loads(plaintext)
    return package
