"""Pydantic validation errors as the gateway reports them: located (``signals[3].subjects[0]``),
in Dutch, and without the offending value, since an input value may be personal data. Used by the
API and by every service that parses a document itself (a signed batch is parsed by the ingest
service, not by FastAPI)."""

from __future__ import annotations

import re
from typing import Any, Protocol

from gateway.errors import FieldError, InvalidInput


class _HasErrors(Protocol):
    """pydantic's ``ValidationError`` and FastAPI's ``RequestValidationError`` alike."""

    def errors(self) -> Any: ...  # Any: two libraries' error lists of the same shape


_DUTCH = {
    "missing": "verplicht veld ontbreekt",
    "extra_forbidden": "onbekend veld",
    "string_pattern_mismatch": "voldoet niet aan het verwachte formaat",
    "string_too_short": "te kort",
    "string_too_long": "te lang",
    "too_short": "te weinig elementen",
    "too_long": "te veel elementen",
    "int_parsing": "verwacht een geheel getal",
    "int_type": "verwacht een geheel getal",
    "bool_type": "verwacht true of false",
    "bool_parsing": "verwacht true of false",
    "string_type": "verwacht tekst",
    "list_type": "verwacht een lijst",
    "model_type": "verwacht een object",
    "dict_type": "verwacht een object",
    "datetime_parsing": "verwacht een tijdstip (ISO 8601)",
    "datetime_from_date_parsing": "verwacht een tijdstip (ISO 8601)",
    "datetime_type": "verwacht een tijdstip (ISO 8601)",
    "timezone_aware": "tijdstip zonder tijdzone",
    "date_parsing": "verwacht een datum (JJJJ-MM-DD)",
    "date_from_datetime_parsing": "verwacht een datum (JJJJ-MM-DD)",
    "greater_than_equal": "te klein",
    "less_than_equal": "te groot",
}


# What a name in an input's location may look like: the schema's own field names and parameter
# names (``signals``, ``observed_at``, ``x-request-id``). Anything else came from the caller (a key
# of a free-form object) and is never repeated back.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")
_UNKNOWN = "<onbekend veld {}>"


def location(loc: tuple[Any, ...] | list[Any], *, hide_keys: bool = False) -> str:  # Any: names
    """``("signals", 3, "subjects", 0, "kind")`` to ``signals[3].subjects[0].kind``.

    ``hide_keys`` (a caller's input): a part that is no schema name is shown as ``<veld>``, so a
    location names a position, never what the caller typed. An operator's own configuration file
    (``gateway.policy.covenant_schema``) is located with its keys."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith(("function-", "enum[", "literal[")):
            continue  # pydantic's internal validator names, not places in the document
        else:
            name = "<veld>" if hide_keys and not _NAME.fullmatch(str(part)) else str(part)
            text += f".{name}" if text else name
    return text or "body"


def _unknown_field(loc: tuple[Any, ...] | list[Any], seen: dict[str, int]) -> str:  # Any: names
    """Where an unknown key is: its parent object and which unknown key of that object it is
    (``signals[0].<onbekend veld 2>``), never the key itself: a key can be personal data."""
    parent = location(loc[:-1], hide_keys=True) if len(loc) > 1 else ""
    seen[parent] = seen.get(parent, 0) + 1
    unknown = _UNKNOWN.format(seen[parent])
    return f"{parent}.{unknown}" if parent else unknown


def field_errors(exc: _HasErrors) -> list[FieldError]:
    """Located, Dutch, value-free messages: input values and unknown keys never leave in an
    error."""
    found: list[FieldError] = []
    unknown: dict[str, int] = {}
    for error in exc.errors():
        kind = error["type"]
        if kind == "extra_forbidden":
            found.append(FieldError(_unknown_field(error["loc"], unknown), _DUTCH[kind], kind))
            continue
        if kind == "value_error":
            message = str(error["msg"]).removeprefix("Value error, ")
        elif kind == "enum":
            message = "onbekende waarde; toegestaan: " + str(
                error.get("ctx", {}).get("expected", "")
            )
        elif kind == "json_invalid":
            message = "ongeldige JSON: " + str(error.get("ctx", {}).get("error", ""))
        elif kind == "union_tag_invalid":
            message = "onbekende soort; toegestaan: " + str(
                error.get("ctx", {}).get("expected_tags", "")
            )
        elif kind == "literal_error":
            message = "onbekende waarde; toegestaan: " + str(
                error.get("ctx", {}).get("expected", "")
            )
        else:
            # Never pydantic's own text for a code without a Dutch one: it may quote the input.
            message = _DUTCH.get(kind, f"voldoet niet aan het contract ({kind})")
        found.append(FieldError(location(error["loc"], hide_keys=True), message, kind))
    return found


def invalid_input(exc: _HasErrors) -> InvalidInput:
    found = field_errors(exc)
    return InvalidInput(f"{len(found)} fout(en) in de invoer; er is niets opgeslagen", found)
