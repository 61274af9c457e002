"""``/v1/gateway``: everything an adapter needs besides its own private key.

Public by design (it holds only public keys and limits), so that an adapter is configured with
the gateway URL and its party's key alone. ``release_key`` is the key to seal to now; it rotates
per period (``release_keys`` lists every key still in use, with ``not_before``), so an adapter
reads it before every push instead of pinning it. The signing keys and ``audit.verifier_key``
(with which partners check the audit log's checkpoints) are the ones to pin.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from gateway.api.security import runtime
from gateway.audit import checkpoint
from gateway.jsontypes import JsonObject

router = APIRouter(prefix="/v1", tags=["gateway"])


@router.get("/gateway", summary="Public keys, pseudonym domains and limits for adapters")
def gateway_info(request: Request) -> JsonObject:
    rt = runtime(request)
    return {
        "gateway_id": rt.covenant.gateway_id,
        "covenant": {"id": rt.covenant.id, "name": rt.covenant.name, "region": rt.covenant.region},
        "oprf": {"suite": "ristretto255-SHA512", "mode": "oprf", "rfc": "9497"},
        "pseudonym_domains": rt.keyholder.domains(),
        "release_key": rt.release_key(),
        # Every release key still in use, oldest first: each becomes current at its not_before,
        # so an adapter can seal to the next one the moment it starts.
        "release_keys": {"keys": [key.public for key in rt.release_keys.keys()]},
        "signing_keys": {"keys": [k for k in rt.gateway_keys["keys"] if k.get("use") == "sig"]},
        "token": {"typ": "gateway-call+jwt", "max_lifetime_s": rt.settings.token_max_lifetime_s},
        "audit": {
            "origin": rt.audit_origin,
            "verifier_key": checkpoint.verifier_key(rt.audit_origin, rt.audit_public_key()),
            "proofs": "RFC 9162",
        },
        "limits": {
            "max_batch_signals": rt.settings.max_batch_signals,
            "max_body_bytes": rt.settings.max_body_bytes,
            "max_sealed_bytes": rt.settings.max_sealed_bytes,
            "max_oprf_batch": rt.settings.max_oprf_batch,
            "oprf_elements_per_minute": rt.settings.oprf_elements_per_minute,
        },
    }
