"""Recorded policy decisions: written when a decision is made, replayed by ``policy simulate``.

Decision inputs are built from codes, ids and pseudonymous references; the one thing in them that
points at a person is a caller's ``sub`` (an employee's pseudonymous id). Before storing, every
``sub`` is replaced by a per-decision alias (``persoon-1``, ``persoon-2``, …) that keeps only
what the rules can use: whether two approvals came from the same person.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from gateway.jsontypes import Json, JsonObject
from gateway.storage.signals import as_utc
from gateway.storage.tables import DecisionRow

_decisions = DecisionRow.__table__


def scrub(document: Json) -> Json:
    """A copy of ``document`` with every ``sub`` value replaced by a stable alias.

    Most recorded inputs hold no ``sub`` at all (a batch's ``hits`` evaluation runs to a megabyte
    at scale), and walking them in Python cost more than the rest of recording: one pass of the
    C encoder says whether there is anything to replace. A string value ``"sub"`` only makes it
    walk for nothing.
    """
    if '"sub"' not in json.dumps(document):
        return document
    aliases: dict[str, str] = {}

    def walk(value: Json) -> Json:
        if isinstance(value, dict):
            return {
                k: (_alias(aliases, v) if k == "sub" and isinstance(v, str) else walk(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(document)


def _alias(aliases: dict[str, str], sub: str) -> str:
    return aliases.setdefault(sub, f"persoon-{len(aliases) + 1}")


def record(
    connection: Connection,
    *,
    point: str,
    input: JsonObject,
    allow: bool,
    reasons: list[JsonObject],
    revision: str,
    now: datetime,
) -> None:
    """Store one decision in the caller's transaction (with the effect it allowed or refused)."""
    connection.execute(
        insert(_decisions).values(
            decided_at=now,
            point=point,
            revision=revision,
            allow=allow,
            reasons=reasons,
            input=scrub(input),
        )
    )


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """A decision as stored: its point, the exact (scrubbed) input, the outcome, the reasons as
    the policy gave them, and when. ``policy simulate`` turns these into its own records."""

    point: str
    input: dict[str, Any]  # Any: the decision input document (JSON)
    allow: bool
    reasons: list[dict[str, Any]]  # Any: reasons as the policy returned them (JSON)
    revision: str
    recorded_at: datetime


def recorded(
    connection: Connection, *, point: str | None = None, limit: int | None = None
) -> Iterator[StoredDecision]:
    """Recorded decisions, newest first, streamed."""
    query = select(_decisions).order_by(_decisions.c.id.desc())
    if point is not None:
        query = query.where(_decisions.c.point == point)
    if limit is not None:
        query = query.limit(limit)
    for row in connection.execution_options(yield_per=500).execute(query):
        yield StoredDecision(
            point=row.point,
            input=row.input,
            allow=row.allow,
            reasons=list(row.reasons),
            revision=row.revision,
            recorded_at=as_utc(row.decided_at),
        )


def older_than(connection: Connection, decided_before: datetime) -> int:
    """How many recorded decisions were made before ``decided_before``."""
    return connection.execute(
        select(func.count()).select_from(_decisions).where(_decisions.c.decided_at < decided_before)
    ).scalar_one()


def prune(connection: Connection, decided_before: datetime) -> int:
    """Delete the decisions made before ``decided_before``; returns how many."""
    return connection.execute(
        delete(_decisions).where(_decisions.c.decided_at < decided_before)
    ).rowcount
