"""The log pipeline refuses to emit identifiers: BSN, names, postcodes, phone
numbers, e-mail, IBAN and kentekens never reach the output, whichever way they are logged, while
the ids, codes and counts the gateway does log come out intact."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import structlog
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from gateway.observability.logs import (
    ALLOWED_KEYS,
    MASK,
    configure_logging,
    get_logger,
    redact_identifiers,
)

SAFE_PARTY = "gemeente-rotterdam"
SAFE_ROUTE = "/v1/signals/{ref}/status"

# Each identifier with the fragments of it that must not appear either.
IDENTIFIERS: dict[str, tuple[str, ...]] = {
    "111222333": ("111222333",),
    "1112 22 333": ("1112 22 333", "1112 22"),
    "Jansen": ("Jansen",),
    "de Vries": ("de Vries", "Vries"),
    "Fatima El Amrani": ("Fatima", "Amrani"),
    "3011 AB": ("3011 AB",),
    "3011AB": ("3011AB",),
    "+31612345678": ("31612345678", "612345678"),
    "06-12345678": ("06-12345678", "12345678"),
    "j.jansen@example.nl": ("j.jansen@example.nl", "jansen@", "@example"),
    "NL91ABNA0417164300": ("NL91ABNA0417164300", "0417164300"),
    "12-ABC-3": ("12-ABC-3",),
}
IDENTIFIER_IDS = {
    "111222333": "bsn",
    "1112 22 333": "bsn-spaced",
    "Jansen": "name-jansen",
    "de Vries": "name-de-vries",
    "Fatima El Amrani": "name-fatima-el-amrani",
    "3011 AB": "postcode-spaced",
    "3011AB": "postcode",
    "+31612345678": "phone-e164",
    "06-12345678": "phone-mobile",
    "j.jansen@example.nl": "email",
    "NL91ABNA0417164300": "iban",
    "12-ABC-3": "kenteken",
}
VALUES = [pytest.param(value, id=IDENTIFIER_IDS[value]) for value in IDENTIFIERS]
LOGGED_KEYS = sorted(ALLOWED_KEYS - {"event"})  # ``event`` is the positional argument
LIBRARY_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "alembic")
LEVELS = re.compile(r"^\S+ \[(debug|info|warning|error|critical)\s*\]", re.MULTILINE)


def assert_no_identifier(value: str, output: str) -> None:
    for fragment in IDENTIFIERS[value]:
        assert fragment not in output, f"{fragment!r} leaked into: {output}"


@contextmanager
def pipeline(fmt: str = "json") -> Iterator[io.StringIO]:
    """The configured pipeline writing into a buffer; logging is put back as it was afterwards.

    A context manager inside the test rather than a fixture: pytest adds and removes its own root
    handlers per test phase, so the snapshot has to be taken and restored in the same phase.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    libraries = [logging.getLogger(name) for name in LIBRARY_LOGGERS]
    saved = [(list(lib.handlers), lib.propagate, lib.disabled, lib.level) for lib in libraries]
    stream = io.StringIO()
    configure_logging(stream=stream, fmt=fmt)
    try:
        yield stream
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.reset_defaults()
        root.handlers = handlers
        root.setLevel(level)
        for lib, (lib_handlers, propagate, disabled, lib_level) in zip(
            libraries, saved, strict=True
        ):
            lib.handlers, lib.propagate, lib.disabled = lib_handlers, propagate, disabled
            lib.setLevel(lib_level)


def records(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines()]


def count_records(output: str, fmt: str) -> int:
    return len(records(output)) if fmt == "json" else len(LEVELS.findall(output))


# --- ways an identifier can be handed to the logger -------------------------------------------

Placement = Callable[[Any, str], int]  # logs ``value`` somehow; returns the number of records


def as_event(log: Any, value: str) -> int:
    log.info(value)
    return 1


def in_event_sentence(log: Any, value: str) -> int:
    log.info(f"signaal over {value} ontvangen")
    return 1


def in_event_code(log: Any, value: str) -> int:
    log.info(f"signals.{value}")
    return 1


def as_event_format_argument(log: Any, value: str) -> int:
    log.info("signals.%s", value)
    return 1


def in_every_allowed_key(log: Any, value: str) -> int:
    for key in LOGGED_KEYS:
        log.info("signals.probe", **{key: value})
    return len(LOGGED_KEYS)


def glued_to_a_code(log: Any, value: str) -> int:
    """Inside a code-like value, joined by ``_``, ``/`` or ``:`` (``\\b`` keeps ``_x`` whole)."""
    log.info(
        "signals.probe",
        reason=f"pc_{value}_x",
        route=f"/adres/{value}/status",
        sub=f"medewerker:{value}",
        request_id=f"{value}_1",
    )
    return 1


def in_other_keys(log: Any, value: str) -> int:
    log.info(
        "signals.probe",
        naam=value,
        bsn=value,
        adres=value,
        telefoon=value,
        email=value,
        detail=value,
        message=value,
        error=value,
    )
    return 1


def nested_in_containers(log: Any, value: str) -> int:
    log.info(
        "signals.probe",
        errors=[{"naam": value}],
        parties=[value, SAFE_PARTY],
        roles=[[value], (value,)],
        created=(value,),
        count={"n": value},
        reason={value},
        detail={"lijst": [value]},
    )
    return 1


def as_key_name(log: Any, value: str) -> int:
    log.info("signals.probe", **{value: 1, f"naam_{value}": 2})
    return 1


def bound(log: Any, value: str) -> int:
    log.bind(party=value, naam=value).info("signals.probe")
    return 1


def in_contextvars(log: Any, value: str) -> int:
    structlog.contextvars.bind_contextvars(sub=value, naam=value)
    try:
        log.info("signals.probe")
    finally:
        structlog.contextvars.clear_contextvars()
    return 1


def in_exception_message(log: Any, value: str) -> int:
    try:
        try:
            raise KeyError(value)
        except KeyError as inner:
            raise ValueError(f"BSN of naam {value} ongeldig") from inner
    except ValueError as exc:
        log.exception("signals.failed")
        log.error("signals.failed", exc_info=True)
        log.error("signals.failed", exc_info=exc)
        log.warning("signals.failed", exc_info=(type(exc), exc, exc.__traceback__))
    return 4


def stdlib_message(log: Any, value: str) -> int:
    std = logging.getLogger("uvicorn.error")
    std.warning(value)
    std.warning("fout bij %s", value)
    std.warning(f"fout bij {value}", extra={"naam": value})
    return 3


def stdlib_exception(log: Any, value: str) -> int:
    std = logging.getLogger("uvicorn.error")
    try:
        raise RuntimeError(f"verbinding voor {value} mislukt")
    except RuntimeError:
        std.error("fout bij %s", value, exc_info=True)
        std.exception("onverwacht")
    return 2


PLACEMENTS = [
    pytest.param(p, id=p.__name__.replace("_", "-"))
    for p in (
        as_event,
        in_event_sentence,
        in_event_code,
        as_event_format_argument,
        in_every_allowed_key,
        glued_to_a_code,
        in_other_keys,
        nested_in_containers,
        as_key_name,
        bound,
        in_contextvars,
        in_exception_message,
        stdlib_message,
        stdlib_exception,
    )
]


# --- the configured pipeline -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "console"])
@pytest.mark.parametrize("place", PLACEMENTS)
@pytest.mark.parametrize("value", VALUES)
def test_identifier_never_reaches_the_log(value, place, fmt, capsys):
    with pipeline(fmt) as stream:
        expected = place(get_logger("gateway.test"), value)
    output = stream.getvalue()
    assert count_records(output, fmt) == expected, output  # logged, not lost or crashed
    assert_no_identifier(value, output)
    captured = capsys.readouterr()  # a failing handler prints the record to stderr
    assert "Logging error" not in captured.err
    assert_no_identifier(value, captured.out + captured.err)


def test_allowed_keys_keep_their_values_masked_not_dropped():
    """The identifier is masked in place: the key still shows that something was logged."""
    with pipeline() as stream:
        get_logger().info("signals.probe", party="Jansen", route="3011 AB", count=3)
    (record,) = records(stream.getvalue())
    assert record["party"] == MASK and record["route"] == MASK and record["count"] == 3
    assert "dropped" not in record


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0", "::1"])
def test_the_bind_address_is_logged_but_another_host_is_scrubbed(host):
    with pipeline() as stream:
        get_logger().info("gateway.started", host=host)
        get_logger().info("gateway.started", host="10.123.45.67")  # could be a dotted BSN
    started, other = records(stream.getvalue())
    assert started["host"] == host and other["host"] == MASK


def test_safe_values_come_out_intact_as_json():
    with pipeline() as stream:
        get_logger("gateway.signals").info(
            "signals.ingested",
            party=SAFE_PARTY,
            count=3,
            stored=2,
            duplicates=1,
            route=SAFE_ROUTE,
            method="POST",
            status=200,
            duration_ms=12.5,
            reason="body-mismatch",
            problem="invalid-input",
            error_type="IntegrityError",
            roles=["adapter", "deelnemer"],
            audit_seq=42,
            port=8080,
            database="postgresql",
            version="0.1.0",
            naam="Jansen",
        )
    (record,) = records(stream.getvalue())
    timestamp = record.pop("timestamp")
    assert record == {
        "event": "signals.ingested",
        "level": "info",
        "party": SAFE_PARTY,
        "count": 3,
        "stored": 2,
        "duplicates": 1,
        "route": SAFE_ROUTE,
        "method": "POST",
        "status": 200,
        "duration_ms": 12.5,
        "reason": "body-mismatch",
        "problem": "invalid-input",
        "error_type": "IntegrityError",
        "roles": ["adapter", "deelnemer"],
        "audit_seq": 42,
        "port": 8080,
        "database": "postgresql",
        "version": "0.1.0",
        "dropped": ["naam"],
    }
    logged_at = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - logged_at) < timedelta(minutes=1)


def test_safe_values_come_out_intact_on_the_console():
    with pipeline("console") as stream:
        get_logger().info("signals.ingested", party=SAFE_PARTY, count=3, route=SAFE_ROUTE)
    output = stream.getvalue()
    assert "signals.ingested" in output
    for pair in (f"party={SAFE_PARTY}", "count=3", f"route={SAFE_ROUTE}"):
        assert pair in output
    stamp = output.split(" ", 1)[0]
    assert datetime.fromisoformat(stamp.replace("Z", "+00:00")).tzinfo is not None


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_exception_is_logged_as_type_and_code_location_only(fmt):
    with pipeline(fmt) as stream:
        try:
            raise ValueError("BSN 111222333 van Jansen")
        except ValueError:
            get_logger().exception("http.unexpected-error", route=SAFE_ROUTE)
    output = stream.getvalue()
    assert "ValueError" in output and "test_logging.py" in output
    assert "111222333" not in output and "Jansen" not in output
    if fmt == "json":
        (record,) = records(output)
        assert record["exception"]["type"] == "ValueError"
        assert any(frame.startswith("test_logging.py:") for frame in record["exception"]["frames"])


def test_stdlib_records_keep_the_logger_name_not_the_message():
    with pipeline() as stream:
        logging.getLogger("uvicorn.error").warning("Jansen uit 3011 AB belde")
    (record,) = records(stream.getvalue())
    assert record["event"] == "stdlib.uvicorn.error" and record["level"] == "warning"
    assert record["message"] == MASK  # free text: masked whole, but the record is there


def test_pipeline_setup_is_undone_after_each_test():
    """The helper itself: structlog defaults and the root handlers are back afterwards."""
    root = logging.getLogger()
    before = list(root.handlers)
    with pipeline():
        assert root.handlers != before
    assert root.handlers == before
    assert not structlog.is_configured()


# --- the processor on its own ------------------------------------------------------------------


@pytest.mark.parametrize("value", VALUES)
def test_processor_masks_identifiers_everywhere(value):
    try:
        raise ValueError(f"naam {value}")
    except ValueError as exc:
        error = exc
    event_dict: dict[str, Any] = {key: value for key in LOGGED_KEYS}
    event_dict.update(
        event=f"melding {value}",
        naam=value,
        nested={"naam": value},
        errors=[value, {"naam": value}, [value]],
        exc_info=error,
        **{value: value},
    )
    result = redact_identifiers(None, "info", event_dict)
    assert_no_identifier(value, json.dumps(result, ensure_ascii=False))
    assert result["event"] == "log.redacted-event"
    assert set(LOGGED_KEYS) <= set(result)  # masked in place, not silently dropped
    assert result["exception"]["type"] == "ValueError"


# --- generated BSNs ----------------------------------------------------------------------------

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def passes_eleven_check(bsn: str) -> bool:
    return (
        len(bsn) == 9
        and bsn.isdigit()
        and sum(w * int(d) for w, d in zip(WEIGHTS, bsn, strict=True)) % 11 == 0
    )


@st.composite
def bsns(draw: st.DrawFn) -> str:
    """Eight random digits and the ninth that makes the weighted sum divisible by 11."""
    head = draw(st.lists(st.integers(0, 9), min_size=8, max_size=8))
    total = sum(w * d for w, d in zip(WEIGHTS, head, strict=False))
    last = total % 11  # 9*d1 + ... + 2*d8 - d9 ≡ 0 (mod 11)  ⇔  d9 ≡ total (mod 11)
    if last == 10:
        reject()  # no digit fits: these eight digits start no BSN
    return "".join(map(str, head)) + str(last)


FORMS: dict[str, Callable[[str], Any]] = {
    "plain": lambda b: b,
    "spaced": lambda b: f"{b[:4]} {b[4:6]} {b[6:]}",
    "dotted": lambda b: f"{b[:4]}.{b[4:6]}.{b[6:]}",
    "in-text": lambda b: f"bsn:{b};",
    "in-list": lambda b: [b],
}


def test_eleven_check_helper():
    assert passes_eleven_check("111222333")
    assert passes_eleven_check("123456782")
    assert not passes_eleven_check("111222334")
    assert not passes_eleven_check("11122233")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bsn=bsns(), key=st.sampled_from(LOGGED_KEYS), form=st.sampled_from(sorted(FORMS)))
def test_generated_bsn_never_leaks_in_any_allowed_key(bsn, key, form):
    assert passes_eleven_check(bsn)
    value = FORMS[form](bsn)
    shown = value if isinstance(value, str) else value[0]
    processed = json.dumps(redact_identifiers(None, "info", {"event": "signals.probe", key: value}))
    assert bsn not in processed and shown not in processed
    with pipeline() as stream:
        get_logger().info("signals.probe", **{key: value})
    (record,) = records(stream.getvalue())
    assert key in record
    output = stream.getvalue()
    assert bsn not in output and shown not in output


@settings(max_examples=100, deadline=None)
@given(bsn=bsns().filter(lambda b: not b.startswith("00")), key=st.sampled_from(LOGGED_KEYS))
def test_generated_bsn_as_a_number_never_leaks(bsn, key):
    """A BSN passed as an int (``sub=int(bsn)``) is as identifying as the string."""
    number = int(bsn)
    processed = json.dumps(
        redact_identifiers(None, "info", {"event": "signals.probe", key: number})
    )
    assert str(number) not in processed
    with pipeline() as stream:
        get_logger().info("signals.probe", **{key: number})
    assert str(number) not in stream.getvalue()


# --- library messages: scrubbed, not dropped ---------------------------------------------------


def _messages(output: str) -> list[str]:
    return [record.get("message") for record in records(output)]


def test_uvicorn_says_where_it_listens():
    """uvicorn's own start-up code, not a copy of its message."""
    import uvicorn

    async def app(scope: Any, receive: Any, send: Any) -> None:
        """Never called: the message is logged before any request."""

    # log_config=None as ``gateway serve`` does: uvicorn's default would install its own handlers.
    config = uvicorn.Config(app=app, host="127.0.0.1", port=8080, log_config=None)
    config.load()
    with pipeline() as stream:
        uvicorn.Server(config)._log_started_message([])
    (record,) = records(stream.getvalue())
    assert record["event"] == "stdlib.uvicorn.error" and record["level"] == "info"
    assert record["message"] == "Uvicorn running on http://127.0.0.1:8080 (Press CTRL+C to quit)"


@pytest.mark.parametrize("host", ["0.0.0.0", "::1", "localhost"])
def test_uvicorn_address_keeps_a_bind_host(host):
    address = "%s://[%s]:%d" if ":" in host else "%s://%s:%d"  # as uvicorn writes IPv6
    shown = f"[{host}]" if ":" in host else host
    with pipeline() as stream:
        logging.getLogger("uvicorn.error").info(
            f"Uvicorn running on {address} (Press CTRL+C to quit)", "http", host, 8443
        )
    assert _messages(stream.getvalue()) == [
        f"Uvicorn running on http://{shown}:8443 (Press CTRL+C to quit)"
    ]


@pytest.mark.parametrize("value", VALUES)
def test_an_identifier_in_a_library_message_argument_is_masked(value):
    """The known wording is no pass: each argument is checked on its own."""
    std = logging.getLogger("uvicorn.error")
    with pipeline() as stream:
        std.info("Uvicorn running on %s://%s:%d (Press CTRL+C to quit)", "http", value, 8080)
        std.info("Started server process [%s]", value)
        std.error("[Errno %s] %s", 98, value)
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', value, "GET", f"/v1/signals/{value}/status", "1.1", 200
        )
        logging.getLogger("alembic.runtime.migration").info(
            "Running upgrade %s -> %s, %s", value, "0002", value
        )
    output = stream.getvalue()
    assert len(records(output)) == 5
    assert_no_identifier(value, output)


def test_another_host_in_the_listening_message_is_masked():
    with pipeline() as stream:
        logging.getLogger("uvicorn.error").info(
            "Uvicorn running on %s://%s:%d (Press CTRL+C to quit)", "http", "10.123.45.67", 8080
        )
    assert _messages(stream.getvalue()) == [
        f"Uvicorn running on http://{MASK}:8080 (Press CTRL+C to quit)"
    ]


def test_a_busy_port_is_readable(capsys):
    """Both ways uvicorn reports a busy port: its own bind (config.bind_socket) and asyncio's."""
    import asyncio
    import socket

    import uvicorn

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        async def bind_with_asyncio() -> OSError:
            try:
                await asyncio.get_running_loop().create_server(
                    asyncio.Protocol, host="127.0.0.1", port=port
                )
            except OSError as exc:
                return exc
            raise AssertionError("port was not busy")

        error = asyncio.run(bind_with_asyncio())
        with pipeline() as stream:
            with pytest.raises(SystemExit):
                uvicorn.Config(app=None, host="127.0.0.1", port=port, log_config=None).bind_socket()  # type: ignore[arg-type]
            logging.getLogger("uvicorn.error").error(error)  # as uvicorn's Server.startup does
    assert _messages(stream.getvalue()) == [
        "[Errno 98] Address already in use",
        f"[Errno 98] error while attempting to bind on address ('127.0.0.1', {port}): "
        "address already in use",
    ]


def test_the_access_log_keeps_method_and_status_not_caller_or_path():
    with pipeline() as stream:
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d',
            "10.1.2.3:51234",
            "GET",
            "/v1/signals/nla-1/status?x=1",
            "1.1",
            200,
        )
    assert _messages(stream.getvalue()) == [f'{MASK} - "GET {MASK} HTTP/1.1" 200']


def test_alembic_says_which_migration_runs(tmp_path):
    """A real migration run on an empty SQLite database: its steps are readable, the free-text
    description of each migration is masked."""
    from sqlalchemy import create_engine

    from gateway.storage.database import migrate

    engine = create_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
    with pipeline() as stream:
        migrate(engine)
    messages = _messages(stream.getvalue())
    assert "Context impl SQLiteImpl." in messages
    assert "Will assume non-transactional DDL." in messages
    running = [m for m in messages if m.startswith("Running upgrade")]
    assert running[0].startswith("Running upgrade  -> 0001")
    assert all(m.endswith(f", {MASK}") or "," not in m for m in running), running


# --- keys judged by name and value shape -------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(content=st.binary(max_size=64), key=st.sampled_from(["policy_revision", "revision"]))
def test_a_policy_revision_is_never_masked(content, key):
    """A SHA-256 often holds a run of eight digits; a digit-run rule masked it at random."""
    import hashlib

    revision = "sha256:" + hashlib.sha256(content).hexdigest()
    assert redact_identifiers(None, "info", {"event": "policy.changed", key: revision})[key] == (
        revision
    )


def test_a_revision_with_a_long_digit_run_comes_out_intact():
    revision = "sha256:" + "1112223330" * 6 + "abcd"
    with pipeline() as stream:
        get_logger().info("policy.changed", policy_revision=revision, previous_revision=revision)
    (record,) = records(stream.getvalue())
    assert record["policy_revision"] == revision and record["previous_revision"] == revision


@pytest.mark.parametrize(
    "value",
    [
        "1" * 64,  # digits only: a number, not a digest
        "sha256:" + "0612345678" * 6 + "0612",
        "sha256:" + "a" * 64 + " Jansen",
        "111222333",
    ],
)
def test_a_value_in_a_revision_key_that_is_no_digest_is_scrubbed(value):
    result = redact_identifiers(None, "info", {"event": "policy.changed", "revision": value})
    assert result["revision"] == MASK


def test_opa_problems_keep_location_and_message():
    problems = [
        "gateway/ingest/ingest.rego:288: rego_parse_error: unexpected ; token",
        "gateway/ingest/ingest_test.rego:302: eval_builtin_error: to_number: strconv.ParseFloat:"
        ' parsing "Jansen 111222333": invalid syntax (test gateway.ingest_test.test_errs)',
    ]
    result = redact_identifiers(
        None, "warning", {"event": "policy.change-refused", "policy_problems": problems}
    )
    assert result["policy_problems"] == [
        problems[0],
        "gateway/ingest/ingest_test.rego:302: eval_builtin_error: to_number: strconv.ParseFloat:"
        f" parsing {MASK}: invalid syntax (test gateway.ingest_test.test_errs)",
    ]


@pytest.mark.parametrize("value", VALUES)
def test_an_identifier_in_an_opa_problem_is_masked(value):
    problems = [
        f"gateway/x.rego:3: rego_type_error: undefined ref {value} in rule",
        f"gateway/x.rego:4: eval_conflict_error: \"{value.lower()}\" and '{value}'",
        f"{value}.rego:5: rego_parse_error: x",
        f"gateway/x.rego:6: rego_parse_error: x\n\t{value}",
    ]
    with pipeline() as stream:
        get_logger().warning("policy.change-refused", policy_problems=problems)
    (record,) = records(stream.getvalue())
    assert len(record["policy_problems"]) == 4
    assert record["policy_problems"][0].startswith("gateway/x.rego:3: rego_type_error: undefined")
    assert_no_identifier(value, stream.getvalue())
    assert value.lower() not in stream.getvalue()  # quoted, even a lowercased name goes


# --- a refused policy reload says why ----------------------------------------------------------


@pytest.fixture
def reloader(runtime, tmp_path):
    import shutil

    from gateway.policy.reload import PolicyReloader
    from gateway.runtime import open_policy_engine_for
    from tests.support import REPO

    directory = tmp_path / "policies"
    shutil.copytree(REPO / "policies", directory)
    return directory, PolicyReloader(
        runtime,
        directory=directory,
        open_engine=open_policy_engine_for(runtime.settings),
        engine=runtime.engine,
        clock=runtime.clock,
    )


def _refusals(output: str) -> list[dict[str, Any]]:
    return [r for r in records(output) if r["event"] == "policy.change-refused"]


def test_a_reload_refused_for_a_parse_error_logs_file_line_and_opas_message(reloader, runtime):
    directory, policy_reloader = reloader
    rego = directory / "gateway/ingest/ingest.rego"
    source = rego.read_text("utf-8")
    rego.write_text(source + '\nallow if { x := "Jansen 111222333"; ; }\n', encoding="utf-8")
    line = source.count("\n") + 2
    with pipeline() as stream:
        assert policy_reloader.check_once() is None
    (record,) = _refusals(stream.getvalue())
    assert record["level"] == "warning"
    assert record["previous_revision"] == runtime.policy.revision
    assert record["policy_revision"].startswith("sha256:") and record["count"] >= 1
    assert record["policy_problems"] == [
        f"gateway/ingest/ingest.rego:{line}: rego_parse_error: unexpected ; token"
    ]
    # OPA prints the source line under a parse error: it (and the value in it) is not logged.
    assert "Jansen" not in stream.getvalue() and "111222333" not in stream.getvalue()


def test_a_reload_refused_for_failing_tests_names_each_test_and_masks_values(reloader):
    directory, policy_reloader = reloader
    test_file = next(directory.glob("gateway/ingest/*_test.rego"))
    source = test_file.read_text("utf-8")
    test_file.write_text(
        source
        + "\ntest_always_fails if {\n\tfalse\n}\n"
        + 'test_errs if {\n\tto_number("Jansen 111222333") == 1\n}\n',
        encoding="utf-8",
    )
    first = source.count("\n") + 2
    name = str(test_file.relative_to(directory))
    with pipeline() as stream:
        assert policy_reloader.check_once() is None
    (record,) = _refusals(stream.getvalue())
    assert record["errors"] == 2
    failing, erring = record["policy_problems"]
    assert failing == f"{name}:{first}: fail: gateway.ingest_test.test_always_fails"
    assert erring.startswith(f"{name}:{first + 4}: eval_builtin_error: to_number")
    assert erring.endswith("(test gateway.ingest_test.test_errs)") and MASK in erring
    assert "Jansen" not in stream.getvalue() and "111222333" not in stream.getvalue()
