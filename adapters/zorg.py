"""``zorg-csv``: registrations of (presumed) victims by the care coordinator (zorgcoördinator).

One row per registered client, saved from the coordinator's registration sheet as Dutch Excel CSV
(``;``, ``dd-mm-jjjj``). Only the victim is in it: care providers register clients, not suspects.
Everything is under professional secrecy (``zorg_beroepsgeheim``); a row that records medical or
psychological problems also concerns health (``gezondheid``, AVG art. 9).

The client's consent to share (``Toestemming``: ja / nee / onbekend) becomes the signal's
``consent`` flag; the release rules need it. A minor is flagged when the sheet says so *or* the
birth date says so (the safeguards for minors must not depend on a box being ticked).
"""

from __future__ import annotations

from adapters.base import CanonicalSignal
from adapters.codes import CERTAINTIES, FORMS_WRITTEN
from adapters.fields import (
    DMY,
    IDENTIFIER_MAX,
    NAME_MAX,
    PREFIX_MAX,
    TEXT_MAX,
    FieldReader,
    Subjects,
    address,
    has_minor,
    person_name,
)
from adapters.reading import Column, CsvAdapter
from gateway.vocabulary import Certainty, DataClass, PartyType, SubjectKind, SubjectRole

#: The coordinator's signal labels and the indicator each one is.
SIGNALS: dict[str, str] = {
    "loverboy": "WERV-LOVERBOY",
    "afdracht verdiensten": "SEKS-AFDRACHT-VERDIENSTEN",
    "minderjarig in prostitutie": "SEKS-MINDERJARIG",
    "documenten ingenomen": "IDENT-DOCUMENTEN-INGEHOUDEN",
    "schuld": "ARB-SCHULD-AAN-WERKGEVER",
    "geen beschikking over loon": "FIN-GEEN-BESCHIKKING-LOON",
    "begeleide inreis": "ENTREE-BEGELEIDE-INREIS",
    "reis betaald door derde": "ENTREE-REIS-BETAALD-DOOR-DERDE",
    "gedwongen criminaliteit": "CRIM-GEDWONGEN-CRIMINALITEIT",
    "bedelarij": "DIENST-GEDWONGEN-BEDELARIJ",
    "beperkte bewegingsvrijheid": "ARB-GEEN-VRIJE-BEWEGING",
    "misleidende vacature": "WERV-ONLINE-VACATURE-MISLEIDEND",
}

CONSENT: dict[str, bool | None] = {
    "ja": True,
    "nee": False,
    "onbekend": None,
    "niet gevraagd": None,
}


class ZorgCsv(CsvAdapter):
    """Victim registrations of the care coordinator."""

    format: str = "zorg-csv"
    party_types: frozenset[PartyType] = frozenset({PartyType.ZORG})
    delimiter: str = ";"
    columns: tuple[Column, ...] = (
        Column("Registratienummer", 100),
        Column("Datum aanmelding", 20),
        Column("Gemeentecode", 10),
        Column("BSN", IDENTIFIER_MAX),
        Column("Achternaam", NAME_MAX),
        Column("Tussenvoegsel", PREFIX_MAX),
        Column("Voornamen", NAME_MAX),
        Column("Geboortedatum", 20),
        Column("Minderjarig", 10),
        Column("Toestemming", 20),
        Column("Postcode verblijf", 16),
        Column("Huisnummer verblijf", 16),
        Column("Toevoeging verblijf", 16),
        Column("Telefoon", IDENTIFIER_MAX),
        Column("E-mail", 254),
        Column("Vorm", 50),
        Column("Signalen", 500),
        Column("Medische problematiek", 10),
        Column("Zekerheid", 50, required=False),
        Column("Verwijzer", 100),
        Column("Toelichting", TEXT_MAX),
    )

    def convert(self, fields: FieldReader) -> CanonicalSignal | None:
        """One client registration is one signal; see docs/adapters.md for the mapping."""
        ref = fields.ref("Registratienummer")
        when = fields.moment("Datum aanmelding", notation=DMY, required=True)
        municipality = fields.municipality("Gemeentecode")

        subjects = Subjects()
        subjects.person(
            SubjectRole.SLACHTOFFER,
            bsn=fields.text("BSN"),
            name=person_name(
                fields,
                family="Achternaam",
                prefix="Tussenvoegsel",
                given="Voornamen",
                birth="Geboortedatum",
            ),
        )
        stay = address(
            fields,
            postcode="Postcode verblijf",
            number="Huisnummer verblijf",
            addition="Toevoeging verblijf",
        )
        subjects.address(SubjectRole.VERBLIJFPLAATS, stay)
        subjects.add(SubjectKind.TELEFOON, SubjectRole.CONTACTMIDDEL, fields.text("Telefoon"))
        subjects.add(SubjectKind.EMAIL, SubjectRole.CONTACTMIDDEL, fields.text("E-mail"))

        flagged_minor = fields.yes_no("Minderjarig", default=False)
        consent = fields.choice("Toestemming", CONSENT, shown="ja, nee, onbekend")
        form = fields.choice("Vorm", FORMS_WRITTEN, required=True)
        indicators = [
            SIGNALS[label]
            for label in fields.choices("Signalen", {s: s for s in SIGNALS}, separators=",;|")
        ]
        health = fields.yes_no("Medische problematiek", default=False)
        certainty = fields.choice("Zekerheid", CERTAINTIES, default=Certainty.VERMOEDEN)

        data_classes = [DataClass.ZORG_BEROEPSGEHEIM]
        if health:
            data_classes.append(DataClass.GEZONDHEID)
        details = fields.details({"Verwijzer": "verwijzer", "Toelichting": "toelichting"})
        return fields.build(
            {
                "ref": "Registratienummer",
                "observed_at": "Datum aanmelding",
                "municipality": "Gemeentecode",
                "subjects": "(subjecten)",
            },
            ref=ref,
            observed_at=when,
            municipality=municipality,
            form=form,
            indicators=list(dict.fromkeys(indicators)),
            data_classes=data_classes,
            certainty=certainty,
            minor=bool(flagged_minor) or (when is not None and has_minor(subjects, when.date())),
            consent=consent,
            subjects=subjects.items,
            details=details,
        )
