"""The unit of work of a use case: one transaction in which the effect, the policy decision it
rests on and the audit entry are written together, or none of them is.

A refusal has no effect to commit with; it is recorded in a unit of its own (decision and refusal
entry), so a refused request still leaves its trace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine

from gateway.audit import store as audit
from gateway.audit.chain import AuditEvent
from gateway.jsontypes import Json
from gateway.policy.engine import Decision
from gateway.service.actor import Actor
from gateway.storage import decisions


@dataclass(frozen=True, slots=True)
class Work:
    """An open transaction (or a read-only connection) and the time the use case acts at."""

    connection: Connection
    now: datetime

    def record(self, point: str, document: Mapping[str, Json], decision: Decision) -> None:
        """Store the decision with the exact input it was made on (for ``policy simulate``)."""
        decisions.record(
            self.connection,
            point=point,
            input=dict(document),
            allow=decision.allow,
            reasons=[r.as_dict() for r in decision.reasons],
            revision=decision.revision,
            now=self.now,
        )

    def audit(
        self,
        actor: Actor | None,
        event: str,
        obj: Mapping[str, Json],
        detail: Mapping[str, Json],
        revision: str,
    ) -> int:
        """Append one audit entry in this transaction; returns its sequence number."""
        (seq,) = audit.append(
            self.connection,
            [
                AuditEvent(
                    event=event,
                    actor_party=actor.party.id if actor else None,
                    actor_sub=actor.subject if actor else None,
                    object=dict(obj),
                    detail=dict(detail),
                    policy_revision=revision,
                )
            ],
            now=self.now,
        )
        return seq


class UnitOfWork:
    """Opens transactions on the gateway's database at the gateway's clock."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock

    @contextmanager
    def write(self) -> Iterator[Work]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        with self.engine.begin() as connection:
            yield Work(connection, self.clock())

    @contextmanager
    def read(self) -> Iterator[Work]:
        """A connection for reads only; nothing it does is committed."""
        with self.engine.connect() as connection:
            yield Work(connection, self.clock())
