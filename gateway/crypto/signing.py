"""Ed25519 signing keys for the gateway's own signatures (audit checkpoints): the key types and
the two conversions the rest of the gateway needs, so that no module outside ``gateway.crypto``
imports the primitives."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "Ed25519PrivateKey",
    "Ed25519PublicKey",
    "InvalidSignature",
    "ed25519_public_key",
    "raw_public_key",
]


def ed25519_public_key(raw: bytes) -> Ed25519PublicKey:
    """A public key from its 32 raw bytes (a JWK's ``x``)."""
    return Ed25519PublicKey.from_public_bytes(raw)


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of a public key (RFC 8032 encoding)."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)
