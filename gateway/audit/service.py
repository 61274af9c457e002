"""Reading the audit log as a partner: the latest signed checkpoint, Merkle proofs and the entries
a party caused.

What a partner needs to hold the gateway to its log without trusting it: the latest checkpoint (a
C2SP signed note over size and root, signed with the gateway's published Ed25519 key), an
inclusion proof for any entry and a consistency proof between any two sizes (RFC 9162). Proofs
are hashes only. The entries themselves hold ids and codes, but they are the covenant's business,
not every partner's: a party reads only the entries it caused (``actor.party``). These reads are
not audited themselves (they would grow the log they prove).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from gateway.audit import store
from gateway.errors import ConfigurationError, FieldError, InvalidInput, NotFound, Unavailable
from gateway.jsontypes import JsonObject
from gateway.observability.logs import get_logger
from gateway.runtime import Runtime
from gateway.service.actor import Actor

_log = get_logger("gateway.audit")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _within(size: int, *checks: tuple[str, int]) -> None:
    """Every (name, value) must lie in 1..size; otherwise 422 naming the parameter."""
    for name, value in checks:
        if not 1 <= value <= size:
            raise InvalidInput(
                f"{name} ligt buiten het logboek",
                [FieldError(f"query.{name}", f"moet tussen 1 en {size} liggen", "range")],
            )


def latest_checkpoint(rt: Runtime) -> str:
    """The signed note over the current size and root, made now if the log grew since the latest
    stored one (and stored, so ``gateway audit verify`` checks it too); ``Unavailable`` without a
    signing key."""
    try:
        note = rt.audit_checkpoints.make(force=True)
    except ConfigurationError:
        # The operator reads why in the log; the caller learns only that none can be given now.
        _log.error("audit.checkpoint_unsigned", problem="ConfigurationError")
        raise Unavailable("er kan nu geen ondertekend checkpoint worden gegeven") from None
    if note is None:  # make(force=True) always leaves one; kept for the type
        raise Unavailable("er kan nu geen ondertekend checkpoint worden gegeven")
    return note


@dataclass(frozen=True, slots=True)
class InclusionProof:
    seq: int
    tree_size: int
    leaf_hash: bytes
    hashes: list[bytes]

    def as_dict(self) -> JsonObject:
        return {
            "seq": self.seq,
            "leaf_index": self.seq - 1,
            "tree_size": self.tree_size,
            "leaf_hash": _b64(self.leaf_hash),
            "hashes": [_b64(h) for h in self.hashes],
        }


def inclusion_proof(rt: Runtime, *, seq: int, size: int | None = None) -> InclusionProof:
    """RFC 9162 inclusion proof of entry ``seq`` in the tree of ``size`` (default: current).
    ``InvalidInput`` at ``query.size`` or ``query.seq`` for a value outside the log."""
    with rt.unit_of_work.read() as work:
        current = store.tree_size(work.connection)
        size = current if size is None else size
        _within(current, ("size", size))
        _within(size, ("seq", seq))
        leaf, hashes = store.inclusion_proof(work.connection, seq, size)
    return InclusionProof(seq, size, leaf, hashes)


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    old: int
    new: int
    hashes: list[bytes]

    def as_dict(self) -> JsonObject:
        return {"from": self.old, "to": self.new, "hashes": [_b64(h) for h in self.hashes]}


def consistency_proof(rt: Runtime, *, old: int, new: int | None = None) -> ConsistencyProof:
    """RFC 9162 consistency proof from size ``old`` to ``new`` (default: current).
    ``InvalidInput`` at ``query.to`` or ``query.from`` for a size outside the log."""
    with rt.unit_of_work.read() as work:
        current = store.tree_size(work.connection)
        new = current if new is None else new
        _within(current, ("to", new))
        _within(new, ("from", old))
        hashes = store.consistency_proof(work.connection, old, new)
    return ConsistencyProof(old, new, hashes)


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    body: str
    leaf_hash: bytes

    def as_dict(self) -> JsonObject:
        return {"seq": self.seq, "body": self.body, "leaf_hash": _b64(self.leaf_hash)}


def entry(rt: Runtime, *, actor: Actor, seq: int) -> Entry:
    """One entry ``actor``'s party caused, as hashed; ``NotFound`` for any other."""
    with rt.unit_of_work.read() as work:
        found = store.entry(work.connection, seq)
    # Another party's entry and a missing one look the same: no probing which seq is whose.
    if found is None or found[0] != actor.party.id:
        raise NotFound("auditregel niet gevonden")
    _, body, leaf = found
    return Entry(seq, body, leaf)
