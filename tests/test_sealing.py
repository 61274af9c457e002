"""Sealed envelopes (HPKE, RFC 9180): round trip, binding to context and key, one bare error."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway import sealing
from gateway.sealing import SealContext, SealError

HYBRID = sealing.new_key_pair()
CLASSIC = sealing.new_key_pair("X25519")
CONTEXT = SealContext(party="gemeente-rotterdam", ref="brp-1", version=1)


@pytest.mark.parametrize("pair", [HYBRID, CLASSIC], ids=["mlkem768-x25519", "x25519"])
def test_round_trip_and_kid_in_the_header(pair):
    private, public = pair
    blob = sealing.seal(b"Jan Jansen, 3011 AB 40", recipient=public, context=CONTEXT)
    assert blob.startswith(sealing.MAGIC)
    assert sealing.recipient_kid(blob) == public["kid"]
    assert b"Jansen" not in blob
    assert (
        sealing.open_sealed(blob, private_keys={public["kid"]: private}, context=CONTEXT)
        == b"Jan Jansen, 3011 AB 40"
    )


def test_hybrid_envelope_carries_the_ml_kem_encapsulation():
    _, public = HYBRID
    blob = sealing.seal(b"", recipient=public, context=CONTEXT)
    # header (4 + 1 + kid) + X-Wing style enc (1088 ML-KEM ciphertext + 32 X25519) + 16-byte tag
    assert len(blob) == 5 + len(public["kid"]) + 1120 + 16


@pytest.mark.parametrize(
    "other",
    [
        SealContext("politie-rotterdam", "brp-1", 1),
        SealContext("gemeente-rotterdam", "brp-2", 1),
        SealContext("gemeente-rotterdam", "brp-1", 2),
        SealContext("gemeente-rotterdam", "brp-1", 1, purpose="release"),
    ],
    ids=["other-party", "other-ref", "other-version", "other-purpose"],
)
def test_a_blob_moved_to_another_context_does_not_open(other):
    private, public = HYBRID
    blob = sealing.seal(b"details", recipient=public, context=CONTEXT)
    with pytest.raises(SealError) as raised:
        sealing.open_sealed(blob, private_keys={public["kid"]: private}, context=other)
    assert str(raised.value) == "cannot open"


def test_every_failure_is_the_same_bare_error():
    private, public = HYBRID
    other_private, other_public = sealing.new_key_pair()
    blob = sealing.seal(b"details", recipient=public, context=CONTEXT)
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    relabelled = blob.replace(public["kid"].encode(), other_public["kid"].encode())
    cases = [
        (tampered, {public["kid"]: private}),
        (relabelled, {other_public["kid"]: other_private}),
        (blob, {}),  # key shredded: retention deleted it
    ]
    messages = set()
    for candidate, keys in cases:
        with pytest.raises(SealError) as raised:
            sealing.open_sealed(candidate, private_keys=keys, context=CONTEXT)
        messages.add(str(raised.value))
    assert messages == {"cannot open"}


@given(st.binary(max_size=64))
@settings(max_examples=200)
def test_garbage_is_never_opened(data):
    private, public = CLASSIC
    with pytest.raises(SealError):
        sealing.open_sealed(data, private_keys={public["kid"]: private}, context=CONTEXT)


def test_degenerate_input_is_refused():
    _, public = HYBRID
    with pytest.raises(SealError):
        sealing.seal(b"x", recipient={**public, "kem": "RSA"}, context=CONTEXT)
    with pytest.raises(SealError):
        sealing.seal(b"x", recipient=public, context=SealContext("a\x00b", "r", 1))
    with pytest.raises(ValueError):
        sealing.new_key_pair("P-256")


def test_an_opener_rebuilds_each_key_once_and_refuses_like_open_sealed(monkeypatch):
    from gateway.crypto import _primitives

    built: list[str] = []
    real = _primitives.hpke_private_key

    def counting(record):
        built.append(record["kid"])
        return real(record)

    monkeypatch.setattr(_primitives, "hpke_private_key", counting)
    (hybrid_private, hybrid), (classic_private, classic) = HYBRID, CLASSIC
    keys = {hybrid["kid"]: hybrid_private, classic["kid"]: classic_private}
    opener = sealing.Opener(keys)
    contexts = [SealContext("gemeente-rotterdam", f"brp-{i}", 1) for i in range(6)]
    blobs = [
        sealing.seal(f"details {i}".encode(), recipient=(hybrid, classic)[i % 2], context=c)
        for i, c in enumerate(contexts)
    ]
    opened = [opener.open(blob, context=c) for blob, c in zip(blobs, contexts, strict=True)]
    assert opened == [f"details {i}".encode() for i in range(6)]
    assert sorted(built) == sorted([hybrid["kid"], classic["kid"]])
    # The same single error for a wrong context, a changed byte and an unknown key.
    with pytest.raises(SealError):
        opener.open(blobs[0], context=contexts[1])
    with pytest.raises(SealError):
        opener.open(blobs[0][:-1] + bytes([blobs[0][-1] ^ 1]), context=contexts[0])
    with pytest.raises(SealError):
        sealing.Opener({}).open(blobs[0], context=contexts[0])
