"""Signed calls over a real HTTP server, on SQLite and PostgreSQL.

Every way to break a token is refused with the same bare 401 problem; the precise cause goes to
the audit log only (``auth.refused`` with ``detail.reason``), and a refused call stores nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from sqlalchemy import Engine, func, select

from gateway.audit import store as audit
from gateway.auth.tokens import TOKEN_TYPE, body_digest
from gateway.storage.tables import SignalRow
from tests.support import Caller, b64u, batch, signal

PARTY = "gemeente-rotterdam"
OTHER = "politie-rotterdam"
TARGET = "/v1/signals"

# What every refusal looks like to the caller, whatever the cause (``instance`` aside).
UNAUTHENTICATED = {
    "type": "/problems/unauthenticated",
    "title": "Niet geauthenticeerd",
    "status": 401,
    "detail": "Het verzoek kon niet worden geauthenticeerd.",
}


# --- helpers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One HTTP request as sent: ``authorization`` None means no header at all."""

    authorization: str | None
    body: bytes
    method: str = "POST"
    target: str = TARGET


def send(base_url: str, attempt: Attempt) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if attempt.authorization is not None:
        headers["Authorization"] = attempt.authorization
    return httpx.request(
        attempt.method, base_url + attempt.target, content=attempt.body, headers=headers, timeout=30
    )


def bearer(token: str) -> str:
    return f"Bearer {token}"


def segment(document: dict[str, Any]) -> str:
    return b64u(json.dumps(document, separators=(",", ":")).encode())


def claims_for(caller: Caller, body: bytes, **overrides: Any) -> dict[str, Any]:
    """The claims ``Caller.token`` would sign for ``POST /v1/signals`` with ``body``."""
    issued = int(datetime.now(UTC).timestamp())
    claims: dict[str, Any] = {
        "iss": PARTY,
        "sub": "medewerker-0042",
        "roles": ["adapter"],
        "aud": caller.audience,
        "iat": issued,
        "exp": issued + 120,
        "jti": secrets.token_urlsafe(24),
        "htm": "POST",
        "htu": TARGET,
        "body_sha256": body_digest(body),
    }
    claims.update(overrides)
    return claims


def hand_made(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return f"{segment(header)}.{segment(claims)}.{b64u(signature)}"


def hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """HS256 by hand: PyJWT refuses a PEM/raw public key as HMAC secret, an attacker does not."""
    signing_input = f"{segment(header)}.{segment(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64u(mac)}"


def public_raw(caller: Caller, party: str) -> bytes:
    return (
        caller.key(party)
        .key.public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def public_pem(caller: Caller, party: str) -> bytes:
    return (
        caller.key(party)
        .key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def stored_signals(engine: Engine) -> int:
    with engine.connect() as connection:
        query = select(func.count()).select_from(SignalRow.__table__)
        return connection.execute(query).scalar_one()


def refusals(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return audit.entries(connection, event="auth.refused")


def refusal_reasons(engine: Engine) -> list[str]:
    return [entry["detail"]["reason"] for entry in refusals(engine)]  # type: ignore[index]


def without_instance(response: httpx.Response) -> dict[str, Any]:
    document = dict(response.json())
    document.pop("instance", None)
    return document


def assert_bare_401(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert without_instance(response) == UNAUTHENTICATED


# --- the refusal matrix ------------------------------------------------------------------------

Build = Callable[[Caller, bytes], Attempt]


@dataclass(frozen=True)
class Case:
    id: str
    build: Build
    reason: str
    claimed: str | None = PARTY  # the unverified issuer the audit entry names, if a party


def signed(**options: Any) -> Build:
    """``Caller.token`` for POST /v1/signals and the sent body, broken by ``options``."""

    def build(caller: Caller, body: bytes) -> Attempt:
        return Attempt(bearer(caller.token(PARTY, "POST", TARGET, body, **options)), body)

    return build


def with_time(seconds: int, **options: Any) -> Build:
    def build(caller: Caller, body: bytes) -> Attempt:
        now = datetime.now(UTC) + timedelta(seconds=seconds)
        return Attempt(bearer(caller.token(PARTY, "POST", TARGET, body, now=now, **options)), body)

    return build


def lifetime(seconds: int) -> Build:
    def build(caller: Caller, body: bytes) -> Attempt:
        iat = int(datetime.now(UTC).timestamp())
        token = caller.token(PARTY, "POST", TARGET, body, claims={"iat": iat, "exp": iat + seconds})
        return Attempt(bearer(token), body)

    return build


def not_before(seconds: int) -> Build:
    def build(caller: Caller, body: bytes) -> Attempt:
        nbf = int(datetime.now(UTC).timestamp()) + seconds
        return Attempt(bearer(caller.token(PARTY, "POST", TARGET, body, claims={"nbf": nbf})), body)

    return build


def alg_none(alg: str) -> Build:
    def build(caller: Caller, body: bytes) -> Attempt:
        header = {"alg": alg, "typ": TOKEN_TYPE, "kid": caller.key(PARTY).kid}
        return Attempt(bearer(hand_made(header, claims_for(caller, body))), body)

    return build


def hmac_with_public_key(encoding: str) -> Build:
    def build(caller: Caller, body: bytes) -> Attempt:
        secret = public_pem(caller, PARTY) if encoding == "pem" else public_raw(caller, PARTY)
        header = {"alg": "HS256", "typ": TOKEN_TYPE, "kid": caller.key(PARTY).kid}
        return Attempt(bearer(hs256(header, claims_for(caller, body), secret)), body)

    return build


def alg_as_list(caller: Caller, body: bytes) -> Attempt:
    """A header whose ``alg`` is not a string at all (JSON array): still only a 401."""
    header = {"alg": ["EdDSA"], "typ": TOKEN_TYPE, "kid": caller.key(PARTY).kid}
    return Attempt(bearer(hand_made(header, claims_for(caller, body), b"\x00" * 64)), body)


def es256_with_real_kid(caller: Caller, body: bytes) -> Attempt:
    """The key of this kid is pinned to EdDSA; an ES256 token naming it is refused."""
    attacker = ec.generate_private_key(ec.SECP256R1())
    token = caller.token(PARTY, "POST", TARGET, body, key=attacker, algorithm="ES256")
    return Attempt(bearer(token), body)


def foreign_ed25519_with_real_kid(caller: Caller, body: bytes) -> Attempt:
    attacker = ed25519.Ed25519PrivateKey.generate()
    return Attempt(bearer(caller.token(PARTY, "POST", TARGET, body, key=attacker)), body)


def embedded_jwk_header(caller: Caller, body: bytes) -> Attempt:
    """RFC 8725 §3.10 style: the token carries its own key in ``jwk``; it must be ignored."""
    attacker = ed25519.Ed25519PrivateKey.generate()
    x = attacker.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64u(x)}
    token = caller.token(PARTY, "POST", TARGET, body, key=attacker, headers={"jwk": jwk})
    return Attempt(bearer(token), body)


def other_party_key_and_kid(caller: Caller, body: bytes) -> Attempt:
    """A real, valid key of another covenant party, its own kid, but ``iss`` of the first party."""
    other = caller.key(OTHER)
    token = caller.token(PARTY, "POST", TARGET, body, key=other.key, headers={"kid": other.kid})
    return Attempt(bearer(token), body)


def other_party_key_with_own_kid(caller: Caller, body: bytes) -> Attempt:
    token = caller.token(PARTY, "POST", TARGET, body, key=caller.key(OTHER).key)
    return Attempt(bearer(token), body)


def no_kid(caller: Caller, body: bytes) -> Attempt:
    token = jwt.encode(
        claims_for(caller, body),
        caller.key(PARTY).key,
        algorithm="EdDSA",
        headers={"typ": TOKEN_TYPE},
    )
    return Attempt(bearer(token), body)


def tampered_payload(caller: Caller, body: bytes) -> Attempt:
    """A valid token whose payload is swapped after signing (another subject, more roles)."""
    header, _, signature = caller.token(PARTY, "POST", TARGET, body).split(".")
    payload = segment(claims_for(caller, body, sub="iemand-anders", roles=["adapter", "deelnemer"]))
    return Attempt(bearer(f"{header}.{payload}.{signature}"), body)


def other_body(caller: Caller, body: bytes) -> Attempt:
    """Token for body A, request with body B (both valid batches: B would be stored)."""
    token = caller.token(PARTY, "POST", TARGET, batch(signal()))
    return Attempt(bearer(token), body)


def other_path(caller: Caller, body: bytes) -> Attempt:
    return Attempt(bearer(caller.token(PARTY, "POST", "/v1/signals/abc/status", body)), body)


def query_added(caller: Caller, body: bytes) -> Attempt:
    token = caller.token(PARTY, "POST", TARGET, body)
    return Attempt(bearer(token), body, target=TARGET + "?dry_run=1")


def other_method(method: str) -> Build:
    def build(caller: Caller, body: bytes) -> Attempt:
        return Attempt(bearer(caller.token(PARTY, method, TARGET, body)), body)

    return build


def raw_authorization(value: str | None) -> Build:
    def build(caller: Caller, body: bytes) -> Attempt:
        return Attempt(value, body)

    return build


def oversized_token(caller: Caller, body: bytes) -> Attempt:
    token = caller.token(PARTY, "POST", TARGET, body, claims={"padding": "x" * 9000})
    return Attempt(bearer(token), body)


def basic_scheme(caller: Caller, body: bytes) -> Attempt:
    return Attempt("Basic " + caller.token(PARTY, "POST", TARGET, body), body)


MISSING_CLAIMS = [
    Case(
        f"missing-{name}",
        signed(drop=(name,)),
        "unknown-issuer" if name == "iss" else "missing-claim",
        None if name == "iss" else PARTY,
    )
    for name in ("iss", "sub", "aud", "iat", "exp", "jti", "htm", "htu", "body_sha256", "roles")
]

CASES: list[Case] = [
    # time
    Case("expired-an-hour-ago", with_time(-3600), "expired"),
    Case("expired-beyond-skew", with_time(-(120 + 45)), "expired"),
    Case("iat-in-future-beyond-skew", with_time(120), "not-yet-valid"),
    Case("nbf-in-future-beyond-skew", not_before(120), "not-yet-valid"),
    Case("lifetime-301s", lifetime(301), "lifetime-too-long"),
    Case("lifetime-one-day", lifetime(86_400), "lifetime-too-long"),
    Case("exp-before-iat", lifetime(-1), "lifetime-too-long"),
    Case("iat-not-a-number", signed(claims={"iat": "now"}), "invalid-time-claims"),
    # audience and issuer
    Case("wrong-audience", signed(claims={"aud": "gateway.elders"}), "wrong-audience"),
    Case(
        "iss-not-a-covenant-party",
        signed(claims={"iss": "gemeente-nergens"}),
        "unknown-issuer",
        None,
    ),
    # algorithm and key confusion
    Case("alg-none", alg_none("none"), "algorithm-not-allowed"),
    Case("alg-None-capitalised", alg_none("None"), "algorithm-not-allowed"),
    Case("hs256-public-key-raw-as-secret", hmac_with_public_key("raw"), "algorithm-not-allowed"),
    Case("hs256-public-key-pem-as-secret", hmac_with_public_key("pem"), "algorithm-not-allowed"),
    Case("alg-header-not-a-string", alg_as_list, "algorithm-not-allowed"),
    Case("es256-with-the-eddsa-kid", es256_with_real_kid, "algorithm-mismatch"),
    Case("unknown-kid", signed(headers={"kid": "no-such-kid"}), "unknown-key"),
    Case("no-kid", no_kid, "unknown-key"),
    Case("other-party-key-and-kid-own-iss", other_party_key_and_kid, "unknown-key"),
    Case("other-party-key-with-own-kid", other_party_key_with_own_kid, "bad-signature"),
    Case("foreign-key-with-real-kid", foreign_ed25519_with_real_kid, "bad-signature"),
    Case("embedded-jwk-header", embedded_jwk_header, "bad-signature"),
    Case("payload-swapped-after-signing", tampered_payload, "bad-signature"),
    # binding to the request
    Case("changed-body", other_body, "body-mismatch"),
    Case("changed-path", other_path, "target-mismatch"),
    Case("query-added", query_added, "target-mismatch"),
    Case("changed-method-put", other_method("PUT"), "method-mismatch"),
    Case("changed-method-get", other_method("GET"), "method-mismatch"),
    Case("htm-non-ascii", signed(claims={"htm": "PÖST"}), "method-mismatch"),
    Case("htu-non-ascii", signed(claims={"htu": "/v1/signalé"}), "target-mismatch"),
    Case("body-sha256-non-ascii", signed(claims={"body_sha256": "é" * 43}), "body-mismatch"),
    Case("htu-lone-surrogate", signed(claims={"htu": TARGET + "\ud800"}), "target-mismatch"),
    # explicit typing
    Case("typ-JWT", signed(headers={"typ": "JWT"}), "wrong-token-type"),
    Case("typ-at+jwt", signed(headers={"typ": "at+jwt"}), "wrong-token-type"),
    Case("typ-missing", signed(headers={"typ": None}), "wrong-token-type"),
    # roles, subject, jti
    Case("role-not-given-by-covenant", signed(roles=["casusregisseur"]), "role-not-permitted"),
    Case(
        "one-role-not-given-by-covenant", signed(roles=["adapter", "analist"]), "role-not-permitted"
    ),
    Case("unknown-role", signed(roles=["beheerder"]), "invalid-roles"),
    Case("roles-empty", signed(claims={"roles": []}), "invalid-roles"),
    Case("roles-a-string", signed(claims={"roles": "adapter"}), "invalid-roles"),
    Case("sub-empty", signed(claims={"sub": ""}), "invalid-subject"),
    Case("sub-lone-surrogate", signed(claims={"sub": "medewerker-\ud800"}), "invalid-subject"),
    Case("sub-control-character", signed(claims={"sub": "medewerker\n0042"}), "invalid-subject"),
    Case("jti-too-short", signed(claims={"jti": "abc"}), "invalid-jti"),
    Case("jti-lone-surrogate", signed(claims={"jti": "\ud800" * 20}), "invalid-jti"),
    Case("jti-nul-characters", signed(claims={"jti": "a\x00" * 10}), "invalid-jti"),
    # the header itself
    Case("no-authorization-header", raw_authorization(None), "missing-token", None),
    Case("garbage-token", raw_authorization("Bearer not-a-token"), "malformed-token", None),
    Case("garbage-three-segments", raw_authorization("Bearer a.b.c"), "malformed-token", None),
    Case("basic-scheme", basic_scheme, "malformed-authorization", None),
    Case("bearer-without-token", raw_authorization("Bearer"), "malformed-authorization", None),
    Case("token-over-8-KiB", oversized_token, "malformed-authorization", None),
    *MISSING_CLAIMS,
]


def test_case_ids_are_unique():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


def test_valid_signed_call_is_accepted_and_stored(caller, server):
    _, rt = server
    response = caller.call(PARTY, "POST", TARGET, batch(signal()))
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 1
    assert stored_signals(rt.engine) == 1
    assert refusals(rt.engine) == []


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(with_time(20), id="iat-20s-ahead-within-skew"),
        pytest.param(with_time(-(120 + 20)), id="expired-20s-ago-within-skew"),
        pytest.param(lifetime(300), id="lifetime-exactly-300s"),
        pytest.param(signed(roles=["adapter", "deelnemer"]), id="two-permitted-roles"),
    ],
)
def test_tokens_at_the_edges_of_the_rules_are_accepted(caller, server, build):
    """The refusals above are not the product of over-strict rules: the edges still pass."""
    url, rt = server
    body = caller.sealed(PARTY, batch(signal()))  # signed by build: its envelopes sealed first
    response = send(url, build(caller, body))
    assert response.status_code == 200, response.text
    assert stored_signals(rt.engine) == 1
    assert refusals(rt.engine) == []


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_refused_with_one_bare_401_and_the_reason_in_the_audit_log(caller, server, case):
    url, rt = server
    body = batch(signal())
    response = send(url, case.build(caller, body))
    assert_bare_401(response)
    assert case.reason not in response.text
    entries = refusals(rt.engine)
    assert [entry["detail"] for entry in entries] == [  # type: ignore[index]
        {"reason": case.reason, "claimed_party": case.claimed}
    ]
    assert entries[0]["object"] == {"route": TARGET, "method": "POST"}
    assert stored_signals(rt.engine) == 0


def test_every_refusal_cause_gives_the_identical_problem(caller, server):
    """Collect the answers to every cause at once: one body, one header, so no cause leaks."""
    url, rt = server
    bodies: set[str] = set()
    challenges: set[str] = set()
    for case in CASES:
        response = send(url, case.build(caller, batch(signal())))
        assert response.status_code == 401, (case.id, response.text)
        bodies.add(json.dumps(without_instance(response), sort_keys=True))
        challenges.add(response.headers["www-authenticate"])
    assert bodies == {json.dumps(UNAUTHENTICATED, sort_keys=True)}
    assert len(challenges) == 1
    assert refusal_reasons(rt.engine) == [case.reason for case in CASES]
    assert stored_signals(rt.engine) == 0


@pytest.mark.parametrize("new_body", [False, True], ids=["same-token-twice", "same-jti-other-body"])
def test_reused_jti_is_refused(caller, server, new_body):
    url, rt = server
    body = caller.sealed(PARTY, batch(signal()))  # signed here: its envelopes sealed first
    jti = secrets.token_urlsafe(24)
    token = caller.token(PARTY, "POST", TARGET, body, claims={"jti": jti})
    first = caller.call(PARTY, "POST", TARGET, body, token=token)
    assert first.status_code == 200, first.text
    if new_body:
        body = caller.sealed(PARTY, batch(signal()))
        token = caller.token(PARTY, "POST", TARGET, body, claims={"jti": jti})
    second = caller.call(PARTY, "POST", TARGET, body, token=token)
    assert_bare_401(second)
    assert refusal_reasons(rt.engine) == ["replayed-jti"]
    assert stored_signals(rt.engine) == 1


def test_same_jti_from_another_party_is_not_a_replay(caller, server):
    """The replay cache is per issuer: one party cannot block another's token ids."""
    url, rt = server
    jti = secrets.token_urlsafe(24)
    for party in (PARTY, OTHER):
        body = batch(signal())
        response = caller.call(party, "POST", TARGET, body, claims={"jti": jti})
        assert response.status_code == 200, response.text
    assert stored_signals(rt.engine) == 2


def _forged_copy(kind: str, caller: Caller, body: bytes, valid: str, jti: str) -> Attempt:
    if kind == "foreign-key":
        attacker = ed25519.Ed25519PrivateKey.generate()
        token = caller.token(PARTY, "POST", TARGET, body, key=attacker, claims={"jti": jti})
        return Attempt(bearer(token), body)
    if kind == "alg-none":
        header = {"alg": "none", "typ": TOKEN_TYPE, "kid": caller.key(PARTY).kid}
        return Attempt(bearer(hand_made(header, claims_for(caller, body, jti=jti))), body)
    if kind == "captured-token-other-body":
        return Attempt(bearer(valid), batch(signal()))
    if kind == "captured-token-other-path":
        return Attempt(bearer(valid), body, target=TARGET + "?x=1")
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("foreign-key", "bad-signature"),
        ("alg-none", "algorithm-not-allowed"),
        ("captured-token-other-body", "body-mismatch"),
        ("captured-token-other-path", "target-mismatch"),
    ],
)
def test_refused_token_does_not_burn_the_jti_of_a_valid_one(caller, server, kind, reason):
    url, rt = server
    body = caller.sealed(PARTY, batch(signal()))  # signed here: its envelopes sealed first
    jti = secrets.token_urlsafe(24)
    valid = caller.token(PARTY, "POST", TARGET, body, claims={"jti": jti})
    forged = send(url, _forged_copy(kind, caller, body, valid, jti))
    assert_bare_401(forged)
    assert refusal_reasons(rt.engine) == [reason]
    assert stored_signals(rt.engine) == 0
    genuine = caller.call(PARTY, "POST", TARGET, body, token=valid)
    assert genuine.status_code == 200, genuine.text
    assert stored_signals(rt.engine) == 1
    assert refusal_reasons(rt.engine) == [reason]


@pytest.mark.parametrize(
    ("method", "target", "body"),
    [
        pytest.param("POST", TARGET, batch(signal()), id="post-signals"),
        pytest.param("GET", "/v1/signals/sig-000000000001/status", b"", id="get-signal-status"),
    ],
)
def test_valid_token_without_the_needed_role_is_forbidden_not_unauthenticated(
    caller, server, method, target, body
):
    _, rt = server
    response = caller.call(PARTY, method, target, body, roles=["deelnemer"])
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    document = response.json()
    assert document["type"] == "/problems/forbidden"
    assert document["status"] == 403
    assert refusals(rt.engine) == []
    assert stored_signals(rt.engine) == 0
