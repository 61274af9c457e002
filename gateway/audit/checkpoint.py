"""Signed checkpoints of the audit log: C2SP tlog-checkpoint text in a C2SP signed note (Ed25519).

A checkpoint says "the log named ``origin`` had ``size`` entries with this Merkle root"; signed
with the gateway's Ed25519 key it commits the gateway to that history. A partner that keeps the
checkpoints it saw can later demand a consistency proof (the log only grew) and inclusion proofs
(its entries are in it) and check both itself (RFC 9162, :mod:`gateway.audit.merkle`). Formats,
so that existing tooling (Go ``sumdb/note``, transparency-dev) reads them too:

- checkpoint (c2sp.org/tlog-checkpoint): ``<origin>\\n<size>\\n<base64 root>\\n``;
- signed note (c2sp.org/signed-note): the text, an empty line, then
  ``— <key name> <base64(key id || signature)>\\n``, the signature over the text (its final
  newline included), key id = ``SHA-256(key name || 0x0A || 0x01 || public key)[:4]``;
- verifier key: ``<key name>+<hex key id>+<base64(0x01 || public key)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime

from gateway.crypto.signing import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
    InvalidSignature,
    raw_public_key,
)

ED25519 = 0x01
SIGNATURE_PREFIX = "— "  # U+2014 EM DASH and a space
_MAX_SIGNATURES = 100


class NoteError(Exception):
    """A note or checkpoint that does not parse or does not verify (message in Dutch, for the
    operator who runs ``gateway audit verify``)."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return raw_public_key(key)


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"sleutelnaam {name!r} is leeg of bevat een spatie of '+'")


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(
        name.encode() + b"\n" + bytes([ED25519]) + _raw_public(public_key)
    ).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The text a verifier is configured with (Go ``note.NewVerifier`` reads it)."""
    _check_name(name)
    encoded = base64.b64encode(bytes([ED25519]) + _raw_public(public_key)).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


def sign(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """``text`` as a signed note with one Ed25519 signature line."""
    _check_name(name)
    if not text.endswith("\n") or "\n\n" in text or text.startswith("\n"):
        raise NoteError("de tekst moet uit niet-lege regels bestaan, elk met een regeleinde")
    signature = private_key.sign(text.encode())
    blob = base64.b64encode(key_id(name, private_key.public_key()) + signature).decode()
    return f"{text}\n{SIGNATURE_PREFIX}{name} {blob}\n"


def open_note(note: str, name: str, public_key: Ed25519PublicKey) -> str:
    """The text of ``note`` if it carries a valid signature by this key; else :class:`NoteError`.

    Lines by other keys are ignored (a note may carry a witness's signature too); a line that
    names this key and fails to verify rejects the note, as the C2SP specification requires.
    """
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise NoteError("geen handtekeningen")
    text, lines = note[: split + 1], note[split + 2 :].splitlines()
    if not lines or len(lines) > _MAX_SIGNATURES:
        raise NoteError("geen of te veel handtekeningregels")
    wanted = key_id(name, public_key)
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("onleesbare handtekeningregel")
        signer, _, blob = line[len(SIGNATURE_PREFIX) :].partition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except (binascii.Error, ValueError):
            raise NoteError("onleesbare handtekeningregel") from None
        if signer != name or raw[:4] != wanted:
            continue
        try:
            public_key.verify(raw[4:], text.encode())
        except InvalidSignature:
            raise NoteError("handtekening klopt niet") from None
        return text
    raise NoteError(f"geen handtekening van {name}")


def parse(text: str, *, origin: str) -> Checkpoint:
    """The checkpoint in a note's verified text; its origin must be the expected one."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError(
            "een checkpoint heeft een herkomst, een omvang en een wortel, elk op een eigen regel"
        )
    if lines[0] != origin:
        raise NoteError(f"checkpoint van {lines[0]!r}, niet van {origin!r}")
    if not lines[1].isdigit() or (lines[1].startswith("0") and lines[1] != "0"):
        raise NoteError("de omvang is geen decimaal getal")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except (binascii.Error, ValueError):
        raise NoteError("de wortel is geen base64") from None
    if len(root) != 32:
        raise NoteError("de wortel is geen SHA-256-hash")
    return Checkpoint(origin=origin, size=int(lines[1]), root=root)


def due(
    *,
    size: int,
    covered: int | None,
    first_uncovered_at: datetime | None,
    now: datetime,
    every_entries: int,
    every_s: float,
) -> bool:
    """Whether the gateway owes a new checkpoint: none yet over a non-empty log, ``every_entries``
    entries not covered, or the oldest uncovered entry recorded ``every_s`` seconds ago or more.
    Together they bound the tail that no partner holds a signature over."""
    if covered is None:
        return size > 0
    if size <= covered:
        return False
    if size - covered >= every_entries:
        return True
    return first_uncovered_at is not None and _seconds_since(first_uncovered_at, now) >= every_s


def _seconds_since(then: datetime, now: datetime) -> float:
    if then.tzinfo is None:  # SQLite gives the stored wall clock back without its offset
        then = then.replace(tzinfo=now.tzinfo)
    return (now - then).total_seconds()
