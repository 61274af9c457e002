"""``arbeidsinspectie-csv``: findings of the Nederlandse Arbeidsinspectie per worker.

An inspection (``inspectienummer``) at an employer (KvK) on a work site finds several workers; the
export has one row per worker (``volgnummer``), so one row is one signal with ref
``<inspectienummer>.<volgnummer>``. The inspectorate's data warehouse writes plain CSV: ``,`` as
delimiter, ISO dates (``jjjj-mm-dd``), LF line ends, no byte-order mark; amounts as ``9.50`` or, in
quotes, ``"9,50"`` / ``"€ 9,50"``.

Indicators come from the inspectorate's own finding codes (:data:`FINDINGS`) and are also derived
from the figures: an hourly wage below the legal minimum is ARB-ONDERBETALING, more than
:data:`MAX_WEEKLY_HOURS` hours a week ARB-EXCESSIEVE-WERKTIJDEN, housing by the employer on the work
site HUIS-WOONT-OP-WERKPLEK. A finding assessed as (possible) exploitation is criminal data
(``strafrechtelijk``, art. 273f Sr); a plain violation is ordinary data.
"""

from __future__ import annotations

from adapters.base import Address, CanonicalSignal
from adapters.codes import CERTAINTIES
from adapters.fields import (
    ANY,
    IDENTIFIER_MAX,
    NAME_MAX,
    PREFIX_MAX,
    REF_PATTERN,
    TEXT_MAX,
    FieldReader,
    Subjects,
    address,
    has_minor,
    person_name,
)
from adapters.reading import Column, CsvAdapter
from gateway.vocabulary import Certainty, DataClass, Form, PartyType, SubjectKind, SubjectRole

#: Arbeidstijdenwet: never more than 60 hours in a week.
MAX_WEEKLY_HOURS = 60

#: The inspectorate's finding codes and the indicator each one is.
FINDINGS: dict[str, str] = {
    "WML": "ARB-ONDERBETALING",  # Wet minimumloon: underpayment
    "WAV": "ARB-ILLEGALE-TEWERKSTELLING",  # Wet arbeid vreemdelingen: no work permit
    "ATW": "ARB-EXCESSIEVE-WERKTIJDEN",  # Arbeidstijdenwet
    "HUUR": "HUIS-HUUR-INGEHOUDEN-OP-LOON",  # rent withheld from wages
    "SCHULD": "ARB-SCHULD-AAN-WERKGEVER",  # debt to employer or agency
    "LOON": "FIN-GEEN-BESCHIKKING-LOON",  # no control over own wages
    "ID": "IDENT-DOCUMENTEN-INGEHOUDEN",  # identity papers held by employer
    "WOP": "HUIS-WOONT-OP-WERKPLEK",  # lives on the work site
    "VERV": "VERV-GEZAMENLIJK-VERVOER",  # transported to work by employer
    "VRIJ": "ARB-GEEN-VRIJE-BEWEGING",  # restricted freedom of movement
}

#: The inspector's assessment: form, certainty, data class, and the worker's role.
ASSESSMENTS: dict[str, tuple[Form, Certainty, DataClass, SubjectRole]] = {
    "uitbuiting": (
        Form.ARBEIDSUITBUITING,
        Certainty.AANNEMELIJK,
        DataClass.STRAFRECHTELIJK,
        SubjectRole.SLACHTOFFER,
    ),
    "ernstige benadeling": (
        Form.ARBEIDSUITBUITING,
        Certainty.VERMOEDEN,
        DataClass.STRAFRECHTELIJK,
        SubjectRole.SLACHTOFFER,
    ),
    "overtreding": (Form.ONBEKEND, Certainty.VERMOEDEN, DataClass.GEWOON, SubjectRole.BETROKKENE),
}


class ArbeidsinspectieCsv(CsvAdapter):
    """Labour inspection findings, one row per worker."""

    format: str = "arbeidsinspectie-csv"
    party_types: frozenset[PartyType] = frozenset({PartyType.ARBEIDSINSPECTIE})
    delimiter: str = ","
    columns: tuple[Column, ...] = (
        Column("inspectienummer", 100),
        Column("volgnummer", 6),
        Column("inspectiedatum", 20),
        Column("gemeentecode", 10),
        Column("kvk_werkgever", IDENTIFIER_MAX),
        Column("handelsnaam", NAME_MAX),
        Column("locatie_postcode", 16),
        Column("locatie_huisnummer", 16),
        Column("locatie_toevoeging", 16),
        Column("werknemer_bsn", IDENTIFIER_MAX),
        Column("werknemer_achternaam", NAME_MAX),
        Column("werknemer_tussenvoegsel", PREFIX_MAX),
        Column("werknemer_voornamen", NAME_MAX),
        Column("werknemer_geboortedatum", 20),
        Column("uurloon", 30),
        Column("minimumuurloon", 30),
        Column("uren_per_week", 10),
        Column("huisvesting_via_werkgever", 10),
        Column("huisvesting_postcode", 16),
        Column("huisvesting_huisnummer", 16),
        Column("huisvesting_toevoeging", 16),
        Column("bevindingen", 200),
        Column("beoordeling", 50),
        Column("zekerheid", 50, required=False),
        Column("toelichting", TEXT_MAX),
    )

    def convert(self, fields: FieldReader) -> CanonicalSignal | None:
        """One worker's findings are one signal; see docs/adapters.md for the mapping."""
        inspection = fields.ref("inspectienummer")
        sequence = fields.integer("volgnummer", minimum=1, maximum=99_999, required=True)
        ref = f"{inspection}.{sequence}" if inspection and sequence else ""
        if ref and not REF_PATTERN.fullmatch(ref):
            fields.fail("inspectienummer", "kenmerk met volgnummer is langer dan 128 tekens")
        when = fields.moment("inspectiedatum", notation=ANY, required=True)
        municipality = fields.municipality("gemeentecode")
        assessment = fields.choice("beoordeling", ASSESSMENTS, required=True)
        form, certainty, data_class, worker_role = assessment or ASSESSMENTS["overtreding"]
        certainty = fields.choice("zekerheid", CERTAINTIES, default=certainty) or certainty

        subjects = Subjects()
        subjects.add(SubjectKind.KVK, SubjectRole.WERKGEVER, fields.text("kvk_werkgever"))
        site = address(
            fields,
            postcode="locatie_postcode",
            number="locatie_huisnummer",
            addition="locatie_toevoeging",
        )
        subjects.address(SubjectRole.WERKPLEK, site)
        subjects.person(
            worker_role,
            bsn=fields.text("werknemer_bsn"),
            name=person_name(
                fields,
                family="werknemer_achternaam",
                prefix="werknemer_tussenvoegsel",
                given="werknemer_voornamen",
                birth="werknemer_geboortedatum",
                notation=ANY,
            ),
        )
        housed = fields.yes_no("huisvesting_via_werkgever", default=False)
        home = address(
            fields,
            postcode="huisvesting_postcode",
            number="huisvesting_huisnummer",
            addition="huisvesting_toevoeging",
        )
        subjects.address(SubjectRole.VERBLIJFPLAATS, home)

        indicators = [
            FINDINGS[code]
            for code in fields.choices("bevindingen", {c: c for c in FINDINGS}, separators=",;| ")
        ]
        wage, minimum = fields.amount("uurloon"), fields.amount("minimumuurloon")
        if wage is not None and minimum is not None and wage < minimum:
            indicators.append("ARB-ONDERBETALING")
        hours = fields.integer("uren_per_week", maximum=168)
        if hours is not None and hours > MAX_WEEKLY_HOURS:
            indicators.append("ARB-EXCESSIEVE-WERKTIJDEN")
        if housed and site is not None and home is not None and _same_place(site, home):
            indicators.append("HUIS-WOONT-OP-WERKPLEK")

        details = fields.details({"handelsnaam": "handelsnaam", "toelichting": "toelichting"})
        return fields.build(
            {
                "ref": "inspectienummer",
                "observed_at": "inspectiedatum",
                "municipality": "gemeentecode",
                "subjects": "(subjecten)",
            },
            ref=ref,
            observed_at=when,
            municipality=municipality,
            form=form,
            indicators=list(dict.fromkeys(indicators)),
            data_classes=[data_class],
            certainty=certainty,
            minor=when is not None and has_minor(subjects, when.date()),
            subjects=subjects.items,
            details=details,
        )


def _same_place(a: Address, b: Address) -> bool:
    def compact(address: Address) -> tuple[str, str, str]:
        return (
            "".join(address.postcode.split()).upper(),
            address.number.strip().lstrip("0"),
            "".join(c for c in address.addition.upper() if c.isalnum()),
        )

    return compact(a) == compact(b)
