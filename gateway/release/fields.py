"""The fields of an opened signal, named as the ``release`` policy names them
(``policies/gateway/release/README.md``, "Veldnamen"), and the filter that keeps only some.

An opened signal is what the adapter sealed: ``{"v": 1, "subjects": [{"kind", "role", "value"}],
"details": {key: text}}``. It lives in memory only, for the duration of one release.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gateway.jsontypes import Json, JsonObject

# The sealed document's schema lives with the signal: ingest proves every envelope against it.
from gateway.signals.content import parse_content as parse_content

#: Subject kind -> the field names its value is released under.
SUBJECT_FIELDS: dict[str, tuple[str, ...]] = {
    "persoon": ("naam", "geboortedatum"),
    "bsn": ("bsn",),
    "adres": ("adres",),
    "kvk": ("kvk",),
    "telefoon": ("telefoon",),
    "email": ("email",),
    "iban": ("iban",),
    "kenteken": ("kenteken",),
    "url": ("url",),
}
ROLE_FIELD = "rol"
SOURCE_FIELDS = ("bron_partij", "bron_referentie")
OBSERVED_FIELD = "waargenomen_op"


@dataclass(frozen=True, slots=True)
class OpenedSignal:
    """A signal of the case, opened: its metadata and its sealed content in clear."""

    id: str
    party: str
    ref: str
    observed_at: datetime
    form: str
    indicators: tuple[str, ...]
    content: Mapping[str, Json]

    def field_names(self) -> list[str]:
        """Every field this signal holds, by the policy's names (never a value)."""
        names: set[str] = {*SOURCE_FIELDS, OBSERVED_FIELD}
        for subject in self.content.get("subjects", []):
            names.update(SUBJECT_FIELDS.get(str(subject.get("kind")), ()))
            names.add(ROLE_FIELD)
        names.update(str(k) for k in self.content.get("details", {}))
        return sorted(names)


def _person(value: Json, allowed: Collection[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    if not isinstance(value, Mapping):
        return found
    if "naam" in allowed:
        parts = [
            value.get("given_names", ""),
            value.get("prefix", ""),
            value.get("family_name", ""),
        ]
        found["naam"] = " ".join(p for p in parts if p)
    if "geboortedatum" in allowed and value.get("birth_date"):
        found["geboortedatum"] = str(value["birth_date"])
    return found


def _address(value: Json) -> str:
    if not isinstance(value, Mapping):
        return str(value)
    if value.get("bag_id"):
        return f"BAG {value['bag_id']}"
    return " ".join(str(value.get(k, "")) for k in ("postcode", "number", "addition")).strip()


def record(signal: OpenedSignal, allowed: Collection[str]) -> JsonObject:
    """What one recipient gets of one signal: metadata, plus the allowed fields only."""
    subjects: list[dict[str, str]] = []
    for subject in signal.content.get("subjects", []):
        kind, value = str(subject.get("kind")), subject.get("value")
        entry: dict[str, str] = {}
        if kind == "persoon":
            entry.update(_person(value, allowed))
        elif kind == "adres" and "adres" in allowed:
            entry["adres"] = _address(value)
        elif kind in SUBJECT_FIELDS and SUBJECT_FIELDS[kind][0] in allowed:
            entry[SUBJECT_FIELDS[kind][0]] = str(value)
        if not entry:
            continue  # a subject whose identifying fields are all withheld is not shown at all
        entry = {
            "soort": kind,
            **({"rol": str(subject.get("role"))} if ROLE_FIELD in allowed else {}),
            **entry,
        }
        subjects.append(entry)
    details = {
        str(k): str(v) for k, v in signal.content.get("details", {}).items() if str(k) in allowed
    }
    found: JsonObject = {
        "signaal": signal.id,
        "vorm": signal.form,
        "indicatoren": list(signal.indicators),
        "betrokkenen": subjects,
        "toelichting": details,
    }
    if "bron_partij" in allowed:
        found["bron_partij"] = signal.party
    if "bron_referentie" in allowed:
        found["bron_referentie"] = signal.ref
    if OBSERVED_FIELD in allowed:
        found[OBSERVED_FIELD] = signal.observed_at.isoformat()
    return found


def only_file_subjects(
    content: JsonObject,
    stored: Sequence[tuple[bytes, str]],
    file_subjects: Collection[bytes],
) -> tuple[JsonObject, int]:
    """The content with only the subjects the case file holds, and how many were left out.

    The sealed subjects are the signal's subjects in the order the adapter listed them, the same
    order in which their pseudonyms are stored, so the i-th sealed subject is the i-th stored one.
    Where the two do not line up (another count, another kind at a place), no subject of the
    signal is passed on: the gateway cannot tell whom a value is about, so it withholds it.
    """
    sealed = content.get("subjects", [])
    subjects = sealed if isinstance(sealed, list) else []
    aligned = len(subjects) == len(stored) and all(
        isinstance(s, Mapping) and s.get("kind") == kind
        for s, (_, kind) in zip(subjects, stored, strict=False)
    )
    kept: list[Json] = (
        [s for s, (p, _) in zip(subjects, stored, strict=True) if p in file_subjects]
        if aligned
        else []
    )
    return {**content, "subjects": kept}, len(subjects) - len(kept)
