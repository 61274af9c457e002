"""Privacy-officer tools over a policy set: ``policy test`` and ``policy check``.

``run_policy_tests`` behaves like ``opa test``: every rule whose name starts with ``test_`` in a
``*_test.rego`` module is a test; it passes if and only if it evaluates to ``true`` (undefined or
``false`` fails; an evaluation error is reported with OPA's own message). It then evaluates all
tests that did not error in one query with coverage on, and lists the rules of the decision
modules that no test touched, so a privacy officer sees which rules are untested.

``check_policy_set`` collects everything that would stop the set from working, as one list: OPA's
parse and compile errors exactly as OPA prints them, decision points without a ``decision`` rule,
and covenant data that does not fit what the policies need (:mod:`gateway.policy.covenant_schema`,
the one definition the gateway also loads the covenant with).

Both run on the embedded engine: only OPA's engine gives OPA's semantics and messages.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType

from gateway.errors import ConfigurationError
from gateway.jsontypes import Json
from gateway.policy.bundle import PolicySet
from gateway.policy.covenant_schema import covenant_problems
from gateway.policy.embedded import (
    OpaEngine,
    compile_diagnostics,
    new_opa_engine,
    opa_bindings_module,
)
from gateway.policy.engine import DecisionPoint
from gateway.policy.rego_scan import normalise_ref, outline

_TEST_NAME = re.compile(r"^test_[A-Za-z0-9_]+$")


@dataclass(frozen=True, slots=True)
class TestResult:
    """One test rule's outcome; ``error`` is OPA's message when evaluation failed."""

    __test__ = False  # not a pytest test class, despite the name

    file: str
    package: str
    name: str
    line: int
    passed: bool
    error: str | None
    duration_ms: float

    @property
    def outcome(self) -> str:
        """``PASS``, ``FAIL`` or ``ERROR``, as ``opa test`` prints them."""
        if self.error is not None:
            return "ERROR"
        return "PASS" if self.passed else "FAIL"


@dataclass(frozen=True, slots=True)
class UncoveredRule:
    """A rule of a decision module that no test evaluated: ``file:line`` and its name."""

    file: str
    line: int
    name: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.name}"


@dataclass(frozen=True, slots=True)
class TestReport:
    """What ``policy test`` prints: each test, the untested rules and the coverage of the
    decision modules (percent of lines OPA counts, over the tests that did not error)."""

    __test__ = False

    revision: str
    results: tuple[TestResult, ...]
    uncovered: tuple[UncoveredRule, ...]
    coverage_percent: float | None
    coverage_error: str | None = None

    @property
    def failures(self) -> tuple[TestResult, ...]:
        """Tests that failed or errored."""
        return tuple(result for result in self.results if not result.passed)

    def require_passing(self) -> None:
        """Raise :class:`ConfigurationError` unless there are tests and all of them pass.

        A policy set without tests does not pass: "policy sets that pass when empty" are what the
        reload rule (a change goes live only if its tests pass) must not let through.
        """
        if not self.results:
            raise ConfigurationError(
                "De beleidsset bevat geen tests (test_-regels in *_test.rego)."
            )
        if self.failures:
            lines = [
                f"{r.outcome}: {r.file}:{r.line}: {r.package}.{r.name}"
                + (f": {r.error}" if r.error else "")
                for r in self.failures
            ]
            raise ConfigurationError(
                f"{len(self.failures)} van {len(self.results)} beleidstests slagen niet:\n"
                + "\n".join(lines)
            )


@dataclass(frozen=True, slots=True)
class _TestCase:
    file: str
    package: str
    name: str
    line: int


def discover_tests(policy_set: PolicySet) -> list[_TestCase]:
    """Every ``test_`` rule of every test module, once per package and name (as OPA runs them:
    several definitions of one test rule are one rule)."""
    cases: dict[tuple[str, str], _TestCase] = {}
    for path in sorted(policy_set.tests):
        module = outline(policy_set.tests[path])
        if module.package is None:
            continue
        for rule in module.rules:
            if rule.is_function or not _TEST_NAME.match(rule.name):
                continue
            cases.setdefault(
                (module.package, rule.name), _TestCase(path, module.package, rule.name, rule.line)
            )
    return list(cases.values())


def run_policy_tests(policy_set: PolicySet) -> TestReport:
    """Run every test rule (see the module docstring); a set that does not compile raises
    :class:`ConfigurationError` with OPA's messages, as ``opa test`` stops on them."""
    bindings = opa_bindings_module()
    engine = new_opa_engine(policy_set, include_tests=True)
    try:
        by_package: dict[str, list[_TestCase]] = {}
        for case in discover_tests(policy_set):
            by_package.setdefault(case.package, []).append(case)
        results = []
        for cases in by_package.values():
            # Every distinct query is compiled anew (~0.2 s for this policy set), so a package's
            # tests are evaluated in one query; only a package whose evaluation errors is run
            # test by test, to say which test errs.
            together = _run_package(engine, bindings, cases)
            results += together or [_run_one(engine, bindings, case) for case in cases]
        covered_by = [
            f"covered_{index} := [true | {_ref(result.package, result.name)}]"
            for index, result in enumerate(results)
            if result.error is None
        ]
        coverage: Mapping[str, Json] | None = None
        coverage_error: str | None = None
        if covered_by:
            try:
                engine.eval_query("; ".join(covered_by), None, coverage=True)
                coverage = engine.last_coverage
            except bindings.OpaError as exc:
                coverage_error = exc.message
    finally:
        engine.close()
    uncovered, percent = _uncovered_rules(policy_set, coverage)
    return TestReport(
        revision=policy_set.revision,
        results=tuple(results),
        uncovered=tuple(uncovered),
        coverage_percent=percent,
        coverage_error=coverage_error,
    )


def _ref(package: str, name: str) -> str:
    segments = [*package.split("."), name]
    return "data" + "".join(
        f".{segment}"
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", segment)
        else f"[{json.dumps(segment)}]"
        for segment in segments
    )


def _run_package(
    engine: OpaEngine, bindings: ModuleType, cases: list[_TestCase]
) -> list[TestResult] | None:
    started = time.perf_counter()
    package = cases[0].package
    try:
        rows = engine.eval_query(
            f"value := {_ref(*package.rsplit('.', 1)) if '.' in package else 'data.' + package}"
        )
    except bindings.OpaError:
        return None
    document = rows[0].get("value") if rows else None
    if not isinstance(document, dict):
        return None
    share = (time.perf_counter() - started) * 1000.0 / len(cases)
    return [
        TestResult(
            file=case.file,
            package=case.package,
            name=case.name,
            line=case.line,
            passed=document.get(case.name) is True,
            error=None,
            duration_ms=share,
        )
        for case in cases
    ]


def _run_one(engine: OpaEngine, bindings: ModuleType, case: _TestCase) -> TestResult:
    started = time.perf_counter()
    error: str | None = None
    passed = False
    try:
        rows = engine.eval_query(f"value := {_ref(case.package, case.name)}")
        passed = bool(rows) and rows[0].get("value") is True
    except bindings.OpaError as exc:
        error = exc.message
    return TestResult(
        file=case.file,
        package=case.package,
        name=case.name,
        line=case.line,
        passed=passed and error is None,
        error=error,
        duration_ms=(time.perf_counter() - started) * 1000.0,
    )


def _rows(ranges: Json) -> set[int]:
    rows: set[int] = set()
    for span in ranges or []:
        start, end = span.get("start", {}).get("row"), span.get("end", {}).get("row")
        if isinstance(start, int) and isinstance(end, int):
            rows.update(range(start, end + 1))
    return rows


def _uncovered_rules(
    policy_set: PolicySet, coverage: Mapping[str, Json] | None
) -> tuple[list[UncoveredRule], float | None]:
    """Rules of decision modules whose lines OPA reports as not covered and none as covered."""
    uncovered: list[UncoveredRule] = []
    files = (coverage or {}).get("files") or {}
    covered_lines = not_covered_lines = 0
    for path in sorted(policy_set.modules):
        report = files.get(path) or {}
        covered, not_covered = _rows(report.get("covered")), _rows(report.get("not_covered"))
        covered_lines += len(covered)
        not_covered_lines += len(not_covered - covered)
        for rule in outline(policy_set.modules[path]).rules:
            span = set(range(rule.line, rule.end_line + 1))
            # No coverage at all for the file (no test ran) means nothing was touched.
            untouched = not (span & covered) and (bool(span & not_covered) or not report)
            if untouched:
                uncovered.append(UncoveredRule(path, rule.line, rule.name))
    total = covered_lines + not_covered_lines
    percent = round(100.0 * covered_lines / total, 1) if coverage is not None and total else None
    return uncovered, percent


def check_policy_set(policy_set: PolicySet) -> list[str]:
    """Everything wrong with the set, one problem per item; an empty list means it is usable.

    OPA's parse and compile errors come first, exactly as OPA prints them; then each decision
    point without a ``decision`` rule; then covenant data problems, each naming its path.
    """
    problems = [str(d) for d in compile_diagnostics(policy_set, include_tests=True)]
    defined = defined_decision_points(policy_set)
    problems.extend(
        f"beslispunt {point.value!r} ontbreekt: geen regel 'decision' in package "
        f"gateway.{point.value} (data.{point.document_path})"
        for point in DecisionPoint
        if point not in defined
    )
    problems.extend(covenant_data_problems(policy_set))
    return problems


def covenant_data_problems(policy_set: PolicySet) -> list[str]:
    """``data.covenant`` against the covenant schema, each problem as ``file: path: message``.

    The file is the ``data.json`` the path lies under (``covenant/data.json`` for everything in
    the covenant, unless another data file sets part of it), so a privacy officer knows where to
    look; the path and message are the ones the gateway's own loader gives.
    """
    problems = covenant_problems(policy_set.data.get("covenant"))
    return [f"{_data_file_of(policy_set, problem.path)}: {problem}" for problem in problems]


def _data_file_of(policy_set: PolicySet, path: str) -> str:
    """The data file whose data path is the longest prefix of ``path`` (``data.covenant.x``)."""
    parts = re.split(r"[.\[]", path.removeprefix("data."))
    best: str | None = None
    best_depth = -1
    for data_file in policy_set.data_files:
        at = PolicySet.data_path_of(data_file)
        if len(at) > best_depth and list(at) == parts[: len(at)]:
            best, best_depth = data_file, len(at)
    return str(policy_set.directory / (best or "covenant/data.json"))


def defined_decision_points(policy_set: PolicySet) -> list[DecisionPoint]:
    """The decision points whose package defines a ``decision`` rule, read from the decision
    modules' sources (``package gateway.release`` with ``decision``, or a ref head
    ``release.decision`` in ``package gateway``)."""
    defined: set[str] = set()
    for source in policy_set.modules.values():
        module = outline(source)
        if module.package is None:
            continue
        defined.update(
            normalise_ref(f"{module.package}.{rule.name}")
            for rule in module.rules
            if not rule.is_function
        )
    return [point for point in DecisionPoint if point.document_path in defined]
