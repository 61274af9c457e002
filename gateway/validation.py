"""Pydantic validation errors as the gateway reports them: located (``signals[3].subjects[0]``),
in Dutch, and without the offending value, since an input value may be personal data. Used by the
API and by every service that parses a document itself (a signed batch is parsed by the ingest
service, not by FastAPI)."""

from __future__ import annotations

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


def location(loc: tuple[Any, ...] | list[Any]) -> str:  # Any: names, indexes
    """``("signals", 3, "subjects", 0, "kind")`` to ``signals[3].subjects[0].kind``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith(("function-", "enum[", "literal[")):
            continue  # pydantic's internal validator names, not places in the document
        else:
            text += f".{part}" if text else str(part)
    return text or "body"


def field_errors(exc: _HasErrors) -> list[FieldError]:
    """Located, Dutch, value-free messages: input values never leave in an error."""
    found: list[FieldError] = []
    for error in exc.errors():
        kind = error["type"]
        if kind == "value_error":
            message = str(error["msg"]).removeprefix("Value error, ")
        elif kind == "enum":
            message = "onbekende waarde; toegestaan: " + str(
                error.get("ctx", {}).get("expected", "")
            )
        elif kind == "json_invalid":
            message = "ongeldige JSON: " + str(error.get("ctx", {}).get("error", ""))
        else:
            message = _DUTCH.get(kind, str(error["msg"]))
        found.append(FieldError(location(error["loc"]), message, kind))
    return found


def invalid_input(exc: _HasErrors) -> InvalidInput:
    found = field_errors(exc)
    return InvalidInput(f"{len(found)} fout(en) in de invoer; er is niets opgeslagen", found)
