"""Edges of the HTTP surface (issue 14, 4), over a real server on SQLite and PostgreSQL.

* a path integer is bounded before it reaches the database: too large is a 422 naming the path
  parameter, never a driver error (500);
* a trailing slash is refused, never redirected: a redirect is answered before authentication;
* an error names a position, never what the caller sent: not a value, not an unknown key.
"""

from __future__ import annotations

import json

import httpx
import pytest

from gateway.api.problems import PROBLEM_JSON
from tests.support import Caller, batch, signal

PARTY = "gemeente-rotterdam"
BIGINT_MAX = 2**63 - 1


def _problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    return response.json()


@pytest.mark.parametrize(
    "seq",
    [str(BIGINT_MAX + 1), "9" * 40, "-9223372036854775809", "0", "-1"],
)
def test_an_audit_seq_out_of_range_is_a_422_naming_the_parameter(caller: Caller, seq: str):
    response = caller.call(PARTY, "GET", f"/v1/audit/entries/{seq}")
    problem = _problem(response, 422)
    assert problem["type"] == "/problems/invalid-input"
    assert [e["location"] for e in problem["errors"]] == ["path.seq"]
    # The number is only in `instance` (the request path, RFC 9457), in no error or detail.
    del problem["instance"]
    assert seq not in json.dumps(problem)


def test_the_largest_seq_reaches_the_store_and_is_simply_not_found(caller: Caller):
    problem = _problem(caller.call(PARTY, "GET", f"/v1/audit/entries/{BIGINT_MAX}"), 404)
    assert problem["type"] == "/problems/not-found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/signals/"),
        ("GET", "/v1/hits/"),
        ("GET", "/v1/audit/checkpoint/"),
        ("GET", "/v1/gateway/"),
        ("GET", "/healthz/"),
    ],
)
def test_a_trailing_slash_is_refused_not_redirected(caller: Caller, method: str, path: str):
    body = batch(signal()) if method == "POST" else b""
    unsigned = httpx.request(method, caller.base_url + path, content=body, timeout=10)
    signed = caller.call(PARTY, method, path, body)
    for response in (unsigned, signed):
        assert not response.is_redirect, response.headers
        assert "location" not in response.headers
        assert _problem(response, 404)["type"] == "/problems/not-found"


def test_the_same_path_without_the_slash_is_served(caller: Caller):
    response = caller.call(PARTY, "POST", "/v1/signals", batch(signal()))
    assert response.status_code == 200, response.text


def test_unknown_keys_are_located_by_position_never_named(caller: Caller, server):
    secret_key = "Jan Jansen 999526017"
    nested_key = "bsn_999526017"
    secret_value = "Kerkstraat 12 Rotterdam"
    first, second = signal(), signal()
    first[secret_key] = secret_value
    first["flags"][nested_key] = secret_value
    second["subjects"][0]["Piet de Vries"] = 123456782
    body = json.dumps({"signals": [first, second], "naam": secret_value}).encode()
    response = caller.call(PARTY, "POST", "/v1/signals", body)
    problem = _problem(response, 422)
    located = sorted((e["location"], e["code"]) for e in problem["errors"])
    assert located == [
        ("<onbekend veld 1>", "extra_forbidden"),
        ("signals[0].<onbekend veld 1>", "extra_forbidden"),
        ("signals[0].flags.<onbekend veld 1>", "extra_forbidden"),
        ("signals[1].subjects[0].<onbekend veld 1>", "extra_forbidden"),
    ]
    answer = response.text
    for sent in (secret_key, nested_key, secret_value, "Piet de Vries", "123456782", "naam"):
        assert sent not in answer, sent
    assert "999526017" not in answer


def test_two_unknown_keys_of_one_object_are_told_apart(caller: Caller):
    document = signal()
    document["Jan"] = 1
    document["Jansen"] = 2
    response = caller.call(PARTY, "POST", "/v1/signals", batch(document))
    problem = _problem(response, 422)
    assert sorted(e["location"] for e in problem["errors"]) == [
        "signals[0].<onbekend veld 1>",
        "signals[0].<onbekend veld 2>",
    ]
    assert "Jansen" not in response.text


def test_an_unknown_key_in_a_route_parsed_body_is_not_echoed(caller: Caller):
    """Bodies the routes parse (``parse_body``) take the same path as a batch."""
    secret = "Jan Jansen 999526017"
    body = json.dumps({"elements": [], secret: "x"}).encode()
    response = caller.call(PARTY, "POST", "/v1/pseudonyms/evaluate", body)
    assert response.status_code == 422, response.text
    assert secret not in response.text and "999526017" not in response.text
    assert any(e["location"] == "<onbekend veld 1>" for e in response.json()["errors"])


def test_no_submitted_value_is_echoed_in_any_validation_answer(caller: Caller):
    """Wrong values of every kind: each answer locates them, none repeats them."""
    sent = {
        "municipality": "GM9999 Jan Jansen",
        "form": "onbekende-vorm-999526017",
        "observed_at": "gisteren-bij-Jan",
        "ref": "Jan Jansen 999526017",
    }
    response = caller.call(PARTY, "POST", "/v1/signals", batch(signal(**sent)))
    problem = _problem(response, 422)
    assert {e["location"] for e in problem["errors"]} == {f"signals[0].{k}" for k in sent}
    for value in sent.values():
        assert value not in response.text
    assert "Jan" not in response.text and "999526017" not in response.text
