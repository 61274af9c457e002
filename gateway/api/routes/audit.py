"""``/v1/audit``: signed checkpoints and Merkle proofs of the audit log.

What a partner needs to hold the gateway to its log without trusting it: the latest checkpoint
(a C2SP signed note over size and root, signed with the gateway's published Ed25519 key; the
verifier key is in ``/v1/gateway``), an inclusion proof for any entry and a consistency proof
between any two sizes (RFC 9162). Proofs are hashes only. The entries themselves hold ids and
codes, but they are the covenant's business, not every partner's: a party reads only the entries
it caused (``actor.party``), such as the one for each batch it sent (its ``audit_seq``).
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse

from gateway.api.security import runtime, signed_call
from gateway.audit import checkpoint, store
from gateway.auth.signed_calls import VerifiedCall
from gateway.errors import ConfigurationError, FieldError, InvalidInput, NotFound, Unavailable
from gateway.observability.logs import get_logger

router = APIRouter(prefix="/v1/audit", tags=["audit"])
_log = get_logger("gateway.audit")
Caller = Annotated[VerifiedCall, Depends(signed_call())]
CHECKPOINT_MEDIA_TYPE = "text/plain; charset=utf-8"


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


@router.get(
    "/checkpoint",
    summary="The latest signed checkpoint (C2SP tlog-checkpoint in a signed note)",
    response_class=PlainTextResponse,
)
def latest_checkpoint(request: Request, call: Caller) -> PlainTextResponse:
    rt = runtime(request)
    with rt.engine.connect() as connection:
        size = store.tree_size(connection)
        root = store.root(connection, size)
    try:
        signer = rt.audit_signer
    except ConfigurationError:
        # The operator reads why in the log; the caller learns only that none can be given now.
        _log.error("audit.checkpoint_unsigned", problem="ConfigurationError")
        raise Unavailable("er kan nu geen ondertekend checkpoint worden gegeven") from None
    text = checkpoint.Checkpoint(rt.audit_origin, size, root).text()
    note = checkpoint.sign(text, rt.audit_origin, signer)
    return PlainTextResponse(note, media_type=CHECKPOINT_MEDIA_TYPE)


@router.get("/proofs/inclusion", summary="RFC 9162 inclusion proof of one entry")
def inclusion(
    request: Request,
    call: Caller,
    seq: Annotated[int, Query(description="The entry (its audit_seq)")],
    size: Annotated[int | None, Query(description="Tree size; default: the current one")] = None,
) -> dict[str, Any]:
    rt = runtime(request)
    with rt.engine.connect() as connection:
        current = store.tree_size(connection)
        size = current if size is None else size
        _within(current, ("size", size))
        _within(size, ("seq", seq))
        leaf, hashes = store.inclusion_proof(connection, seq, size)
    return {
        "seq": seq,
        "leaf_index": seq - 1,
        "tree_size": size,
        "leaf_hash": _b64(leaf),
        "hashes": [_b64(h) for h in hashes],
    }


@router.get("/proofs/consistency", summary="RFC 9162 consistency proof between two sizes")
def consistency(
    request: Request,
    call: Caller,
    old: Annotated[int, Query(alias="from", description="The smaller tree size")],
    new: Annotated[int | None, Query(alias="to", description="Default: the current size")] = None,
) -> dict[str, Any]:
    rt = runtime(request)
    with rt.engine.connect() as connection:
        current = store.tree_size(connection)
        new = current if new is None else new
        _within(current, ("to", new))
        _within(new, ("from", old))
        hashes = store.consistency_proof(connection, old, new)
    return {"from": old, "to": new, "hashes": [_b64(h) for h in hashes]}


@router.get("/entries/{seq}", summary="One entry the calling party caused, as hashed")
def entry(request: Request, call: Caller, seq: Annotated[int, Path(ge=1)]) -> dict[str, Any]:
    rt = runtime(request)
    with rt.engine.connect() as connection:
        found = store.entry(connection, seq)
    # Another party's entry and a missing one look the same: no probing which seq is whose.
    if found is None or found[0] != call.party.id:
        raise NotFound("auditregel niet gevonden")
    _, body, leaf = found
    return {"seq": seq, "body": body, "leaf_hash": _b64(leaf)}
