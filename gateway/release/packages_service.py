"""The recipients' use cases: list one's packages, fetch one (sealed to its recipient; the fetch
is audited). What a package contains is built in :mod:`gateway.release.packages`."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from gateway.cases.steps import audit_case
from gateway.errors import NotFound
from gateway.runtime import Runtime
from gateway.service.actor import Actor
from gateway.storage import releases


@dataclass(frozen=True, slots=True)
class Package:
    id: str
    case: str
    release: str
    recipient: str
    records: int
    withheld: int
    sealed: bytes

    def as_dict(self) -> dict[str, Any]:  # JSON; the sealed envelope as unpadded base64url
        return {
            "id": self.id,
            "case": self.case,
            "release": self.release,
            "recipient": self.recipient,
            "records": self.records,
            "withheld": self.withheld,
            "sealed": base64.urlsafe_b64encode(self.sealed).decode().rstrip("="),
        }


def list_packages(rt: Runtime, *, actor: Actor) -> list[dict[str, Any]]:  # JSON: one per package
    """The calling party's packages, newest first (no content)."""
    with rt.unit_of_work.read() as work:
        return releases.packages_for_recipient(work.connection, actor.party.id)


def fetch_package(rt: Runtime, *, actor: Actor, package_id: str) -> Package:
    """A package for its recipient only (to anyone else it does not exist); the first fetch is
    marked, and every fetch is audited."""
    with rt.unit_of_work.write() as work:
        row = releases.package_for(work.connection, package_id)
        if row is None or row.recipient != actor.party.id:
            raise NotFound("geen pakket met dit kenmerk voor uw organisatie")
        releases.mark_fetched(work.connection, package_id, work.now)
        audit_case(
            work,
            actor,
            "package.fetched",
            row.case_id,
            {"package": package_id, "release": row.release_id},
            rt.policy.revision,
        )
    return Package(
        id=row.id,
        case=row.case_id,
        release=row.release_id,
        recipient=row.recipient,
        records=row.released,
        withheld=row.withheld,
        sealed=bytes(row.sealed),
    )
