"""RFC 9497 OPRF(ristretto255, SHA-512), mode 0x00 (OPRF): the pseudonym function.

The client (an adapter) blinds its input, the server (the key holder) multiplies the blinded
element by its key, and the client removes the blind and hashes, obtaining
``Finalize = SHA-512(len(input) || input || len(N) || N || "Finalize")`` with ``N = skS *
HashToGroup(input)``. The server learns nothing about the input; the client learns nothing about
the key. Only mode 0x00 is implemented: no VOPRF proofs, no POPRF info.

Protocol steps follow RFC 9497 §3.2.1 (DeriveKeyPair) and §3.3.1 (Blind, BlindEvaluate,
Finalize, Evaluate); the group and hash are the ristretto255-SHA512 suite of §4.1, with
hash_to_ristretto255 and expand_message_xmd from RFC 9380 §5.3.1 and RFC 9496 §4.3.4. The
test vectors of RFC 9497 Appendix A.1.1 are in ``tests/vectors/``.

Errors (all subclasses of ``gateway.errors.GatewayError``)::

    OprfError              base of every OPRF refusal; never raised itself
    ├── InvalidInput       an input is too long, or hashes to the identity (RFC "InvalidInputError")
    ├── InvalidElement     a serialized element is not a valid non-identity element; ``.index``
    │                      names the first bad one in a batch (RFC DeserializeElement fails)
    ├── EmptyBatch         a batch evaluation was asked for with no elements
    └── DeriveKeyPairError the seed or info is unusable, or 256 counters gave zero (RFC §3.2.1)

Scalars (keys, blinds) are 32-byte little-endian canonical encodings, elements 32-byte ristretto255
encodings, outputs 64 bytes. Arguments follow the RFC's order and names (``skS`` first), so call
sites read like the RFC; callers may pass them by keyword, which is clearer where two look alike.
Swapped arguments are caught in most cases by the checks (a key must be a canonical nonzero
scalar, an element a valid encoding), but not always: ``derive_key_pair(info, seed)`` with a
32-byte info would silently derive a different key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from gateway.crypto import _ristretto255 as r255
from gateway.errors import GatewayError

__all__ = [
    "CONTEXT_STRING",
    "DeriveKeyPairError",
    "EmptyBatch",
    "InvalidElement",
    "InvalidInput",
    "MAX_INPUT_BYTES",
    "OprfError",
    "blind",
    "blind_evaluate",
    "blind_evaluate_batch",
    "derive_key_pair",
    "evaluate",
    "expand_message_xmd",
    "finalize",
    "hash_to_group",
    "hash_to_scalar",
]


def _i2osp(value: int, length: int) -> bytes:
    """I2OSP from RFC 8017 §4.1, as RFC 9497 §1.1 uses it: big-endian, fixed length."""
    return value.to_bytes(length, "big")


MODE_OPRF = 0x00
"""RFC 9497 §3.1: modeOPRF."""

IDENTIFIER = b"ristretto255-SHA512"
"""RFC 9497 §4.1: the suite identifier."""

CONTEXT_STRING = b"OPRFV1-" + _i2osp(MODE_OPRF, 1) + b"-" + IDENTIFIER
"""RFC 9497 §3.1: contextString = "OPRFV1-" || I2OSP(mode, 1) || "-" || identifier."""

HASH_TO_GROUP_DST = b"HashToGroup-" + CONTEXT_STRING
HASH_TO_SCALAR_DST = b"HashToScalar-" + CONTEXT_STRING
DERIVE_KEY_PAIR_DST = b"DeriveKeyPair" + CONTEXT_STRING

NS = r255.SCALAR_BYTES
"""Ns: bytes of a serialized scalar, also the seed length of DeriveKeyPair (RFC 9497 §3.2.1)."""

NE = r255.ELEMENT_BYTES
"""Ne: bytes of a serialized element (RFC 9497 §4.1)."""

NH = 64
"""Nh: bytes of a SHA-512 output, the OPRF output length (RFC 9497 §4.1)."""

MAX_INPUT_BYTES = 2**16 - 1
"""Inputs are length-prefixed with I2OSP(len, 2) in Finalize (RFC 9497 §3.3.1), so no longer."""

_SHA512_BLOCK_BYTES = 128  # s_in_bytes for SHA-512 (RFC 9380 §5.3.1).
_SHA512_OUTPUT_BYTES = 64  # b_in_bytes for SHA-512.
_ZERO_SCALAR = bytes(NS)


class OprfError(GatewayError):
    """Base of every OPRF refusal; never raised itself."""

    status = 422
    code = "oprf-error"
    title = "Ongeldige pseudoniemaanvraag"


class InvalidInput(OprfError):
    """An input longer than 2^16-1 bytes, or one that hashes to the identity (RFC 9497 §3.3.1)."""

    code = "oprf-invalid-input"


class InvalidElement(OprfError):
    """A serialized element is not a canonical, valid, non-identity ristretto255 element.

    ``index`` is the position of the first bad element in a batch, or ``None`` for a single
    element. This is DeserializeElement failing (RFC 9497 §2.1, and §4.1 for ristretto255: the
    RFC 9496 §4.3.1 decode fails or the element is the identity).
    """

    code = "oprf-invalid-element"

    def __init__(self, index: int | None) -> None:
        where = "het element" if index is None else f"elements[{index}]"
        super().__init__(
            f"{where}: geen geldig ristretto255-element (verwacht: 32 bytes in canonieke "
            "codering, niet het neutrale element)."
        )
        self.index = index


class EmptyBatch(OprfError):
    """A batch evaluation with no elements: a caller bug, refused rather than answered with []."""

    code = "oprf-empty-batch"

    def __init__(self) -> None:
        super().__init__("De batch bevat geen elementen.")


class DeriveKeyPairError(OprfError):
    """The seed or info cannot be used, or no nonzero key came out of 256 counters (§3.2.1)."""

    status = 500
    code = "oprf-derive-key-pair"
    title = "Sleutelafleiding mislukt"


def expand_message_xmd(msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
    """expand_message_xmd with SHA-512 (RFC 9380 §5.3.1; b_in_bytes = 64, s_in_bytes = 128).

    The DST must be 1..255 bytes (RFC 9380 §3.1 requires a nonempty tag; longer tags would need
    the §5.3.3 reduction, which no tag of this suite needs). ``len_in_bytes`` must be 1..65535
    with ell = ceil(len_in_bytes / 64) <= 255. Violations raise ``ValueError``: they are
    programming errors, not bad client input.
    """
    if not isinstance(msg, bytes) or not isinstance(dst, bytes):
        raise TypeError("msg and dst must be bytes")
    if not 1 <= len(dst) <= 255:
        raise ValueError("DST must be 1 to 255 bytes (RFC 9380 §3.1, §5.3.1 step 2)")
    if not 1 <= len_in_bytes <= 65535:
        raise ValueError("len_in_bytes must be 1 to 65535 (RFC 9380 §5.3.1 step 2)")
    # Step 1: the number of hash blocks.
    ell = -(-len_in_bytes // _SHA512_OUTPUT_BYTES)
    if ell > 255:
        raise ValueError("len_in_bytes needs more than 255 SHA-512 blocks (RFC 9380 §5.3.1)")
    # Steps 3-6: DST_prime = DST || I2OSP(len(DST), 1);
    # msg_prime = Z_pad || msg || l_i_b_str || I2OSP(0, 1) || DST_prime.
    dst_prime = dst + _i2osp(len(dst), 1)
    z_pad = bytes(_SHA512_BLOCK_BYTES)
    l_i_b_str = _i2osp(len_in_bytes, 2)
    msg_prime = z_pad + msg + l_i_b_str + _i2osp(0, 1) + dst_prime
    # Steps 7-8: b_0 = H(msg_prime); b_1 = H(b_0 || I2OSP(1, 1) || DST_prime).
    b_0 = hashlib.sha512(msg_prime).digest()
    b_i = hashlib.sha512(b_0 + _i2osp(1, 1) + dst_prime).digest()
    blocks = [b_i]
    # Steps 9-10: b_i = H(strxor(b_0, b_(i-1)) || I2OSP(i, 1) || DST_prime).
    for i in range(2, ell + 1):
        mixed = bytes(x ^ y for x, y in zip(b_0, b_i, strict=True))
        b_i = hashlib.sha512(mixed + _i2osp(i, 1) + dst_prime).digest()
        blocks.append(b_i)
    # Steps 11-12: uniform_bytes = b_1 || ... || b_ell, truncated.
    return b"".join(blocks)[:len_in_bytes]


def hash_to_group(x: bytes) -> bytes:
    """HashToGroup of RFC 9497 §4.1: hash_to_ristretto255 (RFC 9380 §6.1, RFC 9496 §4.3.4).

    uniform_bytes = expand_message_xmd(x, "HashToGroup-" || contextString, 64), then the
    ristretto255 one-way map. The result may (with negligible probability) be the identity;
    callers refuse it where the RFC says so.
    """
    uniform = expand_message_xmd(x, HASH_TO_GROUP_DST, r255.UNIFORM_BYTES)
    return r255.hash_to_group_from_uniform(uniform)


def hash_to_scalar(x: bytes, *, dst: bytes = HASH_TO_SCALAR_DST) -> bytes:
    """HashToScalar of RFC 9497 §4.1: expand_message_xmd to 64 bytes, read little-endian, mod order.

    The DST defaults to "HashToScalar-" || contextString; DeriveKeyPair passes its own.
    """
    uniform = expand_message_xmd(x, dst, r255.UNIFORM_BYTES)
    return r255.scalar_reduce(uniform)


def _check_input(input: bytes) -> bytes:
    if not isinstance(input, bytes):
        raise TypeError(f"input must be bytes, not {type(input).__name__}")
    if len(input) > MAX_INPUT_BYTES:
        raise InvalidInput(f"De invoer is {len(input)} bytes; het maximum is {MAX_INPUT_BYTES}.")
    return input


def _check_key(key: bytes) -> bytes:
    """The server key must be a canonical, nonzero scalar (RFC 9497 §2.1 DeserializeScalar)."""
    # A bad key is a configuration or programming error on the server, not client input, so it
    # raises ValueError (length, non-canonical, zero) rather than an OprfError.
    r255.check_scalar(key)
    return key


def _input_element(input: bytes) -> bytes:
    """HashToGroup(input), refusing the identity as RFC 9497 §3.3.1 Blind and Evaluate do."""
    element = hash_to_group(_check_input(input))
    if hmac.compare_digest(element, r255.IDENTITY):
        raise InvalidInput("De invoer beeldt af op het neutrale element (RFC 9497 §3.3.1).")
    return element


def _finalize_hash(input: bytes, element: bytes) -> bytes:
    """RFC 9497 §3.3.1 Finalize and Evaluate: the hash that turns an element into the output.

    Hash(I2OSP(len(input), 2) || input || I2OSP(len(N), 2) || N || "Finalize"), Hash = SHA-512.
    """
    hash_input = _i2osp(len(input), 2) + input + _i2osp(len(element), 2) + element + b"Finalize"
    return hashlib.sha512(hash_input).digest()


def derive_key_pair(seed: bytes, info: bytes) -> tuple[bytes, bytes]:
    """DeriveKeyPair of RFC 9497 §3.2.1: deterministic (skS, pkS) from a seed and key info.

    deriveInput = seed || I2OSP(len(info), 2) || info; for counter = 0, 1, ...:
    skS = HashToScalar(deriveInput || I2OSP(counter, 1), DST = "DeriveKeyPair" || contextString)
    until skS is nonzero, failing after counter 255; pkS = skS * G. The seed must be Ns = 32 bytes
    of secret randomness; an all-zero seed is refused as a degenerate key (not an RFC rule). One
    ``info`` per pseudonym domain gives unlinkable keys.
    """
    if not isinstance(seed, bytes) or len(seed) != NS:
        raise DeriveKeyPairError(f"De seed moet {NS} bytes zijn.")
    if hmac.compare_digest(seed, bytes(NS)):
        raise DeriveKeyPairError("De seed bestaat uit nullen.")
    if not isinstance(info, bytes) or len(info) > MAX_INPUT_BYTES:
        raise DeriveKeyPairError(f"De info moet bytes zijn van hoogstens {MAX_INPUT_BYTES} bytes.")
    derive_input = seed + _i2osp(len(info), 2) + info
    for counter in range(256):
        sk_s = hash_to_scalar(derive_input + _i2osp(counter, 1), dst=DERIVE_KEY_PAIR_DST)
        if not hmac.compare_digest(sk_s, _ZERO_SCALAR):
            return sk_s, r255.scalar_mult_base(sk_s)
    raise DeriveKeyPairError("Geen bruikbare sleutel na 256 pogingen (RFC 9497 §3.2.1).")


def blind(input: bytes) -> tuple[bytes, bytes]:
    """Client Blind of RFC 9497 §3.3.1: return (blind, blindedElement) for ``input``.

    blind is a fresh random nonzero scalar, kept by the client for Finalize; blindedElement =
    blind * HashToGroup(input) goes to the server and is unlinkable to the input. Raises
    ``InvalidInput`` for inputs over 2^16-1 bytes or that hash to the identity.
    """
    return _blind_with(input, r255.random_scalar())


def _blind_with(input: bytes, blind_scalar: bytes) -> tuple[bytes, bytes]:
    """Blind with a caller-chosen blind scalar: the deterministic seam for test vectors ONLY.

    Reusing a blind across inputs links them; production code calls :func:`blind`.
    """
    input_element = _input_element(input)
    # RFC 9497 §3.3.1: blindedElement = blind * inputElement. scalar_mult refuses a zero or
    # non-canonical blind with ValueError.
    return blind_scalar, r255.scalar_mult(blind_scalar, input_element)


def blind_evaluate(skS: bytes, blinded_element: bytes) -> bytes:
    """Server BlindEvaluate of RFC 9497 §3.3.1: evaluatedElement = skS * blindedElement.

    The blinded element is deserialized per RFC 9497 §2.1 (canonical, valid, not the identity);
    otherwise ``InvalidElement`` with ``index`` None.
    """
    _check_key(skS)
    if not r255.is_valid_element(blinded_element):
        raise InvalidElement(None)
    try:
        return r255.scalar_mult(skS, blinded_element)
    except ValueError:
        raise InvalidElement(None) from None


def blind_evaluate_batch(skS: bytes, elements: Sequence[bytes]) -> list[bytes]:
    """BlindEvaluate (RFC 9497 §3.3.1) over a batch, all or nothing.

    Every element is deserialized (RFC 9497 §2.1) before the key touches any of them; the first
    bad one raises ``InvalidElement(index)``. An empty batch raises ``EmptyBatch``.
    """
    _check_key(skS)
    if isinstance(elements, bytes | bytearray | str):
        # A bare bytes object is a sequence of ints, not of elements: refuse it outright.
        raise TypeError("elements must be a sequence of elements, not a single bytes object")
    # A private snapshot: what is validated is exactly what is multiplied, even if the caller's
    # list changes meanwhile (bytes themselves are immutable).
    batch = list(elements)
    if not batch:
        raise EmptyBatch()
    for index, element in enumerate(batch):
        if not r255.is_valid_element(element):
            raise InvalidElement(index)
    evaluated: list[bytes] = []
    for index, element in enumerate(batch):
        try:
            evaluated.append(r255.scalar_mult(skS, element))
        except ValueError:
            # Unreachable after the validation above; kept so a failure still names the index.
            raise InvalidElement(index) from None
    return evaluated


def finalize(input: bytes, blind: bytes, evaluated_element: bytes) -> bytes:
    """Client Finalize of RFC 9497 §3.3.1: the 64-byte OPRF output for ``input``.

    N = blind^-1 * evaluatedElement; output = SHA-512(I2OSP(len(input), 2) || input ||
    I2OSP(len(N), 2) || N || "Finalize"). The evaluated element is deserialized per §2.1; an
    invalid or identity element raises ``InvalidElement``.
    """
    _check_input(input)
    if not r255.is_valid_element(evaluated_element):
        raise InvalidElement(None)
    inverse = r255.scalar_invert(blind)
    try:
        unblinded = r255.scalar_mult(inverse, evaluated_element)
    except ValueError:
        raise InvalidElement(None) from None
    return _finalize_hash(input, unblinded)


def evaluate(skS: bytes, input: bytes) -> bytes:
    """Server-side direct Evaluate of RFC 9497 §3.3.1: the same output Finalize gives the client.

    issuedElement = skS * HashToGroup(input), then the Finalize hash. Only for a server that may
    see the input (tests, key rotation checks); the gateway's key holder never does.
    """
    _check_key(skS)
    input_element = _input_element(input)
    return _finalize_hash(input, r255.scalar_mult(skS, input_element))
