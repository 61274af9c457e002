"""The content of a signal's sealed envelope, and its proof at ingest.

What an adapter seals (``adapters.push.identifying_payload``) is::

    {"v": 1, "subjects": [{"kind", "role", "value"}, ...], "details": {key: text}}

with the subjects in the order of the signal's pseudonymised ``subjects``: the release relies on
that order to pass on only the case file's subjects (``gateway.release.fields.only_file_subjects``).

At ingest the gateway opens every envelope in memory with its release keys, checks it against the
signal it came with and throws the plaintext away (:func:`prove_envelopes`); at release it opens
them again (:func:`parse_content`). Neither ever logs, stores or echoes a value of the content.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from gateway import sealing
from gateway.errors import FieldError
from gateway.jsontypes import JsonObject
from gateway.signals.models import SignalIn
from gateway.vocabulary import SubjectKind, SubjectRole


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SealedSubject(_Closed):
    """A subject in clear: what its pseudonym was computed from."""

    kind: SubjectKind
    role: SubjectRole
    value: str | dict[str, JsonValue]


class SealedContent(_Closed):
    """Version 1 of the sealed document."""

    v: Literal[1]
    subjects: Annotated[list[SealedSubject], Field(max_length=50)]
    details: dict[str, str] = {}


def parse_content(plaintext: bytes) -> JsonObject:
    """The sealed document as JSON; raises ValueError (without any value) for anything else."""
    try:
        content = SealedContent.model_validate_json(plaintext)
    except ValidationError:
        raise ValueError("sealed document does not match the content schema") from None
    return content.model_dump(mode="json")


# The messages name the problem, never a value (of the envelope, nor of the signal).
UNOPENABLE = "envelop niet te openen met de sleutels van de gateway"
OTHER_SIGNAL = "envelop hoort bij een ander signaal (partij, ref of versie)"
NOT_SCHEMA = "inhoud voldoet niet aan het schema"
NOT_ALIGNED = "betrokkenen in de envelop komen niet overeen met subjects"

# How many extra openings a batch may cost to tell "sealed for another signal" from "does not
# open" (a failed opening is only ever a refused batch's cost; this bounds a batch of garbage).
_EXTRA_OPENINGS = 1_000


def _blob(sealed: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
    except (binascii.Error, ValueError):
        return None


def _opens(opener: sealing.Opener, blob: bytes, context: sealing.SealContext) -> bytes | None:
    try:
        return opener.open(blob, context=context)
    except sealing.SealError:
        return None


def prove_envelopes(
    opener: sealing.Opener,
    *,
    party: str,
    signals: Sequence[SignalIn],
    parties: Sequence[str] = (),
) -> list[FieldError]:
    """Every envelope of the batch opened for its own signal (``party``, ref, version), its
    content parsed and its subjects lined up with the signal's (same count, kind and role at each
    place); one located error per signal that fails, ``[]`` when all hold. The plaintext is
    dropped as soon as it is checked.

    An envelope that does not open for its own signal is tried for the batch's other signals and
    for the same ref and version of the other ``parties`` (within a bounded number of openings):
    if it opens there, it was sealed for another signal; otherwise it does not open at all.
    """
    found: list[FieldError] = []
    others = [(party, s.ref, s.version) for s in signals]
    budget = _EXTRA_OPENINGS
    for i, signal in enumerate(signals):
        location = f"signals[{i}].sealed"
        blob = _blob(signal.sealed)
        plaintext = (
            None
            if blob is None
            else _opens(opener, blob, sealing.SealContext(party, signal.ref, signal.version))
        )
        if plaintext is None:
            message, code = UNOPENABLE, "sealed_unopenable"
            if blob is not None and sealing.named_kid(blob) is not None:
                candidates = [c for c in others if c != (party, signal.ref, signal.version)] + [
                    (p, signal.ref, signal.version) for p in parties if p != party
                ]
                for candidate in candidates[:budget]:
                    budget -= 1
                    if _opens(opener, blob, sealing.SealContext(*candidate)) is not None:
                        message, code = OTHER_SIGNAL, "sealed_context"
                        break
            found.append(FieldError(location, message, code))
            continue
        try:
            content = SealedContent.model_validate_json(plaintext)
        except ValidationError:  # its errors would quote the content: dropped unread
            found.append(FieldError(location, NOT_SCHEMA, "sealed_schema"))
            continue
        finally:
            del plaintext  # in memory only, for as long as the check takes
        if not _aligned(content.subjects, signal):
            found.append(FieldError(location, NOT_ALIGNED, "sealed_subjects"))
    return found


def _aligned(sealed: Sequence[SealedSubject], signal: SignalIn) -> bool:
    return len(sealed) == len(signal.subjects) and all(
        s.kind == t.kind and s.role == t.role for s, t in zip(sealed, signal.subjects, strict=True)
    )
