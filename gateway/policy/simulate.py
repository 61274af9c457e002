"""``policy simulate``: replay recorded decision inputs against a candidate policy (DESIGN §7).

Before a changed policy goes live, privacy officers want to know which past decisions it would
have taken differently, and why. Each recorded decision (point, input, outcome, reasons, when) is
decided again by the candidate engine; a :class:`Flip` is reported where the outcome differs, or,
with ``include_reason_changes``, where only the reasons differ. A candidate that fails to decide
shows up as a flip to a denial with its engine reason, never as a silent pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.policy.engine import PolicyEngine, Reason


@dataclass(frozen=True, slots=True)
class RecordedDecision:
    """A decision as stored: its point, the exact input, the outcome and reasons, and when."""

    point: str
    input: Mapping[str, Any]
    allow: bool
    reasons: tuple[Reason, ...]
    recorded_at: datetime
    revision: str | None = None


@dataclass(frozen=True, slots=True)
class Flip:
    """A recorded decision the candidate decides differently: before and after, with reasons."""

    point: str
    recorded_at: datetime
    before_allow: bool
    after_allow: bool
    before_reasons: tuple[Reason, ...]
    after_reasons: tuple[Reason, ...]
    before_revision: str | None = None
    after_revision: str | None = None

    @property
    def allow_changed(self) -> bool:
        """True for a real flip (allowed became denied or the reverse)."""
        return self.before_allow != self.after_allow


def simulate(
    records: Iterable[RecordedDecision],
    candidate: PolicyEngine,
    *,
    include_reason_changes: bool = False,
) -> list[Flip]:
    """Decide every record again with ``candidate``; return the flips in record order.

    Records are consumed one at a time, so a database cursor can stream them. An unknown decision
    point in a record raises ``ValueError`` (a record the gateway cannot have written).
    """
    flips: list[Flip] = []
    for record in records:
        decision = candidate.decide(record.point, record.input)
        allow_changed = decision.allow != record.allow
        reasons_changed = decision.reasons != tuple(record.reasons)
        if allow_changed or (include_reason_changes and reasons_changed):
            flips.append(
                Flip(
                    point=record.point,
                    recorded_at=record.recorded_at,
                    before_allow=record.allow,
                    after_allow=decision.allow,
                    before_reasons=tuple(record.reasons),
                    after_reasons=decision.reasons,
                    before_revision=record.revision,
                    after_revision=decision.revision,
                )
            )
    return flips
