"""A running gateway takes a changed policy directory live only if it loads, checks clean and
its tests pass; both outcomes are audited once, with the revisions involved."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gateway.audit import store as audit
from gateway.policy.reload import PolicyReloader
from gateway.runtime import Runtime, open_policy_engine_for
from tests.support import REPO


@pytest.fixture
def live_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "policies"
    shutil.copytree(REPO / "policies", directory)
    return directory


@pytest.fixture
def reloader(runtime: Runtime, live_dir: Path) -> PolicyReloader:
    return PolicyReloader(
        runtime,
        directory=live_dir,
        open_engine=open_policy_engine_for(runtime.settings),
        engine=runtime.engine,
        clock=runtime.clock,
    )


def _events(runtime: Runtime) -> list[dict]:
    with runtime.engine.connect() as connection:
        return [e for e in audit.entries(connection) if e["event"].startswith("policy.")]


def test_unchanged_directory_changes_nothing(reloader, runtime):
    before = runtime.policy
    assert reloader.check_once() is None
    assert runtime.policy is before and _events(runtime) == []


def test_a_good_change_goes_live_and_is_audited(reloader, runtime, live_dir):
    old = runtime.policy.revision
    covenant_file = live_dir / "covenant/data.json"
    covenant = json.loads(covenant_file.read_text("utf-8"))
    covenant["retention"]["unlinked_signal_days"] = (
        covenant["retention"].get("unlinked_signal_days", 730) + 1
    )
    covenant_file.write_text(json.dumps(covenant, ensure_ascii=False), encoding="utf-8")
    new = reloader.check_once()
    assert new is not None and new != old
    assert runtime.policy.revision == new
    (event,) = _events(runtime)
    assert event["event"] == "policy.changed"
    assert event["object"] == {"revision": new, "previous_revision": old}
    assert event["policy_revision"] == new


def test_a_change_whose_tests_fail_is_refused_once(reloader, runtime, live_dir):
    old = runtime.policy
    test_file = next(live_dir.glob("gateway/ingest/*_test.rego"))
    test_file.write_text(
        test_file.read_text("utf-8") + "\ntest_always_fails if {\n\tfalse\n}\n", encoding="utf-8"
    )
    assert reloader.check_once() is None
    assert reloader.check_once() is None
    assert runtime.policy is old
    (event,) = _events(runtime)
    assert event["event"] == "policy.change_refused"
    assert event["detail"] == {"problems": 0, "failed_tests": 1}
    assert event["object"]["previous_revision"] == old.revision


def test_a_change_that_does_not_parse_is_refused(reloader, runtime, live_dir):
    old = runtime.policy
    rego = next(live_dir.glob("gateway/ingest/ingest.rego"))
    rego.write_text(rego.read_text("utf-8") + "\nallow if { x := ; }\n", encoding="utf-8")
    assert reloader.check_once() is None
    assert runtime.policy is old
    assert [e["event"] for e in _events(runtime)] == ["policy.change_refused"]


def test_readiness_shows_a_refused_policy_directory_as_degraded_until_it_is_repaired(
    reloader, runtime, live_dir
):
    """The old policy keeps running (right), but an operator must see that the directory on
    disk is broken: readiness stays serving, marked degraded, with the file and the reason."""
    from gateway.service.health import readiness

    assert readiness(runtime).checks["policy_directory"] == "ok"
    rego = next(live_dir.glob("gateway/ingest/ingest.rego"))
    good = rego.read_text("utf-8")
    rego.write_text(good + "\nallow if { x := ; }\n", encoding="utf-8")
    assert reloader.check_once() is None
    found = readiness(runtime)
    assert found.ready and found.degraded
    assert found.checks["policy_directory"] == "degraded"
    assert any("gateway/ingest/ingest.rego" in p for p in found.problems)
    # Repaired: back to the revision in force, and the mark goes.
    rego.write_text(good, encoding="utf-8")
    assert reloader.check_once() is None
    assert readiness(runtime).checks["policy_directory"] == "ok"
    assert not readiness(runtime).degraded
