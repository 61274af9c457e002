"""Structured JSON logs that cannot carry identifiers.

Two layers, because no pattern list can recognise a name: (1) an allow-list of keys whose values
are ids, codes and numbers; any other key is dropped whole; (2) every string that survives is
scanned for identifier shapes (BSN, postcode, phone, e-mail, IBAN, kenteken, long digit runs) and
masked. Event names must be dotted codes; free text in the event is replaced. Exceptions are logged
as type and code location only: messages of validation errors can echo input.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Keys whose values are ids, codes, counts or durations by construction.
ALLOWED_KEYS = frozenset(
    {
        "event",
        "level",
        "timestamp",
        "logger",
        "party",
        "party_type",
        "sub",
        "roles",
        "reason",
        "error_type",
        "problem",
        "method",
        "route",
        "status",
        "duration_ms",
        "request_id",
        "count",
        "stored",
        "duplicates",
        "errors",
        "batch_sha256",
        "audit_seq",
        "host",
        "port",
        "database",
        "path_kind",
        "version",
        "policy_revision",
        "exception",
        "created",
        "parties",
        "policy_engine",
        "gogc",
        "recommended_gogc",
    }
)
MASK = "[verwijderd]"
_EVENT = re.compile(r"^[a-z][a-z0-9_.-]{0,80}$")
# Word edges without ``\b``: an underscore is a word character, so ``\b`` let ``pc_3011AB`` through.
_S, _E = r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])"
_IDENTIFIER_SHAPES = [
    re.compile(r"\d[\d .-]{6,}\d"),  # BSN, phone, long numbers (any 8+ digit run, spaced or not)
    re.compile(_S + r"\d{4}\s?[A-Za-z]{2}" + _E),  # postcode
    re.compile(r"[^\s@]+@[^\s@]+"),  # e-mail
    re.compile(_S + r"[A-Za-z]{2}\d{2}\s?[A-Za-z]{4}(?:\s?\d){6,}" + _E),  # IBAN
    re.compile(r"\+\d[\d ]{6,}"),  # E.164 phone
    re.compile(_S + r"[A-Za-z0-9]{1,3}-[A-Za-z0-9]{2,3}-[A-Za-z0-9]{1,3}" + _E),  # kenteken
]
# Ids and codes are single tokens without capitalised words; white space or a word like
# "Jansen" means free text (a name, a message), which an allow-listed key must not carry.
_FREE_TEXT = re.compile(r"\s|(?<![A-Za-z])[A-Z][a-z]+(?![A-Za-z])")
# As long as a BSN, phone or account number: a number this size is not a count.
_LARGEST_NUMBER = 10**7
# The usual bind addresses: "127.0.0.1" looks like a number run to the shapes above, but none of
# these can be an identifier (too few digits for a BSN or a phone number). Any other host is
# scrubbed like every other value.
_BIND_HOSTS = frozenset({"127.0.0.1", "0.0.0.0", "::1", "::", "localhost"})
# What the pipeline's own TimeStamper writes; its digit runs are a date, not an identifier.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z")


def _scrub_text(value: str) -> str:
    """The string, or the mask if it holds an identifier shape or reads as free text."""
    if _FREE_TEXT.search(value) or any(shape.search(value) for shape in _IDENTIFIER_SHAPES):
        return MASK
    return value


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _scrub_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value if abs(value) < _LARGEST_NUMBER else MASK
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(v) for v in value]
    return MASK  # dicts and objects: their repr could hold anything


def redact_identifiers(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: keep only allow-listed keys, mask identifier shapes in what is left."""
    exc_info = event_dict.pop("exc_info", None)
    clean: dict[str, Any] = {}
    for key, value in event_dict.items():
        if key not in ALLOWED_KEYS:
            clean.setdefault("dropped", []).append(_scrub_text(key)[:40])
            continue
        keep = (key == "timestamp" and isinstance(value, str) and _TIMESTAMP.fullmatch(value)) or (
            key == "host" and value in _BIND_HOSTS
        )
        clean[key] = value if keep else _scrub(value)
    event = event_dict.get("event")
    if not isinstance(event, str) or not _EVENT.match(event):
        clean["event"] = "log.redacted-event"
    if exc_info:
        clean["exception"] = _exception_summary(exc_info)
    return clean


def _exception_summary(exc_info: Any) -> dict[str, Any]:
    if exc_info is True:
        exc_info = sys.exc_info()
    if isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    exc_type, _exc, tb = exc_info
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        frames.append(f"{code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}:{code.co_name}")
        tb = tb.tb_next
    return {"type": getattr(exc_type, "__name__", "?"), "frames": frames[-8:]}


def configure_logging(*, level: str = "INFO", fmt: str = "json", stream: Any = None) -> None:
    """Route structlog and stdlib logging (uvicorn, SQLAlchemy) through the redacting pipeline."""
    renderers: list[Any] = (
        [structlog.processors.JSONRenderer()]
        if fmt == "json"
        else [_exception_as_text, structlog.dev.ConsoleRenderer(colors=False)]
    )
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, redact_identifiers, *renderers],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, _stdlib_event],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                redact_identifiers,
                *renderers,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # uvicorn's own access log prints raw paths and queries; the gateway logs requests itself.
    logging.getLogger("uvicorn.access").disabled = True


def _exception_as_text(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """ConsoleRenderer prints ``exception`` as a preformatted string and fails on our summary
    dict (which made every logged exception raise, and stdlib print the raw record to stderr)."""
    summary = event_dict.get("exception")
    if isinstance(summary, dict):
        event_dict["exception"] = f"{summary['type']} at " + " < ".join(reversed(summary["frames"]))
    return event_dict


def _stdlib_event(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Foreign (stdlib) records carry free text: keep the logger name, not the message."""
    record = event_dict.get("_record")
    name = getattr(record, "name", "stdlib")
    event_dict["event"] = "stdlib." + re.sub(r"[^a-z0-9_.-]", "_", name.lower())[:60]
    return event_dict


def get_logger(name: str = "gateway") -> Any:
    return structlog.get_logger(name)
