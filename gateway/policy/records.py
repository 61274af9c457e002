"""Recorded decisions as ``policy simulate`` replays them. Storage keeps reasons as the policy
returned them (JSON); here they become :class:`Reason` again. The policy layer reads any record of
the stored shape without depending on the storage package."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Protocol

from gateway.policy.engine import Reason
from gateway.policy.simulate import RecordedDecision


class StoredRecord(Protocol):
    @property
    def point(self) -> str: ...
    @property
    def input(self) -> dict[str, Any]: ...  # Any: the decision input document (JSON)
    @property
    def allow(self) -> bool: ...
    @property
    def reasons(self) -> list[dict[str, Any]]: ...  # Any: reasons as stored (JSON)
    @property
    def revision(self) -> str: ...
    @property
    def recorded_at(self) -> datetime: ...


def replayable(records: Iterable[StoredRecord]) -> Iterator[RecordedDecision]:
    for record in records:
        yield RecordedDecision(
            point=record.point,
            input=record.input,
            allow=record.allow,
            reasons=tuple(Reason.from_dict(r) for r in record.reasons if isinstance(r, Mapping)),
            revision=record.revision,
            recorded_at=record.recorded_at,
        )
