"""Policy decisions behind one interface, whichever engine evaluates them.

A decision point is a Rego package ``gateway.<point>`` with a rule ``decision`` that evaluates to
``{"allow": bool, "reasons": [{"code", "message", "basis"}], ...}``. The gateway asks
:meth:`PolicyEngine.decide` and gets a :class:`Decision` back; it never sees the engine.

Fail closed, always: ``decide`` never allows on failure. An outage is not a refusal: when the
engine cannot be asked at all (closed, a timeout, an unreachable or overloaded server), ``decide``
raises :class:`gateway.errors.Unavailable`, which callers let through as ``503`` with
``Retry-After``, so an adapter retries and nobody reads "the covenant forbids this". A failure of
the policy itself, which retrying does not cure (an evaluation error, a crash inside the engine,
an undefined decision, a decision of the wrong shape), becomes a denial with one reason that says
which of these happened (``policy-engine-error``, ``policy-undefined``, ``policy-malformed``) and
the basis "standaard geweigerd (deny by default)". The precise cause, for logs and the audit
trail, is in :attr:`Decision.error`. :class:`ValueError` for a point that does not exist is a
programming error.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar, Protocol, runtime_checkable

from gateway.errors import Unavailable

# JsonObject is re-exported: gateway.hits.views imports it from here.
from gateway.jsontypes import Json
from gateway.jsontypes import JsonObject as JsonObject
from gateway.observability.logs import get_logger

DENY_BASIS = "standaard geweigerd (deny by default)"
OUTAGE_RETRY_AFTER_S = 5
"""Retry-After of an engine outage: a restarted engine or OPA server is back within seconds."""
_log = get_logger("gateway.policy")


class DecisionPoint(StrEnum):
    """The seven decision points, each the package ``gateway.<value>``."""

    INGEST = "ingest"
    HITS = "hits"
    CASE = "case"
    RELEASE = "release"
    STATS = "stats"
    SUBJECT_ACCESS = "subject_access"
    EMBARGO = "embargo"

    @property
    def document_path(self) -> str:
        """Dotted path below ``data`` of the decision document."""
        return f"gateway.{self.value}.decision"


def decision_point(point: str) -> DecisionPoint:
    """The :class:`DecisionPoint` named ``point``; an unknown name is a programming error."""
    try:
        return DecisionPoint(point)
    except ValueError:
        known = ", ".join(p.value for p in DecisionPoint)
        raise ValueError(f"unknown decision point {point!r}; known: {known}") from None


class FailureCode(StrEnum):
    """Reason codes of the denials the engine layer itself issues."""

    ENGINE_ERROR = "policy-engine-error"
    UNDEFINED = "policy-undefined"
    MALFORMED = "policy-malformed"


_FAILURE_MESSAGES = {
    FailureCode.ENGINE_ERROR: (
        "De beleidsengine kon geen beslissing nemen (fout, time-out of niet bereikbaar); "
        "het verzoek is geweigerd."
    ),
    FailureCode.UNDEFINED: (
        "Het beleid geeft voor dit beslispunt geen beslissing; zonder beslissing wordt "
        "het verzoek geweigerd."
    ),
    FailureCode.MALFORMED: (
        "De beslissing van het beleid heeft niet de afgesproken vorm (allow en reasons); "
        "het verzoek is geweigerd."
    ),
}


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a decision came out as it did: a stable code, a Dutch message and the legal basis."""

    code: str
    message: str
    basis: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "basis": self.basis}

    @classmethod
    def from_dict(cls, value: Mapping[str, Json]) -> Reason:
        """Rebuild a reason stored with :meth:`as_dict` (recorded decisions)."""
        return cls(str(value["code"]), str(value["message"]), str(value["basis"]))


@dataclass(frozen=True, slots=True)
class Decision:
    """One answer of the policy: what was decided, why, under which revision, by which engine.

    ``document`` is the full decision document as the policy returned it (with its
    decision-specific fields), or, for a denial by the engine layer, ``{"allow": false,
    "reasons": [...]}``. ``error`` is set only for such denials: the cause in English, for logs
    and audit (no personal data: it holds OPA's messages and type names, never input values).
    """

    point: DecisionPoint
    allow: bool
    reasons: tuple[Reason, ...]
    document: JsonObject
    revision: str
    engine: str
    duration_ms: float
    error: str | None = field(default=None)

    def summary(self) -> JsonObject:
        """What an audit entry records: no document fields beyond allow and the reasons."""
        return {
            "point": self.point.value,
            "allow": self.allow,
            "reasons": [reason.as_dict() for reason in self.reasons],
            "revision": self.revision,
            "engine": self.engine,
        }


@runtime_checkable
class PolicyEngine(Protocol):
    """What the gateway needs from a policy engine; see the module docstring for the contract."""

    @property
    def name(self) -> str:
        """``embedded`` or ``opa``: recorded with every decision."""
        ...

    @property
    def revision(self) -> str:
        """The policy revision every decision of this engine is taken under."""
        ...

    @property
    def data(self) -> Mapping[str, Json]:
        """The policy data of this revision (``covenant``, ``catalogue``): the gateway reads
        the numbers it applies itself (linkage rules) from the same revision it decides with."""
        ...

    def decide(self, point: str, input: Mapping[str, Json]) -> Decision:
        """Evaluate ``data.gateway.<point>.decision`` with ``input``; never allows on failure.
        :class:`gateway.errors.Unavailable` when the engine cannot be asked (an outage);
        ``ValueError`` for an unknown point."""
        ...

    def check_ready(self) -> None:
        """Raise :class:`gateway.errors.Unavailable` when the engine cannot take decisions."""
        ...

    def close(self) -> None:
        """Release the engine; later decisions raise :class:`gateway.errors.Unavailable`."""
        ...


class DocumentUndefined(Exception):
    """Raised by a backend when the decision document is undefined (no rule produced it)."""


class EvaluationFailed(Exception):
    """Raised by a backend when evaluation failed; the message is the cause, for logs."""


class EngineUnavailable(EvaluationFailed):
    """Raised by a backend when the engine cannot be asked now (closed, timed out, unreachable,
    overloaded): an outage that a retry may cure, not a refusal."""


class EngineBase(ABC):
    """The fail-closed half of :class:`PolicyEngine` that both backends share.

    A backend implements :meth:`_evaluate`; everything that turns its outcome into a
    :class:`Decision` (timing, shape checks, denials) lives here once, so the two backends cannot
    drift apart in how they fail.
    """

    name: ClassVar[str]

    def __init__(self, *, revision: str, data: Mapping[str, Json] | None = None) -> None:
        self._revision = revision
        self._data: Mapping[str, Json] = data or {}

    @property
    def revision(self) -> str:
        return self._revision

    @property
    def data(self) -> Mapping[str, Json]:
        return self._data

    @abstractmethod
    def _evaluate(self, point: DecisionPoint, input: Mapping[str, Json]) -> object:
        """Return the decision document, or raise DocumentUndefined / EvaluationFailed."""

    def decide(self, point: str, input: Mapping[str, Json]) -> Decision:
        """See :meth:`PolicyEngine.decide`."""
        resolved = decision_point(point)
        started = time.perf_counter()
        try:
            document = self._evaluate(resolved, input)
        except DocumentUndefined as exc:
            return self._denied(resolved, FailureCode.UNDEFINED, str(exc), started)
        except EngineUnavailable as exc:
            _log.warning("policy.engine_unavailable", point=resolved.value, cause=str(exc))
            raise Unavailable(
                "de beleidsengine is tijdelijk niet bereikbaar; er is niets opgeslagen of "
                "verstrekt",
                retry_after_s=OUTAGE_RETRY_AFTER_S,
            ) from None
        except EvaluationFailed as exc:
            return self._denied(resolved, FailureCode.ENGINE_ERROR, str(exc), started)
        except Exception as exc:  # noqa: BLE001
            # Deliberately broad: whatever breaks inside an engine (a bug in a binding, a
            # serialisation error, a closed handle), the answer must be a denial, never an
            # exception that a caller might catch and proceed past. The type names the cause.
            detail = f"{type(exc).__name__}: {exc}"
            return self._denied(resolved, FailureCode.ENGINE_ERROR, detail, started)
        problem = malformation(document)
        if problem is not None:
            return self._denied(resolved, FailureCode.MALFORMED, problem, started)
        assert isinstance(document, dict)  # checked by malformation()
        return Decision(
            point=resolved,
            allow=document["allow"],
            reasons=tuple(Reason.from_dict(reason) for reason in document["reasons"]),
            document=document,
            revision=self._revision,
            engine=self.name,
            duration_ms=_elapsed_ms(started),
        )

    def _denied(
        self, point: DecisionPoint, code: FailureCode, error: str, started: float
    ) -> Decision:
        reason = Reason(code.value, _FAILURE_MESSAGES[code], DENY_BASIS)
        return Decision(
            point=point,
            allow=False,
            reasons=(reason,),
            document={"allow": False, "reasons": [reason.as_dict()]},
            revision=self._revision,
            engine=self.name,
            duration_ms=_elapsed_ms(started),
            error=error,
        )


def malformation(document: object) -> str | None:
    """What is wrong with a decision document's shape, or ``None`` if it is well-formed.

    Well-formed: an object with a boolean ``allow`` and a list ``reasons`` whose items are objects
    with non-empty string ``code``, ``message`` and ``basis`` (every decision is
    explainable). Further fields are the decision point's own and are kept as they are.
    """
    if not isinstance(document, dict):
        return f"decision is {_json_type(document)}, expected an object"
    if type(document.get("allow")) is not bool:
        return f"decision.allow is {_json_type(document.get('allow'))}, expected a boolean"
    reasons = document.get("reasons")
    if not isinstance(reasons, list):
        return f"decision.reasons is {_json_type(reasons)}, expected an array"
    for index, reason in enumerate(reasons):
        if not isinstance(reason, dict):
            return f"decision.reasons[{index}] is {_json_type(reason)}, expected an object"
        for key in ("code", "message", "basis"):
            value = reason.get(key)
            if not isinstance(value, str) or not value:
                return (
                    f"decision.reasons[{index}].{key} is {_json_type(value)}, "
                    "expected a non-empty string"
                )
    return None


def _json_type(value: object) -> str:
    if value is None:
        return "null/absent"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "an empty string" if not value else "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
