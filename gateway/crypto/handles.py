"""Handles for the subjects and signals of one case: stable within the case, meaningless outside.

The case director selects people and signals in a network view. The selection needs ids that stay
the same from one view to the next, but a pseudonym must never be shown, and two cases must not
be joinable on their ids. A handle is HMAC-SHA256 (RFC 2104) under a random key kept with the
case, over the pseudonym or the signal's number, cut to 48 bits: collisions within one case (at
most a few thousand nodes) are vanishingly unlikely, and a handle tells nothing without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_KEY_BYTES = 32
_HEX = 12  # 48 bits


def new_case_key() -> bytes:
    return secrets.token_bytes(_KEY_BYTES)


def subject_handle(key: bytes, pseudonym: bytes) -> str:
    return "p" + hmac.new(key, b"subject\x00" + pseudonym, hashlib.sha256).hexdigest()[:_HEX]


def signal_handle(key: bytes, signal_id: int) -> str:
    message = b"signal\x00" + str(signal_id).encode()
    return "s" + hmac.new(key, message, hashlib.sha256).hexdigest()[:_HEX]
