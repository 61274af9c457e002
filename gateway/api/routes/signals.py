"""``/v1/signals``: batch ingest and the reporting party's own status view."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from gateway.api.auditing import audit_call
from gateway.api.problems import invalid_input
from gateway.api.security import runtime, signed_call
from gateway.auth.signed_calls import VerifiedCall
from gateway.errors import (
    Conflict,
    FieldError,
    GatewayError,
    InvalidInput,
    NotFound,
    PolicyRefused,
)
from gateway.hits.summary import batch_facts
from gateway.linkage.rules import link_rules
from gateway.observability.logs import get_logger
from gateway.policy.engine import Decision
from gateway.runtime import Runtime
from gateway.signals import service
from gateway.signals.models import REF_PATTERN, parse_batch
from gateway.storage import decisions, stats
from gateway.storage.hits import HitWriter
from gateway.storage.linkage import SqlLinker
from gateway.storage.signals import SqlSignalStore
from gateway.vocabulary import Role

router = APIRouter(prefix="/v1/signals", tags=["signals"])
_log = get_logger("gateway.signals")
Adapter = Annotated[VerifiedCall, Depends(signed_call(Role.ADAPTER))]


def _refused(
    rt: Runtime,
    call: VerifiedCall,
    batch_sha256: str,
    exc: GatewayError,
    decision: Decided | None = None,
) -> None:
    errors = len(getattr(exc, "errors", []) or [])
    with rt.engine.begin() as connection:
        if decision is not None:
            decision.record(connection, now=rt.clock())
        audit_call(
            rt,
            call,
            connection,
            "signals.refused",
            {"batch_sha256": batch_sha256},
            {"problem": exc.code, "errors": errors},
            rt.policy.revision,
        )
    rt.metrics.refusals.labels(problem=exc.code).inc()
    _log.info("signals.refused", party=call.party.id, problem=exc.code, errors=errors)


@dataclass(frozen=True)
class Decided:
    """A decision with the input it was made on, to be recorded with its effect."""

    decision: Decision
    input: dict[str, Any]
    positions: list[list[int]]

    def record(self, connection: Connection, *, now: datetime) -> None:
        decisions.record(
            connection,
            point=self.decision.point.value,
            input=self.input,
            allow=self.decision.allow,
            reasons=[r.as_dict() for r in self.decision.reasons],
            revision=self.decision.revision,
            now=now,
        )


def _decide(rt: Runtime, call: VerifiedCall, batch: Any) -> Decided:
    """One ``ingest`` decision for the whole batch: never one per signal."""
    party = call.party
    policy_input = service.policy_input(
        party={
            "id": party.id,
            "type": party.type.value,
            "signatory": party.signatory,
            "roles": sorted(r.value for r in party.roles),
        },
        caller={"sub": call.subject, "roles": sorted(r.value for r in call.roles)},
        signals=batch.signals,
        now=rt.clock(),
    )
    return Decided(
        rt.policy.decide("ingest", policy_input.document),
        policy_input.document,
        policy_input.positions,
    )


def _policy_refusal(decided: Decided) -> PolicyRefused:
    """Every reason, located: per signal at ``signals[i]``, otherwise at ``batch``."""
    decision = decided.decision
    found: list[FieldError] = []
    per_signal = decision.document.get("signals")
    if isinstance(per_signal, dict):
        refused: list[tuple[int, dict[str, Any]]] = []
        for kind, batch_positions in enumerate(decided.positions):
            verdict = per_signal.get(str(kind))
            if isinstance(verdict, dict) and verdict.get("allow") is not True:
                reasons = [r for r in verdict.get("reasons", []) if isinstance(r, dict)]
                refused += [(p, r) for p in batch_positions for r in reasons]
        found += [
            FieldError(
                f"signals[{position}]",
                str(reason.get("message", "")),
                str(reason.get("code", "")),
                reason.get("basis"),
            )
            for position, reason in sorted(refused, key=lambda item: item[0])
        ]
    if not found:  # refused for the batch as a whole, or the engine itself failed
        found = [FieldError("batch", r.message, r.code, r.basis) for r in decision.reasons]
    return PolicyRefused(
        "het convenantbeleid staat deze batch niet toe; er is niets opgeslagen",
        found,
        revision=decision.revision,
    )


def _store(
    rt: Runtime, call: VerifiedCall, batch: Any, batch_sha256: str, decided: Decided
) -> tuple[service.IngestPlan, int]:
    """Store the batch with its linkage, hits, decision record and audit entry; returns the plan
    and the audit entry's sequence number (the party's handle for an inclusion proof)."""
    with rt.engine.begin() as connection:
        now = rt.clock()
        linker = SqlLinker(connection, link_rules(rt.policy.data), now=now)
        plan = service.ingest(
            SqlSignalStore(connection),
            party=call.party.id,
            signals=batch.signals,
            now=now,
            linker=linker,
        )
        party_type = call.party.type.value
        fresh = {
            cid: batch_facts(
                plan.inserts, positions, cluster_id=cid, party=call.party.id, party_type=party_type
            )
            for cid, positions in linker.changes.fresh.items()
        }
        stats.note_retired(connection, plan.retire_ids)
        hits = HitWriter(connection, now=now).refresh(
            linker.changes,
            rt.policy,
            party_types=rt.party_types,
            barrier_of=rt.barrier_of,
            known=fresh,
        )
        decided.record(connection, now=rt.clock())
        seq = audit_call(
            rt,
            call,
            connection,
            "signals.ingested",
            {"batch_sha256": batch_sha256},
            {
                "stored": len(plan.inserts),
                "duplicates": plan.duplicates,
                "superseded": len(plan.retire_ids),
                "clusters_changed": hits.clusters,
                "hits_new": hits.new,
                "hits_changed": hits.changed,
                "hits_lapsed": hits.lapsed,
                "hits_merged": hits.merged,
                "hubs_new": linker.changes.new_hubs,
            },
            decided.decision.revision,
        )
    _log.info(
        "signals.ingested",
        party=call.party.id,
        stored=len(plan.inserts),
        duplicates=plan.duplicates,
        audit_seq=seq,
    )
    return plan, seq


@router.post("", summary="Submit a batch of pseudonymised, sealed signals (atomic, idempotent)")
def submit_signals(request: Request, call: Adapter) -> JSONResponse:
    rt = runtime(request)
    body: bytes = request.state.body
    batch_sha256 = hashlib.sha256(body).hexdigest()
    try:
        try:
            batch = parse_batch(body, limits=rt.signal_limits())
        except ValidationError as exc:
            raise invalid_input(exc) from None
        decided = _decide(rt, call, batch)
        if not decided.decision.allow:
            refusal = _policy_refusal(decided)
            _refused(rt, call, batch_sha256, refusal, decided)
            raise refusal
        try:
            plan, seq = _store(rt, call, batch, batch_sha256, decided)
        except IntegrityError:
            # A concurrent batch stored the same ref between our read and our write. Once more
            # against the new state: an identical signal is then a duplicate, a different one a
            # conflict, exactly as if the batches had arrived one after the other.
            try:
                plan, seq = _store(rt, call, batch, batch_sha256, decided)
            except IntegrityError:
                raise Conflict(
                    "gelijktijdige wijziging van dezelfde signalen; probeer opnieuw"
                ) from None
    except (InvalidInput, Conflict) as exc:
        _refused(rt, call, batch_sha256, exc)
        raise
    party_type = call.party.type.value
    rt.metrics.signals.labels(party_type=party_type, outcome="stored").inc(len(plan.inserts))
    rt.metrics.signals.labels(party_type=party_type, outcome="duplicate").inc(plan.duplicates)
    # A JSONResponse skips FastAPI's generic encoder walk over hundreds of receipts.
    return JSONResponse(
        {
            "receipts": [r.as_dict() for r in plan.receipts],
            "stored": len(plan.inserts),
            "duplicates": plan.duplicates,
            "audit_seq": seq,
        }
    )


@router.get("/{ref}/status", summary="The state of one of the calling party's own signals")
def signal_status(
    request: Request, call: Adapter, ref: Annotated[str, Path(pattern=REF_PATTERN)]
) -> dict[str, Any]:
    rt = runtime(request)
    with rt.engine.connect() as connection:
        found = service.status(SqlSignalStore(connection), party=call.party.id, ref=ref)
    if found is None:
        # The same answer for "not yours" and "does not exist": no oracle for other parties' refs.
        raise NotFound("geen signaal met deze ref van uw organisatie")
    return found.as_dict()
