"""Sealing of identifying details: HPKE (RFC 9180) in a versioned envelope.

Envelope v1::

    "GWS1" || len(kid) (1 byte) || kid (ASCII) || enc || ciphertext

The header names the recipient key, so that keys can rotate per period and retention can make a
period unreadable by deleting its private key (crypto-shredding; see docs/sealing.md). The HPKE
``info`` binds the blob to its header and context (party, signal ref, version, purpose): a blob
moved to another signal or party does not open. Every failure to open raises one bare
``SealError``, like Fernet's ``InvalidToken``: the cause is no business of whoever holds the blob.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.crypto import _primitives as primitives
from gateway.jsontypes import Json, JsonObject

MAGIC = b"GWS1"
_INFO_LABEL = b"gateway-seal-v1"


class SealError(Exception):
    """The envelope cannot be sealed or opened. Deliberately without detail."""


@dataclass(frozen=True, slots=True)
class SealContext:
    """What a sealed blob belongs to; opening needs the same context."""

    party: str
    ref: str
    version: int
    purpose: str = "signal"

    def encode(self) -> bytes:
        parts = [self.party, self.ref, str(self.version), self.purpose]
        if any("\x00" in p for p in parts):
            raise SealError("context contains NUL")
        return b"\x00".join(p.encode("utf-8") for p in parts)


def header(kid: str) -> bytes:
    """The envelope header naming the recipient key `kid`."""
    encoded = kid.encode("ascii")
    if not 0 < len(encoded) < 256:
        raise SealError("key id must be 1..255 ASCII bytes")
    return MAGIC + bytes([len(encoded)]) + encoded


def seal(plaintext: bytes, *, recipient: Mapping[str, Json], context: SealContext) -> bytes:
    """Seal ``plaintext`` to the recipient's public HPKE record (``use: enc`` in its JWKS)."""
    prefix = header(str(recipient.get("kid", "")))
    try:
        sealed = primitives.hpke_seal(
            dict(recipient), plaintext, _INFO_LABEL + b"\x00" + prefix + b"\x00" + context.encode()
        )
    except (ValueError, KeyError, TypeError):
        raise SealError("cannot seal to this key") from None
    return prefix + sealed


def recipient_kid(blob: bytes) -> str:
    """The key id an envelope was sealed to; raises SealError for anything else."""
    if len(blob) < 6 or blob[:4] != MAGIC or len(blob) < 5 + blob[4]:
        raise SealError("not a sealed envelope")
    try:
        return blob[5 : 5 + blob[4]].decode("ascii")
    except UnicodeDecodeError:
        raise SealError("not a sealed envelope") from None


def named_kid(blob: bytes) -> str | None:
    """The key id an envelope names, or None for anything that is not an envelope."""
    try:
        return recipient_kid(blob)
    except SealError:
        return None


def open_sealed(
    blob: bytes, *, private_keys: Mapping[str, Mapping[str, Json]], context: SealContext
) -> bytes:
    """Open an envelope with whichever of ``private_keys`` (by kid) it was sealed to."""
    return Opener(private_keys).open(blob, context=context)


class Opener:
    """Opens many envelopes with the same private keys, each key rebuilt once (for a release of
    fifty signals that halves the work). Hold one for one run of openings only: a key shredded
    on disk must not live on in a long-lived object."""

    def __init__(self, private_keys: Mapping[str, Mapping[str, Json]]) -> None:
        self._records = private_keys
        self._prepared: dict[str, tuple[str, Any]] = {}  # Any: KEM key objects

    def open(self, blob: bytes, *, context: SealContext) -> bytes:
        kid = recipient_kid(blob)
        prepared = self._prepared.get(kid)
        if prepared is None:
            record = self._records.get(kid)
            if record is None:
                raise SealError("cannot open")
            try:
                prepared = primitives.hpke_prepare_private(dict(record))
            except (ValueError, KeyError, TypeError):
                raise SealError("cannot open") from None
            self._prepared[kid] = prepared
        prefix = blob[: 5 + len(kid)]
        try:
            return primitives.hpke_open_prepared(
                prepared,
                blob[len(prefix) :],
                _INFO_LABEL + b"\x00" + prefix + b"\x00" + context.encode(),
            )
        except ValueError:
            raise SealError("cannot open") from None


def new_key_pair(kem: str = primitives.HPKE_KEM_NAME) -> tuple[JsonObject, JsonObject]:
    """A fresh recipient key pair: (private record, public record for a JWKS)."""
    return primitives.new_hpke_keypair(kem)
