"""Live policy changes: a changed policy directory goes live only when it loads, its
checks are clean and its tests pass; both outcomes are audited with the revisions involved."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from gateway.audit import store as audit
from gateway.audit.chain import AuditEvent
from gateway.errors import ConfigurationError
from gateway.observability.logs import get_logger
from gateway.policy.bundle import PolicySet, load_policy_set
from gateway.policy.engine import PolicyEngine
from gateway.policy.testing import TestReport, check_policy_set, run_policy_tests

if TYPE_CHECKING:
    from gateway.runtime import Runtime

_log = get_logger("gateway.policy")
# The head line of an OPA diagnostic (``file.rego:row: code: message``). Other problems (covenant
# data, a missing decision point) quote data values, and the lines OPA prints under a parse error
# quote policy source: those are counted in the log, not shown.
_OPA_HEAD = re.compile(r"[A-Za-z0-9_./-]+\.rego:\d+: [a-z_]+: [^\n]*")
# Enough to see what is wrong; the full list is one ``gateway policy check`` away.
_MAX_LOGGED_PROBLEMS = 20


def _why(problems: list[str], report: TestReport | None) -> list[str]:
    """Why a change was refused, as ``file:line: code: message`` lines: OPA's parse and compile
    errors, then each failing test (``fail``), or, for a test OPA could not evaluate, OPA's
    location and message. The log scrubs the messages again (quoted values, names, identifiers)."""
    lines = [m.group(0) for p in problems if (m := _OPA_HEAD.match(p))]
    for result in report.failures if report else ():
        test = f"{result.package}.{result.name}"
        opa = _OPA_HEAD.search(result.error or "")
        if opa:  # OPA's own location and message, inside the test
            lines.append(f"{opa.group(0)} (test {test})")
        else:
            lines.append(f"{result.file}:{result.line}: {result.outcome.lower()}: {test}")
    return lines[:_MAX_LOGGED_PROBLEMS]


class PolicyReloader:
    """Looks at the policy directory and swaps the runtime's engine when a good change appears.

    ``holder`` is the object whose ``policy`` attribute requests read (the Runtime); the swap is a
    single attribute assignment, so a request uses either the old engine or the new one, whole.
    The engine replaced by a swap is closed at the next swap, when no request can still hold it.
    """

    def __init__(
        self,
        holder: Runtime,
        *,
        directory: Path,
        open_engine: Callable[[PolicySet], PolicyEngine],
        engine: Engine,
        clock: Callable[[], datetime],
    ) -> None:
        self._holder = holder
        self._directory = directory
        self._open_engine = open_engine
        self._db = engine
        self._clock = clock
        self._refused: str | None = None
        self._retired: PolicyEngine | None = None

    def check_once(self) -> str | None:
        """Apply a changed policy directory if it is good; returns the new revision or None."""
        current = self._holder.policy
        try:
            policy_set = load_policy_set(self._directory)
        except ConfigurationError as exc:
            self._refuse("unreadable", current.revision, {"problem": exc.__class__.__name__})
            self._holder.policy_directory_problem = (str(exc).splitlines()[0],)
            return None
        if policy_set.revision == current.revision:
            # The directory is (back) at the revision in force: nothing is wrong with it.
            self._holder.policy_directory_problem = ()
            self._refused = None
            return None
        if policy_set.revision == self._refused:
            return None
        problems = check_policy_set(policy_set)
        report: TestReport | None = None
        try:
            report = run_policy_tests(policy_set)
            failed = len(report.failures) if report.results else -1
        except ConfigurationError:
            failed = -1  # the tests do not even compile
        if problems or failed != 0:
            why = _why(problems, report)
            self._refuse(
                policy_set.revision,
                current.revision,
                {"problems": len(problems), "failed_tests": failed},
                why=why,
            )
            self._holder.policy_directory_problem = tuple(why) or (
                f"{len(problems)} probleem/problemen, {failed} mislukte beleidstest(s)",
            )
            return None
        fresh = self._open_engine(policy_set)
        self._holder.policy = fresh
        self._holder.policy_directory_problem = ()
        if self._retired is not None:
            self._retired.close()
        self._retired = current
        self._record("policy.changed", policy_set.revision, current.revision, {})
        _log.info("policy.changed", policy_revision=policy_set.revision)
        return policy_set.revision

    def run(self, interval_s: float, stop: threading.Event) -> None:
        """Check every ``interval_s`` seconds until ``stop`` is set; never raises."""
        while not stop.wait(interval_s):
            try:
                self.check_once()
            except Exception as exc:  # a reload bug must not take the gateway down
                _log.error("policy.reload-failed", exc_info=exc)

    def _refuse(
        self,
        revision: str,
        current: str,
        detail: dict[str, int | str],
        *,
        why: list[str] | None = None,
    ) -> None:
        """Audit and log a refused change once per revision; the log says why (the audit keeps
        counts only), so whoever changed the policy can find the line to fix."""
        if revision == self._refused:
            return
        self._refused = revision
        self._record("policy.change_refused", revision, current, detail)
        _log.warning(
            "policy.change-refused",
            policy_revision=revision,
            previous_revision=current,
            count=detail.get("problems"),
            errors=detail.get("failed_tests"),
            problem=detail.get("problem"),
            policy_problems=why or [],
        )

    def _record(
        self, event: str, revision: str, previous: str, detail: dict[str, int | str]
    ) -> None:
        audit.record(
            self._db,
            AuditEvent(
                event=event,
                object={"revision": revision, "previous_revision": previous},
                detail=detail,
                policy_revision=revision if event == "policy.changed" else previous,
            ),
            now=self._clock(),
        )
