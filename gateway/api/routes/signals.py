"""``/v1/signals``: batch ingest and the reporting party's own status view.

Thin over the ingest use case (``gateway.signals.ingest``): the route authenticates the signed
call, hands the exact signed bytes to the service and maps its answer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from gateway.api.security import runtime, signed_call
from gateway.auth.signed_calls import VerifiedCall
from gateway.service.actor import Actor
from gateway.signals.ingest import ingest_batch, signal_status
from gateway.signals.models import REF_PATTERN
from gateway.vocabulary import Role

router = APIRouter(prefix="/v1/signals", tags=["signals"])
Adapter = Annotated[VerifiedCall, Depends(signed_call(Role.ADAPTER))]


@router.post("", summary="Submit a batch of pseudonymised, sealed signals (atomic, idempotent)")
def submit_signals(request: Request, call: Adapter) -> JSONResponse:
    body: bytes = request.state.body
    done = ingest_batch(runtime(request), actor=Actor.of(call), body=body)
    # A JSONResponse skips FastAPI's generic encoder walk over hundreds of receipts.
    return JSONResponse(done.as_dict())


@router.get("/{ref}/status", summary="The state of one of the calling party's own signals")
def signal_status_route(
    request: Request, call: Adapter, ref: Annotated[str, Path(pattern=REF_PATTERN)]
) -> dict[str, object]:
    return signal_status(runtime(request), actor=Actor.of(call), ref=ref).as_dict()
