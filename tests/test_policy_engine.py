"""The policy engine layer: loading, both backends, fail-closed denials, test runner, check.

Backends run through one parametrized fixture: ``embedded`` (OPA's Go engine in-process) and
``opa`` (the REST backend against the OPA-compatible test server of
``tests/policy_test_server.py``, a fresh one per test so that stopping or slowing it is local).
Policy sets are small throwaway ones written into tmp dirs, so each test shows exactly the rule it
is about; the real ``policies/`` directory is checked at the end where it exists.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import ConfigurationError, Unavailable
from gateway.policy import load_policy_set, opa_server, open_policy_engine
from gateway.policy.bundle import PolicySet
from gateway.policy.embedded import EmbeddedEngine
from gateway.policy.engine import DENY_BASIS, Decision, DecisionPoint, PolicyEngine, Reason
from gateway.policy.opa_server import OpaServerEngine
from gateway.policy.simulate import RecordedDecision, simulate
from gateway.policy.testing import check_policy_set, run_policy_tests
from tests.policy_test_server import OpaTestServer, opa_test_server, write_stand_in_policies

REPO = Path(__file__).resolve().parents[1]
REAL_POLICIES = REPO / "policies"

# The demo covenant as shipped: ``policy check`` holds covenant data to the one covenant schema
# (gateway.policy.covenant_schema), so a hand-made fragment would be a list of problems.
COVENANT: dict[str, Any] = json.loads((REAL_POLICIES / "covenant" / "data.json").read_text("utf-8"))

RELEASE = """package gateway.release

default allow := false

allow if input.stage == "casusoverleg"

reasons contains {"code": "fase", "message": "Casusoverleg.", "basis": "Convenant art. 7"} if allow

reasons contains {"code": "te-vroeg", "message": "Nog niet.", "basis": "Convenant art. 7"} if {
	not allow
}

decision := {"allow": allow, "reasons": reasons, "releases": {"politie-rotterdam": ["s1"]}}
"""

# Whatever document the input carries is the decision: lets one policy produce every shape.
ECHO = """package gateway.hits

decision := input.document if input.document

decision := {"allow": true, "reasons": []} if input.conflict

decision := {"allow": false, "reasons": []} if input.conflict
"""

FAILING = """package gateway.stats

decision := {"allow": to_number(input.n) > 0, "reasons": []}
"""

UNDEFINED = """package gateway.subject_access

decision := {"allow": true, "reasons": []} if input.never_given
"""


def write_set(root: Path, files: dict[str, str | dict[str, Any]]) -> Path:
    """Write ``files`` (relative path -> Rego text or JSON data) under ``root``."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, "utf-8")
        else:
            path.write_text(json.dumps(content, indent=2), "utf-8")
    return root


def basic_files() -> dict[str, str | dict[str, Any]]:
    return {
        "covenant/data.json": COVENANT,
        "gateway/release/release.rego": RELEASE,
        "gateway/hits/hits.rego": ECHO,
        "gateway/stats/stats.rego": FAILING,
        "gateway/subject_access/subject_access.rego": UNDEFINED,
    }


@pytest.fixture
def basic_set(tmp_path: Path) -> PolicySet:
    return load_policy_set(write_set(tmp_path / "policies", basic_files()))


@dataclass
class Backend:
    """Builds engines of one kind; for ``opa`` also owns the test server they talk to."""

    kind: str
    server: OpaTestServer | None
    engines: list[PolicyEngine]

    def engine(self, policy_set: PolicySet, **options: Any) -> PolicyEngine:
        engine: PolicyEngine
        if self.kind == "embedded":
            engine = EmbeddedEngine(policy_set, **options)
        else:
            assert self.server is not None
            timeout_s = options.pop("timeout_s", 2.0)
            engine = OpaServerEngine(policy_set, self.server.url, timeout_s, **options)
        self.engines.append(engine)
        return engine


@pytest.fixture(params=["embedded", "opa"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "embedded":
        built = Backend("embedded", None, [])
        yield built
    else:
        with opa_test_server() as server:
            built = Backend("opa", server, [])
            yield built
    for engine in built.engines:
        engine.close()


def assert_denied(decision: Decision, code: str) -> None:
    """A fail-closed denial: allow false, one reason with the code, Dutch message, the basis."""
    assert decision.allow is False
    assert [r.code for r in decision.reasons] == [code]
    assert decision.reasons[0].basis == DENY_BASIS
    assert "geweigerd" in decision.reasons[0].message
    assert decision.document == {"allow": False, "reasons": [decision.reasons[0].as_dict()]}
    assert decision.error


# -- decisions ---------------------------------------------------------------------------------


def test_decisions_carry_reasons_document_revision_and_engine(
    backend: Backend, basic_set: PolicySet
) -> None:
    engine = backend.engine(basic_set)
    allowed = engine.decide("release", {"stage": "casusoverleg"})
    assert allowed.allow is True
    assert allowed.reasons == (Reason("fase", "Casusoverleg.", "Convenant art. 7"),)
    assert allowed.document["releases"] == {"politie-rotterdam": ["s1"]}
    assert allowed.revision == basic_set.revision == engine.revision
    assert allowed.engine == backend.kind == engine.name
    assert allowed.point is DecisionPoint.RELEASE
    assert allowed.duration_ms > 0
    assert allowed.error is None

    refused = engine.decide(DecisionPoint.RELEASE, {"stage": "detectie"})
    assert refused.allow is False
    assert [r.code for r in refused.reasons] == ["te-vroeg"]
    assert refused.summary()["reasons"][0]["basis"] == "Convenant art. 7"
    engine.check_ready()


def test_an_unknown_point_is_a_programming_error(backend: Backend, basic_set: PolicySet) -> None:
    engine = backend.engine(basic_set)
    with pytest.raises(ValueError, match="unknown decision point 'relase'"):
        engine.decide("relase", {})


def test_an_undefined_decision_is_a_denial(backend: Backend, basic_set: PolicySet) -> None:
    decision = backend.engine(basic_set).decide("subject_access", {"anything": 1})
    assert_denied(decision, "policy-undefined")


def test_a_point_without_a_policy_is_a_denial(backend: Backend, tmp_path: Path) -> None:
    files = basic_files()
    del files["gateway/subject_access/subject_access.rego"]
    policy_set = load_policy_set(write_set(tmp_path / "p", files))
    assert_denied(backend.engine(policy_set).decide("subject_access", {}), "policy-undefined")


MALFORMED = [
    pytest.param({"allow": "true", "reasons": []}, id="allow-is-text"),
    pytest.param({"allow": 1, "reasons": []}, id="allow-is-number"),
    pytest.param({"reasons": []}, id="allow-missing"),
    pytest.param({"allow": True}, id="reasons-missing"),
    pytest.param({"allow": True, "reasons": {"code": "x"}}, id="reasons-object"),
    pytest.param({"allow": True, "reasons": ["x"]}, id="reason-text"),
    pytest.param({"allow": True, "reasons": [{"code": "x", "message": "y"}]}, id="no-basis"),
    pytest.param(
        {"allow": True, "reasons": [{"code": "", "message": "y", "basis": "z"}]}, id="empty-code"
    ),
    pytest.param(
        {"allow": False, "reasons": [{"code": "x", "message": 3, "basis": "z"}]}, id="message-num"
    ),
    pytest.param([True], id="array"),
    pytest.param(True, id="boolean"),
]


@pytest.mark.parametrize("document", MALFORMED)
def test_a_malformed_decision_is_a_denial(
    backend: Backend, basic_set: PolicySet, document: object
) -> None:
    decision = backend.engine(basic_set).decide("hits", {"document": document})
    assert_denied(decision, "policy-malformed")
    assert "decision" in (decision.error or "")


def test_a_well_formed_echo_is_kept_whole(backend: Backend, basic_set: PolicySet) -> None:
    document = {
        "allow": True,
        "reasons": [{"code": "c", "message": "m", "basis": "b", "extra": 1}],
        "hits": {"c1": {"hit": True}},
    }
    decision = backend.engine(basic_set).decide("hits", {"document": document})
    assert decision.allow is True and decision.document == document


@pytest.mark.parametrize(
    ("point", "input", "cause"),
    [
        ("stats", {"n": "geen getal"}, "eval_builtin_error: to_number"),
        ("hits", {"conflict": True}, "eval_conflict_error"),
    ],
)
def test_an_evaluation_error_is_a_denial_with_opas_message(
    backend: Backend, basic_set: PolicySet, point: str, input: dict[str, Any], cause: str
) -> None:
    decision = backend.engine(basic_set).decide(point, input)
    assert_denied(decision, "policy-engine-error")
    assert cause in (decision.error or "")
    assert "gateway/" in (decision.error or "")


def test_input_that_is_not_json_is_a_denial(backend: Backend, basic_set: PolicySet) -> None:
    decision = backend.engine(basic_set).decide("release", {"stage": object()})
    assert_denied(decision, "policy-engine-error")


def test_an_engine_that_raises_is_a_denial(
    backend: Backend, basic_set: PolicySet, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = backend.engine(basic_set)

    def explode(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the engine crashed")

    if isinstance(engine, EmbeddedEngine):
        for instance in engine._instances:
            monkeypatch.setattr(instance, "eval_document", explode)
    else:
        assert backend.server is not None
        backend.server.fail_with = RuntimeError("the engine crashed")
    decision = engine.decide("release", {"stage": "casusoverleg"})
    assert_denied(decision, "policy-engine-error")
    if isinstance(engine, EmbeddedEngine):
        assert "RuntimeError: the engine crashed" in (decision.error or "")
    else:
        assert "500" in (decision.error or "")


def test_a_closed_engine_is_an_outage_and_not_ready(backend: Backend, basic_set: PolicySet) -> None:
    engine = backend.engine(basic_set)
    engine.close()
    engine.close()  # idempotent
    # An outage, not a refusal: 503 with Retry-After for the caller, never "policy-refused".
    with pytest.raises(Unavailable) as outage:
        engine.decide("release", {"stage": "casusoverleg"})
    assert outage.value.retry_after_s > 0
    with pytest.raises(Unavailable):
        engine.check_ready()


# -- broken policies are refused at load, with OPA's file:line message ----------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "package gateway.release\n\nallow if { 1 ; }\n",
            "gateway/release/bad.rego:3: rego_parse_error: unexpected } token",
        ),
        (
            "package gateway.release\n\nx if { y == 1 }\n",
            "gateway/release/bad.rego:3: rego_unsafe_var_error: var y is unsafe",
        ),
        (
            "package gateway.release\n\nallow { true }\n",
            "gateway/release/bad.rego:3: rego_parse_error: `if` keyword is required",
        ),
    ],
    ids=["parse", "compile", "rego-v0"],
)
def test_broken_rego_is_refused_with_opas_message(
    backend: Backend, tmp_path: Path, source: str, expected: str
) -> None:
    files = basic_files()
    files["gateway/release/bad.rego"] = source
    policy_set = load_policy_set(write_set(tmp_path / "p", files))
    with pytest.raises(ConfigurationError) as refused:
        backend.engine(policy_set)
    assert expected in str(refused.value)


# -- the opa backend: unreachable, slow, other revisions ----------------------------------------


@pytest.fixture
def server() -> Iterator[OpaTestServer]:
    with opa_test_server() as running:
        yield running


def test_a_stopped_server_is_an_outage_and_not_ready(
    server: OpaTestServer, basic_set: PolicySet
) -> None:
    engine = OpaServerEngine(basic_set, server.url, 2.0)
    assert engine.decide("release", {"stage": "casusoverleg"}).allow is True
    engine.check_ready()
    server.stop()
    with pytest.raises(Unavailable, match="niet bereikbaar"):
        engine.decide("release", {"stage": "casusoverleg"})
    with pytest.raises(Unavailable, match="niet bereikbaar"):
        engine.check_ready()
    engine.close()


def test_a_slow_server_is_an_outage_and_not_ready(
    server: OpaTestServer, basic_set: PolicySet
) -> None:
    engine = OpaServerEngine(basic_set, server.url, 0.3)
    server.delay_s = 1.0
    started = time.monotonic()
    with pytest.raises(Unavailable):
        engine.decide("release", {"stage": "casusoverleg"})
    assert time.monotonic() - started < 0.9
    with pytest.raises(Unavailable, match="antwoordt niet"):
        engine.check_ready()
    server.delay_s = 0.0
    engine.check_ready()
    assert engine.decide("release", {"stage": "casusoverleg"}).allow is True
    engine.close()


def test_an_unreachable_server_at_start_is_unavailable(basic_set: PolicySet) -> None:
    with opa_test_server() as gone:
        url = gone.url
    with pytest.raises(Unavailable):
        OpaServerEngine(basic_set, url, 0.5, start_timeout_s=0.3)


def test_a_restarted_server_is_not_ready_until_synchronised(
    server: OpaTestServer, basic_set: PolicySet
) -> None:
    engine = OpaServerEngine(basic_set, server.url, 2.0)
    # An OPA restart loses pushed policies and data: decisions are undefined, readiness fails.
    server._replace({}, {})
    assert_denied(engine.decide("release", {"stage": "casusoverleg"}), "policy-undefined")
    with pytest.raises(Unavailable, match="andere beleidsrevisie"):
        engine.check_ready()
    engine.synchronise()
    engine.check_ready()
    assert engine.decide("release", {"stage": "casusoverleg"}).allow is True


def test_pushing_a_new_revision_replaces_the_old_one(
    server: OpaTestServer, basic_set: PolicySet, tmp_path: Path
) -> None:
    first = OpaServerEngine(basic_set, server.url, 2.0)
    files = basic_files()
    del files["gateway/stats/stats.rego"]
    files["gateway/lib/helpers.rego"] = (
        'package gateway.lib.helpers\n\nstage_ok(stage) if stage == "casusoverleg"\n'
    )
    # A module that calls a function of a module pushed after it: accepted in a later pass.
    files["gateway/release/release.rego"] = RELEASE.replace(
        'allow if input.stage == "casusoverleg"',
        "allow if data.gateway.lib.helpers.stage_ok(input.stage)",
    ).replace("package gateway.release", "package gateway.release\n")
    files["gateway/a_first/uses_helper.rego"] = (
        "package gateway.a_first\n\nok if data.gateway.lib.helpers.stage_ok(input.stage)\n"
    )
    second_set = load_policy_set(write_set(tmp_path / "second", files))
    second = OpaServerEngine(second_set, server.url, 2.0)
    assert set(server.modules) == set(second_set.modules)
    assert "gateway/stats/stats.rego" not in server.modules
    assert second.decide("release", {"stage": "casusoverleg"}).allow is True
    second.check_ready()
    # The first engine's revision is gone from the server: it must not claim readiness.
    with pytest.raises(Unavailable):
        first.check_ready()


def test_a_server_holding_foreign_policies_is_refused(
    server: OpaTestServer, basic_set: PolicySet
) -> None:
    server._put_policy("someone/else.rego", "package elsewhere\n\nx := 1\n")
    with pytest.raises(ConfigurationError, match="someone/else.rego"):
        OpaServerEngine(basic_set, server.url, 2.0)


def test_a_policy_opa_refuses_on_push_names_file_and_line(
    server: OpaTestServer, tmp_path: Path
) -> None:
    files = basic_files()
    files["gateway/release/bad.rego"] = "package gateway.release\n\nallow if { 1 ; }\n"
    policy_set = load_policy_set(write_set(tmp_path / "p", files))
    with pytest.raises(ConfigurationError) as refused:
        OpaServerEngine(policy_set, server.url, 2.0)
    assert "gateway/release/bad.rego:3: rego_parse_error: unexpected } token" in str(refused.value)


def _mount(server: OpaTestServer, policy_set: PolicySet, prefix: str = "/policies/") -> None:
    """Load the set the way ``opa run --server /policies`` does: ids are file paths, tests too."""
    for relative, source in policy_set.all_modules.items():
        server._put_policy(prefix + relative, source)
    server._put_data([], dict(policy_set.data))


def test_mount_mode_accepts_a_server_that_loaded_the_same_files(
    server: OpaTestServer, basic_set: PolicySet
) -> None:
    _mount(server, basic_set)
    engine = OpaServerEngine(basic_set, server.url, 2.0, push=False)
    assert engine.decide("release", {"stage": "casusoverleg"}).allow is True
    engine.check_ready()
    # Someone edits the mounted copy: readiness fails, because the revision no longer holds.
    edited = RELEASE.replace("casusoverleg", "x")
    server._put_policy("/policies/gateway/release/release.rego", edited)
    with pytest.raises(Unavailable, match="andere versie"):
        engine.check_ready()


def test_mount_mode_refuses_other_files_or_data(
    server: OpaTestServer, basic_set: PolicySet
) -> None:
    _mount(server, basic_set)
    server._put_data(["covenant", "small_cell_threshold"], 3)
    with pytest.raises(ConfigurationError, match="data.covenant"):
        OpaServerEngine(basic_set, server.url, 2.0, push=False)


def test_the_factory_builds_the_configured_engine(
    server: OpaTestServer, basic_set: PolicySet
) -> None:
    embedded = open_policy_engine(basic_set, kind="embedded")
    remote = open_policy_engine(basic_set, kind="opa", opa_url=server.url, timeout_s=1.0)
    assert (embedded.name, remote.name) == ("embedded", "opa")
    assert isinstance(embedded, PolicyEngine) and isinstance(remote, PolicyEngine)
    with pytest.raises(ConfigurationError, match="GATEWAY_OPA_URL"):
        open_policy_engine(basic_set, kind="opa")
    embedded.close()
    remote.close()


# -- the opa backend's client (opa-python-client) is configured to add nothing -----------------


@pytest.mark.parametrize(
    "url",
    [
        "opa:8181",
        "ftp://opa:8181",
        "http://opa:8181/prefix",
        "http://opa:8181/?x=1",
        "http://admin:secret@opa:8181",
        "http://opa:port",
        "http://:8181",
    ],
)
def test_an_opa_url_beyond_scheme_host_and_port_is_refused(basic_set: PolicySet, url: str) -> None:
    with pytest.raises(ConfigurationError, match="http\\(s\\)://host\\[:poort\\]") as refused:
        OpaServerEngine(basic_set, url, 1.0)
    assert "secret" not in str(refused.value)


@pytest.mark.parametrize(
    ("url", "root"),
    [
        ("http://opa:8181", "http://opa:8181/v1"),
        ("http://opa:8181/", "http://opa:8181/v1"),
        ("https://opa.example", "https://opa.example:443/v1"),
        ("http://[::1]:8181", "http://[::1]:8181/v1"),
    ],
)
def test_an_opa_url_becomes_the_clients_host_and_port(url: str, root: str) -> None:
    client = opa_server._client_for(url, 1.5)
    assert client.root_url == root
    assert client.ssl is url.startswith("https")
    assert client.timeout == 1.5
    client.close_connection()


def test_decisions_ignore_proxy_settings_in_the_environment(
    server: OpaTestServer, basic_set: PolicySet, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy that does not exist: a client that read the environment would fail every call.
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    engine = OpaServerEngine(basic_set, server.url, 2.0)
    assert engine.decide("release", {"stage": "casusoverleg"}).allow is True
    engine.check_ready()
    engine.close()


def test_a_policy_in_old_rego_syntax_is_refused_not_rewritten(
    server: OpaTestServer, tmp_path: Path
) -> None:
    # opa-python-client rewrites a Rego v0 policy that OPA refuses into v1 by default; the server
    # would then hold something else than the file hashed into the revision.
    files = basic_files()
    old_style = 'package gateway.release\n\nold_style { input.stage == "x" }\n'
    files["gateway/release/old.rego"] = old_style
    policy_set = load_policy_set(write_set(tmp_path / "p", files))
    with pytest.raises(ConfigurationError, match="gateway/release/old.rego:3: rego_parse_error"):
        OpaServerEngine(policy_set, server.url, 2.0)
    assert "gateway/release/old.rego" not in server.modules


def test_a_failing_decision_is_asked_once(server: OpaTestServer, basic_set: PolicySet) -> None:
    engine = OpaServerEngine(basic_set, server.url, 2.0)
    server.fail_with = RuntimeError("the engine crashed")
    before = server.requests
    assert_denied(engine.decide("release", {"stage": "casusoverleg"}), "policy-engine-error")
    assert server.requests - before == 1
    with pytest.raises(Unavailable):
        engine.check_ready()
    assert server.requests - before <= 3
    engine.close()


# -- the embedded backend: timeout, missing bindings, concurrency ---------------------------------


def test_a_slow_embedded_evaluation_is_an_outage(
    basic_set: PolicySet, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = EmbeddedEngine(basic_set, timeout_s=0.2)
    assert engine.decide("release", {"stage": "casusoverleg"}).allow is True
    original = engine._instances[0].eval_document

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.6)
        return original(*args, **kwargs)

    monkeypatch.setattr(engine._instances[0], "eval_document", slow)
    started = time.monotonic()
    with pytest.raises(Unavailable):
        engine.decide("release", {"stage": "casusoverleg"})
    assert time.monotonic() - started < 0.5
    with pytest.raises(Unavailable):
        engine.check_ready()
    engine.close()


def test_missing_bindings_explain_how_to_install(
    basic_set: PolicySet, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = importlib.import_module

    def without_bindings(name: str, package: str | None = None) -> Any:
        if name == "opa_bindings":
            raise ModuleNotFoundError("No module named 'opa_bindings'")
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", without_bindings)
    with pytest.raises(ConfigurationError) as refused:
        EmbeddedEngine(basic_set)
    message = str(refused.value)
    assert "pip install --no-deps --ignore-requires-python opa-golib-python-bindings==0.4.4" in (
        message
    )
    assert "3.14" in message and "3.11" in message


def test_busy_engine_instances_go_to_the_longest_waiter() -> None:
    """No barging: a released instance goes to the first waiter, not back to its last user."""
    import threading

    from gateway.policy.embedded import _FairPool

    pool = _FairPool(["engine"])
    held = pool.acquire()
    order: list[int] = []
    threads = []
    for caller in range(3):

        def wait_turn(caller: int = caller) -> None:
            item = pool.acquire()
            order.append(caller)
            pool.release(item)

        thread = threading.Thread(target=wait_turn)
        thread.start()
        threads.append(thread)
        while len(pool._waiters) <= caller:
            time.sleep(0.001)
    pool.release(held)
    for thread in threads:
        thread.join(timeout=5)
    assert order == [0, 1, 2]


def test_several_embedded_instances_decide_concurrently(basic_set: PolicySet) -> None:
    from concurrent.futures import ThreadPoolExecutor

    engine = EmbeddedEngine(basic_set, instances=2)
    with ThreadPoolExecutor(max_workers=4) as pool:
        stages = ["casusoverleg", "detectie"] * 50
        decisions = list(pool.map(lambda s: engine.decide("release", {"stage": s}), stages))
    assert [d.allow for d in decisions] == [s == "casusoverleg" for s in stages]
    engine.close()


# -- the policy set: revision, samples, refusals ------------------------------------------------


def test_the_revision_changes_with_any_byte_of_any_file(tmp_path: Path) -> None:
    files = basic_files()
    files["gateway/release/release_test.rego"] = "package gateway.release_test\n\ntest_x if true\n"
    files["catalogue/data.json"] = {"version": "1"}
    root = write_set(tmp_path / "p", files)
    base = load_policy_set(root)
    assert base.revision.startswith("sha256:") and len(base.revision) == 7 + 64
    assert load_policy_set(root).revision == base.revision
    seen = {base.revision}
    for relative in files:
        path = root / relative
        original = path.read_bytes()
        path.write_bytes(original + b" ")
        changed = load_policy_set(root).revision
        assert changed not in seen, relative
        seen.add(changed)
        path.write_bytes(original)
    assert load_policy_set(root).revision == base.revision
    # Renaming a file changes the revision too: the path is part of what OPA loads.
    (root / "gateway/hits/hits.rego").rename(root / "gateway/hits/hits2.rego")
    assert load_policy_set(root).revision not in seen


def test_samples_docs_and_hidden_files_are_not_part_of_the_set(tmp_path: Path) -> None:
    root = write_set(tmp_path / "p", basic_files())
    base = load_policy_set(root)
    write_set(
        root,
        {
            "gateway/release/samples/data.json": {"covenant": {"small_cell_threshold": 1}},
            "gateway/release/samples/allowed.json": {"stage": "casusoverleg"},
            "gateway/release/samples/nested/x.rego": "package not.loaded\n",
            "samples/data.json": {"gateway_meta": 1},
            ".git/data.json": {"x": 1},
            "gateway/release/README.md": "# Vrijgave\n",
        },
    )
    loaded = load_policy_set(root)
    assert loaded.revision == base.revision
    assert loaded.data == base.data
    assert "samples" not in json.dumps(sorted(loaded.modules))
    assert loaded.data_files == ("covenant/data.json",)


def test_modules_tests_and_data_land_where_opa_puts_them(tmp_path: Path) -> None:
    files = basic_files()
    files["gateway/release/release_test.rego"] = "package gateway.release_test\n\ntest_x if true\n"
    files["data.json"] = {"top": 1}
    files["catalogue/data.json"] = {"version": "1", "indicators": {}}
    files["catalogue/extra/data.json"] = {"more": True}
    policy_set = load_policy_set(write_set(tmp_path / "p", files))
    assert sorted(policy_set.modules) == sorted(
        k for k in files if k.endswith(".rego") and not k.endswith("_test.rego")
    )
    assert list(policy_set.tests) == ["gateway/release/release_test.rego"]
    assert policy_set.data["top"] == 1
    catalogue = {"version": "1", "indicators": {}, "extra": {"more": True}}
    assert policy_set.data["catalogue"] == catalogue
    assert policy_set.data["covenant"]["small_cell_threshold"] == 5
    document = policy_set.data_document()
    assert document["gateway_meta"]["revision"] == policy_set.revision
    assert "gateway_meta" not in policy_set.data


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"covenant/data.json": json.dumps(COVENANT)}, "geen Rego-beleid"),
        ({"gateway/x_test.rego": "package x_test\n\ntest_a if true\n"}, "geen Rego-beleid"),
        (
            {"a.rego": "package a\n", "covenant/data.json": '{\n  "id": "x",\n  "name": }\n'},
            "covenant/data.json:3:11: ongeldige JSON",
        ),
        (
            {"a.rego": "package a\n", "covenant/data.json": '{"a": 1, "a": 2}'},
            "sleutel 'a' komt twee keer voor",
        ),
        ({"a.rego": "package a\n", "covenant/data.json": '{"a": NaN}'}, "NaN"),
        ({"a.rego": "package a\n", "covenant/data.yaml": "a: 1\n"}, "data.yaml"),
        (
            {
                "a.rego": "package a\n",
                "data.json": '{"covenant": {"id": 1}}',
                "covenant/data.json": '{"id": 2}',
            },
            "data.covenant.id is al gezet",
        ),
        ({"a.rego": "package a\n", "gateway_meta/data.json": '{"revision": "x"}'}, "gereserveerd"),
        ({"a.rego": "package a\n", "data.json": "[1]"}, "moet een object zijn"),
    ],
    ids=[
        "only-data",
        "only-tests",
        "json-syntax",
        "duplicate-key",
        "nan",
        "yaml",
        "conflict",
        "reserved",
        "root-array",
    ],
)
def test_unusable_policy_sets_are_refused_naming_the_file(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    root = tmp_path / "p"
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, "utf-8")
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(")):
        load_policy_set(root)


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="bestaat niet"):
        load_policy_set(tmp_path / "nowhere")


# -- policy test ---------------------------------------------------------------------------------

TESTED = """package gateway.release

default allow := false

allow if input.stage == "casusoverleg"

decision := {"allow": allow, "reasons": []}

never_tested(x) := x + 1

also_untested if {
	input.never
}
"""

TESTS = """package gateway.release_test

import data.gateway.release

test_allowed_in_the_casusoverleg if release.allow with input as {"stage": "casusoverleg"}

test_false_fails if release.allow with input as {"stage": "detectie"}

test_undefined_fails if input.nothing

test_error_is_reported if to_number("geen getal") == 1

test_with_a_body if {
	not release.allow with input as {"stage": "detectie"}
}

helper := 1

not_a_test_because_of_the_name if true
"""


def test_the_policy_test_runner_reports_pass_fail_error_and_untested_rules(
    tmp_path: Path,
) -> None:
    files = basic_files()
    files["gateway/release/release.rego"] = TESTED
    files["gateway/release/release_test.rego"] = TESTS
    policy_set = load_policy_set(write_set(tmp_path / "p", files))
    report = run_policy_tests(policy_set)
    outcomes = {r.name: r.outcome for r in report.results}
    assert outcomes == {
        "test_allowed_in_the_casusoverleg": "PASS",
        "test_false_fails": "FAIL",
        "test_undefined_fails": "FAIL",
        "test_error_is_reported": "ERROR",
        "test_with_a_body": "PASS",
    }
    error = next(r for r in report.results if r.outcome == "ERROR")
    assert error.error is not None
    assert "gateway/release/release_test.rego:11: eval_builtin_error: to_number" in error.error
    false_fails = next(r for r in report.results if r.name == "test_false_fails")
    assert (false_fails.file, false_fails.package, false_fails.line) == (
        "gateway/release/release_test.rego",
        "gateway.release_test",
        7,
    )
    untested = {str(rule) for rule in report.uncovered}
    assert "gateway/release/release.rego:9: never_tested" in untested
    assert "gateway/release/release.rego:11: also_untested" in untested
    assert "gateway/release/release.rego:5: allow" not in untested
    # Modules no test reaches are untested as a whole.
    assert "gateway/stats/stats.rego:3: decision" in untested
    assert report.coverage_percent is not None and 0 < report.coverage_percent < 100
    assert report.revision == policy_set.revision
    with pytest.raises(ConfigurationError, match="3 van 5 beleidstests slagen niet"):
        report.require_passing()


def test_a_set_without_tests_does_not_pass(basic_set: PolicySet) -> None:
    report = run_policy_tests(basic_set)
    assert report.results == ()
    with pytest.raises(ConfigurationError, match="geen tests"):
        report.require_passing()


def test_the_test_runner_stops_on_a_set_that_does_not_compile(tmp_path: Path) -> None:
    files = basic_files()
    files["gateway/release/release_test.rego"] = "package t\n\ntest_x if { y }\n"
    policy_set = load_policy_set(write_set(tmp_path / "p", files))
    with pytest.raises(ConfigurationError, match="release_test.rego:3: rego_unsafe_var_error"):
        run_policy_tests(policy_set)


def test_the_stand_in_set_passes_its_own_tests(tmp_path: Path) -> None:
    policy_set = load_policy_set(write_stand_in_policies(tmp_path / "p"))
    report = run_policy_tests(policy_set)
    report.require_passing()
    assert len(report.results) >= 8
    # The stand-in's policies read a covenant shape of their own, which the covenant schema
    # refuses; everything else about the set is in order.
    assert [p for p in check_policy_set(policy_set) if "data.covenant" not in p] == []


# -- policy check --------------------------------------------------------------------------------


def test_check_lists_missing_decision_points(tmp_path: Path) -> None:
    files = basic_files()
    del files["gateway/stats/stats.rego"]
    files["gateway/subject_access/subject_access.rego"] = (
        "package gateway.subject_access\n\nallow := false\n"
    )
    problems = check_policy_set(load_policy_set(write_set(tmp_path / "p", files)))
    assert problems == [
        "beslispunt 'ingest' ontbreekt: geen regel 'decision' in package gateway.ingest "
        "(data.gateway.ingest.decision)",
        "beslispunt 'case' ontbreekt: geen regel 'decision' in package gateway.case "
        "(data.gateway.case.decision)",
        "beslispunt 'stats' ontbreekt: geen regel 'decision' in package gateway.stats "
        "(data.gateway.stats.decision)",
        "beslispunt 'subject_access' ontbreekt: geen regel 'decision' in package "
        "gateway.subject_access (data.gateway.subject_access.decision)",
        "beslispunt 'embargo' ontbreekt: geen regel 'decision' in package gateway.embargo "
        "(data.gateway.embargo.decision)",
    ]


def test_check_reports_opas_errors_as_opa_prints_them(tmp_path: Path) -> None:
    files = basic_files()
    files["gateway/ingest/ingest.rego"] = "package gateway.ingest\n\ndecision := {\n"
    files["gateway/ingest/other.rego"] = "package gateway.ingest\n\nx if { 1 ; }\n"
    problems = check_policy_set(load_policy_set(write_set(tmp_path / "p", files)))
    parse_errors = [p for p in problems if "rego_parse_error" in p]
    assert [p.splitlines()[0] for p in parse_errors][-1] == (
        "gateway/ingest/other.rego:3: rego_parse_error: unexpected } token"
    )
    assert parse_errors[-1].splitlines()[1:] == ["\tx if { 1 ; }", "\t" + " " * 11 + "^"]
    eof = "gateway/ingest/ingest.rego:4: rego_parse_error: unexpected eof token"
    assert any(p.startswith(eof) for p in problems)


def test_check_reports_compile_errors(tmp_path: Path) -> None:
    files = basic_files()
    files["gateway/ingest/ingest.rego"] = (
        'package gateway.ingest\n\ndecision := {"allow": z, "reasons": []}\n'
    )
    problems = check_policy_set(load_policy_set(write_set(tmp_path / "p", files)))
    assert problems[0] == "gateway/ingest/ingest.rego:3: rego_unsafe_var_error: var z is unsafe"


def test_check_reports_covenant_data_problems_by_path(tmp_path: Path) -> None:
    covenant = json.loads(json.dumps(COVENANT))
    covenant["small_cell_threshold"] = "vijf"
    covenant["parties"]["politie-rotterdam"]["type"] = "polite"
    covenant["data_classes"]["gezondhied"] = {"name": "x", "basis": "AVG art. 9"}
    del covenant["retention"]
    files = basic_files()
    files["covenant/data.json"] = covenant
    files["gateway/ingest/ingest.rego"] = 'package gateway.ingest\n\ndecision := {"allow": false}\n'
    root = write_set(tmp_path / "p", files)
    problems = check_policy_set(load_policy_set(root))
    file = f"{root}/covenant/data.json"
    assert f"{file}: data.covenant.retention: verplicht veld ontbreekt" in problems
    assert f"{file}: data.covenant.small_cell_threshold: verwacht een geheel getal" in problems
    assert any(
        p.startswith(f"{file}: data.covenant.parties.politie-rotterdam.type: onbekende waarde")
        for p in problems
    )
    assert any(
        p.startswith(f"{file}: data.covenant.data_classes.gezondhied: onbekende sleutel")
        for p in problems
    )
    # Values are never repeated in a message: only the path and what is allowed.
    assert not any("vijf" in p or "polite" in p for p in problems)


def test_check_reports_unknown_purposes_by_path(tmp_path: Path) -> None:
    covenant = json.loads(json.dumps(COVENANT))
    purposes = covenant["party_types"]["politie"]["purposes"]
    purposes.append("opsporing")
    files = basic_files()
    files["covenant/data.json"] = covenant
    root = write_set(tmp_path / "p", files)
    problems = [p for p in check_policy_set(load_policy_set(root)) if "data.covenant" in p]
    assert len(problems) == 1
    assert problems[0].startswith(
        f"{root}/covenant/data.json: data.covenant.party_types.politie.purposes"
        f"[{len(purposes) - 1}]: onbekend doel"
    )


def test_check_requires_covenant_data(tmp_path: Path) -> None:
    files = basic_files()
    del files["covenant/data.json"]
    files["gateway/ingest/ingest.rego"] = 'package gateway.ingest\n\ndecision := {"allow": false}\n'
    files["gateway/case/case.rego"] = 'package gateway.case\n\ndecision := {"allow": false}\n'
    files["gateway/embargo/embargo.rego"] = (
        'package gateway.embargo\n\ndecision := {"allow": false}\n'
    )
    root = write_set(tmp_path / "p", files)
    problems = check_policy_set(load_policy_set(root))
    assert problems == [f"{root}/covenant/data.json: data.covenant: ontbreekt"]


# -- policy simulate -----------------------------------------------------------------------------


def test_simulate_shows_which_recorded_decisions_flip(basic_set: PolicySet) -> None:
    engine = EmbeddedEngine(basic_set)
    when = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
    early = Reason("te-vroeg", "Nog niet.", "Convenant art. 7")
    records = [
        # Allowed then, and still allowed: no flip.
        RecordedDecision(
            "release",
            {"stage": "casusoverleg"},
            True,
            (Reason("fase", "Casusoverleg.", "Convenant art. 7"),),
            when,
        ),
        # Allowed then under an older policy, denied now.
        RecordedDecision("release", {"stage": "weging"}, True, (), when, revision="sha256:old"),
        # Denied then and now, but for another reason.
        RecordedDecision(
            "release", {"stage": "detectie"}, False, (Reason("oud", "Oud.", "x"),), when
        ),
        # The candidate cannot decide: a flip to a denial with the engine's reason.
        RecordedDecision("stats", {"n": "x"}, True, (), when),
    ]
    flips = simulate(records, engine)
    assert [(f.point, f.before_allow, f.after_allow) for f in flips] == [
        ("release", True, False),
        ("stats", True, False),
    ]
    assert flips[0].after_reasons == (early,)
    assert flips[0].before_revision == "sha256:old"
    assert flips[0].after_revision == basic_set.revision
    assert flips[1].after_reasons[0].code == "policy-engine-error"
    with_reasons = simulate(records, engine, include_reason_changes=True)
    assert [(f.before_allow, f.after_allow) for f in with_reasons] == [
        (True, False),
        (False, False),
        (True, False),
    ]
    assert not with_reasons[1].allow_changed
    assert with_reasons[1].recorded_at == when
    engine.close()


# -- the real policy directory, where it exists ----------------------------------------------------


def _real_set_or_none() -> PolicySet | None:
    if not any(REAL_POLICIES.glob("gateway/**/*.rego")):
        return None
    return load_policy_set(REAL_POLICIES)


def test_the_real_policies_load_check_and_pass_their_tests() -> None:
    """Runs on ``policies/`` when its Rego has landed (until then the stand-in tests above cover
    the same code); decision points whose folder does not exist yet are not counted missing."""
    policy_set = _real_set_or_none()
    if policy_set is None:
        pytest.skip("policies/gateway/ has no Rego yet; the stand-in set is tested instead")
    problems = check_policy_set(policy_set)
    expected_missing = [
        p
        for p in problems
        if p.startswith("beslispunt ")
        and not (REAL_POLICIES / "gateway" / p.split("'")[1]).is_dir()
    ]
    assert [p for p in problems if p not in expected_missing] == []
    run_policy_tests(policy_set).require_passing()
    for factory in (EmbeddedEngine,):
        engine = factory(policy_set)
        engine.check_ready()
        engine.close()


def test_the_real_policies_are_identical_on_both_backends_at_start(server: OpaTestServer) -> None:
    policy_set = _real_set_or_none()
    if policy_set is None:
        pytest.skip("policies/gateway/ has no Rego yet; the stand-in set is tested instead")
    engine = OpaServerEngine(policy_set, server.url, 5.0)
    engine.check_ready()
    assert set(server.modules) == set(policy_set.modules)
    engine.close()
