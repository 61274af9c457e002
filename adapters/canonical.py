"""``canonical``: JSON Lines, one ``CanonicalSignal`` per line, identifiers in clear.

For partners whose back office can produce the gateway's own record directly (the OM, the tax
authority, a partner's data team), and for tests. Schema: docs/adapters.md. Each subject's
``value`` is a string, except ``persoon`` (an object ``family_name``, ``prefix``,
``given_names``, ``birth_date``) and ``adres`` (an object ``postcode``, ``number``, ``addition``
or ``bag_id``).

Lines are read one at a time (at most :data:`MAX_LINE_BYTES` each); field names in errors are the
JSON path inside the line (``subjects[2].value.birth_date``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from pydantic import ValidationError

from adapters.base import Address, CanonicalSignal, LineError, ParsedLine, PersonName, SubjectRecord
from adapters.fields import (
    IDENTIFIER_MAX,
    TEXT_MAX,
    URL_MAX,
    validation_message,
)
from adapters.reading import WHOLE_LINE, open_export, physical_lines
from gateway.signals.reference import municipalities
from gateway.vocabulary import PartyType, SubjectKind

MAX_LINE_BYTES = 256 * 1024
MAX_DETAILS = 20
DETAIL_KEY_MAX = 64
INDICATOR_PATTERN = r"^[A-Z]{2,8}(-[A-Z0-9]{1,24}){1,6}$"

_STRING_CAPS = {SubjectKind.URL: URL_MAX, SubjectKind.EMAIL: 254}


class CanonicalJsonl:
    """The gateway's canonical record as JSON Lines."""

    format: str = "canonical"
    party_types: frozenset[PartyType] = frozenset(PartyType)

    def read(self, path: Path) -> Iterator[ParsedLine | LineError]:
        """Yield every line's signal or problems in file order; never raise on bad content."""
        with open_export(path) as handle:
            for line in physical_lines(handle, max_bytes=MAX_LINE_BYTES):
                if line.text is None:
                    yield LineError(
                        line.number, WHOLE_LINE, f"regel is langer dan {MAX_LINE_BYTES} bytes"
                    )
                    continue
                if line.bad_encoding:
                    yield LineError(line.number, WHOLE_LINE, "bevat tekens die geen UTF-8 zijn")
                    continue
                if not line.text.strip():
                    continue
                yield from self._line(line.number, line.text)

    def _line(self, number: int, text: str) -> Iterator[ParsedLine | LineError]:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            yield LineError(number, WHOLE_LINE, f"geen geldige JSON ({exc.msg}, kolom {exc.colno})")
            return
        if not isinstance(document, dict):
            yield LineError(number, WHOLE_LINE, "verwacht één JSON-object per regel")
            return
        errors: list[LineError] = []
        subjects = _subjects(number, document.get("subjects"), errors)
        _check_strings(number, document, errors)
        municipality = document.get("municipality")
        if (
            isinstance(municipality, str)
            and municipality.startswith("GM")
            and municipality not in municipalities()
        ):
            errors.append(
                LineError(
                    number,
                    "municipality",
                    "onbekende CBS-gemeentecode (niet in de CBS-lijst van gemeenten)",
                )
            )
        indicators = document.get("indicators")
        if isinstance(indicators, list) and len(set(map(str, indicators))) != len(indicators):
            errors.append(LineError(number, "indicators", "indicatoren komen dubbel voor"))
        candidate = dict(document)
        if subjects is not None:
            candidate["subjects"] = subjects
        signal: CanonicalSignal | None = None
        try:
            validated = CanonicalSignal.model_validate(candidate)
        except ValidationError as exc:
            for error in exc.errors(include_input=False, include_url=False):
                loc = error["loc"]
                if subjects is not None or not loc or loc[0] != "subjects" or len(loc) == 1:
                    errors.append(LineError(number, _path(loc), validation_message(error)))
        else:
            signal = validated
            for index, code in enumerate(validated.indicators):
                if not _matches(INDICATOR_PATTERN, code):
                    errors.append(
                        LineError(
                            number,
                            f"indicators[{index}]",
                            "geen indicatorcode (zoals ARB-ONDERBETALING)",
                        )
                    )
        if errors or signal is None:
            yield from errors
        else:
            yield ParsedLine(number, signal)


def _subjects(number: int, value: object, errors: list[LineError]) -> list[SubjectRecord] | None:
    """Validate subjects one by one, with the value's shape chosen by ``kind``.

    Done here rather than by the model's union, so that an error names one clear path
    (``subjects[1].value.birth_date``) instead of one per union member.
    """
    if not isinstance(value, list):
        return None  # the model reports the missing or mistyped list
    records: list[SubjectRecord] = []
    ok = True
    for index, item in enumerate(value):
        where = f"subjects[{index}]"
        problems = len(errors)
        if not isinstance(item, Mapping):
            errors.append(LineError(number, where, "verwacht een object"))
            ok = False
            continue
        try:
            kind = SubjectKind(item.get("kind", ""))  # a missing kind is as unknown as ""
        except ValueError:
            errors.append(
                LineError(
                    number,
                    f"{where}.kind",
                    f"onbekende waarde; toegestaan: {', '.join(SubjectKind)}",
                )
            )
            ok = False
            continue
        parsed = _value(number, f"{where}.value", kind, item.get("value"), errors)
        try:
            record = SubjectRecord.model_validate(
                {**item, "value": parsed if parsed is not None else ""}
            )
        except ValidationError as exc:
            for error in exc.errors(include_input=False, include_url=False):
                errors.append(
                    LineError(number, f"{where}.{_path(error['loc'])}", validation_message(error))
                )
        if len(errors) > problems:
            ok = False
        else:
            records.append(record)
    return records if ok else None


def _value(
    number: int, where: str, kind: SubjectKind, raw: object, errors: list[LineError]
) -> str | PersonName | Address | None:
    """The subject's value in the shape its kind needs, or None with the problem in ``errors``."""
    shapes: dict[SubjectKind, type[PersonName] | type[Address]] = {
        SubjectKind.PERSOON: PersonName,
        SubjectKind.ADRES: Address,
    }
    shape = shapes.get(kind)
    if shape is None:
        cap = _STRING_CAPS.get(kind, IDENTIFIER_MAX)
        if not isinstance(raw, str):
            errors.append(LineError(number, where, "verwacht tekst"))
        elif len(raw) > cap:
            errors.append(LineError(number, where, f"langer dan {cap} tekens"))
        else:
            return raw
        return None
    if not isinstance(raw, Mapping):
        wanted = (
            "naam en geboortedatum" if shape is PersonName else "postcode en huisnummer of bag_id"
        )
        errors.append(LineError(number, where, f"verwacht een object met {wanted}"))
        return None
    try:
        return shape.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors(include_input=False, include_url=False):
            errors.append(
                LineError(number, f"{where}.{_path(error['loc'])}", validation_message(error))
            )
        return None


def _check_strings(number: int, document: Mapping[str, object], errors: list[LineError]) -> None:
    """Bad UTF-8 cannot occur here (the line decoded), but escaped lone surrogates can; and details
    are capped so a sealed blob stays small."""
    for path, text in _strings(document, ""):
        if any("\ud800" <= c <= "\udfff" for c in text):
            errors.append(LineError(number, path, "bevat ongeldige tekens (losse surrogaten)"))
    details = document.get("details")
    if isinstance(details, Mapping):
        if len(details) > MAX_DETAILS:
            errors.append(
                LineError(number, "details", f"te veel elementen (maximaal {MAX_DETAILS})")
            )
        for name, text in details.items():
            if len(name) > DETAIL_KEY_MAX:
                errors.append(
                    LineError(number, "details", f"sleutel langer dan {DETAIL_KEY_MAX} tekens")
                )
            elif isinstance(text, str) and len(text) > TEXT_MAX:
                errors.append(LineError(number, f"details.{name}", f"langer dan {TEXT_MAX} tekens"))


def _strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for name, item in value.items():
            yield from _strings(item, f"{path}.{name}" if path else str(name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def _path(loc: tuple[object, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or WHOLE_LINE


def _matches(pattern: str, text: str) -> bool:
    return re.fullmatch(pattern, text) is not None
