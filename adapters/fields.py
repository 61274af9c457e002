"""Typed reading of one native record, collecting problems as ``LineError`` instead of raising.

Every adapter turns its partner's record (a CSV row, a JSON registration) into a
``CanonicalSignal`` through a :class:`FieldReader`. Each accessor parses one field; a problem
becomes a ``LineError`` naming the record's line and the partner's own field name, with a Dutch
message that never contains the offending value (it may be personal data, and check reports are
mailed around). After all fields are read, :meth:`FieldReader.build` assembles the signal, or
returns None when anything was wrong, so that one record reports *all* its problems at once.

Identifier *validity* (BSN 11-check, IBAN check digits, phone numbering plan) is not checked here:
the pipeline runs :func:`adapters.normalise.normalise` on every subject afterwards. Readers only put
each identifier under the right kind and role.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum, auto
from typing import Final, Literal, TypeVar

from pydantic import ValidationError

from adapters.base import Address, CanonicalSignal, LineError, PersonName, SubjectRecord, observed
from gateway.signals.reference import municipalities
from gateway.vocabulary import SubjectKind, SubjectRole

T = TypeVar("T")

#: Caps on field length, in characters. Free text is the only long field; names and identifiers
#: are short in every real register, so a long value is a mistake (or an attack), never data.
TEXT_MAX = 2000
NAME_MAX = 200
PREFIX_MAX = 40
ADDRESS_PART_MAX = 16
IDENTIFIER_MAX = 64
URL_MAX = 500
SHORT_MAX = 100

REF_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")
_REF_SEPARATORS = re.compile(r"[\s/\\]+")
_DMY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_MUNICIPALITY = re.compile(r"(?:GM)?(\d{1,4})")
_AMOUNT = re.compile(r"-?\d+(?:\.\d+)?")

#: Date notations an adapter may accept: Dutch day-month-year, ISO 8601, or either.
DMY, ISO, ANY = "dd-mm-jjjj", "jjjj-mm-dd", "dd-mm-jjjj of jjjj-mm-dd"

#: Persons are usually born after this date; earlier dates are placeholders for "unknown".
_EARLIEST = date(1900, 1, 1)
_LATEST = date(2100, 12, 31)


def key(text: str) -> str:
    """Spelling-insensitive key for header names and enumeration values.

    ``"Cliënt BSN"`` and ``"client_bsn"`` give ``client_bsn``; ``"Seksuele uitbuiting"`` gives
    ``seksuele_uitbuiting``. Back offices differ in case, accents, spaces and underscores.
    """
    folded = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join("_" if not c.isalnum() else c for c in folded if not unicodedata.combining(c))
    return re.sub("_+", "_", kept).strip("_")


def sanitise_ref(raw: str) -> str:
    """A back-office id as a gateway ref: runs of ``/``, ``\\`` and spaces become ``-``."""
    return _REF_SEPARATORS.sub("-", raw.strip())


def has_undecodable(text: str) -> bool:
    """True when ``text`` holds bytes that were not UTF-8 (decoded with ``surrogateescape``)."""
    return any("\udc80" <= c <= "\udcff" for c in text)


class FieldReader:
    """Reads the fields of one record and collects the problems found.

    ``values`` maps field names to raw values: strings for CSV (``None`` when the CSV layer has
    already reported that cell), any JSON value for JSON. ``prefix`` is prepended to field names
    in errors, so a nested JSON object reports ``registraties[3].personen[0].geboortedatum``.
    """

    def __init__(
        self,
        line: int,
        values: Mapping[str, object],
        *,
        prefix: str = "",
        errors: list[LineError] | None = None,
        reported: frozenset[str] = frozenset(),
    ) -> None:
        self.line = line
        self.prefix = prefix
        self.values = values
        self.errors: list[LineError] = [] if errors is None else errors
        self.reported = reported

    # -- plumbing -------------------------------------------------------------------------------

    def name(self, field: str) -> str:
        """The field's name as reported to the partner ("" names the record itself)."""
        return f"{self.prefix}{field}" if field else self.prefix.rstrip(".")

    def fail(self, field: str, message: str) -> None:
        """Record a problem with ``field``; ``message`` must not contain the field's value."""
        self.errors.append(LineError(self.line, self.name(field), message))

    def child(self, value: object, field: str) -> FieldReader | None:
        """A reader for a nested JSON object, sharing this reader's error list."""
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.fail(field, "verwacht een object")
            return None
        return FieldReader(self.line, value, prefix=self.name(field) + ".", errors=self.errors)

    # -- scalar fields --------------------------------------------------------------------------

    def details(self, columns: dict[str, str], **fixed: str) -> dict[str, str]:
        """The free-text columns that travel sealed, by their name in ``details``; empty ones are
        left out, ``fixed`` entries come first."""
        found = dict(fixed)
        for column, name in columns.items():
            value = self.text(column, max_length=TEXT_MAX)
            if value:
                found[name] = value
        return found

    def text(
        self,
        field: str,
        *,
        required: bool = False,
        max_length: int | None = None,
        numbers: bool = False,
    ) -> str:
        """Stripped text, or "" when empty (reported if required); JSON numbers if allowed."""
        if field in self.reported:  # the CSV layer already reported this cell
            return ""
        value = self.values.get(field)
        if isinstance(value, bool):
            self.fail(field, "verwacht tekst, geen ja/nee-waarde")
            return ""
        if numbers and isinstance(value, int):
            value = str(value)
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(field, "verwacht tekst")
            return ""
        value = value.strip()
        if has_undecodable(value):
            self.fail(field, "bevat tekens die geen UTF-8 zijn")
            return ""
        if max_length is not None and len(value) > max_length:
            self.fail(field, f"langer dan {max_length} tekens")
            return ""
        if required and not value:
            self.fail(field, "verplicht veld is leeg")
        return value

    def ref(self, field: str) -> str:
        """The partner's own record id: separators (``/``, spaces) become ``-``.

        Back-office ids such as ``WF/2026/0173`` are common; the gateway accepts letters, digits
        and ``. _ : -`` (at most 128). The mapping is fixed, so the same record keeps its ref.
        """
        raw = self.text(field, required=True, max_length=128)
        if not raw:
            return ""
        ref = sanitise_ref(raw)
        if not REF_PATTERN.fullmatch(ref):
            self.fail(field, "kenmerk mag alleen letters, cijfers en . _ : - / bevatten")
            return ""
        return ref

    def date(self, field: str, *, notation: str = DMY, required: bool = False) -> date | None:
        """A calendar date in the given notation (``DMY``, ``ISO`` or ``ANY``)."""
        raw = self.text(field, required=required, max_length=40)
        if not raw:
            return None
        parsed = _parse_date(raw, notation)
        if parsed is None:
            self.fail(field, f"geen geldige datum (verwacht {notation})")
        return parsed

    def moment(self, field: str, *, notation: str = DMY, required: bool = False) -> datetime | None:
        """A date with optional time (``14-03-2026 22:15``, ISO 8601 with or without zone).

        Exports without a zone are Dutch local time (:func:`adapters.base.observed`).
        """
        raw = self.text(field, required=required, max_length=40)
        if not raw:
            return None
        parsed = _parse_moment(raw, notation)
        if parsed is None:
            self.fail(field, f"geen geldig tijdstip (verwacht {notation}, eventueel met uu:mm)")
        return parsed

    def choice(
        self,
        field: str,
        options: Mapping[str, T],
        *,
        required: bool = False,
        default: T | None = None,
        shown: str | None = None,
    ) -> T | None:
        """One of ``options`` (keys compared by :func:`key`); the message lists what is allowed."""
        raw = self.text(field, required=required, max_length=SHORT_MAX)
        if not raw:
            return default
        found = _lookup(options, raw)
        if found is _MISSING:
            self.fail(field, f"onbekende waarde; toegestaan: {shown or _allowed(options)}")
            return default
        return found

    def choices(self, field: str, options: Mapping[str, T], *, separators: str = ",;|") -> list[T]:
        """Several of ``options`` in one field or JSON list; order kept, repeats dropped."""
        value = self.values.get(field)
        if isinstance(value, list):
            items: list[object] = value
        else:
            raw = self.text(field, max_length=TEXT_MAX)
            items = [p for p in re.split(f"[{re.escape(separators)}]", raw) if p.strip()]
        result: list[T] = []
        for index, item in enumerate(items):
            where = f"{field}[{index}]" if isinstance(value, list) else field
            if not isinstance(item, str) or has_undecodable(item) or len(item) > SHORT_MAX:
                self.fail(where, "verwacht een korte tekst")
                continue
            found = _lookup(options, item)
            if found is _MISSING:
                self.fail(where, f"onbekende waarde; toegestaan: {_allowed(options)}")
            elif found not in result:
                result.append(found)
        return result

    def yes_no(
        self, field: str, *, required: bool = False, default: bool | None = None
    ) -> bool | None:
        """``ja``/``nee`` (also ``j``/``n``, ``true``/``false``, ``1``/``0``, JSON booleans)."""
        value = self.values.get(field)
        if isinstance(value, bool):
            return value
        found = self.choice(field, YES_NO, required=required, shown="ja, nee")
        return default if found is None else found

    def integer(
        self, field: str, *, minimum: int = 0, maximum: int = 100_000, required: bool = False
    ) -> int | None:
        """A whole number within bounds (JSON numbers or text)."""
        value = self.values.get(field)
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            raw = self.text(field, required=required, max_length=20)
            if not raw:
                return None
            if not raw.isdigit():
                self.fail(field, "geen geheel getal")
                return None
            number = int(raw)
        if not minimum <= number <= maximum:
            self.fail(field, f"getal buiten het bereik {minimum} tot en met {maximum}")
            return None
        return number

    def amount(self, field: str, *, required: bool = False) -> Decimal | None:
        """A money amount: ``9,50``, ``€ 9,50``, ``1.234,56`` or ``9.50``."""
        value = self.values.get(field)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Decimal(str(value))
        raw = self.text(field, required=required, max_length=30)
        if not raw:
            return None
        compact = raw.replace("€", "").replace("EUR", "").replace(" ", "").replace("\u00a0", "")
        if "," in compact:
            compact = compact.replace(".", "").replace(",", ".")
        if not _AMOUNT.fullmatch(compact):
            self.fail(field, "geen bedrag (verwacht bijvoorbeeld 9,50)")
            return None
        try:
            return Decimal(compact)
        except InvalidOperation:  # pragma: no cover - the pattern already excludes this
            self.fail(field, "geen bedrag (verwacht bijvoorbeeld 9,50)")
            return None

    def municipality(self, field: str, *, required: bool = True) -> str:
        """CBS municipality code: ``0599``, ``599`` (a spreadsheet ate the zero) or ``GM0599``."""
        raw = self.text(field, required=required, max_length=10, numbers=True)
        if not raw:
            return ""
        match = _MUNICIPALITY.fullmatch(raw.upper().replace(" ", ""))
        if match is None:
            self.fail(field, "geen CBS-gemeentecode (verwacht vier cijfers of GMxxxx)")
            return ""
        code = f"GM{int(match[1]):04d}"
        if code not in municipalities():
            self.fail(field, "onbekende CBS-gemeentecode (niet in de CBS-lijst van gemeenten)")
            return ""
        return code

    # -- assembling -----------------------------------------------------------------------------

    def build(
        self, fields: Mapping[str, str] | None = None, **signal: object
    ) -> CanonicalSignal | None:
        """The signal, or None when this record had any problem (all of them are in ``errors``).

        ``fields`` maps signal attributes (``ref``, ``subjects``, ...) to the partner's field
        names, so that a problem only the model sees is still reported under a name the partner
        knows.
        """
        if signal.get("subjects") == []:
            self.fail(
                (fields or {}).get("subjects", "subjects"),
                "geen enkel identificerend gegeven (BSN, naam met geboortedatum, adres, ...)",
            )
        if self.errors:
            return None
        try:
            return CanonicalSignal.model_validate(signal)
        except ValidationError as exc:
            for error in exc.errors(include_input=False, include_url=False):
                top = str(error["loc"][0]) if error["loc"] else "(record)"
                self.fail((fields or {}).get(top, top), validation_message(error))
            return None


def validation_message(error: Mapping[str, object]) -> str:
    """A Dutch message for one pydantic error, built from its type and context, never its input."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx")
    ctx = ctx if isinstance(ctx, Mapping) else {}
    messages = {
        "missing": "verplicht veld ontbreekt",
        "extra_forbidden": "onbekend veld",
        "string_type": "verwacht tekst",
        "int_type": "verwacht een geheel getal",
        "int_parsing": "verwacht een geheel getal",
        "bool_type": "verwacht true of false",
        "bool_parsing": "verwacht true of false",
        "list_type": "verwacht een lijst",
        "dict_type": "verwacht een object",
        "model_type": "verwacht een object",
        "date_type": "verwacht een datum (jjjj-mm-dd)",
        "date_parsing": "geen geldige datum (verwacht jjjj-mm-dd)",
        "date_from_datetime_parsing": "geen geldige datum (verwacht jjjj-mm-dd)",
        "date_from_datetime_inexact": "verwacht een datum zonder tijd",
        "datetime_type": "verwacht een tijdstip (ISO 8601 met tijdzone)",
        "datetime_parsing": "geen geldig tijdstip (verwacht ISO 8601 met tijdzone)",
        "datetime_from_date_parsing": "geen geldig tijdstip (verwacht ISO 8601 met tijdzone)",
        "timezone_aware": "tijdstip zonder tijdzone (voeg bijvoorbeeld +01:00 toe)",
        "string_pattern_mismatch": f"voldoet niet aan het patroon {ctx.get('pattern', '')}",
        "string_too_long": f"langer dan {ctx.get('max_length', '?')} tekens",
        "string_too_short": "verplicht veld is leeg",
        "too_long": f"te veel elementen (maximaal {ctx.get('max_length', '?')})",
        "too_short": f"te weinig elementen (minimaal {ctx.get('min_length', '?')})",
        "greater_than_equal": f"moet minstens {ctx.get('ge', '?')} zijn",
        "enum": f"onbekende waarde; toegestaan: {ctx.get('expected', '?')}",
        "literal_error": f"onbekende waarde; toegestaan: {ctx.get('expected', '?')}",
    }
    return messages.get(kind, f"ongeldige waarde ({kind})")


YES_NO: dict[str, bool] = {
    "ja": True,
    "j": True,
    "yes": True,
    "y": True,
    "true": True,
    "waar": True,
    "1": True,
    "x": True,
    "nee": False,
    "n": False,
    "no": False,
    "false": False,
    "onwaar": False,
    "0": False,
}


class _Missing(Enum):
    """The type of ``_MISSING``: no option matched (an option's value may itself be None)."""

    MISSING = auto()


_MISSING: Final = _Missing.MISSING


def _lookup(options: Mapping[str, T], raw: str) -> T | Literal[_Missing.MISSING]:
    """The option for ``raw`` or ``_MISSING`` (an option's value may itself be None)."""
    wanted = key(raw)
    for option, value in options.items():
        if key(option) == wanted:
            return value
    return _MISSING


def _allowed(options: Mapping[str, object]) -> str:
    return ", ".join(options)


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    return value if _EARLIEST <= value <= _LATEST else None


def _parse_date(raw: str, notation: str) -> date | None:
    if notation in (DMY, ANY):
        match = _DMY.fullmatch(raw)
        if match:
            return _valid_date(int(match[3]), int(match[2]), int(match[1]))
    if notation in (ISO, ANY):
        match = _ISO.fullmatch(raw)
        if match:
            return _valid_date(int(match[1]), int(match[2]), int(match[3]))
    return None


def _parse_moment(raw: str, notation: str) -> datetime | None:
    day = _parse_date(raw, notation)
    if day is not None:
        return observed(datetime(day.year, day.month, day.day))
    if notation in (ISO, ANY) and _ISO.match(raw):
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
        return observed(value) if _EARLIEST.year <= value.year <= _LATEST.year else None
    parts = raw.split()
    if len(parts) == 2:
        day, clock = _parse_date(parts[0], notation), _TIME.fullmatch(parts[1])
        if day is not None and clock is not None:
            try:
                return observed(
                    datetime(
                        day.year,
                        day.month,
                        day.day,
                        int(clock[1]),
                        int(clock[2]),
                        int(clock[3] or 0),
                    )
                )
            except ValueError:
                return None
    return None


class Subjects:
    """The subjects of one signal, in order, without exact repeats."""

    def __init__(self) -> None:
        self.items: list[SubjectRecord] = []

    def add(
        self, kind: SubjectKind, role: SubjectRole, value: str | PersonName | Address | None
    ) -> None:
        """Add a subject unless the value is empty or the same subject is already there."""
        if value is None or value == "":
            return
        record = SubjectRecord(kind=kind, role=role, value=value)
        if record not in self.items:
            self.items.append(record)

    def person(self, role: SubjectRole, *, bsn: str = "", name: PersonName | None = None) -> None:
        """A person: by BSN and/or by name with birth date (both when known: more links)."""
        self.add(SubjectKind.BSN, role, bsn)
        self.add(SubjectKind.PERSOON, role, name)

    def address(self, role: SubjectRole, address: Address | None) -> None:
        """An address subject (skipped when empty)."""
        self.add(SubjectKind.ADRES, role, address)


def person_name(
    fields: FieldReader,
    *,
    family: str,
    given: str,
    birth: str,
    prefix: str | None = None,
    notation: str = DMY,
) -> PersonName | None:
    """A ``PersonName`` from four fields, or None when not all of name and birth date are known.

    A person known only by name (no birth date) is not a ``persoon`` subject: a name alone links
    strangers. Invalid values (an unparseable date, an overlong name) are still reported.
    """
    family_name = fields.text(family, max_length=NAME_MAX)
    given_names = fields.text(given, max_length=NAME_MAX)
    tussenvoegsel = fields.text(prefix, max_length=PREFIX_MAX) if prefix else ""
    born = fields.date(birth, notation=notation)
    if not (family_name and given_names and born):
        return None
    return PersonName(
        family_name=family_name, prefix=tussenvoegsel, given_names=given_names, birth_date=born
    )


def address(
    fields: FieldReader,
    *,
    postcode: str,
    number: str,
    letter: str | None = None,
    addition: str | None = None,
) -> Address | None:
    """An ``Address`` from BAG-style fields (huisletter and toevoeging joined), or None when empty.

    A half-filled address (postcode without number) is kept: the normaliser reports it, naming
    the subject, rather than the reader guessing.
    """
    code = fields.text(postcode, max_length=ADDRESS_PART_MAX)
    house = fields.text(number, max_length=ADDRESS_PART_MAX, numbers=True)
    parts = [
        fields.text(f, max_length=ADDRESS_PART_MAX, numbers=True) for f in (letter, addition) if f
    ]
    extra = "".join(parts)
    if not (code or house or extra):
        return None
    if len(extra) > ADDRESS_PART_MAX:
        fields.fail(
            addition or letter or number,
            f"huisletter en toevoeging samen langer dan {ADDRESS_PART_MAX} tekens",
        )
        return None
    return Address(postcode=code, number=house, addition=extra)


def at_age(born: date, on: date) -> int:
    """Age in whole years on a date."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def has_minor(subjects: Subjects, on: date) -> bool:
    """True when a person in the signal was under 18 on the day observed (from the birth date).

    Adapters OR this with the partner's own minor flag: the extra safeguards for minors must not
    depend on a box someone forgot to tick.
    """
    return any(
        isinstance(s.value, PersonName) and at_age(s.value.birth_date, on) < 18
        for s in subjects.items
    )
