"""The ingest use case: a partner's signed batch, judged once, stored whole with its linkage,
hits, decision record and audit entry, or refused with every located reason and nothing stored.

Order matters: the batch is parsed and validated, every sealed envelope is opened in memory and
checked against its signal (:func:`prove`; the plaintext is dropped at once), then the ``ingest``
policy decides once for the whole batch (never once per signal: the rules judge kinds of signal,
see :func:`gateway.signals.service.policy_input`), and only an allowed batch opens the write
transaction. A refusal, whatever its cause, is recorded (decision if there was one, audit entry
with the problem code and how many errors) in a transaction of its own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from gateway import sealing
from gateway.errors import (
    Conflict,
    FieldError,
    GatewayError,
    InvalidInput,
    NotFound,
    PolicyRefused,
    Unavailable,
)
from gateway.hits.refresh import refresh_hits
from gateway.hits.summary import batch_facts
from gateway.linkage.rules import link_rules
from gateway.observability.logs import get_logger
from gateway.policy.engine import Decision
from gateway.runtime import Runtime
from gateway.service.actor import Actor
from gateway.signals import service
from gateway.signals.content import prove_envelopes
from gateway.signals.models import SignalBatch, parse_batch
from gateway.storage import stats
from gateway.storage.linkage import SqlLinker
from gateway.storage.signals import SqlSignalStore
from gateway.validation import invalid_input

_log = get_logger("gateway.signals")
POINT = "ingest"


@dataclass(frozen=True)
class Decided:
    """A decision with the input it was made on, to be recorded with its effect."""

    decision: Decision
    input: dict[str, Any]  # Any: the policy input document (JSON)
    positions: list[list[int]]


@dataclass(frozen=True)
class Ingested:
    """What a stored batch answers: a receipt per signal and the audit entry's sequence number
    (the party's handle for an inclusion proof)."""

    plan: service.IngestPlan
    audit_seq: int
    checkpoint: str | None = None
    """The latest signed checkpoint of the audit log, for the partner to keep (it may not cover
    ``audit_seq`` yet: checkpoints come every N entries or T seconds, docs/partners-api.md)."""

    def as_dict(self) -> dict[str, object]:
        return {
            "receipts": [r.as_dict() for r in self.plan.receipts],
            "stored": len(self.plan.inserts),
            "duplicates": self.plan.duplicates,
            "audit_seq": self.audit_seq,
            "checkpoint": self.checkpoint,
        }


def ingest_batch(rt: Runtime, *, actor: Actor, body: bytes) -> Ingested:
    """Parse, decide, store: the whole of ``POST /v1/signals`` after authentication."""
    batch_sha256 = hashlib.sha256(body).hexdigest()
    try:
        try:
            batch = parse_batch(body, limits=rt.signal_limits())
        except ValidationError as exc:
            raise invalid_input(exc) from None
        prove(rt, actor, batch)
        decided = decide(rt, actor, batch)
        if not decided.decision.allow:
            refusal = policy_refusal(decided)
            _refused(rt, actor, batch_sha256, refusal, decided)
            raise refusal
        try:
            done = _store(rt, actor, batch, batch_sha256, decided)
        except IntegrityError:
            # A concurrent batch stored the same ref between our read and our write. Once more
            # against the new state: an identical signal is then a duplicate, a different one a
            # conflict, exactly as if the batches had arrived one after the other.
            try:
                done = _store(rt, actor, batch, batch_sha256, decided)
            except IntegrityError:
                raise Conflict(
                    "gelijktijdige wijziging van dezelfde signalen; probeer opnieuw"
                ) from None
    except (InvalidInput, Conflict) as exc:
        _refused(rt, actor, batch_sha256, exc)
        raise
    except Unavailable as exc:
        # An outage (the policy engine): the refusal is audited when the database is there to
        # take it; the caller gets the 503 either way and retries.
        try:
            _refused(rt, actor, batch_sha256, exc)
        except Exception:  # noqa: BLE001  (the database may be the outage)
            _log.warning("signals.refusal_not_audited", party=actor.party.id, problem=exc.code)
        raise
    # After the commit: the batch stands whether or not a checkpoint can be signed now.
    done = replace(done, checkpoint=rt.audit_checkpoints.for_answer())
    party_type = actor.party.type.value
    rt.metrics.signals.labels(party_type=party_type, outcome="stored").inc(len(done.plan.inserts))
    rt.metrics.signals.labels(party_type=party_type, outcome="duplicate").inc(
        done.plan.duplicates
    )
    return done


def prove(rt: Runtime, actor: Actor, batch: SignalBatch) -> None:
    """Every envelope opened in memory for its own signal and checked against it (content
    schema, subjects in line), the plaintext dropped; a 422 naming each that fails. Without
    this a partner could store an envelope that no release can open (issue 14)."""
    opener = sealing.Opener(rt.release_keys.private_records())  # one per batch, never kept
    found = prove_envelopes(
        opener, party=actor.party.id, signals=batch.signals, parties=list(rt.covenant.parties)
    )
    if found:
        raise InvalidInput(
            f"{len(found)} verzegelde envelop(pen) niet in orde; er is niets opgeslagen", found
        )


def decide(rt: Runtime, actor: Actor, batch: SignalBatch) -> Decided:
    """One ``ingest`` decision for the whole batch."""
    party = actor.party
    policy_input = service.policy_input(
        party={
            "id": party.id,
            "type": party.type.value,
            "signatory": party.signatory,
            "roles": sorted(r.value for r in party.roles),
        },
        caller={"sub": actor.subject, "roles": actor.role_values},
        signals=batch.signals,
        now=rt.clock(),
    )
    return Decided(
        rt.policy.decide(POINT, policy_input.document),
        policy_input.document,
        policy_input.positions,
    )


def policy_refusal(decided: Decided) -> PolicyRefused:
    """Every reason, located: per signal at ``signals[i]``, otherwise at ``batch``."""
    decision = decided.decision
    found: list[FieldError] = []
    per_signal = decision.document.get("signals")
    if isinstance(per_signal, dict):
        refused: list[tuple[int, dict[str, Any]]] = []  # Any: a reason as the policy gave it
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


def _refused(
    rt: Runtime,
    actor: Actor,
    batch_sha256: str,
    exc: GatewayError,
    decided: Decided | None = None,
) -> None:
    errors = len(getattr(exc, "errors", []) or [])
    with rt.unit_of_work.write() as work:
        if decided is not None:
            work.record(POINT, decided.input, decided.decision)
        work.audit(
            actor,
            "signals.refused",
            {"batch_sha256": batch_sha256},
            {"problem": exc.code, "errors": errors},
            rt.policy.revision,
        )
    rt.metrics.refusals.labels(problem=exc.code).inc()
    _log.info("signals.refused", party=actor.party.id, problem=exc.code, errors=errors)


def _store(
    rt: Runtime, actor: Actor, batch: SignalBatch, batch_sha256: str, decided: Decided
) -> Ingested:
    """Store the batch with its linkage, hits, decision record and audit entry."""
    with rt.unit_of_work.write() as work:
        now = work.now
        connection = work.connection
        linker = SqlLinker(connection, link_rules(rt.policy.data), now=now)
        plan = service.ingest(
            SqlSignalStore(connection),
            party=actor.party.id,
            signals=batch.signals,
            now=now,
            linker=linker,
        )
        party_type = actor.party.type.value
        fresh = {
            cid: batch_facts(
                plan.inserts, positions, cluster_id=cid, party=actor.party.id, party_type=party_type
            )
            for cid, positions in linker.changes.fresh.items()
        }
        stats.note_retired(connection, plan.retire_ids)
        hits = refresh_hits(
            connection,
            linker.changes,
            rt.policy,
            now=now,
            party_types=rt.party_types,
            barrier_of=rt.barrier_of,
            known=fresh,
        )
        work.record(POINT, decided.input, decided.decision)
        seq = work.audit(
            actor,
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
        party=actor.party.id,
        stored=len(plan.inserts),
        duplicates=plan.duplicates,
        audit_seq=seq,
    )
    return Ingested(plan, seq)


def signal_status(rt: Runtime, *, actor: Actor, ref: str) -> service.SignalStatus:
    """The state of one of the acting party's own signals."""
    with rt.unit_of_work.read() as work:
        found = service.status(SqlSignalStore(work.connection), party=actor.party.id, ref=ref)
    if found is None:
        # The same answer for "not yours" and "does not exist": no oracle for other parties' refs.
        raise NotFound("geen signaal met deze ref van uw organisatie")
    return found
