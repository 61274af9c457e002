"""The OPRF endpoint and the published gateway document, over a real server and a real
separate key-holder process: adapters get pseudonyms without the gateway seeing identifiers."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from gateway.audit import store as audit
from gateway.crypto import b64u, unb64u
from gateway.pseudonyms import oprf
from gateway.pseudonyms.keyholder import load_master_seed
from gateway.runtime import Runtime
from gateway.settings import Settings
from tests.support import REPO, Caller, env_without_gateway, live_server

PARTY = "politie-rotterdam"


def evaluate_via(
    caller: Caller, inputs: list[bytes], *, domain: str = "rr-demo", party: str = PARTY
):
    blinds = [oprf.blind(x) for x in inputs]
    body = json.dumps({"domain": domain, "elements": [b64u(b) for _, b in blinds]}).encode()
    response = caller.call(party, "POST", "/v1/pseudonyms/evaluate", body)
    if response.status_code != 200:
        return response, []
    evaluated = [unb64u(e) for e in response.json()["evaluated"]]
    return response, [
        oprf.finalize(x, r, z) for x, (r, _), z in zip(inputs, blinds, evaluated, strict=True)
    ]


def test_gateway_document_gives_adapters_what_they_need(server):
    url, rt = server
    info = httpx.get(url + "/v1/gateway").json()
    assert info["gateway_id"] == "gateway.rr-demo"
    assert info["pseudonym_domains"] == ["rr-demo"]
    assert info["release_key"]["use"] == "enc" and info["release_key"]["kem"] == "MLKEM768-X25519"
    assert not ({"mlkem_seed", "x25519_private", "d"} & set(info["release_key"]))
    assert [k["alg"] for k in info["signing_keys"]["keys"]] == ["EdDSA"]
    assert info["limits"]["max_oprf_batch"] == 10_000


def test_pseudonyms_are_the_oprf_of_the_domain_key_and_independent_of_the_blind(caller, settings):
    inputs = [b"bsn:111222333", b"adres:3011AB|40|A", b"bsn:111222333"]
    response, outputs = evaluate_via(caller, inputs)
    assert response.status_code == 200
    seed = load_master_seed(settings.private_keys_dir / "gateway.rr-demo")
    key, _ = oprf.derive_key_pair(seed, b"gateway-pseudonym-domain:rr-demo")
    assert outputs == [oprf.evaluate(key, x) for x in inputs]
    assert outputs[0] == outputs[2] and outputs[0] != outputs[1]
    # Another party asking for the same identifier gets the same pseudonym: that is the linkage.
    _, again = evaluate_via(caller, inputs[:1], party="zorgcoordinator-rr")
    assert again == outputs[:1]


def test_a_different_domain_gives_unlinkable_pseudonyms(settings):
    seed = load_master_seed(settings.private_keys_dir / "gateway.rr-demo")
    ours, _ = oprf.derive_key_pair(seed, b"gateway-pseudonym-domain:rr-demo")
    theirs, _ = oprf.derive_key_pair(seed, b"gateway-pseudonym-domain:zwb-demo")
    assert oprf.evaluate(ours, b"bsn:111222333") != oprf.evaluate(theirs, b"bsn:111222333")


def test_unknown_domain_and_invalid_elements_are_refused_with_location(caller):
    response, _ = evaluate_via(caller, [b"bsn:111222333"], domain="elders")
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "domain"
    good = b64u(oprf.blind(b"x")[1])
    identity = b64u(bytes(32))
    body = json.dumps({"domain": "rr-demo", "elements": [good, identity]}).encode()
    refused = caller.call(PARTY, "POST", "/v1/pseudonyms/evaluate", body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["location"] == "elements[1]"


def test_evaluations_are_audited_with_counts_only(caller, server):
    _, rt = server
    inputs = [f"bsn:{i}".encode() for i in range(7)]
    evaluate_via(caller, inputs)
    with rt.engine.connect() as connection:
        (entry,) = audit.entries(connection, event="pseudonyms.evaluated")
    assert entry["detail"] == {"count": 7}
    assert entry["object"] == {"domain": "rr-demo"}
    assert entry["actor"]["party"] == PARTY


@pytest.fixture
def rationed(settings: Settings, engine: Engine) -> Iterator[Caller]:
    rt = Runtime.build(settings.model_copy(update={"oprf_elements_per_minute": 10}), engine=engine)
    with live_server(rt) as url:
        yield Caller(url, rt.covenant.gateway_id, settings.private_keys_dir)


def test_rate_limit_per_party_is_a_429_with_retry_after(rationed):
    first, _ = evaluate_via(rationed, [b"a"] * 8)
    assert first.status_code == 200
    second, _ = evaluate_via(rationed, [b"b"] * 8)
    assert second.status_code == 429
    assert second.json()["type"] == "/problems/rate-limited"
    assert int(second.headers["retry-after"]) >= 1
    other_party, _ = evaluate_via(rationed, [b"c"] * 8, party="arbeidsinspectie")
    assert other_party.status_code == 200


def test_oversized_batches_are_refused(caller):
    body = json.dumps(
        {"domain": "rr-demo", "elements": [b64u(oprf.blind(b"x")[1])] * 10_001}
    ).encode()
    response = caller.call(PARTY, "POST", "/v1/pseudonyms/evaluate", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "elements"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def keyholder_process(settings: Settings) -> Iterator[tuple[str, str]]:
    token = secrets.token_urlsafe(32)
    port = _free_port()
    env = env_without_gateway() | {
        "GATEWAY_POLICIES_DIR": str(REPO / "policies"),
        "GATEWAY_PRIVATE_KEYS_DIR": str(settings.private_keys_dir),
        "GATEWAY_KEYHOLDER_TOKEN": token,
        "PYTHONPATH": str(REPO),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "keyholder", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if (
                    httpx.get(
                        url + "/domains", headers={"Authorization": f"Bearer {token}"}
                    ).status_code
                    == 200
                ):
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, (
                "key holder did not start"
            )
            time.sleep(0.1)
        yield url, token
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_separate_key_holder_process_gives_the_same_pseudonyms(
    settings, engine, keyholder_process, caller
):
    url, token = keyholder_process
    assert httpx.get(url + "/domains").status_code == 401  # the secret is required
    remote = settings.model_copy(update={"keyholder_url": url, "keyholder_token": SecretStr(token)})
    rt = Runtime.build(remote, engine=engine)
    inputs = [b"kvk:12345678", b"telefoon:+31612345678"]
    with live_server(rt) as gateway_url:
        remote_caller = Caller(gateway_url, rt.covenant.gateway_id, settings.private_keys_dir)
        response, via_remote = evaluate_via(remote_caller, inputs)
        bad = json.dumps({"domain": "rr-demo", "elements": [b64u(bytes(32))]}).encode()
        refused = remote_caller.call(PARTY, "POST", "/v1/pseudonyms/evaluate", bad)
    assert response.status_code == 200
    _, in_process = evaluate_via(caller, inputs)
    assert via_remote == in_process
    assert refused.status_code == 422 and refused.json()["errors"][0]["location"] == "elements[0]"
