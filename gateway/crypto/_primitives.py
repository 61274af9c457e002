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

from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519
from cryptography.hazmat.primitives.hpke import MLKEM768X25519PrivateKey, MLKEM768X25519PublicKey

from gateway.jsontypes import JsonObject

HPKE_KEM_NAME = "MLKEM768-X25519"
HPKE_X25519_KEM_NAME = "X25519"
HPKE_KEY_VERSION = 1
# RFC 9180 suites: the KEM is named by the key; KDF and AEAD are fixed.
_SUITES = {
    HPKE_KEM_NAME: hpke.Suite(
        hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM
    ),
    HPKE_X25519_KEM_NAME: hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM),
}

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


def new_ed25519_jwk() -> tuple[JsonObject, JsonObject]:
    """A fresh Ed25519 key as (private JWK, public JWK), ``kid`` the RFC 7638 thumbprint."""
    private = ed25519.Ed25519PrivateKey.generate()
    x = b64u(private.public_key().public_bytes(_RAW, _RAW_PUB))
    kid = jwk_thumbprint({"crv": "Ed25519", "kty": "OKP", "x": x})
    public_jwk = {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"}
    d = b64u(private.private_bytes(_RAW, _RAW_PRIV, _NO_ENC))
    return {**public_jwk, "d": d}, public_jwk


def new_hpke_keypair(kem: str = HPKE_KEM_NAME) -> tuple[JsonObject, JsonObject]:
    """A fresh HPKE key pair as (private record, public JWK-style record).

    Hybrid records keep the 64-byte ML-KEM seed (FIPS 203 ``d || z``) and the raw X25519 scalar,
    from which the key is rebuilt exactly; the public record carries the public parts. ``kid`` is
    an RFC 7638-style thumbprint over the public members.
    """
    x_key = x25519.X25519PrivateKey.generate()
    public: JsonObject = {
        "kty": "HPKE",
        "kem": kem,
        "x25519": b64u(x_key.public_key().public_bytes(_RAW, _RAW_PUB)),
    }
    private_parts = {"x25519_private": b64u(x_key.private_bytes(_RAW, _RAW_PRIV, _NO_ENC))}
    if kem == HPKE_KEM_NAME:
        ml_key = mlkem.MLKEM768PrivateKey.generate()
        public["mlkem"] = b64u(ml_key.public_key().public_bytes_raw())
        private_parts["mlkem_seed"] = b64u(ml_key.private_bytes(_RAW, _RAW_PRIV, _NO_ENC))
    elif kem != HPKE_X25519_KEM_NAME:
        raise ValueError("unsupported HPKE KEM")
    public["kid"] = jwk_thumbprint({k: public[k] for k in sorted(public)})
    public["use"] = "enc"
    public["v"] = HPKE_KEY_VERSION
    return {**public, **private_parts}, public


def _check_record(record: JsonObject) -> str:
    kem = record.get("kem")
    if kem not in _SUITES or record.get("v") != HPKE_KEY_VERSION:
        raise ValueError("unsupported HPKE key record")
    return str(kem)


def hpke_private_key(record: JsonObject) -> Any:  # Any: the KEM's key object, of a type per KEM
    """Rebuild the private key from its stored record; raises ValueError when unusable."""
    kem = _check_record(record)
    x_key = x25519.X25519PrivateKey.from_private_bytes(unb64u(record["x25519_private"]))
    if kem == HPKE_X25519_KEM_NAME:
        return x_key
    return MLKEM768X25519PrivateKey(
        mlkem.MLKEM768PrivateKey.from_seed_bytes(unb64u(record["mlkem_seed"])), x_key
    )


def hpke_public_key(record: JsonObject) -> Any:  # Any: the KEM's key object, of a type per KEM
    """Rebuild the public key from its JWK-style record; raises ValueError when unusable."""
    kem = _check_record(record)
    x_key = x25519.X25519PublicKey.from_public_bytes(unb64u(record["x25519"]))
    if kem == HPKE_X25519_KEM_NAME:
        return x_key
    return MLKEM768X25519PublicKey(
        mlkem.MLKEM768PublicKey.from_public_bytes(unb64u(record["mlkem"])), x_key
    )


def hpke_seal(public_record: JsonObject, plaintext: bytes, info: bytes) -> bytes:
    """RFC 9180 single-shot Base-mode seal: ``enc || ciphertext`` as ``cryptography`` emits it."""
    kem = _check_record(public_record)
    return _SUITES[kem].encrypt(plaintext, hpke_public_key(public_record), info=info)


def hpke_open(private_record: JsonObject, sealed: bytes, info: bytes) -> bytes:
    """Inverse of :func:`hpke_seal`; any failure raises ValueError (no detail on purpose)."""
    return hpke_open_prepared(hpke_prepare_private(private_record), sealed, info)


def hpke_prepare_private(
    private_record: JsonObject,
) -> tuple[str, Any]:  # Any: (KEM name, its key object)
    """(suite name, private key) rebuilt from a record, for several :func:`hpke_open_prepared`
    calls: rebuilding an ML-KEM key from its seed costs about as much as one decryption."""
    return _check_record(private_record), hpke_private_key(private_record)


def hpke_open_prepared(
    prepared: tuple[str, Any],  # Any: (KEM name, its key object)
    sealed: bytes,
    info: bytes,
) -> bytes:
    """:func:`hpke_open` with a key from :func:`hpke_prepare_private`."""
    kem, key = prepared
    try:
        return _SUITES[kem].decrypt(sealed, key, info=info)
    except Exception:  # InvalidTag, bad encapsulation, wrong length: one answer for all
        raise ValueError("cannot open") from None
