"""The signal as partners submit it (the API contract). Create models only: the server
sets ids, versions in force and timestamps, so clients cannot.

Runtime limits (catalogue, sizes, the clock) arrive through pydantic's validation context, so every
error still carries its exact location, e.g. ``signals[3].indicators[1]``.
"""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gateway import sealing
from gateway.jsontypes import JsonObject
from gateway.signals.reference import IndicatorCatalogue, validate_municipality
from gateway.vocabulary import Certainty, DataClass, Form, SubjectKind, SubjectRole

REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$"
# A pseudonym is the 64-byte OPRF output (RFC 9497, SHA-512), base64url without padding.
PSEUDONYM_PATTERN = r"^[A-Za-z0-9_-]{85}[AQgw]$"
INDICATOR_PATTERN = r"^[A-Z]{2,8}(-[A-Z0-9]{1,24}){1,6}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class Limits(BaseModel):
    """What the running gateway allows; passed as validation context."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    catalogue: IndicatorCatalogue
    max_sealed_bytes: int
    max_batch_signals: int
    now: datetime
    clock_skew: timedelta
    # The release keys an envelope may be sealed to (current, or retired within the grace
    # period). None skips the check: only for planner tests whose envelopes are placeholders.
    release_kids: frozenset[str] | None = None


def _limits(info: ValidationInfo) -> Limits:
    limits = info.context.get("limits") if isinstance(info.context, dict) else None
    if not isinstance(limits, Limits):
        raise RuntimeError("validate signals with context={'limits': Limits(...)}")
    return limits


# An envelope's header (sealing.recipient_kid) is at most 260 bytes: 348 base64url characters.
_HEADER_CHARS = 348


def _sealed_kid(value: str) -> str | None:
    """The release key an envelope names in its header; None when it has no valid header."""
    head = value[:_HEADER_CHARS]
    try:
        return sealing.named_kid(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except ValueError:
        return None


class SubjectIn(_Strict):
    """A person or thing in the signal, known to the gateway only by its pseudonym."""

    kind: SubjectKind
    role: SubjectRole
    pseudonym: Annotated[str, Field(pattern=PSEUDONYM_PATTERN)]


class FlagsIn(_Strict):
    """Facts the release rules need: minors, consent, embargo, source protection."""

    minor: bool = False
    consent: bool | None = None
    embargo_until: date | None = None
    source_protected: bool = False


class SignalIn(_Strict):
    """One signal: metadata in the open for linkage and policy, identifying details sealed."""

    ref: Annotated[str, Field(pattern=REF_PATTERN)]
    version: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    supersedes: Annotated[int | None, Field(ge=1, le=1_000_000)] = None
    observed_at: AwareDatetime
    municipality: Annotated[str, Field(pattern=r"^GM\d{4}$")]
    form: Form
    indicators: Annotated[
        list[Annotated[str, Field(pattern=INDICATOR_PATTERN)]], Field(max_length=50)
    ] = []
    data_classes: Annotated[list[DataClass], Field(min_length=1, max_length=len(DataClass))]
    certainty: Certainty
    flags: FlagsIn = FlagsIn()
    subjects: Annotated[list[SubjectIn], Field(min_length=1, max_length=50)]
    # The alphabet is checked by pydantic-core's regex engine: far faster on a kilobyte-long
    # string than Python's ``re``, and this runs for every signal of every batch.
    sealed: Annotated[str, Field(min_length=16, pattern=r"^[A-Za-z0-9_-]+$")]

    @field_validator("municipality")
    @classmethod
    def _municipality_exists(cls, value: str) -> str:
        return validate_municipality(value)

    @field_validator("indicators")
    @classmethod
    def _indicators_known(cls, value: list[str], info: ValidationInfo) -> list[str]:
        catalogue = _limits(info).catalogue
        if len(set(value)) != len(value):
            raise ValueError("indicatoren komen dubbel voor")
        unknown = [i for i, code in enumerate(value) if code not in catalogue]
        if unknown:
            raise ValueError(
                f"onbekende indicator op positie {unknown[0]} "
                f"(niet in catalogus versie {catalogue.version})"
            )
        return value

    @field_validator("data_classes")
    @classmethod
    def _classes_unique(cls, value: list[DataClass]) -> list[DataClass]:
        if len(set(value)) != len(value):
            raise ValueError("gegevensklassen komen dubbel voor")
        return value

    @field_validator("observed_at")
    @classmethod
    def _not_in_future(cls, value: datetime, info: ValidationInfo) -> datetime:
        limits = _limits(info)
        if value > limits.now + limits.clock_skew:
            raise ValueError("waarnemingsmoment ligt in de toekomst")
        return value

    @field_validator("sealed")
    @classmethod
    def _sealed_size(cls, value: str, info: ValidationInfo) -> str:
        if len(value) % 4 == 1:
            raise ValueError("verzegelde gegevens moeten base64url zonder opvulling zijn")
        limits = _limits(info)
        if len(value) * 3 // 4 > limits.max_sealed_bytes:
            raise ValueError(f"verzegelde gegevens groter dan {limits.max_sealed_bytes} bytes")
        if limits.release_kids is not None and _sealed_kid(value) not in limits.release_kids:
            raise ValueError(
                "verzegeld voor een vrijgavesleutel die de gateway niet (meer) aanneemt; "
                "haal de huidige sleutel op met GET /v1/gateway (release_key)"
            )
        return value

    @model_validator(mode="after")
    def _supersedes_previous(self) -> SignalIn:
        if self.supersedes is not None and self.supersedes >= self.version:
            raise ValueError("supersedes moet een eerdere versie noemen dan version")
        return self


class SignalBatch(_Strict):
    """A batch is atomic: every signal is stored, or none is."""

    signals: Annotated[list[SignalIn], Field(min_length=1)]

    @field_validator("signals")
    @classmethod
    def _batch_size(cls, value: list[SignalIn], info: ValidationInfo) -> list[SignalIn]:
        maximum = _limits(info).max_batch_signals
        if len(value) > maximum:
            raise ValueError(f"te veel signalen in één batch (maximaal {maximum})")
        return value


def parse_batch(body: bytes, *, limits: Limits) -> SignalBatch:
    """Validate a JSON body; raises pydantic's ValidationError with every located problem."""
    return SignalBatch.model_validate_json(body, context={"limits": limits})


def content_fingerprint(signal: SignalIn) -> JsonObject:
    """The document whose hash identifies a signal's content (idempotency and conflicts).

    The sealed blob is left out: HPKE sealing is randomised, so the same details sealed twice
    differ, and a partner re-sending yesterday's export must get duplicates, not conflicts. A
    change of details alone is therefore a new version (``supersedes``), as documented.
    """
    return signal.model_dump(mode="json", exclude={"sealed"})
