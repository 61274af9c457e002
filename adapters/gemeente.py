"""``gemeente-csv``: the municipality's signal list (signalenlijst mensenhandel).

What the aandachtsfunctionaris exports from the municipal case system: one row per observation,
from three desks, told apart by ``Soort``:

* ``BRP-inschrijving`` (burgerzaken): someone registered on an address where many are registered,
  often brought by the same companion (begeleider) every time;
* ``Woningcontrole`` (toezicht en handhaving): an inspection that found more occupants than allowed;
* ``Vergunningcontrole`` (vergunningen, seksbranche): a check of a sex business without a valid
  licence; these rows concern sex life (AVG art. 9) and get data class ``seksueel_leven``.

Saved from Excel as "CSV (puntkomma-gescheiden)": ``;`` as delimiter, dates ``dd-mm-jjjj`` (Excel
also writes ``3-2-2026``), a byte-order mark, CRLF line ends and trailing empty rows (``;;;;``),
all of which the reader takes in its stride. Column documentation: docs/adapters.md.
"""

from __future__ import annotations

from adapters.base import CanonicalSignal
from adapters.codes import CERTAINTIES, FORMS_WRITTEN, PERSON_ROLES
from adapters.fields import (
    DMY,
    IDENTIFIER_MAX,
    NAME_MAX,
    PREFIX_MAX,
    TEXT_MAX,
    URL_MAX,
    FieldReader,
    Subjects,
    address,
    has_minor,
    person_name,
)
from adapters.reading import Column, CsvAdapter
from gateway.vocabulary import Certainty, DataClass, Form, PartyType, SubjectKind, SubjectRole

#: A registration on an address where at least this many people are registered is the
#: indicator IDENT-MEERDERE-INSCHRIJVINGEN (the municipality's own threshold in the demo region).
MANY_REGISTRATIONS = 6

BRP, WONING, VERGUNNING = "BRP-inschrijving", "Woningcontrole", "Vergunningcontrole"
KINDS: dict[str, str] = {BRP: BRP, "BRP": BRP, WONING: WONING, VERGUNNING: VERGUNNING}

ROLES: dict[str, SubjectRole] = {
    **PERSON_ROLES,
    "ingeschrevene": SubjectRole.BETROKKENE,
    "bewoner": SubjectRole.BETROKKENE,
    "hoofdbewoner": SubjectRole.BETROKKENE,
    "sekswerker": SubjectRole.BETROKKENE,
    "exploitant": SubjectRole.FACILITEERDER,
}

#: Licence status found at a check; True means "operating without a valid licence".
LICENCES: dict[str, bool] = {
    "geldig": False,
    "geen": True,
    "aangevraagd": True,
    "verlopen": True,
    "ingetrokken": True,
    "geschorst": True,
}

_ADDRESS_ROLE = {
    BRP: SubjectRole.VERBLIJFPLAATS,
    WONING: SubjectRole.VERBLIJFPLAATS,
    VERGUNNING: SubjectRole.WERKPLEK,
}
# The company at a BRP registration is the employer the newcomer gave; at a housing inspection the
# landlord renting out the dwelling; at a licence check the operator of the business.
_COMPANY_ROLE = {
    BRP: SubjectRole.WERKGEVER,
    WONING: SubjectRole.FACILITEERDER,
    VERGUNNING: SubjectRole.WERKGEVER,
}


class GemeenteCsv(CsvAdapter):
    """The municipal signal list (BRP desk, housing inspections, sex-business licence checks)."""

    format: str = "gemeente-csv"
    party_types: frozenset[PartyType] = frozenset({PartyType.GEMEENTE})
    delimiter: str = ";"
    columns: tuple[Column, ...] = (
        Column("Zaaknummer", 128),
        Column("Gemeentecode", 10),
        Column("Soort", 50),
        Column("Datum", 20),
        Column("BSN", IDENTIFIER_MAX),
        Column("Geslachtsnaam", NAME_MAX),
        Column("Voorvoegsel", PREFIX_MAX),
        Column("Voornamen", NAME_MAX),
        Column("Geboortedatum", 20),
        Column("Rol", 50),
        Column("Postcode", 16),
        Column("Huisnummer", 16),
        Column("Huisletter", 16),
        Column("Huisnummertoevoeging", 16),
        Column("Aantal ingeschrevenen", 10),
        Column("Begeleider BSN", IDENTIFIER_MAX),
        Column("Begeleider geslachtsnaam", NAME_MAX),
        Column("Begeleider voorvoegsel", PREFIX_MAX),
        Column("Begeleider voornamen", NAME_MAX),
        Column("Begeleider geboortedatum", 20),
        Column("Begeleider eerder gezien", 10),
        Column("Bewoners aangetroffen", 10),
        Column("Bewoners toegestaan", 10),
        Column("Gebreken", 10),
        Column("KvK", IDENTIFIER_MAX),
        Column("Vergunning", 50),
        Column("Telefoon", IDENTIFIER_MAX),
        Column("Website", URL_MAX),
        Column("Vorm", 50),
        Column("Zekerheid", 50),
        Column("Opmerking", TEXT_MAX),
    )

    def convert(self, fields: FieldReader) -> CanonicalSignal | None:
        """One row is one signal; see docs/adapters.md for the mapping."""
        ref = fields.ref("Zaaknummer")
        municipality = fields.municipality("Gemeentecode")
        kind = fields.choice("Soort", KINDS, required=True, shown=f"{BRP}, {WONING}, {VERGUNNING}")
        when = fields.moment("Datum", notation=DMY, required=True)

        subjects = Subjects()
        role = fields.choice("Rol", ROLES, default=SubjectRole.BETROKKENE) or SubjectRole.BETROKKENE
        subjects.person(
            role,
            bsn=fields.text("BSN"),
            name=person_name(
                fields,
                family="Geslachtsnaam",
                prefix="Voorvoegsel",
                given="Voornamen",
                birth="Geboortedatum",
            ),
        )
        subjects.person(
            SubjectRole.FACILITEERDER,
            bsn=fields.text("Begeleider BSN"),
            name=person_name(
                fields,
                family="Begeleider geslachtsnaam",
                prefix="Begeleider voorvoegsel",
                given="Begeleider voornamen",
                birth="Begeleider geboortedatum",
            ),
        )
        place = address(
            fields,
            postcode="Postcode",
            number="Huisnummer",
            letter="Huisletter",
            addition="Huisnummertoevoeging",
        )
        subjects.address(_ADDRESS_ROLE.get(kind or BRP, SubjectRole.VERBLIJFPLAATS), place)
        subjects.add(
            SubjectKind.KVK,
            _COMPANY_ROLE.get(kind or BRP, SubjectRole.WERKGEVER),
            fields.text("KvK"),
        )
        subjects.add(SubjectKind.TELEFOON, SubjectRole.CONTACTMIDDEL, fields.text("Telefoon"))
        subjects.add(SubjectKind.URL, SubjectRole.ADVERTENTIE, fields.text("Website"))

        indicators: list[str] = []
        registered = fields.integer("Aantal ingeschrevenen", maximum=10_000)
        if registered is not None and registered >= MANY_REGISTRATIONS:
            indicators.append("IDENT-MEERDERE-INSCHRIJVINGEN")
        if fields.yes_no("Begeleider eerder gezien"):
            indicators.append("IDENT-BEGELEIDER")
        found = fields.integer("Bewoners aangetroffen", maximum=10_000)
        allowed = fields.integer("Bewoners toegestaan", maximum=10_000)
        if found is not None and allowed is not None and found > allowed:
            indicators.append("HUIS-OVERBEWONING")
        if fields.yes_no("Gebreken"):
            indicators.append("HUIS-SLECHTE-STAAT")
        unlicensed = fields.choice("Vergunning", LICENCES, required=kind == VERGUNNING)
        if unlicensed:
            indicators.append("SEKS-ONVERGUNDE-EXPLOITATIE")

        default_form = Form.ILLEGALE_PROSTITUTIE if kind == VERGUNNING else Form.ONBEKEND
        form = fields.choice("Vorm", FORMS_WRITTEN, default=default_form)
        certainty = fields.choice("Zekerheid", CERTAINTIES, default=Certainty.VERMOEDEN)
        data_class = DataClass.SEKSUEEL_LEVEN if kind == VERGUNNING else DataClass.GEWOON
        details = fields.details({"Opmerking": "opmerking"}, soort=kind or "")
        return fields.build(
            {
                "ref": "Zaaknummer",
                "observed_at": "Datum",
                "municipality": "Gemeentecode",
                "subjects": "(subjecten)",
            },
            ref=ref,
            observed_at=when,
            municipality=municipality,
            form=form,
            indicators=indicators,
            data_classes=[data_class],
            certainty=certainty,
            minor=when is not None and has_minor(subjects, when.date()),
            subjects=subjects.items,
            details=details,
        )
