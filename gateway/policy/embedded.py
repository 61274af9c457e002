"""The embedded backend: OPA's own Go engine in-process, through ``opa-golib-python-bindings``.

This is the default engine: OPA v1.20 semantics and OPA's readable errors, with no
server to run. The bindings' ``OpaEngine`` serialises evaluations on one instance with an internal
lock, so concurrent callers queue; ``instances`` keeps that many independent engines (each with
the whole policy set) so that up to that many decisions run in parallel, because ctypes releases
the GIL while the Go code runs. Instances are handed out first come, first served, so a busy
engine adds queueing delay evenly instead of starving one caller.

The bindings are imported when an engine is built, not at import time, and a missing install is a
:class:`ConfigurationError` that says how to install them (see :func:`opa_bindings_module`).
"""

from __future__ import annotations

import importlib
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from types import ModuleType
from typing import Any, Generic, TypeAlias, TypeVar

from gateway.errors import ConfigurationError, Unavailable
from gateway.jsontypes import Json
from gateway.policy.bundle import META_KEY, PolicySet
from gateway.policy.diagnostics import OpaDiagnostic, parse_opa_message
from gateway.policy.engine import (
    DecisionPoint,
    DocumentUndefined,
    EngineBase,
    EngineUnavailable,
    EvaluationFailed,
)

# Any: opa_bindings is imported at run time (importlib, installed apart) and ships no types.
OpaEngine: TypeAlias = Any  # Any: an opa_bindings.OpaEngine (see above)
_T = TypeVar("_T")

INSTALL_HINT = "pip install --no-deps --ignore-requires-python opa-golib-python-bindings==0.4.4"


def opa_bindings_module() -> ModuleType:
    """Import ``opa_bindings`` or explain how to install it.

    The wheel declares ``Requires-Python >=3.14`` although its ctypes wrapper runs fine on 3.11
    (it only loads a Go shared library), so a plain ``pip install`` refuses it on this Python;
    installing with ``--ignore-requires-python`` (and ``--no-deps``: it needs nothing else) is
    the supported way.
    """
    try:
        return importlib.import_module("opa_bindings")
    except ImportError as exc:
        raise ConfigurationError(
            "De ingebouwde beleidsengine (opa_bindings) is niet geïnstalleerd of laadt niet "
            f"({exc}). Installeer met: {INSTALL_HINT} (het wheel vraagt Python >= 3.14, maar de "
            "ctypes-laag werkt op 3.11), of kies GATEWAY_POLICY_ENGINE=opa."
        ) from None


def new_opa_engine(policy_set: PolicySet, *, include_tests: bool = False) -> OpaEngine:
    """A compiled ``OpaEngine`` holding the policy set; refuse a set that does not compile.

    Parse errors are collected for every module before refusing, so one run shows them all;
    compile errors (unsafe variables, type errors, ...) appear on the first evaluation, so a
    trivial query forces them here instead of at the first real decision. The
    ``ConfigurationError`` carries OPA's own lines (``file:line: code: message``).
    """
    engine, diagnostics = _load(policy_set, include_tests=include_tests)
    if diagnostics:
        engine.close()
        raise ConfigurationError(
            "Het beleid laadt niet:\n" + "\n".join(str(d) for d in diagnostics)
        )
    return engine


def compile_diagnostics(
    policy_set: PolicySet, *, include_tests: bool = True
) -> list[OpaDiagnostic]:
    """OPA's parse and compile errors for the policy set, in OPA's words; empty when it loads."""
    engine, diagnostics = _load(policy_set, include_tests=include_tests)
    engine.close()
    return diagnostics


def _load(
    policy_set: PolicySet, *, include_tests: bool
) -> tuple[OpaEngine, list[OpaDiagnostic]]:
    bindings = opa_bindings_module()
    engine = bindings.OpaEngine()
    # Rego print() output goes nowhere: a policy must not be able to write input to the logs.
    engine.print_handler = _discard_print
    modules = policy_set.all_modules if include_tests else dict(policy_set.modules)
    diagnostics: list[OpaDiagnostic] = []
    for path in sorted(modules):
        try:
            engine.add_policy(path, modules[path])
        except bindings.OpaError as exc:
            diagnostics.extend(parse_opa_message(exc.message))
    if diagnostics:
        return engine, diagnostics
    try:
        engine.add_data(policy_set.data_document())
        engine.eval_query("true")
    except bindings.OpaError as exc:
        diagnostics.extend(parse_opa_message(exc.message))
    return engine, diagnostics


def _discard_print(message: str, location: str) -> None:
    """Swallow Rego ``print`` output (see :func:`_load`)."""


class _FairPool(Generic[_T]):
    """Engine instances handed out first come, first served.

    A plain lock or queue lets a thread that just released an instance take it straight back
    while others wait ("barging"); under load one caller can then wait for seconds. Here a
    released instance goes directly to the longest waiter, so with N instances and C callers no
    decision waits for more than about C/N evaluations.
    """

    def __init__(self, items: Iterable[_T]) -> None:
        self._lock = threading.Lock()
        self._idle = list(items)
        self._waiters: deque[tuple[threading.Event, list[_T]]] = deque()

    def acquire(self) -> _T:
        with self._lock:
            if self._idle and not self._waiters:
                return self._idle.pop()
            ready, slot = threading.Event(), list[_T]()
            self._waiters.append((ready, slot))
        ready.wait()
        return slot[0]

    def release(self, item: _T) -> None:
        with self._lock:
            if self._waiters:
                ready, slot = self._waiters.popleft()
                slot.append(item)
                ready.set()
            else:
                self._idle.append(item)


class EmbeddedEngine(EngineBase):
    """Decisions by OPA's Go engine in this process.

    ``timeout_s``: if set, a decision that takes longer is denied (the evaluation itself cannot be
    cancelled and finishes in the background, holding its engine instance); unset, decisions run
    on the caller's thread with no extra hop. ``instances``: independent engine copies, for
    callers that decide concurrently (see the module docstring).
    """

    name = "embedded"

    def __init__(
        self, policy_set: PolicySet, *, timeout_s: float | None = None, instances: int = 1
    ) -> None:
        if instances < 1:
            raise ValueError("instances must be >= 1")
        if timeout_s is not None and timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        super().__init__(revision=policy_set.revision, data=policy_set.data)
        self._bindings = opa_bindings_module()
        self._instances = [new_opa_engine(policy_set) for _ in range(instances)]
        for instance in self._instances:
            self._warm_up(instance)
        self._pool = _FairPool(self._instances)
        self._timeout_s = timeout_s
        self._executor = (
            ThreadPoolExecutor(max_workers=instances + 1, thread_name_prefix="opa-eval")
            if timeout_s is not None
            else None
        )
        self._closed = threading.Event()

    def _warm_up(self, instance: OpaEngine) -> None:
        """Evaluate each decision point once: the engine prepares (plans) a query on its first
        evaluation, which costs tens of milliseconds that should not fall on a real decision."""
        for point in DecisionPoint:
            try:
                instance.eval_document(point.document_path, {})
            except self._bindings.OpaError:
                # Undefined or an error on empty input is the policy's business, not start-up's.
                pass

    def _evaluate(self, point: DecisionPoint, input: Mapping[str, Json]) -> object:
        return self._run(point.document_path, dict(input))

    def _run(self, path: str, input: Mapping[str, Json] | None) -> object:
        if self._closed.is_set():
            raise EngineUnavailable("embedded engine is closed")
        if self._executor is None:
            return self._eval_document(path, input)
        future: Future[object] = self._executor.submit(self._eval_document, path, input)
        try:
            return future.result(timeout=self._timeout_s)
        except FutureTimeout:
            raise EngineUnavailable(
                f"evaluation of data.{path} took longer than {self._timeout_s} s"
            ) from None

    def _eval_document(self, path: str, input: Mapping[str, Json] | None) -> object:
        with self._instance() as instance:
            try:
                return instance.eval_document(path, input)
            except self._bindings.OpaUndefinedError:
                raise DocumentUndefined(f"data.{path} is undefined") from None
            except self._bindings.OpaError as exc:
                raise EvaluationFailed(f"OPA {exc.code}: {exc.message}") from None

    @contextmanager
    def _instance(self) -> Iterator[OpaEngine]:
        instance = self._pool.acquire()
        try:
            yield instance
        finally:
            self._pool.release(instance)

    def check_ready(self) -> None:
        """Evaluate ``data.gateway_meta.revision``: proves an instance is free, open and ours."""
        try:
            found = self._run(f"{META_KEY}.revision", None)
        except (DocumentUndefined, EvaluationFailed) as exc:
            raise Unavailable(f"Beleidsengine niet beschikbaar: {exc}") from None
        if found != self.revision:
            raise Unavailable("Beleidsengine houdt een andere beleidsrevisie vast.")

    def close(self) -> None:
        """Close every engine instance; later decisions are denials."""
        if self._closed.is_set():
            return
        self._closed.set()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        for instance in self._instances:
            instance.close()
