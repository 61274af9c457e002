"""What a release rests on, and what changed since the previous release of the same case part.

A release is a judgement over facts: which signals (in which version) are in the case file, which
of them an embargo holds back, which carry the client's consent, whether acute danger was
established, and under which policy revision it was decided. When none of that changed, asking
again is a retry and gets the release already made; when any of it changed, the case part may be
released again, as the next release that names its predecessor and says what changed. The
digest is over the facts only (ids of signals, no content), so it reveals nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from gateway.jsontypes import JsonObject


@dataclass(frozen=True, slots=True)
class Change:
    code: str
    message: str

    def as_dict(self) -> JsonObject:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class Basis:
    signals: tuple[str, ...]
    """The case file's signals in the versions now current (``s<id>``, sorted)."""
    embargoed: tuple[str, ...]
    """The signals an embargo (the supplier's or the investigation's) holds back today."""
    consent: tuple[str, ...]
    """The signals that carry the client's consent."""
    acute_danger: bool
    revision: str
    subjects: str = ""
    """A digest of the case file's subjects (which people the release may name)."""
    unreadable: tuple[str, ...] = ()
    """The signals whose envelope did not open (withheld from everyone)."""
    interventions: tuple[str, ...] = ()
    """The interventions assigned in the case (``party:kind:status``): after the casusoverleg
    they decide who receives what."""

    @classmethod
    def of(
        cls,
        *,
        signals: Iterable[str],
        embargoed: Iterable[str],
        consent: Iterable[str],
        acute_danger: bool,
        revision: str,
        subjects: Iterable[bytes] = (),
        unreadable: Iterable[str] = (),
        interventions: Iterable[str] = (),
    ) -> Basis:
        people = hashlib.sha256(b"".join(sorted(set(subjects)))).hexdigest()
        return cls(
            tuple(sorted(set(signals))),
            tuple(sorted(set(embargoed))),
            tuple(sorted(set(consent))),
            bool(acute_danger),
            revision,
            people,
            tuple(sorted(set(unreadable))),
            tuple(sorted(set(interventions))),
        )

    def as_dict(self) -> JsonObject:
        return {
            "signals": list(self.signals),
            "embargoed": list(self.embargoed),
            "consent": list(self.consent),
            "acute_danger": self.acute_danger,
            "revision": self.revision,
            "subjects": self.subjects,
            "unreadable": list(self.unreadable),
            "interventions": list(self.interventions),
        }

    def digest(self) -> str:
        canonical = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def changes_since(self, earlier: Mapping[str, object] | None) -> list[Change]:
        """What differs from ``earlier`` (a stored :meth:`as_dict`); a release made before
        releases were versioned has no stored basis, and everything counts as changed."""
        if earlier is None:
            return [
                Change(
                    "grondslag-onbekend", "De vorige verstrekking legde haar grondslag niet vast."
                )
            ]
        found: list[Change] = []
        if list(self.signals) != earlier.get("signals") or self.subjects != earlier.get("subjects"):
            found.append(
                Change(
                    "dossier-gewijzigd",
                    "Het casusdossier bevat andere betrokkenen, signalen of versies.",
                )
            )
        if list(self.embargoed) != earlier.get("embargoed"):
            found.append(
                Change("embargo-gewijzigd", "Een embargo is geplaatst, verlopen of opgeheven.")
            )
        if list(self.consent) != earlier.get("consent"):
            found.append(
                Change("toestemming-gewijzigd", "De toestemming van een cliënt is gewijzigd.")
            )
        if self.acute_danger != earlier.get("acute_danger"):
            found.append(
                Change(
                    "acuut-gevaar-gewijzigd",
                    "Acuut gevaar is vastgesteld."
                    if self.acute_danger
                    else "Acuut gevaar is niet meer vastgesteld.",
                )
            )
        if list(self.unreadable) != earlier.get("unreadable", []):
            found.append(
                Change(
                    "leesbaarheid-gewijzigd",
                    "Een signaal dat niet te openen was, is nu wel te openen, of andersom.",
                )
            )
        if list(self.interventions) != earlier.get("interventions", []):
            found.append(
                Change("interventies-gewijzigd", "De toegewezen interventies zijn gewijzigd.")
            )
        if self.revision != earlier.get("revision"):
            found.append(Change("beleid-gewijzigd", "Het convenantbeleid is gewijzigd."))
        return found


def supplier_embargo_holds(until: date | None, today: date) -> bool:
    """A supplier's embargo holds up to and including its date (Dutch local date), as the
    release policy reads it."""
    return until is not None and today <= until
