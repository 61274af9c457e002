"""``woningcorporatie-csv``: the housing association's reports of housing fraud (woonfraude).

Exported from the association's ERP as Dutch Excel CSV (``;``, ``dd-mm-jjjj``). One row per report
on a rental unit (VHE, verhuureenheid): overcrowding (estimated occupants above the number
allowed), subletting, or both; the tenant; the IBAN the rent is paid from.

ERP quirks handled: the report number contains slashes (``WF/2026/0173`` becomes ref
``WF-2026-0173``), and the tenant's name is one field in the ERP's sort order,
``Achternaam, Voornamen tussenvoegsel`` (``Vries, Jan de``); plain order (``Jan de Vries``) is
accepted too. All of it is ordinary personal data (``gewoon``).
"""

from __future__ import annotations

from adapters.base import CanonicalSignal, PersonName
from adapters.codes import CERTAINTIES
from adapters.fields import (
    DMY,
    IDENTIFIER_MAX,
    NAME_MAX,
    TEXT_MAX,
    FieldReader,
    Subjects,
    address,
    has_minor,
)
from adapters.normalise import TUSSENVOEGSELS
from adapters.reading import Column, CsvAdapter
from gateway.vocabulary import Certainty, DataClass, Form, PartyType, SubjectKind, SubjectRole

OVERBEWONING, ONDERVERHUUR, SLECHTE_STAAT = (
    "HUIS-OVERBEWONING",
    "HUIS-ONDERVERHUUR",
    "HUIS-SLECHTE-STAAT",
)

#: Kinds of report and the indicators each one is.
REPORTS: dict[str, tuple[str, ...]] = {
    "overbewoning": (OVERBEWONING,),
    "onderverhuur": (ONDERVERHUUR,),
    "overbewoning en onderverhuur": (OVERBEWONING, ONDERVERHUUR),
    "verwaarlozing": (SLECHTE_STAAT,),
    "woonfraude overig": (),
}


class WoningcorporatieCsv(CsvAdapter):
    """Housing-fraud reports of a housing association."""

    format: str = "woningcorporatie-csv"
    party_types: frozenset[PartyType] = frozenset({PartyType.WONINGCORPORATIE})
    delimiter: str = ";"
    columns: tuple[Column, ...] = (
        Column("Meldingnummer", 100),
        Column("Datum melding", 20),
        Column("Gemeentecode", 10),
        Column("VHE-nummer", 30),
        Column("Postcode", 16),
        Column("Huisnummer", 16),
        Column("Huisletter", 16),
        Column("Toevoeging", 16),
        Column("Soort melding", 60),
        Column("Geschat aantal bewoners", 10),
        Column("Toegestaan aantal bewoners", 10),
        Column("Naam huurder", 2 * NAME_MAX),
        Column("Geboortedatum huurder", 20),
        Column("IBAN huurbetaling", IDENTIFIER_MAX),
        Column("Betaler wijkt af", 10),
        Column("Telefoon huurder", IDENTIFIER_MAX),
        Column("Huisbezoek", 10),
        Column("Zekerheid", 50, required=False),
        Column("Toelichting", TEXT_MAX),
    )

    def convert(self, fields: FieldReader) -> CanonicalSignal | None:
        """One report is one signal; see docs/adapters.md for the mapping."""
        ref = fields.ref("Meldingnummer")
        when = fields.moment("Datum melding", notation=DMY, required=True)
        municipality = fields.municipality("Gemeentecode")
        unit = address(
            fields,
            postcode="Postcode",
            number="Huisnummer",
            letter="Huisletter",
            addition="Toevoeging",
        )
        if unit is None:
            fields.fail("Postcode", "adres van de verhuureenheid is verplicht")
        indicators = list(fields.choice("Soort melding", REPORTS, required=True) or ())
        estimated = fields.integer("Geschat aantal bewoners", maximum=1000)
        allowed = fields.integer("Toegestaan aantal bewoners", maximum=1000)
        if (
            estimated is not None
            and allowed is not None
            and estimated > allowed
            and OVERBEWONING not in indicators
        ):
            indicators.append(OVERBEWONING)

        subjects = Subjects()
        subjects.address(SubjectRole.VERBLIJFPLAATS, unit)
        tenant = _tenant(fields)
        subjects.add(SubjectKind.PERSOON, SubjectRole.BETROKKENE, tenant)
        subjects.add(SubjectKind.IBAN, SubjectRole.REKENING, fields.text("IBAN huurbetaling"))
        subjects.add(
            SubjectKind.TELEFOON, SubjectRole.CONTACTMIDDEL, fields.text("Telefoon huurder")
        )

        visited = fields.yes_no("Huisbezoek", default=False)
        default_certainty = Certainty.AANNEMELIJK if visited else Certainty.VERMOEDEN
        certainty = fields.choice("Zekerheid", CERTAINTIES, default=default_certainty)
        details = {}
        unit_number = fields.text("VHE-nummer")
        if unit_number:
            details["vhe"] = unit_number
        if fields.yes_no("Betaler wijkt af", default=False):
            details["betaler_wijkt_af"] = "ja"
        remark = fields.text("Toelichting", max_length=TEXT_MAX)
        if remark:
            details["toelichting"] = remark
        return fields.build(
            {
                "ref": "Meldingnummer",
                "observed_at": "Datum melding",
                "municipality": "Gemeentecode",
                "subjects": "(subjecten)",
            },
            ref=ref,
            observed_at=when,
            municipality=municipality,
            form=Form.ONBEKEND,
            indicators=indicators,
            data_classes=[DataClass.GEWOON],
            certainty=certainty,
            minor=when is not None and has_minor(subjects, when.date()),
            subjects=subjects.items,
            details=details,
        )


def _tenant(fields: FieldReader) -> PersonName | None:
    written = fields.text("Naam huurder")
    born = fields.date("Geboortedatum huurder", notation=DMY)
    if not written:
        return None
    family, prefix, given = split_name(written)
    if len(family) > NAME_MAX or len(given) > NAME_MAX or len(prefix) > 40:
        fields.fail("Naam huurder", f"naamdelen langer dan {NAME_MAX} tekens")
        return None
    if not (family and given and born):
        return None
    return PersonName(family_name=family, prefix=prefix, given_names=given, birth_date=born)


def split_name(written: str) -> tuple[str, str, str]:
    """``(family, prefix, given)`` from ``Vries, Jan de`` (ERP sort order) or ``Jan de Vries``.

    In sort order the tussenvoegsel trails the given names; in plain order it precedes the family
    name. Words are tussenvoegsels only if written in lower case and listed in
    :data:`adapters.normalise.TUSSENVOEGSELS`, so a given name such as ``Van`` is left alone.
    """
    if "," in written:
        family, rest = (part.strip() for part in written.split(",", 1))
        words = rest.split()
        cut = len(words)
        while cut > 1 and _is_prefix(words[cut - 1]):
            cut -= 1
        return family, " ".join(words[cut:]), " ".join(words[:cut])
    words = written.split()
    if len(words) < 2:
        return written.strip(), "", ""
    start = len(words) - 1
    while start > 1 and _is_prefix(words[start - 1]):
        start -= 1
    return words[-1], " ".join(words[start : len(words) - 1]), " ".join(words[:start])


def _is_prefix(word: str) -> bool:
    return word == word.lower() and word.replace("'", "").replace("’", "") in TUSSENVOEGSELS
