"""The audit entry of a signed call's effect: who (party and employee), what, under which
policy revision. One helper so every route writes its entries alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from gateway.audit import store as audit
from gateway.audit.chain import AuditEvent
from gateway.auth.signed_calls import VerifiedCall
from gateway.runtime import Runtime


def audit_call(
    rt: Runtime,
    call: VerifiedCall,
    connection: Connection,
    event: str,
    obj: dict[str, Any],
    detail: dict[str, Any],
    revision: str,
) -> int:
    """Append one entry in the caller's transaction; returns its sequence number."""
    (seq,) = audit.append(
        connection,
        [
            AuditEvent(
                event=event,
                actor_party=call.party.id,
                actor_sub=call.subject,
                object=obj,
                detail=detail,
                policy_revision=revision,
            )
        ],
        now=rt.clock(),
    )
    return seq
