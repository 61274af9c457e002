"""The signed-call token format, shared by the verifier (gateway) and the minter (adapters).

A token is a JWS (RFC 7515) with header ``typ: gateway-call+jwt`` (explicit typing, RFC 8725
§3.11, so that no other JWT can be replayed as a call) and the claims below. ``htm``/``htu``
follow DPoP (RFC 9449 §4.2); ``htu`` here is the request target, path plus query, so that a token
for one resource or filter cannot be used for another. ``body_sha256`` is base64url(SHA-256(body))
of the exact bytes sent (the empty body for GET).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import jwt

from gateway.crypto import b64u
from gateway.parties.keys import SigningKey

TOKEN_TYPE = "gateway-call+jwt"
REQUIRED_CLAIMS = ("iss", "sub", "aud", "iat", "exp", "jti", "htm", "htu", "body_sha256", "roles")


def body_digest(body: bytes) -> str:
    """The ``body_sha256`` claim value for these exact bytes."""
    return b64u(hashlib.sha256(body).digest())


def mint_call_token(
    *,
    key: SigningKey,
    subject: str,
    roles: list[str],
    audience: str,
    method: str,
    target: str,
    body: bytes,
    now: datetime,
    lifetime_s: int = 120,
) -> str:
    """Sign one call. A fresh ``jti`` every time: the gateway refuses any token seen before."""
    issued = int(now.timestamp())
    claims = {
        "iss": key.party_id,
        "sub": subject,
        "roles": roles,
        "aud": audience,
        "iat": issued,
        "exp": issued + lifetime_s,
        "jti": secrets.token_urlsafe(24),
        "htm": method.upper(),
        "htu": target,
        "body_sha256": body_digest(body),
    }
    return jwt.encode(
        claims, key.key, algorithm=key.alg, headers={"kid": key.kid, "typ": TOKEN_TYPE}
    )
