"""Every envelope is proven at ingest (issue 14, 1): the gateway opens each signal's sealed
envelope in memory for its own (party, ref, version), checks the content schema and that the
sealed subjects line up with the pseudonymised ones, and drops the plaintext. Anything else is a
422 naming ``signals[i].sealed``, every such error of the batch listed, and nothing is stored.
Over the real HTTP server on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from gateway import sealing
from gateway.signals.content import (
    NOT_ALIGNED,
    NOT_SCHEMA,
    OTHER_SIGNAL,
    UNOPENABLE,
    SealedContent,
    parse_content,
)
from gateway.storage.tables import SignalRow
from tests.support import Caller, b64u, batch, content_for, real_envelope, signal
from tests.test_logging import pipeline

PARTY = "gemeente-rotterdam"
OTHER = "politie-rotterdam"
# Clear values that must never come back: not in an answer, not in a log line.
SECRET_NAME = "Geheimnaam Vertrouwelijk"
SECRET_DETAIL = "toelichting-die-nooit-mag-lekken"


def stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(SignalRow.__table__)
        ).scalar_one()


def post(caller: Caller, body: bytes, party: str = PARTY) -> Any:
    # An explicit token: the caller must not replace these envelopes (they are the test).
    token = caller.token(party, "POST", "/v1/signals", body)
    return caller.call(party, "POST", "/v1/signals", body, token=token)


def secret_content(document: dict[str, Any]) -> dict[str, Any]:
    content = content_for(document)
    content["subjects"][0]["value"] = SECRET_NAME
    content["details"] = {"toelichting": SECRET_DETAIL}
    return content


def sealed(caller: Caller, document: dict[str, Any], party: str = PARTY, **how: Any) -> dict:
    content = how.pop("content", None) or secret_content(document)
    return {
        **document,
        "sealed": real_envelope(caller.release_key(), party, document, content, **how),
    }


def assert_refused(response: Any, expected: dict[str, str]) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("invalid-input")
    assert {e["location"]: e["message"] for e in problem["errors"]} == expected
    assert SECRET_NAME not in response.text and SECRET_DETAIL not in response.text


def test_a_valid_batch_is_stored(caller, server):
    _, rt = server
    documents = [sealed(caller, signal()) for _ in range(3)]
    response = post(caller, batch(*documents))
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 3 and stored(rt.engine) == 3
    assert SECRET_NAME not in response.text


def test_an_envelope_sealed_for_another_ref_is_refused_and_nothing_stored(caller, server):
    _, rt = server
    good = sealed(caller, signal())
    moved = sealed(caller, signal(), ref=f"elders-{secrets.token_hex(4)}")
    response = post(caller, batch(good, moved))
    assert_refused(response, {"signals[1].sealed": UNOPENABLE})
    assert moved["ref"] not in response.text
    assert stored(rt.engine) == 0


def test_envelopes_swapped_within_a_batch_are_named_as_another_signals(caller, server):
    _, rt = server
    first, second = sealed(caller, signal()), sealed(caller, signal())
    first["sealed"], second["sealed"] = second["sealed"], first["sealed"]
    response = post(caller, batch(first, second, sealed(caller, signal())))
    assert_refused(response, {"signals[0].sealed": OTHER_SIGNAL, "signals[1].sealed": OTHER_SIGNAL})
    assert stored(rt.engine) == 0


def test_an_envelope_sealed_for_another_version_does_not_open(caller, server):
    _, rt = server
    response = post(caller, batch(sealed(caller, signal(), version=2)))
    assert_refused(response, {"signals[0].sealed": UNOPENABLE})
    assert stored(rt.engine) == 0


def test_an_envelope_sealed_by_another_party_is_refused(caller, server):
    """Sealed for the same ref and version by another party: named as another signal's."""
    _, rt = server
    response = post(caller, batch(sealed(caller, signal(), party=OTHER)))
    assert_refused(response, {"signals[0].sealed": OTHER_SIGNAL})
    assert stored(rt.engine) == 0


def test_garbage_after_a_valid_header_does_not_open(caller, server):
    _, rt = server
    kid = caller.release_key()["kid"]
    garbage = {**signal(), "sealed": b64u(sealing.header(kid) + secrets.token_bytes(1200))}
    short = {**signal(), "sealed": b64u(sealing.header(kid) + b"\x00" * 16)}
    response = post(caller, batch(sealed(caller, signal()), garbage, short))
    assert_refused(response, {"signals[1].sealed": UNOPENABLE, "signals[2].sealed": UNOPENABLE})
    assert stored(rt.engine) == 0


@pytest.mark.parametrize(
    "content",
    [
        {"v": 2, "subjects": [], "details": {}},
        {"v": 1, "subjects": "x", "details": {}},
        {"v": 1, "subjects": [{"kind": "bsn", "role": "slachtoffer"}], "details": {}},
        {"v": 1, "subjects": [], "details": {"toelichting": 7}},
        {"v": 1, "subjects": [], "details": {}, "extra": SECRET_DETAIL},
        [SECRET_DETAIL],
    ],
    ids=["version", "subjects-not-a-list", "value-missing", "detail-not-text", "extra", "list"],
)
def test_content_that_does_not_match_the_schema_is_refused(caller, server, content):
    _, rt = server
    document = signal()
    blob = sealing.seal(
        json.dumps(content).encode(),
        recipient=caller.release_key(),
        context=sealing.SealContext(PARTY, document["ref"], 1),
    )
    response = post(caller, batch({**document, "sealed": b64u(blob)}))
    assert_refused(response, {"signals[0].sealed": NOT_SCHEMA})
    assert stored(rt.engine) == 0


def test_content_that_is_not_json_is_refused(caller, server):
    document = signal()
    blob = sealing.seal(
        SECRET_DETAIL.encode() + b"\xff",
        recipient=caller.release_key(),
        context=sealing.SealContext(PARTY, document["ref"], 1),
    )
    response = post(caller, batch({**document, "sealed": b64u(blob)}))
    assert_refused(response, {"signals[0].sealed": NOT_SCHEMA})


def _misaligned(document: dict[str, Any]) -> list[dict[str, Any]]:
    content = secret_content(document)
    subjects = content["subjects"]
    return [
        {**content, "subjects": subjects[:-1]},  # one too few
        {**content, "subjects": [*subjects, subjects[0]]},  # one too many
        {**content, "subjects": list(reversed(subjects))},  # another order
        {**content, "subjects": [{**subjects[0], "role": "verdachte"}, *subjects[1:]]},  # a role
        {**content, "subjects": [{**subjects[0], "kind": "telefoon"}, *subjects[1:]]},  # a kind
    ]


def test_subjects_that_do_not_line_up_are_refused_every_one_listed(caller, server):
    _, rt = server
    # Each content is made for one signal's subjects; every signal() has the same kinds and roles.
    contents = _misaligned(signal())
    wrong = [sealed(caller, signal(), content=c) for c in contents]
    documents = [sealed(caller, signal()), *wrong]
    response = post(caller, batch(*documents))
    assert_refused(response, {f"signals[{i}].sealed": NOT_ALIGNED for i in range(1, 6)})
    assert stored(rt.engine) == 0


def test_every_error_of_the_batch_is_listed(caller, server):
    _, rt = server
    kid = caller.release_key()["kid"]
    document = signal()
    schema = sealing.seal(
        b'{"v": 1}',
        recipient=caller.release_key(),
        context=sealing.SealContext(PARTY, document["ref"], 1),
    )
    response = post(
        caller,
        batch(
            sealed(caller, signal()),
            {**signal(), "sealed": b64u(sealing.header(kid) + secrets.token_bytes(64))},
            sealed(caller, signal(), party=OTHER),
            {**document, "sealed": b64u(schema)},
            sealed(caller, signal(), content={"v": 1, "subjects": [], "details": {}}),
        ),
    )
    assert_refused(
        response,
        {
            "signals[1].sealed": UNOPENABLE,
            "signals[2].sealed": OTHER_SIGNAL,
            "signals[3].sealed": NOT_SCHEMA,
            "signals[4].sealed": NOT_ALIGNED,
        },
    )
    assert stored(rt.engine) == 0


def test_no_plaintext_value_in_the_answer_or_the_logs(caller, server):
    _, rt = server
    good = sealed(caller, signal())
    bad = sealed(caller, signal(), content={**secret_content(signal()), "subjects": []})
    with pipeline() as stream:
        refused = post(caller, batch(good, bad))
        accepted = post(caller, batch(sealed(caller, signal())))
    assert refused.status_code == 422 and accepted.status_code == 200, accepted.text
    logs = stream.getvalue()
    assert "signals.refused" in logs and "signals.ingested" in logs
    for text in (logs, refused.text, accepted.text):
        assert SECRET_NAME not in text and SECRET_DETAIL not in text
        assert "Testpersoon" not in text and "1234AB" not in text


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    party=st.sampled_from([PARTY, OTHER, "arbeidsinspectie", "x"]),
    ref=st.sampled_from(["own", "other", "own ", "Own"]),
    version=st.sampled_from([1, 2, 10]),
)
def test_any_other_context_is_refused(caller, server, party, ref, version):
    _, rt = server
    document = signal(f"hyp-{secrets.token_hex(4)}")
    own = (party, ref, version) == (PARTY, "own", 1)
    envelope = real_envelope(
        caller.release_key(),
        party,
        document,
        ref=document["ref"] if ref == "own" else f"{document['ref']}-{ref}",
        version=version,
    )
    response = post(caller, batch({**document, "sealed": envelope}))
    if own:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 422, response.text
        assert [e["location"] for e in response.json()["errors"]] == ["signals[0].sealed"]


def test_the_content_schema_is_the_one_the_release_parses():
    document = signal()
    content = content_for(document)
    assert parse_content(json.dumps(content).encode()) == SealedContent.model_validate(
        content
    ).model_dump(mode="json")
    with pytest.raises(ValueError):
        parse_content(b'{"v": 1, "subjects": [{"kind": "bsn"}]}')
