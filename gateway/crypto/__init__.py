"""Crypto recipes. Primitives live in ``_primitives`` alone; nothing else touches hazmat."""

from gateway.crypto._primitives import b64u, new_ed25519_jwk, new_hpke_keypair, unb64u

__all__ = ["b64u", "unb64u", "new_ed25519_jwk", "new_hpke_keypair"]
