"""Raw key generation and encoding. DANGER: primitives; import the recipes in ``gateway.crypto``.

Everything here composes standard algorithms exactly as their specifications say: Ed25519 keys as
OKP JWKs (RFC 8037), thumbprints as RFC 7638, HPKE key pairs for the ML-KEM-768 + X25519 hybrid
KEM that ``cryptography`` implements for RFC 9180 suites.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519
from cryptography.hazmat.primitives.hpke import MLKEM768X25519PrivateKey, MLKEM768X25519PublicKey

HPKE_KEM_NAME = "MLKEM768-X25519"
HPKE_KEY_VERSION = 1

_RAW = serialization.Encoding.Raw
_RAW_PUB = serialization.PublicFormat.Raw
_RAW_PRIV = serialization.PrivateFormat.Raw
_NO_ENC = serialization.NoEncryption()


def b64u(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text: str) -> bytes:
    """Inverse of :func:`b64u`; raises ValueError on bad input."""
    if not isinstance(text, str) or "=" in text:
        raise ValueError("expected unpadded base64url text")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwk_thumbprint(required_members: dict[str, str]) -> str:
    """RFC 7638: SHA-256 over the required members, lexicographic order, no white space."""
    canonical = json.dumps(required_members, sort_keys=True, separators=(",", ":"))
    return b64u(hashlib.sha256(canonical.encode("utf-8")).digest())


def new_ed25519_jwk() -> tuple[dict[str, Any], dict[str, Any]]:
    """A fresh Ed25519 key as (private JWK, public JWK), ``kid`` the RFC 7638 thumbprint."""
    private = ed25519.Ed25519PrivateKey.generate()
    x = b64u(private.public_key().public_bytes(_RAW, _RAW_PUB))
    kid = jwk_thumbprint({"crv": "Ed25519", "kty": "OKP", "x": x})
    public_jwk = {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"}
    d = b64u(private.private_bytes(_RAW, _RAW_PRIV, _NO_ENC))
    return {**public_jwk, "d": d}, public_jwk


def new_hpke_keypair() -> tuple[dict[str, Any], dict[str, Any]]:
    """A fresh hybrid HPKE key pair as (private record, public JWK-style record).

    The private record keeps the 64-byte ML-KEM seed (FIPS 203 ``d || z``) and the raw X25519
    scalar, from which the key is rebuilt exactly; the public record carries both public parts.
    """
    mlkem_seed_key = mlkem.MLKEM768PrivateKey.generate()
    x_key = x25519.X25519PrivateKey.generate()
    seed = mlkem_seed_key.private_bytes(_RAW, _RAW_PRIV, _NO_ENC)
    public = {
        "kty": "HPKE",
        "kem": HPKE_KEM_NAME,
        "mlkem": b64u(mlkem_seed_key.public_key().public_bytes_raw()),
        "x25519": b64u(x_key.public_key().public_bytes(_RAW, _RAW_PUB)),
    }
    public["kid"] = jwk_thumbprint(
        {k: public[k] for k in ("kem", "kty", "mlkem", "x25519")}
    )
    public["use"] = "enc"
    public["v"] = HPKE_KEY_VERSION
    private = {
        **public,
        "mlkem_seed": b64u(seed),
        "x25519_private": b64u(x_key.private_bytes(_RAW, _RAW_PRIV, _NO_ENC)),
    }
    return private, public


def hpke_private_key(record: dict[str, Any]) -> MLKEM768X25519PrivateKey:
    """Rebuild the hybrid private key from its stored record; raises ValueError when unusable."""
    if record.get("kem") != HPKE_KEM_NAME or record.get("v") != HPKE_KEY_VERSION:
        raise ValueError("unsupported HPKE key record")
    seed = unb64u(record["mlkem_seed"])
    return MLKEM768X25519PrivateKey(
        mlkem.MLKEM768PrivateKey.from_seed_bytes(seed),
        x25519.X25519PrivateKey.from_private_bytes(unb64u(record["x25519_private"])),
    )


def hpke_public_key(record: dict[str, Any]) -> MLKEM768X25519PublicKey:
    """Rebuild the hybrid public key from its JWK-style record; raises ValueError when unusable."""
    if record.get("kem") != HPKE_KEM_NAME or record.get("v") != HPKE_KEY_VERSION:
        raise ValueError("unsupported HPKE key record")
    return MLKEM768X25519PublicKey(
        mlkem.MLKEM768PublicKey.from_public_bytes(unb64u(record["mlkem"])),
        x25519.X25519PublicKey.from_public_bytes(unb64u(record["x25519"])),
    )
