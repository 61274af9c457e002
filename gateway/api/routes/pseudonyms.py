"""``/v1/pseudonyms/evaluate``: the OPRF server step for adapters.

The gateway sees only blinded ristretto255 elements: it cannot tell which identifiers an adapter
pseudonymises, and the adapter cannot compute a pseudonym without asking. Each call is signed,
counted against the party's budget, and audited with its count only
(``gateway.pseudonyms.service``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.api.security import runtime, signed_call
from gateway.auth.signed_calls import VerifiedCall
from gateway.crypto import unb64u
from gateway.jsontypes import JsonObject
from gateway.pseudonyms import service
from gateway.service.actor import Actor
from gateway.validation import invalid_input
from gateway.vocabulary import Role

router = APIRouter(prefix="/v1/pseudonyms", tags=["pseudonyms"])
Adapter = Annotated[VerifiedCall, Depends(signed_call(Role.ADAPTER))]
# A ristretto255 element is 32 bytes: 43 base64url characters without padding.
_ELEMENT = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$")]


class EvaluateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    domain: Annotated[str, Field(min_length=1, max_length=64)]
    elements: Annotated[list[_ELEMENT], Field(min_length=1)]


@router.post("/evaluate", summary="Evaluate blinded elements under a pseudonym domain's key")
def evaluate(request: Request, call: Adapter) -> JsonObject:
    try:
        body = EvaluateRequest.model_validate_json(request.state.body)
    except ValidationError as exc:
        raise invalid_input(exc) from None
    evaluated = service.evaluate(
        runtime(request),
        actor=Actor.of(call),
        domain=body.domain,
        elements=[unb64u(e) for e in body.elements],
    )
    return evaluated.as_dict()
