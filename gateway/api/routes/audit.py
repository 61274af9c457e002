"""``/v1/audit``: signed checkpoints and Merkle proofs of the audit log.

What a partner needs to hold the gateway to its log without trusting it: the latest checkpoint
(a C2SP signed note over size and root, signed with the gateway's published Ed25519 key; the
verifier key is in ``/v1/gateway``), an inclusion proof for any entry and a consistency proof
between any two sizes (RFC 9162). Proofs are hashes only. The entries themselves hold ids and
codes, but they are the covenant's business, not every partner's: a party reads only the entries
it caused (``actor.party``), such as the one for each batch it sent (its ``audit_seq``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse

from gateway.api.security import runtime, signed_call
from gateway.audit import service
from gateway.auth.signed_calls import VerifiedCall
from gateway.jsontypes import JsonObject
from gateway.service.actor import Actor

router = APIRouter(prefix="/v1/audit", tags=["audit"])
Caller = Annotated[VerifiedCall, Depends(signed_call())]
CHECKPOINT_MEDIA_TYPE = "text/plain; charset=utf-8"
# The largest audit_seq a BIGINT column holds: a larger one is a 422 here, never a query that
# overflows in the driver (500).
MAX_SEQ = 2**63 - 1


@router.get(
    "/checkpoint",
    summary="The latest signed checkpoint (C2SP tlog-checkpoint in a signed note)",
    response_class=PlainTextResponse,
)
def latest_checkpoint(request: Request, call: Caller) -> PlainTextResponse:
    note = service.latest_checkpoint(runtime(request))
    return PlainTextResponse(note, media_type=CHECKPOINT_MEDIA_TYPE)


@router.get("/proofs/inclusion", summary="RFC 9162 inclusion proof of one entry")
def inclusion(
    request: Request,
    call: Caller,
    seq: Annotated[int, Query(description="The entry (its audit_seq)")],
    size: Annotated[int | None, Query(description="Tree size; default: the current one")] = None,
) -> JsonObject:
    return service.inclusion_proof(runtime(request), seq=seq, size=size).as_dict()


@router.get("/proofs/consistency", summary="RFC 9162 consistency proof between two sizes")
def consistency(
    request: Request,
    call: Caller,
    old: Annotated[int, Query(alias="from", description="The smaller tree size")],
    new: Annotated[int | None, Query(alias="to", description="Default: the current size")] = None,
) -> JsonObject:
    return service.consistency_proof(runtime(request), old=old, new=new).as_dict()


@router.get("/entries/{seq}", summary="One entry the calling party caused, as hashed")
def entry(
    request: Request, call: Caller, seq: Annotated[int, Path(ge=1, le=MAX_SEQ)]
) -> JsonObject:
    return service.entry(runtime(request), actor=Actor.of(call), seq=seq).as_dict()
