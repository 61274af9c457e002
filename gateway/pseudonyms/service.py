"""Pseudonymisation for adapters as a use case: the OPRF server step, counted and audited.

The gateway sees only blinded ristretto255 elements: it cannot tell which identifiers an adapter
pseudonymises, and the adapter cannot compute a pseudonym without asking. Each call is counted
against the party's budget (``gateway.pseudonyms.ratelimit``) and audited with its count only
(``pseudonyms.evaluated``), never with an element.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.crypto import b64u
from gateway.errors import FieldError, InvalidInput
from gateway.jsontypes import JsonObject
from gateway.observability.logs import get_logger
from gateway.runtime import Runtime
from gateway.service.actor import Actor

_log = get_logger("gateway.pseudonyms")


@dataclass(frozen=True, slots=True)
class Evaluated:
    domain: str
    elements: list[bytes]

    def as_dict(self) -> JsonObject:
        return {"domain": self.domain, "evaluated": [b64u(e) for e in self.elements]}


def evaluate(rt: Runtime, *, actor: Actor, domain: str, elements: Sequence[bytes]) -> Evaluated:
    """Evaluate blinded ``elements`` under ``domain``'s key. ``InvalidInput`` for a batch over
    ``max_oprf_batch`` (at ``elements``) or an unknown domain; ``RateLimited`` once the party's
    budget is spent."""
    if len(elements) > rt.settings.max_oprf_batch:
        raise InvalidInput(
            "te veel elementen in één verzoek",
            [FieldError("elements", f"maximaal {rt.settings.max_oprf_batch}", "too_long")],
        )
    rt.oprf_budget.take(actor.party.id, len(elements))
    evaluated = rt.keyholder.evaluate(domain=domain, elements=elements)
    with rt.unit_of_work.write() as work:
        work.audit(
            actor,
            "pseudonyms.evaluated",
            {"domain": domain},
            {"count": len(evaluated)},
            rt.policy.revision,
        )
    _log.info("pseudonyms.evaluated", party=actor.party.id, count=len(evaluated))
    return Evaluated(domain, evaluated)
