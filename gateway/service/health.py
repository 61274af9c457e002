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

DEGRADED = "degraded"


@dataclass(frozen=True, slots=True)
class Readiness:
    checks: dict[str, str]
    problems: tuple[str, ...] = ()
    """Why a check is degraded (file:line and message of a refused policy directory)."""

    @property
    def ready(self) -> bool:
        """Serving is possible: every check ``ok`` or ``degraded`` (the gateway works, on the
        last good policy, but an operator must act)."""
        return all(v in ("ok", DEGRADED) for v in self.checks.values())

    @property
    def degraded(self) -> bool:
        return DEGRADED in self.checks.values()


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
    # The engine runs the last good revision; the directory on disk was refused at reload.
    checks["policy_directory"] = DEGRADED if rt.policy_directory_problem else "ok"
    return Readiness(checks, rt.policy_directory_problem)
