"""Readiness: whether the gateway can serve now (database, party keys, release key, policy).

Each check answers ``ok`` or a short reason that names no secret; the gateway is ready only when
every check is ``ok``. Blocking (the database and the policy engine are asked): call it from a
worker thread in async code.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.errors import ConfigurationError, Unavailable
from gateway.runtime import Runtime
from gateway.storage.database import ping


@dataclass(frozen=True, slots=True)
class Readiness:
    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        return all(v == "ok" for v in self.checks.values())


def readiness(rt: Runtime) -> Readiness:
    checks: dict[str, str] = {}
    try:
        ping(rt.engine)
        checks["database"] = "ok"
    except Unavailable:
        checks["database"] = "unavailable"
    checks["keys"] = "ok" if rt.keyring.parties else "no party keys loaded"
    try:
        # The key adapters seal to (public and private half live in one file in the key store).
        rt.release_keys.current(rt.clock())
        checks["release_key"] = "ok"
    except ConfigurationError:
        checks["release_key"] = "no current release key"
    try:
        rt.policy.check_ready()
        checks["policy"] = "ok"
    except Unavailable:
        checks["policy"] = "unavailable"
    return Readiness(checks)
