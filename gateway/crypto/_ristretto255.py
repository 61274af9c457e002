"""DANGER: raw ristretto255 primitives; use ``gateway.pseudonyms.oprf`` instead.

These are thin, typed wrappers over libsodium's ristretto255 calls (through pysodium). They know
nothing of RFC 9497: no domain separation, no protocol steps, no blinding discipline. Composing
them by hand is how OPRF implementations go wrong; the OPRF module does that composition once,
against the RFC's test vectors. This is the only module in the gateway that imports pysodium.

What the wrappers add over the bare library calls, and why:

- Every argument's type and length is checked; a wrong length raises ``ValueError``.
- Element encodings are held to RFC 9496 §4.3.1: the 32 bytes, read little-endian, must be
  below p = 2^255 - 19. libsodium 1.0.18 (Debian 12's ``libsodium23``) ignores the top bit of
  the last byte when decoding, so it accepts two encodings of every element; checked here on
  this machine: with the top bit set, ``crypto_core_ristretto255_is_valid_point`` answers true
  and ``crypto_scalarmult_ristretto255`` multiplies as if the bit were clear. We refuse it.
- ``crypto_core_ristretto255_is_valid_point`` *accepts* the identity (all-zero encoding) in
  this libsodium; :func:`is_valid_element` refuses it, as RFC 9497 §2.1 DeserializeElement does.
- Scalars must be canonical (below the group order ``ORDER``), as RFC 9497 §2.1
  DeserializeScalar requires; libsodium itself would silently multiply by a non-reduced scalar.
  The check runs through libsodium's constant-time reduction and ``hmac.compare_digest``, so
  secret scalars are never compared with variable-time Python integer arithmetic.
- A multiplication whose result is the identity is refused (libsodium returns an error; the
  wrapper raises ``ValueError``). For a nonzero scalar in a prime-order group that happens only
  when the input element is the identity.
"""

from __future__ import annotations

import hmac

import pysodium

ELEMENT_BYTES = 32
"""Ne in RFC 9497 §4.1: a serialized ristretto255 element."""

SCALAR_BYTES = 32
"""Ns in RFC 9497 §4.1: a serialized scalar, little-endian."""

UNIFORM_BYTES = 64
"""Input length of the one-way map (RFC 9496 §4.3.4) and of wide scalar reduction."""

ORDER = 2**252 + 27742317777372353535851937790883648493
"""The prime order of the ristretto255 group (RFC 9496 §4)."""

IDENTITY = bytes(ELEMENT_BYTES)
"""The one canonical encoding of the identity element (RFC 9496 §4.3.2)."""

_ZERO_SCALAR = bytes(SCALAR_BYTES)
_ZERO_PAD = bytes(UNIFORM_BYTES - SCALAR_BYTES)


def _require_bytes(name: str, value: object, length: int) -> bytes:
    if not isinstance(value, bytes):
        raise TypeError(f"{name} must be bytes, not {type(value).__name__}")
    if len(value) != length:
        raise ValueError(f"{name} must be {length} bytes, got {len(value)}")
    return value


def _require_scalar(name: str, value: object) -> bytes:
    """Check a scalar is 32 bytes and canonical (below ``ORDER``), in constant time."""
    scalar = _require_bytes(name, value, SCALAR_BYTES)
    # A canonical scalar reduces to itself; reducing scalar || 0^32 is libsodium's constant-time
    # reduction, and compare_digest keeps the comparison constant-time as well.
    reduced = pysodium.crypto_core_ristretto255_scalar_reduce(scalar + _ZERO_PAD)
    if not hmac.compare_digest(reduced, scalar):
        raise ValueError(f"{name} is not a canonical scalar (must be below the group order)")
    return scalar


def _require_nonzero_scalar(name: str, value: object) -> bytes:
    scalar = _require_scalar(name, value)
    if hmac.compare_digest(scalar, _ZERO_SCALAR):
        raise ValueError(f"{name} is the zero scalar")
    return scalar


def _require_canonical_encoding(name: str, value: object) -> bytes:
    """Length and the top-bit rule that libsodium 1.0.18 does not enforce (module docstring)."""
    element = _require_bytes(name, value, ELEMENT_BYTES)
    if element[31] & 0x80:
        raise ValueError(f"{name} is not a canonical ristretto255 encoding (top bit set)")
    return element


def check_scalar(scalar: bytes) -> None:
    """Raise ``ValueError`` unless ``scalar`` is 32 bytes, canonical and nonzero (constant time).

    For callers that hold a long-lived scalar (a server key) and want it refused before any work.
    """
    _require_nonzero_scalar("scalar", scalar)


def hash_to_group_from_uniform(b64: bytes) -> bytes:
    """Map 64 uniform bytes to an element (RFC 9496 §4.3.4 one-way map, RFC 9380 §5.3.1 input).

    This is the element half of hash_to_ristretto255; the caller supplies the 64 bytes from
    expand_message_xmd. The result can be the identity (e.g. for 64 zero bytes); callers that
    must refuse it (RFC 9497 §3.3.1 Blind) check for it themselves.
    """
    uniform = _require_bytes("uniform bytes", b64, UNIFORM_BYTES)
    return bytes(pysodium.crypto_core_ristretto255_from_hash(uniform))


def scalar_reduce(b64: bytes) -> bytes:
    """Reduce a 64-byte little-endian integer modulo ``ORDER`` (RFC 9497 §4.1 HashToScalar)."""
    wide = _require_bytes("wide scalar", b64, UNIFORM_BYTES)
    return bytes(pysodium.crypto_core_ristretto255_scalar_reduce(wide))


def scalar_mult(scalar: bytes, element: bytes) -> bytes:
    """Return ``scalar * element``, refusing a bad scalar, a bad element and an identity result.

    The scalar must be canonical and nonzero. The element must be a canonical encoding that
    libsodium decodes; ``crypto_scalarmult_ristretto255`` performs the full RFC 9496 decode
    (apart from the top bit, checked here) and fails on invalid encodings, and it fails when the
    product is the identity, which for a nonzero scalar means the element was the identity.
    All of these raise ``ValueError``.
    """
    checked_scalar = _require_nonzero_scalar("scalar", scalar)
    checked_element = _require_canonical_encoding("element", element)
    try:
        return bytes(pysodium.crypto_scalarmult_ristretto255(checked_scalar, checked_element))
    except ValueError:
        raise ValueError(
            "element is not a valid ristretto255 element, or the product is the identity"
        ) from None


def scalar_mult_base(scalar: bytes) -> bytes:
    """Return ``scalar * G`` for the ristretto255 generator (RFC 9497 §2.1 ScalarMultGen)."""
    checked_scalar = _require_nonzero_scalar("scalar", scalar)
    try:
        return bytes(pysodium.crypto_scalarmult_ristretto255_base(checked_scalar))
    except ValueError:
        raise ValueError("the product is the identity") from None


def scalar_invert(scalar: bytes) -> bytes:
    """Return the multiplicative inverse modulo ``ORDER`` (RFC 9497 §2.1 ScalarInverse).

    Zero has no inverse and is refused.
    """
    checked_scalar = _require_nonzero_scalar("scalar", scalar)
    try:
        return bytes(pysodium.crypto_core_ristretto255_scalar_invert(checked_scalar))
    except ValueError:
        raise ValueError("scalar has no inverse") from None


def random_scalar() -> bytes:
    """Return a uniformly random nonzero canonical scalar (RFC 9497 §2.1 RandomScalar, §4.7).

    libsodium samples by rejection from the system CSPRNG. Zero would make the blind
    uninvertible (RFC 9497 §3.3.1 Finalize), so it is drawn again; the loop practically never runs
    twice.
    """
    while True:
        scalar = bytes(pysodium.crypto_core_ristretto255_scalar_random())
        if not hmac.compare_digest(scalar, _ZERO_SCALAR):
            return scalar


def is_valid_element(b: bytes) -> bool:
    """True when ``b`` is a canonical encoding of a non-identity element (RFC 9497 §2.1).

    This is a predicate for the one module that composes the protocol; it raises nothing, so
    callers must act on the answer. It checks: bytes of length 32, top bit clear, not the
    identity encoding (which libsodium's own check accepts), and libsodium's RFC 9496 decode.
    """
    if not isinstance(b, bytes) or len(b) != ELEMENT_BYTES or b[31] & 0x80:
        return False
    if b == IDENTITY:
        return False
    return bool(pysodium.crypto_core_ristretto255_is_valid_point(b))
