"""One streaming writer per partner format, each writing the way that back office really does.

Writers take people, places and companies in their neutral form (``identities``) and write them
in the partner's own notation, so that the same person or address appears differently per partner
and only normalisation makes them equal:

====================  ===========  =========  ==============  ==============================
partner               BSN          postcode   phone           name
====================  ===========  =========  ==============  ==============================
gemeente Rotterdam    999526017    3082 TK    06-41234567     Vries | de | Marco Johannes
gemeente Vlaardingen  999526017    3082TK     0641234567      (same); dates 3-2-2026
gemeente Ridderkerk   999526017    3082 tk    06 41 23 45 67  (same); gemeentecode 597
politie               9995.26.017  3082tk     +31641234567    DE VRIES | Marco Johannes
arbeidsinspectie      999526017    3082 TK    -               Vries | de | Marco (ASCII)
zorgcoördinator       999 526 017  3082 tk    06 41 23 45 67  de Vries | Marco
woningcorporatie      -            3082TK     +31 6 41234567  "Vries, Marco Johannes de"
canonical (OM, BD)    999526017    3082TK     +31641234567    Vries | de | Marco Johannes
====================  ===========  =========  ==============  ==============================

Every identifier, name, postcode and free text written is also given to the :class:`Recorder`, so
the ground truth can list every clear value that must never show up in the gateway's storage.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypedDict
from zoneinfo import ZoneInfo

from adapters.arbeidsinspectie import ArbeidsinspectieCsv
from adapters.fields import sanitise_ref
from adapters.gemeente import GemeenteCsv
from adapters.woningcorporatie import WoningcorporatieCsv
from adapters.zorg import ZorgCsv
from gateway.demo_data.identities import (
    Company,
    Person,
    Place,
    ascii_fold,
    bsn_dotted,
    bsn_spaced,
    iban_grouped,
    phone_national,
)
from gateway.jsontypes import Json, JsonObject

if TYPE_CHECKING:
    from _csv import Writer as CsvRowWriter

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class Recorder:
    """Every clear value written, by category, in first-written order (for the ground truth)."""

    CATEGORIES = (
        "bsn",
        "name",
        "postcode",
        "telefoon",
        "email",
        "iban",
        "kvk",
        "kenteken",
        "url",
        "bag_id",
        "free_text",
    )

    def __init__(self) -> None:
        self.values: dict[str, dict[str, None]] = {c: {} for c in self.CATEGORIES}

    def __call__(self, category: str, value: str) -> str:
        """Record ``value`` (if not empty) and return it, so writing and recording are one step."""
        if value:
            self.values[category][value] = None
        return value

    def as_lists(self) -> dict[str, list[str]]:
        """The recorded values per category."""
        return {category: list(values) for category, values in self.values.items()}


@dataclass
class Writer:
    """Base: a file, a party, a ref counter and the recorder."""

    path: Path
    party: str
    record: Recorder
    count: int = 0
    _sequence: int = 0
    _handle: IO[str] | None = field(default=None, repr=False)

    def _next(self) -> int:
        self._sequence += 1
        return self._sequence

    def close(self) -> None:
        """Finish the file."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


@dataclass
class _CsvWriter(Writer):
    header: Sequence[str] = ()
    delimiter: str = ";"
    excel: bool = True  # BOM and CRLF, as Excel writes them
    _csv: CsvRowWriter | None = field(default=None, repr=False)

    def open(self) -> None:
        """Create the file and write the header."""
        self._handle = self.path.open(
            "w", encoding="utf-8-sig" if self.excel else "utf-8", newline=""
        )
        self._csv = csv.writer(
            self._handle, delimiter=self.delimiter, lineterminator="\r\n" if self.excel else "\n"
        )
        self._csv.writerow(self.header)

    def _row(self, values: dict[str, str]) -> None:
        unknown = set(values) - set(self.header)
        if unknown:
            raise ValueError(f"columns not in the header: {sorted(unknown)}")
        assert self._csv is not None, "open() the writer first"
        self._csv.writerow([values.get(name, "") for name in self.header])
        self.count += 1


def dmy(day: date, *, excel: bool = False) -> str:
    """``03-02-2026``, or ``3-2-2026`` as Excel shows it."""
    return f"{day.day}-{day.month}-{day.year}" if excel else day.strftime("%d-%m-%Y")


# -- gemeente-csv -------------------------------------------------------------------------------

#: How each municipality's export differs (see the module docstring).
class MunicipalStyle(TypedDict):
    ref: str  # the case number, formatted with year and n
    code: str  # how the municipality writes its own code
    postcode: str  # a postcode_as style
    phone: str  # a phone_national style
    excel_dates: bool


MUNICIPAL_STYLES: dict[str, MunicipalStyle] = {
    "GM0599": {
        "ref": "Z-{year}-{n:06d}",
        "code": "0599",
        "postcode": "spaced",
        "phone": "dash",
        "excel_dates": False,
    },
    "GM0622": {
        "ref": "VL/{year}/{n:05d}",
        "code": "GM0622",
        "postcode": "compact",
        "phone": "plain",
        "excel_dates": True,
    },
    "GM0597": {
        "ref": "RK{year}-{n:04d}",
        "code": "597",
        "postcode": "lower",
        "phone": "pairs",
        "excel_dates": False,
    },
}


def postcode_as(place: Place, style: str) -> str:
    """The postcode in one of the notations partners use."""
    return {
        "spaced": place.spaced_postcode,
        "compact": place.postcode,
        "lower": place.spaced_postcode.lower(),
        "lower_compact": place.postcode.lower(),
    }[style]


@dataclass
class GemeenteWriter(_CsvWriter):
    """``gemeente-csv`` for one municipality."""

    municipality: str = "GM0599"

    def __post_init__(self) -> None:
        self.header = GemeenteCsv.column_names()
        self.style = MUNICIPAL_STYLES[self.municipality]
        self.open()

    def _common(self, kind: str, day: date) -> tuple[str, dict[str, str]]:
        raw = self.style["ref"].format(year=day.year, n=self._next())
        return sanitise_ref(raw), {
            "Zaaknummer": raw,
            "Gemeentecode": self.style["code"],
            "Soort": kind,
            "Datum": dmy(day, excel=self.style["excel_dates"]),
        }

    def _person(self, row: dict[str, str], person: Person, *, prefix: str = "") -> None:
        keys: tuple[str, ...] = (
            "BSN",
            "Geslachtsnaam",
            "Voorvoegsel",
            "Voornamen",
            "Geboortedatum",
        )
        if prefix:
            keys = tuple(
                f"{prefix} {k[0].lower()}{k[1:]}" if k != "BSN" else f"{prefix} BSN" for k in keys
            )
        row[keys[0]] = self.record("bsn", person.bsn)
        row[keys[1]] = self.record("name", person.family)
        row[keys[2]] = person.prefix
        row[keys[3]] = self.record("name", person.given)
        row[keys[4]] = dmy(person.born, excel=self.style["excel_dates"])

    def _place(self, row: dict[str, str], place: Place) -> None:
        row["Postcode"] = self.record("postcode", postcode_as(place, self.style["postcode"]))
        row["Huisnummer"] = str(place.number)
        if place.addition.isdigit():
            row["Huisnummertoevoeging"] = place.addition
        else:
            row["Huisletter"] = place.addition

    def _text(self, row: dict[str, str], text: str | None) -> None:
        if text:
            row["Opmerking"] = self.record("free_text", text)

    def brp(
        self,
        day: date,
        person: Person,
        place: Place,
        *,
        registered: int,
        companion: Person | None = None,
        companion_seen: bool = False,
        employer: Company | None = None,
        phone: bool = False,
        form: str = "",
        text: str | None = None,
    ) -> str:
        """A registration on an address (BRP desk)."""
        ref, row = self._common("BRP-inschrijving", day)
        self._person(row, person)
        row["Rol"] = "ingeschrevene"
        self._place(row, place)
        row["Aantal ingeschrevenen"] = str(registered)
        if companion is not None:
            self._person(row, companion, prefix="Begeleider")
            row["Begeleider eerder gezien"] = "ja" if companion_seen else "nee"
        if employer is not None:
            row["KvK"] = self.record("kvk", employer.kvk)
        if phone:
            row["Telefoon"] = self.record(
                "telefoon", phone_national(person.mobile, style=self.style["phone"])
            )
        row["Vorm"] = form
        self._text(row, text)
        self._row(row)
        return ref

    def housing_inspection(
        self,
        day: date,
        place: Place,
        *,
        found: int,
        allowed: int,
        defects: bool,
        resident: Person | None = None,
        landlord: Company | None = None,
        certainty: str = "",
        text: str | None = None,
    ) -> str:
        """A housing inspection (toezicht en handhaving)."""
        ref, row = self._common("Woningcontrole", day)
        if resident is not None:
            self._person(row, resident)
            row["Rol"] = "hoofdbewoner"
        self._place(row, place)
        row["Bewoners aangetroffen"] = str(found)
        row["Bewoners toegestaan"] = str(allowed)
        row["Gebreken"] = "ja" if defects else "nee"
        if landlord is not None:
            row["KvK"] = self.record("kvk", landlord.kvk)
        row["Zekerheid"] = certainty
        self._text(row, text)
        self._row(row)
        return ref

    def licence_check(
        self,
        day: date,
        place: Place,
        *,
        licence: str,
        operator: Company | None = None,
        worker: Person | None = None,
        phone: str = "",
        url: str = "",
        form: str = "",
        certainty: str = "",
        text: str | None = None,
    ) -> str:
        """A check of a sex business's licence (vergunningen seksbranche)."""
        ref, row = self._common("Vergunningcontrole", day)
        if worker is not None:
            self._person(row, worker)
            row["Rol"] = "sekswerker"
        self._place(row, place)
        if operator is not None:
            row["KvK"] = self.record("kvk", operator.kvk)
        row["Vergunning"] = licence
        if phone:
            row["Telefoon"] = self.record("telefoon", phone_national(phone, style="international"))
        row["Website"] = self.record("url", url)
        row["Vorm"] = form
        row["Zekerheid"] = certainty
        self._text(row, text)
        self._row(row)
        return ref

    def close(self) -> None:
        """Excel leaves an empty row of delimiters at the end of a sheet."""
        if self._csv is not None and self._handle is not None:
            self._csv.writerow([""] * len(self.header))
        super().close()


# -- politie-json -------------------------------------------------------------------------------


@dataclass
class PolitieWriter(Writer):
    """``politie-json``: written as a stream, registration by registration."""

    def __post_init__(self) -> None:
        self._handle = self.path.open("w", encoding="utf-8", newline="\n")
        header = {
            "systeem": "BVH",
            "eenheid": "Rotterdam",
            "omschrijving": "Registraties met projectcode mensenhandel",
        }
        self._handle.write(
            '{\n  "export": ' + json.dumps(header, ensure_ascii=False) + ',\n  "registraties": ['
        )

    def _person(
        self, role: str, person: Person, *, home: Place | None, phones: bool, variant: int
    ) -> JsonObject:
        entry: JsonObject = {"rol": role}
        if person.bsn:
            entry["bsn"] = self.record("bsn", bsn_dotted(person.bsn) if variant % 2 else person.bsn)
        family = person.full_family.upper() if variant % 3 != 1 else person.full_family
        entry["achternaam"] = self.record("name", family)
        entry["voorvoegsel"] = ""
        entry["voornamen"] = self.record("name", person.given)
        entry["geboortedatum"] = person.born.isoformat()
        if phones:
            entry["telefoonnummers"] = [self.record("telefoon", person.mobile)]
        if home is not None:
            entry["woonadres"] = self._address(home, variant)
        return entry

    def _address(self, place: Place, variant: int) -> JsonObject:
        address: JsonObject = {"postcode": self.record("postcode", place.postcode.lower())}
        if place.addition and variant % 2:
            address["huisnummer"] = (
                f"{place.number}{place.addition.lower()}"  # addition typed into the number
            )
        else:
            address["huisnummer"] = place.number
            address["toevoeging"] = place.addition
        return address

    def registration(
        self,
        kind: str,
        when: datetime,
        municipality: str,
        form: str,
        *,
        indicators: Sequence[str] = (),
        certainty: str = "vermoeden",
        minor: bool = False,
        embargo: date | None = None,
        protected: bool = False,
        persons: Sequence[tuple[str, Person, Place | None, bool]] = (),
        locations: Sequence[tuple[str, Place]] = (),
        vehicles: Sequence[str] = (),
        adverts: Sequence[tuple[str, str]] = (),
        companies: Sequence[tuple[Company, str]] = (),
        text: str | None = None,
    ) -> str:
        """One registration; ``persons`` are (role, person, home address or None, with phone?)."""
        number = self._next()
        variant = number
        ref = f"PL1700-{when.year}{number:06d}"
        stamp = when.replace(tzinfo=AMSTERDAM).isoformat() if variant % 3 == 0 else when.isoformat()
        item: JsonObject = {
            "registratienummer": ref,
            "soort": kind,
            "tijdstip": stamp,
            "gemeentecode": municipality[2:] if variant % 7 else int(municipality[2:]),
            "vorm": form,
            "indicatoren": list(indicators),
            "zekerheid": certainty,
        }
        if minor:
            item["minderjarige"] = True
        if embargo is not None:
            item["embargo_tot"] = embargo.isoformat()
        item["bronbescherming"] = protected
        if text:
            item["omschrijving"] = self.record("free_text", text)
        if persons:
            item["personen"] = [
                self._person(role, person, home=home, phones=phones, variant=variant + i)
                for i, (role, person, home, phones) in enumerate(persons)
            ]
        if locations:
            item["locaties"] = [
                {"rol": role, **self._address(place, variant)} for role, place in locations
            ]
        if vehicles:
            item["voertuigen"] = [
                {"kenteken": self.record("kenteken", plate.lower() if variant % 4 == 0 else plate)}
                for plate in vehicles
            ]
        if adverts:
            item["advertenties"] = []
            for url, phone in adverts:
                advert = {"url": self.record("url", url)}
                if phone:
                    advert["telefoon"] = self.record(
                        "telefoon", phone_national(phone, style="dash")
                    )
                item["advertenties"].append(advert)
        if companies:
            item["bedrijven"] = [
                {
                    "kvk": self.record(
                        "kvk", f"{company.kvk}-0000" if variant % 3 == 2 else company.kvk
                    ),
                    "naam": self.record("free_text", company.name),
                    "rol": role,
                }
                for company, role in companies
            ]
        assert self._handle is not None
        body = json.dumps(item, ensure_ascii=False, indent=2).replace("\n", "\n    ")
        self._handle.write(("," if self.count else "") + "\n    " + body)
        self.count += 1
        return ref

    def close(self) -> None:
        """Close the list and the document."""
        if self._handle is not None:
            self._handle.write("\n  ]\n}\n")
        super().close()


# -- arbeidsinspectie-csv -----------------------------------------------------------------------


def minimum_wage(day: date) -> Decimal:
    """Statutory minimum hourly wage (demo figures per half year)."""
    if day >= date(2026, 1, 1):
        return Decimal("14.71")
    return Decimal("14.40") if day >= date(2025, 7, 1) else Decimal("14.06")


@dataclass
class Worker:
    """One worker's findings at an inspection."""

    person: Person
    wage: Decimal
    hours: int
    housed_at: Place | None = None
    codes: tuple[str, ...] = ()


@dataclass
class ArbeidsinspectieWriter(_CsvWriter):
    """``arbeidsinspectie-csv``: plain CSV from a data warehouse, ASCII names."""

    def __post_init__(self) -> None:
        self.header = ArbeidsinspectieCsv.column_names()
        self.header = [
            c for c in self.header if c != "zekerheid"
        ]  # an optional column this office omits
        self.delimiter, self.excel = ",", False
        self.open()

    def inspection(
        self,
        day: date,
        company: Company,
        workers: Sequence[Worker],
        *,
        assessment: str,
        text: str | None = None,
    ) -> list[str]:
        """One inspection at a company's site; one row (and ref) per worker."""
        number = self._next()
        raw = f"NLA/{day.year}/{number:06d}"
        refs = []
        for index, worker in enumerate(workers, start=1):
            person, site = worker.person, company.site
            euro = index % 2 == 1
            row = {
                "inspectienummer": raw,
                "volgnummer": str(index),
                "inspectiedatum": day.isoformat(),
                "gemeentecode": site.municipality[2:],
                "kvk_werkgever": self.record("kvk", company.kvk),
                "handelsnaam": self.record("free_text", company.name),
                "locatie_postcode": self.record("postcode", site.spaced_postcode),
                "locatie_huisnummer": str(site.number),
                "locatie_toevoeging": site.addition,
                "werknemer_bsn": self.record("bsn", person.bsn),
                "werknemer_achternaam": self.record("name", ascii_fold(person.family)),
                "werknemer_tussenvoegsel": person.prefix,
                "werknemer_voornamen": self.record("name", ascii_fold(person.first_name)),
                "werknemer_geboortedatum": person.born.isoformat(),
                "uurloon": _euro(worker.wage) if euro else f"{worker.wage:.2f}",
                "minimumuurloon": _euro(minimum_wage(day)) if euro else f"{minimum_wage(day):.2f}",
                "uren_per_week": str(worker.hours),
                "huisvesting_via_werkgever": "ja" if worker.housed_at else "nee",
                "bevindingen": "|".join(worker.codes),
                "beoordeling": assessment,
            }
            if worker.housed_at is not None:
                home = worker.housed_at
                row["huisvesting_postcode"] = self.record("postcode", home.spaced_postcode)
                row["huisvesting_huisnummer"] = str(home.number)
                row["huisvesting_toevoeging"] = home.addition
            if text and index == 1:
                row["toelichting"] = self.record("free_text", text)
            self._row(row)
            refs.append(sanitise_ref(f"{raw}.{index}"))
        return refs


def _euro(amount: Decimal) -> str:
    return "€ " + f"{amount:.2f}".replace(".", ",")


# -- zorg-csv -----------------------------------------------------------------------------------


@dataclass
class ZorgWriter(_CsvWriter):
    """``zorg-csv``: the care coordinator's registration sheet."""

    def __post_init__(self) -> None:
        self.header = [c for c in ZorgCsv.column_names() if c != "Zekerheid"]
        self.open()

    def registration(
        self,
        day: date,
        person: Person,
        *,
        municipality: str,
        form: str,
        signals: Sequence[str] = (),
        consent: str = "ja",
        minor: bool = False,
        stay: Place | None = None,
        phone: bool = False,
        email: str = "",
        medical: bool = False,
        referrer: str = "",
        text: str | None = None,
    ) -> str:
        """One client registration (the victim only)."""
        raw = f"ZC-{day.year}-{self._next():05d}"
        row = {
            "Registratienummer": raw,
            "Datum aanmelding": dmy(day),
            "Gemeentecode": municipality[2:],
            "BSN": self.record("bsn", bsn_spaced(person.bsn) if person.bsn else ""),
            "Achternaam": self.record("name", person.full_family),
            "Voornamen": self.record("name", person.first_name),
            "Geboortedatum": dmy(person.born),
            "Minderjarig": "ja" if minor else "nee",
            "Toestemming": consent,
            "Vorm": form,
            "Signalen": ", ".join(signals),
            "Medische problematiek": "ja" if medical else "nee",
            "Verwijzer": referrer,
        }
        if stay is not None:
            row["Postcode verblijf"] = self.record("postcode", postcode_as(stay, "lower"))
            row["Huisnummer verblijf"] = str(stay.number)
            row["Toevoeging verblijf"] = stay.addition
        if phone:
            row["Telefoon"] = self.record("telefoon", phone_national(person.mobile, style="pairs"))
        row["E-mail"] = self.record("email", email)
        if text:
            row["Toelichting"] = self.record("free_text", text)
        self._row(row)
        return sanitise_ref(raw)


# -- woningcorporatie-csv -----------------------------------------------------------------------


@dataclass
class WoningcorporatieWriter(_CsvWriter):
    """``woningcorporatie-csv``: the ERP's housing-fraud report list."""

    def __post_init__(self) -> None:
        self.header = [c for c in WoningcorporatieCsv.column_names() if c != "Zekerheid"]
        self.open()

    def report(
        self,
        day: date,
        place: Place,
        *,
        kind: str,
        estimated: int | None = None,
        allowed: int | None = None,
        tenant: Person | None = None,
        iban: str = "",
        payer_differs: bool = False,
        phone: bool = False,
        visited: bool = False,
        unit: str = "",
        text: str | None = None,
    ) -> str:
        """One report on a rental unit."""
        raw = f"WF/{day.year}/{self._next():05d}"
        row = {
            "Meldingnummer": raw,
            "Datum melding": dmy(day),
            "Gemeentecode": place.municipality[2:],
            "VHE-nummer": self.record("free_text", unit),
            "Postcode": self.record("postcode", place.postcode),
            "Huisnummer": str(place.number),
            "Soort melding": kind,
            "Geschat aantal bewoners": "" if estimated is None else str(estimated),
            "Toegestaan aantal bewoners": "" if allowed is None else str(allowed),
            "IBAN huurbetaling": self.record(
                "iban", iban_grouped(iban) if iban.startswith("NL") else iban
            ),
            "Betaler wijkt af": "ja" if payer_differs else "nee",
            "Huisbezoek": "ja" if visited else "nee",
        }
        if place.addition.isdigit():
            row["Toevoeging"] = place.addition
        else:
            row["Huisletter"] = place.addition.lower()
        if tenant is not None:
            written = f"{tenant.family}, {tenant.given} {tenant.prefix}".strip()
            row["Naam huurder"] = self.record("name", written)
            self.record("name", tenant.family)
            self.record("name", tenant.given)
            row["Geboortedatum huurder"] = dmy(tenant.born)
            if phone:
                row["Telefoon huurder"] = self.record(
                    "telefoon", phone_national(tenant.mobile, style="international")
                )
        if text:
            row["Toelichting"] = self.record("free_text", text)
        self._row(row)
        return sanitise_ref(raw)


# -- canonical ----------------------------------------------------------------------------------


@dataclass
class CanonicalWriter(Writer):
    """``canonical`` JSON Lines, for the OM and the tax authority."""

    def __post_init__(self) -> None:
        self._handle = self.path.open("w", encoding="utf-8", newline="\n")

    def person(self, kind: str, role: str, person: Person) -> list[JsonObject]:
        """Subjects for a person: BSN (when known) and name with birth date."""
        subjects: list[JsonObject] = []
        if person.bsn and kind in ("bsn", "both"):
            subjects.append({"kind": "bsn", "role": role, "value": self.record("bsn", person.bsn)})
        if kind in ("persoon", "both"):
            value = {
                "family_name": self.record("name", person.family),
                "prefix": person.prefix,
                "given_names": self.record("name", person.given),
                "birth_date": person.born.isoformat(),
            }
            subjects.append({"kind": "persoon", "role": role, "value": value})
        return subjects

    def place(self, role: str, place: Place) -> JsonObject:
        """An address subject."""
        value = {
            "postcode": self.record("postcode", place.postcode),
            "number": str(place.number),
            "addition": place.addition,
        }
        return {"kind": "adres", "role": role, "value": value}

    def thing(self, kind: str, role: str, value: str) -> JsonObject:
        """A phone, IBAN, KvK, kenteken, URL or e-mail subject."""
        category = {
            "kvk": "kvk",
            "telefoon": "telefoon",
            "iban": "iban",
            "kenteken": "kenteken",
            "url": "url",
            "email": "email",
        }[kind]
        return {"kind": kind, "role": role, "value": self.record(category, value)}

    def signal(self, ref: str, when: datetime, municipality: str, **fields: Json) -> str:
        """One line; ``fields`` are the other CanonicalSignal fields (details: free text)."""
        document: JsonObject = {
            "ref": ref,
            "observed_at": when.replace(tzinfo=AMSTERDAM).isoformat(),
            "municipality": municipality,
            **fields,
        }
        for text in document.get("details", {}).values():
            self.record("free_text", text)
        if "embargo_until" in document and isinstance(document["embargo_until"], date):
            document["embargo_until"] = document["embargo_until"].isoformat()
        assert self._handle is not None
        self._handle.write(json.dumps(document, ensure_ascii=False) + "\n")
        self.count += 1
        return ref

    def next_number(self) -> int:
        """The next sequence number for this party's refs."""
        return self._next()
