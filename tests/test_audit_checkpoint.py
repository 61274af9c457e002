"""Signed checkpoints: the C2SP signed-note example reproduced byte for byte, and refusals."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.audit import checkpoint as cp

VECTOR = json.loads((Path(__file__).parent / "vectors" / "c2sp_signed_note.json").read_text())


def vector_key() -> tuple[str, str, Ed25519PrivateKey]:
    """The spec's private key string: PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>."""
    _, _, name, hex_id, encoded = VECTOR["private_key"].split("+", 4)
    raw = base64.b64decode(encoded)
    assert raw[0] == cp.ED25519
    return name, hex_id, Ed25519PrivateKey.from_private_bytes(raw[1:])


def test_the_specifications_example_is_reproduced_byte_for_byte() -> None:
    name, hex_id, key = vector_key()
    assert cp.key_id(name, key.public_key()).hex() == hex_id
    note = cp.sign(VECTOR["text"], name, key)
    assert note == VECTOR["text"] + "\n" + VECTOR["signature_line"]
    assert cp.open_note(note, name, key.public_key()) == VECTOR["text"]
    assert cp.verifier_key(name, key.public_key()).startswith(f"{name}+{hex_id}+")


def test_a_checkpoint_round_trips_and_binds_origin_size_and_root() -> None:
    key = Ed25519PrivateKey.generate()
    origin = "gateway.rr-demo/audit"
    point = cp.Checkpoint(origin=origin, size=12345, root=bytes(range(32)))
    note = cp.sign(point.text(), origin, key)
    assert note.startswith(f"{origin}\n12345\n{base64.b64encode(bytes(range(32))).decode()}\n\n— ")
    assert cp.parse(cp.open_note(note, origin, key.public_key()), origin=origin) == point
    with pytest.raises(cp.NoteError, match="niet van"):
        cp.parse(point.text(), origin="other.example/audit")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda n: n.replace("\n12345\n", "\n12346\n"),  # another size
        lambda n: n.replace("AAEC", "AQEC", 1),  # another root
        lambda n: n.replace("— gateway", "-- gateway"),  # not an em dash
        lambda n: n[:-6] + "AAAA=\n",  # another signature
        lambda n: n.split("\n\n")[0] + "\n",  # no signature block
    ],
)
def test_a_changed_note_is_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    key = Ed25519PrivateKey.generate()
    origin = "gateway.rr-demo/audit"
    note = cp.sign(cp.Checkpoint(origin, 12345, bytes(range(32))).text(), origin, key)
    with pytest.raises(cp.NoteError):
        cp.open_note(tamper(note), origin, key.public_key())


def test_another_key_with_the_same_name_is_refused_and_other_signers_are_ignored() -> None:
    origin = "gateway.rr-demo/audit"
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    text = cp.Checkpoint(origin, 7, bytes(32)).text()
    with pytest.raises(cp.NoteError, match="geen handtekening van"):
        cp.open_note(cp.sign(text, origin, other), origin, key.public_key())
    witness = cp.sign(text, "witness.example", other).split("\n\n")[1]
    cosigned = cp.sign(text, origin, key) + witness
    assert cp.open_note(cosigned, origin, key.public_key()) == text
