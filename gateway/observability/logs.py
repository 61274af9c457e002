"""Structured JSON logs that cannot carry identifiers.

Two layers, because no pattern list can recognise a name: (1) an allow-list of keys whose values
are ids, codes and numbers; any other key is dropped whole; (2) every string that survives is
scanned for identifier shapes (BSN, postcode, phone, e-mail, IBAN, kenteken, long digit runs) and
masked. Event names must be dotted codes; free text in the event is replaced. Exceptions are logged
as type and code location only: messages of validation errors can echo input.

A few keys are judged by their name and the shape of their value instead, because their values
are useful and cannot be an identifier in that shape: a policy revision or batch digest (a SHA-256,
which a digit-run rule would otherwise mask at random), the bind address, a ``message`` that is
one of the known messages of uvicorn and alembic (where the server listens, that a port is in use;
each argument of the message is checked on its own), and ``policy_problems`` (OPA's
``file:line: code: message``, with quoted values, capitalised words and identifier shapes masked).
Standard-library records keep their logger name as event and their text under ``message``.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable
from types import TracebackType
from typing import TextIO, TypeAlias

import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

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
        "revision",
        "previous_revision",
        "policy_problems",
        "message",
        "url",
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


# What survives scrubbing: a JSON scalar, or a list of them (tuples and sets become lists).
_Scrubbed: TypeAlias = "str | int | float | bool | None | list[_Scrubbed]"


def _scrub(value: object) -> _Scrubbed:
    if isinstance(value, str):
        return _scrub_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value if abs(value) < _LARGEST_NUMBER else MASK
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(v) for v in value]
    return MASK  # dicts and objects: their repr could hold anything


# --- keys judged by name and value shape ---------------------------------------------------------

# A SHA-256 in hex (optionally ``sha256:``-prefixed, as policy revisions are). At least one letter:
# 64 digits in a row would be a number, not a digest, and is scrubbed like any other.
_DIGEST = re.compile(r"(?:sha256:)?(?=[0-9]*[a-f])[0-9a-f]{64}")
_DIGEST_KEYS = frozenset({"policy_revision", "revision", "previous_revision", "batch_sha256"})


def _host(value: str) -> str:
    return value if value in _BIND_HOSTS else _scrub_text(value)


def _port(value: str) -> str:
    return value if value.isdigit() and int(value) <= 65535 else MASK


def _small_number(value: str) -> str:
    return value if value.isdigit() and int(value) < _LARGEST_NUMBER else MASK


# The operating system's own error texts ("Address already in use"), in any case: a message may
# quote one, nothing else, in that place.
_STRERRORS = frozenset(os.strerror(n).lower() for n in range(1, 200))


def _strerror(value: str) -> str:
    return value if value.lower() in _STRERRORS else MASK


def _migration_ids(value: str) -> str:
    ids = [part.strip() for part in value.split(",")]
    safe = all(re.fullmatch(r"[a-z0-9_]{0,64}", i) and _scrub_text(i) == i for i in ids)
    return value if safe else MASK


def _masked(_value: str) -> str:
    return MASK


_HOST_PORT = r"(?:\[(?P<host6>[0-9A-Fa-f:.]*)\]|(?P<host>[^\s:/\[\]]+)):(?P<port>\d{1,5})"
# The messages of uvicorn and alembic a person needs (where the server listens, that a port is in
# use, which migration runs), as written by those libraries; each named group is an argument and
# is checked by its function. Any other message of any logger is scrubbed like every value.
# One check per named group: the group's text in, that text or the mask out.
_Checks: TypeAlias = dict[str, Callable[[str], str]]
_MESSAGE_CHECKS: list[tuple[str, _Checks]] = [
    (
        r"Uvicorn running on https?://" + _HOST_PORT + r" \(Press CTRL\+C to quit\)",
        {"host": _host, "host6": _host, "port": _port},
    ),
    (r"(?:Started|Finished) server process \[(?P<pid>\d+)\]", {"pid": _small_number}),
    (r"Waiting for application (?:startup|shutdown)\.", {}),
    (r"Application (?:startup|shutdown) complete\.", {}),
    (r"Application (?:startup|shutdown) failed\. Exiting\.", {}),
    (r"Shutting down", {}),
    (
        r"Waiting for (?:background tasks|connections) to (?:complete|close)\. "
        r"\(CTRL\+C to force quit\)",
        {},
    ),
    (r"ASGI 'lifespan' protocol appears unsupported\.", {}),
    (  # uvicorn logs the OSError of a failed bind as is
        r"\[Errno (?P<errno>\d{1,4})\] error while attempting to bind on address "
        r"\('(?P<host>[^']*)', (?P<port>\d{1,5})(?:, \d+, \d+)?\): (?P<strerror>[A-Za-z ]+)",
        {"errno": _small_number, "host": _host, "port": _port, "strerror": _strerror},
    ),
    (
        r"\[Errno (?P<errno>\d{1,4})\] (?P<strerror>[A-Za-z ]+)",
        {"errno": _small_number, "strerror": _strerror},
    ),
    (  # the access log: method, protocol and status; the caller and the raw path are masked
        r'(?P<client>\S+) - "(?:[A-Z]{3,7}) (?P<path>\S+) HTTP/\d(?:\.\d)?" \d{3}',
        {"client": _masked, "path": _masked},
    ),
    (r"Context impl [A-Z][A-Za-z]{0,40}Impl\.", {}),
    (r"Will assume (?:non-)?transactional DDL\.", {}),
    (  # the migration's description is free text: masked
        r"Running (?:upgrade|downgrade|stamp) (?P<source>[^>]*?) -> (?P<target>[^,]+?)"
        r"(?:, (?P<doc>.*))?",
        {"source": _migration_ids, "target": _migration_ids, "doc": _masked},
    ),
]
_LIBRARY_MESSAGES = [(re.compile(p), checks) for p, checks in _MESSAGE_CHECKS]


def _scrub_message(value: object) -> _Scrubbed:
    """A known library message with each argument checked; any other message scrubbed whole."""
    if not isinstance(value, str):
        return _scrub(value)
    for pattern, checks in _LIBRARY_MESSAGES:
        match = pattern.fullmatch(value)
        if match is None:
            continue
        spans = sorted((match.span(g), g) for g in checks if match.group(g) is not None)
        pieces: list[str] = []
        end = 0
        for (start, stop), group in spans:
            pieces += [value[end:start], checks[group](match.group(group))]
            end = stop
        return "".join([*pieces, value[end:]])
    return _scrub_text(value)


def _scrub_url(value: object) -> _Scrubbed:
    """``http(s)://host:port`` with a bind address; anything else scrubbed whole."""
    if isinstance(value, str):
        match = re.fullmatch(r"https?://" + _HOST_PORT, value)
        host = match and (match.group("host") or match.group("host6"))
        if match and host in _BIND_HOSTS and _port(match.group("port")) != MASK:
            return value
    return _scrub(value)


# OPA's location and code, then its message. OPA quotes values it echoes, so quoted text goes;
# capitalised words (names) and identifier shapes go too. Policy source lines, which OPA prints
# under a parse error, are never passed here.
_OPA_PROBLEM = re.compile(r"[A-Za-z0-9_./-]{1,200}:\d{1,6}: [a-z_]{1,60}: ")
_QUOTED = re.compile(r'"[^"]*"|\'[^\']*\'|`[^`]*`')
_CAPITALISED = re.compile(r"(?<![A-Za-z])[A-Z][a-z]+(?![A-Za-z])")  # as in _FREE_TEXT


def _scrub_problem(value: object) -> _Scrubbed:
    if not isinstance(value, str) or "\n" in value:
        return _scrub(value)
    head = _OPA_PROBLEM.match(value)
    if head is None or _scrub_text(head.group(0).split(":", 1)[0]) == MASK:
        return _scrub_text(value)
    text = _QUOTED.sub(MASK, value[head.end() :][:300])
    for shape in _IDENTIFIER_SHAPES:
        text = shape.sub(MASK, text)
    return head.group(0) + _CAPITALISED.sub(MASK, text)


def _scrub_by_name(key: str, value: object) -> _Scrubbed:
    """A value of ``key``: kept if its shape is safe for that key, scrubbed otherwise."""
    if key == "timestamp" and isinstance(value, str) and _TIMESTAMP.fullmatch(value):
        return value
    if key == "host" and isinstance(value, str) and value in _BIND_HOSTS:
        return value
    if key in _DIGEST_KEYS and isinstance(value, str) and _DIGEST.fullmatch(value):
        return value
    if key == "message":
        return _scrub_message(value)
    if key == "url":
        return _scrub_url(value)
    if key == "policy_problems" and isinstance(value, list | tuple):
        return [_scrub_problem(v) for v in value]
    return _scrub(value)


def redact_identifiers(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: keep only allow-listed keys, mask identifier shapes in what is left."""
    exc_info = event_dict.pop("exc_info", None)
    clean: dict[str, object] = {}
    dropped: list[str] = []
    for key, value in event_dict.items():
        if key not in ALLOWED_KEYS:
            clean.setdefault("dropped", dropped)
            dropped.append(_scrub_text(key)[:40])
            continue
        clean[key] = _scrub_by_name(key, value)
    event = event_dict.get("event")
    if not isinstance(event, str) or not _EVENT.match(event):
        clean["event"] = "log.redacted-event"
    if exc_info:
        clean["exception"] = _exception_summary(exc_info)
    return clean


# ``exc_info`` as structlog and stdlib records carry it: True for the exception being handled, an
# exception, or a ``sys.exc_info()`` tuple. The caller passes only a true value.
_ExcInfoArg: TypeAlias = (
    bool
    | BaseException
    | tuple[type[BaseException], BaseException, TracebackType | None]
    | tuple[None, None, None]
)


def _exception_summary(exc_info: _ExcInfoArg) -> dict[str, str | list[str]]:
    if isinstance(exc_info, bool):
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


def configure_logging(
    *, level: str = "INFO", fmt: str = "json", stream: TextIO | None = None
) -> None:
    """Route structlog and stdlib logging (uvicorn, SQLAlchemy) through the redacting pipeline."""
    renderers: list[Processor] = (
        [structlog.processors.JSONRenderer()]
        if fmt == "json"
        else [_exception_as_text, structlog.dev.ConsoleRenderer(colors=False)]
    )
    shared: list[Processor] = [
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
    # Loggers that configured themselves before (uvicorn's, alembic's) write through this handler
    # too: their records are scrubbed like every other, not lost to a handler of their own.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "alembic"):
        library = logging.getLogger(name)
        library.handlers, library.propagate, library.disabled = [], True, False


def _exception_as_text(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """ConsoleRenderer prints ``exception`` as a preformatted string and fails on our summary
    dict (which made every logged exception raise, and stdlib print the raw record to stderr)."""
    summary = event_dict.get("exception")
    if isinstance(summary, dict):
        event_dict["exception"] = f"{summary['type']} at " + " < ".join(reversed(summary["frames"]))
    return event_dict


def _stdlib_event(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Foreign (stdlib) records: the logger name becomes the event, the text goes to ``message``,
    where the redaction keeps a known library message and scrubs any other."""
    record = event_dict.get("_record")
    name = getattr(record, "name", "stdlib")
    event_dict["message"] = event_dict.get("event")
    event_dict["event"] = "stdlib." + re.sub(r"[^a-z0-9_.-]", "_", name.lower())[:60]
    return event_dict


def get_logger(name: str = "gateway") -> FilteringBoundLogger:
    """A logger of the wrapper class :func:`configure_logging` sets (structlog's default before)."""
    logger: FilteringBoundLogger = structlog.get_logger(name)
    return logger
