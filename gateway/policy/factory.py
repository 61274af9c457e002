"""Build the configured policy engine: one call for start-up and for policy reloads."""

from __future__ import annotations

from typing import Literal

from gateway.errors import ConfigurationError
from gateway.policy.bundle import PolicySet
from gateway.policy.engine import PolicyEngine

EngineKind = Literal["embedded", "opa"]


def open_policy_engine(
    policy_set: PolicySet,
    *,
    kind: EngineKind,
    opa_url: str | None = None,
    timeout_s: float = 2.0,
    opa_push: bool = True,
    instances: int = 1,
) -> PolicyEngine:
    """The engine named by ``kind`` (``GATEWAY_POLICY_ENGINE``), holding ``policy_set``.

    ``embedded`` ignores ``opa_url`` and ``opa_push``; ``opa`` needs ``opa_url`` and uses
    ``timeout_s`` per server call. Failures to start raise (``ConfigurationError`` for a policy
    or setting problem, ``Unavailable`` for an unreachable server): the gateway does not start
    without a working policy engine.
    """
    if kind == "embedded":
        from gateway.policy.embedded import EmbeddedEngine

        return EmbeddedEngine(policy_set, instances=instances)
    if kind == "opa":
        if not opa_url:
            raise ConfigurationError("GATEWAY_OPA_URL is verplicht met GATEWAY_POLICY_ENGINE=opa")
        from gateway.policy.opa_server import OpaServerEngine

        return OpaServerEngine(policy_set, opa_url, timeout_s, push=opa_push)
    raise ConfigurationError(f"onbekende beleidsengine {kind!r}; kies embedded of opa")
