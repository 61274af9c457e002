"""The policy engine layer: Rego policies decide, the gateway asks and records.

    bundle       load_policy_set(dir) -> PolicySet: modules, tests, data, revision
    engine       Decision, Reason, DecisionPoint, the PolicyEngine protocol; fail closed
    embedded     EmbeddedEngine: OPA's Go engine in-process (default)
    opa_server   OpaServerEngine: an OPA server over REST (docker-compose)
    factory      open_policy_engine(policy_set, kind=...): the configured engine
    testing      run_policy_tests (``policy test``), check_policy_set (``policy check``)
    simulate     simulate(records, candidate) -> flips (``policy simulate``)
    covenant_schema  the covenant data document (data.covenant), defined once
    diagnostics  OPA's error messages, one per problem, as OPA prints them
    rego_scan    package and rule heads of a module, from its source

Nothing here imports FastAPI or the database; the engines are built at start-up and passed in.
"""

from gateway.policy.bundle import PolicySet, load_policy_set
from gateway.policy.engine import Decision, DecisionPoint, PolicyEngine, Reason
from gateway.policy.factory import open_policy_engine

__all__ = [
    "Decision",
    "DecisionPoint",
    "PolicyEngine",
    "PolicySet",
    "Reason",
    "load_policy_set",
    "open_policy_engine",
]
