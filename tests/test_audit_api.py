"""``/v1/audit`` over a real HTTP server: a partner holds the gateway to its log with nothing
but the published verifier key. It checks a signed checkpoint, proves its own batch is in the
log, proves a later checkpoint extends the earlier one, and sees only its own entries."""

from __future__ import annotations

import base64
import json

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gateway.audit import checkpoint as cp
from gateway.audit import merkle
from tests.support import Caller, batch, signal

PARTY = "arbeidsinspectie"


def verifier(caller: Caller) -> tuple[str, Ed25519PublicKey]:
    """The verifier key as a partner reads it from /v1/gateway: name+keyid+base64(0x01||key)."""
    info = httpx.get(caller.base_url + "/v1/gateway", timeout=10).json()["audit"]
    name, key_id, encoded = info["verifier_key"].split("+", 2)
    assert name == info["origin"]
    raw = base64.b64decode(encoded)
    assert raw[0] == cp.ED25519
    key = Ed25519PublicKey.from_public_bytes(raw[1:])
    assert cp.key_id(name, key).hex() == key_id
    return name, key


def checkpoint(caller: Caller, origin: str, key: Ed25519PublicKey) -> cp.Checkpoint:
    response = caller.call(PARTY, "GET", "/v1/audit/checkpoint")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return cp.parse(cp.open_note(response.text, origin, key), origin=origin)


def send(caller: Caller, party: str = PARTY) -> int:
    response = caller.call(party, "POST", "/v1/signals", batch(signal(), signal()))
    assert response.status_code == 200, response.text
    return response.json()["audit_seq"]


def get(caller: Caller, target: str, party: str = PARTY) -> dict:
    response = caller.call(party, "GET", target)
    assert response.status_code == 200, response.text
    return response.json()


def hashes(proof: dict) -> list[bytes]:
    return [base64.b64decode(h) for h in proof["hashes"]]


def test_a_partner_verifies_its_batch_and_the_logs_growth_itself(caller, server):
    origin, key = verifier(caller)
    mine = send(caller)
    first = checkpoint(caller, origin, key)
    assert first.size >= mine

    entry = get(caller, f"/v1/audit/entries/{mine}")
    leaf = base64.b64decode(entry["leaf_hash"])
    assert leaf == merkle_leaf(entry["body"])  # the partner hashes the entry itself
    body = json.loads(entry["body"])
    assert body["event"] == "signals.ingested" and body["actor"]["party"] == PARTY
    proof = get(caller, f"/v1/audit/proofs/inclusion?seq={mine}&size={first.size}")
    assert merkle.verify_inclusion(leaf, mine - 1, first.size, hashes(proof), first.root)

    for _ in range(3):
        send(caller, "gemeente-rotterdam")
    later = checkpoint(caller, origin, key)
    assert later.size > first.size
    consistency = get(caller, f"/v1/audit/proofs/consistency?from={first.size}&to={later.size}")
    assert merkle.verify_consistency(
        first.size, later.size, first.root, later.root, hashes(consistency)
    )
    # A forged earlier root does not pass, so a rewritten history would show.
    assert not merkle.verify_consistency(
        first.size, later.size, bytes(32), later.root, hashes(consistency)
    )
    # The old entry is still provably in the grown log.
    proof = get(caller, f"/v1/audit/proofs/inclusion?seq={mine}")
    assert proof["tree_size"] == later.size or proof["tree_size"] > later.size


def merkle_leaf(body: str) -> bytes:
    import hashlib

    return hashlib.sha256(b"\x00" + body.encode()).digest()


def test_a_party_reads_only_its_own_entries(caller, server):
    mine = send(caller)
    theirs = send(caller, "gemeente-rotterdam")
    assert caller.call(PARTY, "GET", f"/v1/audit/entries/{mine}").status_code == 200
    other = caller.call(PARTY, "GET", f"/v1/audit/entries/{theirs}")
    missing = caller.call(PARTY, "GET", f"/v1/audit/entries/{theirs + 1000}")
    assert other.status_code == missing.status_code == 404
    assert other.json()["type"] == missing.json()["type"]  # no telling which exists


def test_proof_requests_outside_the_log_name_the_parameter(caller, server):
    send(caller)
    size = get(caller, "/v1/audit/proofs/inclusion?seq=1")["tree_size"]
    response = caller.call(PARTY, "GET", f"/v1/audit/proofs/inclusion?seq={size + 1}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "query.seq"
    response = caller.call(PARTY, "GET", f"/v1/audit/proofs/consistency?from=1&to={size + 5}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "query.to"


def test_the_audit_api_needs_a_signed_call(caller, server):
    response = httpx.get(caller.base_url + "/v1/audit/checkpoint", timeout=10)
    assert response.status_code == 401


def test_without_the_gateways_signing_key_there_is_no_checkpoint_but_proofs_work(
    server, keys, tmp_path
):
    """A missing private key is the operator's problem, told in the log: the caller gets 503."""
    import shutil

    from gateway.runtime import Runtime
    from tests.support import live_server

    _, rt = server
    private = tmp_path / "private"
    shutil.copytree(keys[1], private)
    (private / rt.covenant.gateway_id / "signing.jwk.json").unlink()
    crippled = Runtime.build(
        rt.settings.model_copy(update={"private_keys_dir": private}), engine=rt.engine
    )
    with live_server(crippled) as url:
        caller = Caller(base_url=url, audience=rt.covenant.gateway_id, private_keys_dir=keys[1])
        send(caller)
        response = caller.call(PARTY, "GET", "/v1/audit/checkpoint")
        assert response.status_code == 503
        assert "signing" not in response.text and "jwk" not in response.text
        assert caller.call(PARTY, "GET", "/v1/audit/proofs/inclusion?seq=1").status_code == 200
