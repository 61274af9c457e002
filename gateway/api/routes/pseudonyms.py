"""``/v1/pseudonyms/evaluate``: the OPRF server step for adapters.

The gateway sees only blinded ristretto255 elements: it cannot tell which identifiers an adapter
pseudonymises, and the adapter cannot compute a pseudonym without asking. Each call is signed,
counted against the party's budget, and audited with its count only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.api.problems import invalid_input
from gateway.api.security import runtime, signed_call
from gateway.audit import store as audit
from gateway.audit.chain import AuditEvent
from gateway.auth.signed_calls import VerifiedCall
from gateway.crypto import b64u, unb64u
from gateway.errors import FieldError, InvalidInput
from gateway.observability.logs import get_logger
from gateway.vocabulary import Role

router = APIRouter(prefix="/v1/pseudonyms", tags=["pseudonyms"])
_log = get_logger("gateway.pseudonyms")
Adapter = Annotated[VerifiedCall, Depends(signed_call(Role.ADAPTER))]
# A ristretto255 element is 32 bytes: 43 base64url characters without padding.
_ELEMENT = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$")]


class EvaluateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    domain: Annotated[str, Field(min_length=1, max_length=64)]
    elements: Annotated[list[_ELEMENT], Field(min_length=1)]


@router.post("/evaluate", summary="Evaluate blinded elements under a pseudonym domain's key")
def evaluate(request: Request, call: Adapter) -> dict[str, Any]:
    rt = runtime(request)
    try:
        body = EvaluateRequest.model_validate_json(request.state.body)
    except ValidationError as exc:
        raise invalid_input(exc) from None
    if len(body.elements) > rt.settings.max_oprf_batch:
        raise InvalidInput(
            "te veel elementen in één verzoek",
            [FieldError("elements", f"maximaal {rt.settings.max_oprf_batch}", "too_long")],
        )
    rt.oprf_budget.take(call.party.id, len(body.elements))
    evaluated = rt.keyholder.evaluate(
        domain=body.domain, elements=[unb64u(e) for e in body.elements]
    )
    audit.record(
        rt.engine,
        AuditEvent(
            event="pseudonyms.evaluated",
            actor_party=call.party.id,
            actor_sub=call.subject,
            object={"domain": body.domain},
            detail={"count": len(evaluated)},
            policy_revision=rt.policy.revision,
        ),
        now=rt.clock(),
    )
    _log.info("pseudonyms.evaluated", party=call.party.id, count=len(evaluated))
    return {"domain": body.domain, "evaluated": [b64u(e) for e in evaluated]}
