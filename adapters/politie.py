"""``politie-json``: the police unit's export of registrations about trafficking (BVH extract).

One JSON document per export: a header object and a list ``registraties`` of incidents, controls,
intakes and administrative reports (bestuurlijke rapportages), each with persons in their roles,
addresses, phones, vehicles, advertisements and companies. The free-text description travels
sealed in ``details``. All of it is police data (Wpg): data class ``politiegegevens``; sexual
exploitation and illegal prostitution also concern sex life (``seksueel_leven``).

Errors: ``line`` is the registration's position in ``registraties`` counting from 1, and ``field``
its JSON path with indices from 0 (``registraties[3].personen[0].geboortedatum`` is in the error
with line 4). A document that is not JSON at all is one error with the physical line of the syntax
error and field ``(document)``.

The document is read whole (JSON has no record boundaries a stream reader could trust), so it is
capped at :data:`MAX_DOCUMENT_BYTES`; larger exports must be split by period.

CIE intelligence never leaves the police: a registration marked ``"cie": true`` is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from adapters.base import Address, CanonicalSignal, LineError, ParsedLine
from adapters.codes import CERTAINTIES, FORMS
from adapters.fields import (
    IDENTIFIER_MAX,
    ISO,
    URL_MAX,
    FieldReader,
    Subjects,
    address,
    has_minor,
    person_name,
)
from adapters.reading import BOM, open_export
from gateway.vocabulary import Certainty, DataClass, Form, PartyType, SubjectKind, SubjectRole

MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
MAX_LIST = 50
DOCUMENT = "(document)"
INDICATOR = re.compile(r"^[A-Z]{2,8}(-[A-Z0-9]{1,24}){1,6}$")

KINDS: dict[str, str] = {
    "incident": "incident",
    "controle": "controle",
    "intake": "intake",
    "aangifte": "aangifte",
    "bestuurlijke_rapportage": "bestuurlijke rapportage",
}

PERSON_ROLES: dict[str, SubjectRole] = {
    "verdachte": SubjectRole.VERDACHTE,
    "slachtoffer": SubjectRole.SLACHTOFFER,
    "getuige": SubjectRole.BETROKKENE,
    "aangever": SubjectRole.BETROKKENE,
    "betrokkene": SubjectRole.BETROKKENE,
    "begeleider": SubjectRole.FACILITEERDER,
    "faciliteerder": SubjectRole.FACILITEERDER,
}

LOCATION_ROLES: dict[str, SubjectRole] = {
    "verblijfplaats": SubjectRole.VERBLIJFPLAATS,
    "woonadres": SubjectRole.VERBLIJFPLAATS,
    "werkplek": SubjectRole.WERKPLEK,
    "pleeglocatie": SubjectRole.WERKPLEK,
}

COMPANY_ROLES: dict[str, SubjectRole] = {
    "werkgever": SubjectRole.WERKGEVER,
    "exploitant": SubjectRole.WERKGEVER,
    "verhuurder": SubjectRole.FACILITEERDER,
    "betrokkene": SubjectRole.BETROKKENE,
}

_SEXUAL = {Form.SEKSUELE_UITBUITING, Form.ILLEGALE_PROSTITUTIE}


class PolitieJson:
    """The police export: one JSON document with a list of registrations."""

    format: str = "politie-json"
    party_types: frozenset[PartyType] = frozenset({PartyType.POLITIE, PartyType.KMAR})
    max_document_bytes: int = MAX_DOCUMENT_BYTES

    def read(self, path: Path) -> Iterator[ParsedLine | LineError]:
        """Yield every registration or problem in document order; never raise on bad content."""
        with open_export(path) as handle:
            raw = handle.read(self.max_document_bytes + 1)
        if len(raw) > self.max_document_bytes:
            limit = self.max_document_bytes // (1024 * 1024)
            yield LineError(
                1, DOCUMENT, f"export groter dan {limit} MiB; splits de export per periode"
            )
            return
        if raw.startswith(BOM):
            raw = raw[len(BOM) :]
        # Bytes that are not UTF-8 are kept as surrogates, so that only the registration (and
        # field) holding them is refused, not the whole document.
        text = raw.decode("utf-8", "surrogateescape")
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            yield LineError(
                exc.lineno, DOCUMENT, f"geen geldige JSON ({exc.msg}, kolom {exc.colno})"
            )
            return
        registrations = document.get("registraties") if isinstance(document, dict) else None
        if not isinstance(registrations, list):
            yield LineError(1, "registraties", "het document heeft geen lijst 'registraties'")
            return
        for index, registration in enumerate(registrations):
            where = f"registraties[{index}]"
            if not isinstance(registration, dict):
                yield LineError(index + 1, where, "verwacht een object")
                continue
            fields = FieldReader(index + 1, registration, prefix=f"{where}.")
            signal = self.convert(fields)
            if signal is None:
                yield from fields.errors
            else:
                yield ParsedLine(index + 1, signal)

    def convert(self, fields: FieldReader) -> CanonicalSignal | None:
        """Map one registration to a signal (None with the problems in ``fields.errors``)."""
        if fields.yes_no("cie"):
            fields.fail(
                "cie", "CIE-informatie wordt nooit gedeeld; haal deze registratie uit de export"
            )
            return None
        ref = fields.ref("registratienummer")
        kind = fields.choice("soort", KINDS, required=True)
        when = fields.moment("tijdstip", notation=ISO, required=True)
        municipality = fields.municipality("gemeentecode")
        form = fields.choice("vorm", FORMS, required=True)
        certainty = fields.choice("zekerheid", CERTAINTIES, default=Certainty.VERMOEDEN)
        embargo = fields.date("embargo_tot", notation=ISO)
        protected = fields.yes_no("bronbescherming", default=False)
        flagged_minor = fields.yes_no("minderjarige", default=False)
        indicators = self._indicators(fields)

        subjects = Subjects()
        for person in _objects(fields, "personen"):
            role = person.choice("rol", PERSON_ROLES, required=True) or SubjectRole.BETROKKENE
            subjects.person(
                role,
                bsn=person.text("bsn", max_length=IDENTIFIER_MAX),
                name=person_name(
                    person,
                    family="achternaam",
                    prefix="voorvoegsel",
                    given="voornamen",
                    birth="geboortedatum",
                    notation=ISO,
                ),
            )
            for number in _strings(person, "telefoonnummers", IDENTIFIER_MAX):
                subjects.add(SubjectKind.TELEFOON, SubjectRole.CONTACTMIDDEL, number)
            home = person.child(person.values.get("woonadres"), "woonadres")
            if home is not None:
                subjects.address(SubjectRole.VERBLIJFPLAATS, _address(home))
        for location in _objects(fields, "locaties"):
            role = location.choice("rol", LOCATION_ROLES, required=True) or SubjectRole.WERKPLEK
            subjects.address(role, _address(location))
        for vehicle in _objects(fields, "voertuigen"):
            subjects.add(
                SubjectKind.KENTEKEN,
                SubjectRole.VOERTUIG,
                vehicle.text("kenteken", required=True, max_length=IDENTIFIER_MAX),
            )
        for advert in _objects(fields, "advertenties"):
            subjects.add(
                SubjectKind.URL, SubjectRole.ADVERTENTIE, advert.text("url", max_length=URL_MAX)
            )
            subjects.add(
                SubjectKind.TELEFOON,
                SubjectRole.CONTACTMIDDEL,
                advert.text("telefoon", max_length=IDENTIFIER_MAX),
            )
        for company in _objects(fields, "bedrijven"):
            role = (
                company.choice("rol", COMPANY_ROLES, default=SubjectRole.WERKGEVER)
                or SubjectRole.WERKGEVER
            )
            subjects.add(
                SubjectKind.KVK, role, company.text("kvk", required=True, max_length=IDENTIFIER_MAX)
            )

        data_classes = [DataClass.POLITIEGEGEVENS]
        if form in _SEXUAL:
            data_classes.append(DataClass.SEKSUEEL_LEVEN)
        details = fields.details({"omschrijving": "omschrijving"}, soort=kind or "")
        return fields.build(
            {
                "ref": "registratienummer",
                "observed_at": "tijdstip",
                "municipality": "gemeentecode",
                "subjects": "personen",
                "indicators": "indicatoren",
            },
            ref=ref,
            observed_at=when,
            municipality=municipality,
            form=form,
            indicators=indicators,
            data_classes=data_classes,
            certainty=certainty,
            minor=bool(flagged_minor) or (when is not None and has_minor(subjects, when.date())),
            embargo_until=embargo,
            source_protected=bool(protected),
            subjects=subjects.items,
            details=details,
        )

    @staticmethod
    def _indicators(fields: FieldReader) -> list[str]:
        codes: list[str] = []
        for index, code in enumerate(_list(fields, "indicatoren")):
            if not isinstance(code, str) or not INDICATOR.fullmatch(code):
                fields.fail(f"indicatoren[{index}]", "geen indicatorcode (zoals ARB-ONDERBETALING)")
            elif code not in codes:
                codes.append(code)
        return codes


def _list(fields: FieldReader, name: str) -> list[object]:
    value = fields.values.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        fields.fail(name, "verwacht een lijst")
        return []
    if len(value) > MAX_LIST:
        fields.fail(name, f"te veel elementen (maximaal {MAX_LIST})")
        return []
    return value


def _objects(fields: FieldReader, name: str) -> Iterator[FieldReader]:
    for index, item in enumerate(_list(fields, name)):
        child = fields.child(item, f"{name}[{index}]")
        if child is not None:
            yield child


def _strings(fields: FieldReader, name: str, max_length: int) -> list[str]:
    result = []
    for index, item in enumerate(_list(fields, name)):
        holder = FieldReader(
            fields.line, {"": item}, prefix=fields.name(f"{name}[{index}]"), errors=fields.errors
        )
        value = holder.text("", max_length=max_length)
        if value:
            result.append(value)
    return result


def _address(fields: FieldReader) -> Address | None:
    return address(fields, postcode="postcode", number="huisnummer", addition="toevoeging")
