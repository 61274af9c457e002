"""One covenant schema: ``gateway policy check``, the gateway's own loader and the Rego coherence
tests judge ``policies/covenant/data.json`` alike.

The property test mutates the shipped demo covenant (drop a key, rename a key, give a value
another type, put a number out of range) and requires the check and the loader to agree on every
mutation, with the same messages. The explicit tests pin the three ways they used to disagree, and
show for each range the schema sets that the Rego test guarding the same rule agrees with it.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from gateway.errors import ConfigurationError
from gateway.parties.covenant import COVENANT_FILE, load_covenant
from gateway.policy.bundle import load_policy_set
from gateway.policy.covenant_schema import covenant_json_schema_text, covenant_problems
from gateway.policy.embedded import new_opa_engine
from gateway.policy.testing import check_policy_set, covenant_data_problems, discover_tests
from tests.support import REPO, env_without_gateway

POLICIES = REPO / "policies"
DEMO: dict[str, Any] = json.loads((POLICIES / COVENANT_FILE).read_text("utf-8"))
COMMITTED_SCHEMA = REPO / "docs" / "covenant.schema.json"
# A value that must never come back in a message (it stands for personal data pasted in a field).
SECRET = "Jansen, Dorpsstraat 1"
STUB_POLICY = "package stub\n\nx := 1\n"

Path_ = tuple[str | int, ...]


def _write(directory: Path, covenant: Any) -> Path:
    """A policy directory with ``covenant`` as its covenant file (and one module, so it loads)."""
    (directory / "covenant").mkdir(parents=True, exist_ok=True)
    (directory / COVENANT_FILE).write_text(json.dumps(covenant, ensure_ascii=False), "utf-8")
    (directory / "stub.rego").write_text(STUB_POLICY, "utf-8")
    return directory


def _judgements(directory: Path) -> tuple[list[str], list[str]]:
    """What ``policy check`` says about the covenant data, and what the loader says: one line
    per problem, empty when accepted."""
    checked = covenant_data_problems(load_policy_set(directory))
    try:
        load_covenant(directory)
        loaded: list[str] = []
    except ConfigurationError as exc:
        loaded = exc.detail.splitlines()
    return checked, loaded


# -- the property: both judges agree on every mutation -------------------------------------------


def _nodes(value: Any, at: Path_ = ()) -> Iterator[Path_]:
    """The path of every value in the document (not the document itself)."""
    if at:
        yield at
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nodes(item, (*at, index))


def _at(document: Any, path: Path_) -> Any:
    for step in path:
        document = document[step]
    return document


NODES = list(_nodes(DEMO))
KEYED = [p for p in NODES if isinstance(p[-1], str)]
NUMBERS = [p for p in NODES if type(_at(DEMO, p)) is int]
assert NUMBERS and KEYED


def _renamed(key: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [key + "s", key[:-1] or "x", key.replace("_", "-"), key.upper(), key + "_x", "bron_" + key]
    )


OTHER_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(-10, 10, allow_nan=False),
    st.just(""),
    st.just(SECRET),
    st.just([]),
    st.just([SECRET]),
    st.just({}),
    st.just({"x": SECRET}),
)
OUT_OF_RANGE = st.sampled_from([0, -1, 1, 2, 1.5, 10**12, -(10**12)])


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, Path_, Any]:
    """A mutated copy of the demo covenant: what was done, where, and the document."""
    document = copy.deepcopy(DEMO)
    kind = draw(st.sampled_from(["drop", "rename", "retype", "range"]))
    pool = {"rename": KEYED, "range": NUMBERS}.get(kind, NODES)
    path = draw(st.sampled_from(pool))
    parent, last = _at(document, path[:-1]), path[-1]
    if kind == "drop":
        del parent[last]
    elif kind == "rename":
        assert isinstance(last, str)
        new = draw(_renamed(last).filter(lambda k: k not in parent))
        parent[new] = parent.pop(last)
    elif kind == "retype":
        parent[last] = draw(OTHER_VALUES)
    else:
        parent[last] = draw(OUT_OF_RANGE)
    return kind, path, document


@settings(max_examples=300, deadline=None)
@given(mutation=mutations())
def test_check_and_loader_agree_on_every_mutation(mutation: tuple[str, Path_, Any]) -> None:
    _, _, document = mutation
    with tempfile.TemporaryDirectory() as tmp:
        directory = _write(Path(tmp) / "policies", document)
        checked, loaded = _judgements(directory)
    event("refused" if checked else "accepted")
    # Both accept or both refuse, and with the same lines: one definition, one verdict.
    assert checked == loaded
    file = f"{directory / COVENANT_FILE}: data.covenant"
    assert all(line.startswith(file) for line in checked)
    assert not any(SECRET in line or "Dorpsstraat" in line for line in checked)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda c: c.pop("retention"), "data.covenant.retention"),
        (lambda c: c["thresholds"]["hits"].pop("window_days"), "thresholds.hits.window_days"),
        (lambda c: c["release"].update(stagse=c["release"].pop("stages")), "release.stagse"),
        (lambda c: c["stats"].update(max_cells="10000"), "data.covenant.stats.max_cells"),
        (lambda c: c["linkage"].update(hub_threshold=1), "data.covenant.linkage.hub_threshold"),
        (lambda c: c["parties"]["riec-rr"].update(roles="analist"), "parties.riec-rr.roles"),
        (
            lambda c: c["linkage"]["hub_thresholds"].update(woonplaats=10),
            "data.covenant.linkage.hub_thresholds",
        ),
        (
            lambda c: c["linkage"]["hub_thresholds"].update(adres=1),
            "data.covenant.linkage.hub_thresholds.adres",
        ),
        (
            lambda c: c["linkage"]["structure"].update(min_separate_groups=1),
            "data.covenant.linkage.structure.min_separate_groups",
        ),
    ],
    ids=[
        "drop-section",
        "drop-number",
        "rename-key",
        "number-as-text",
        "hub-1",
        "roles-text",
        "hub-kind-unknown",
        "hub-kind-1",
        "structure-groups-1",
    ],
)
def test_each_kind_of_mutation_is_refused_by_both_at_its_path(
    tmp_path: Path, change: Callable[[Any], Any], path: str
) -> None:
    """Not only agreement: the mutations the property draws are refused, where they were made."""
    document = copy.deepcopy(DEMO)
    change(document)
    checked, loaded = _judgements(_write(tmp_path / "policies", document))
    assert checked and checked == loaded
    assert any(path in line for line in checked), checked


def test_the_demo_covenant_is_accepted_by_both() -> None:
    checked = covenant_data_problems(load_policy_set(POLICIES))
    assert checked == []
    assert len(load_covenant(POLICIES).parties) == len(DEMO["parties"])


# -- the three disagreements, pinned -------------------------------------------------------------


def _cli(*args: str, policies: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = env_without_gateway()
    env.update(GATEWAY_POLICIES_DIR=str(policies), PYTHONPATH=str(REPO), COLUMNS="400")
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _copy_of_policies(tmp_path: Path, change: Callable[[dict[str, Any]], Any]) -> Path:
    directory = tmp_path / "policies"
    shutil.copytree(POLICIES, directory)
    document = copy.deepcopy(DEMO)
    change(document)
    (directory / COVENANT_FILE).write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    return directory


def test_an_unknown_party_key_fails_policy_check_with_its_path_as_it_fails_keys_list(
    tmp_path: Path,
) -> None:
    policies = _copy_of_policies(
        tmp_path, lambda c: c["parties"]["politie-rotterdam"].update(bronbeperking=SECRET)
    )
    expected = (
        f"{policies / COVENANT_FILE}: "
        "data.covenant.parties.politie-rotterdam.bronbeperking: onbekend veld"
    )
    check = _cli("policy", "check", "--policies", str(policies), policies=policies, cwd=tmp_path)
    assert check.returncode == 1
    assert f"FAIL: {expected}" in check.stdout.splitlines()
    assert "OK:" not in check.stdout
    keys = _cli("keys", "list", policies=policies, cwd=tmp_path)
    assert keys.returncode != 0
    assert expected in " ".join(keys.stderr.split())
    for output in (check.stdout, check.stderr, keys.stdout, keys.stderr):
        assert "Jansen" not in output and "Dorpsstraat" not in output


@pytest.mark.parametrize(
    "change",
    [
        # The key privacy officers add for the rule of recipe 4.4 in docs/privacy-officers.md,
        # misspelt: the rule reads source_restrictions, finds nothing, and restricts nothing.
        lambda c: c.update(
            source_restriction={"belastingdienst": {"recipient_types": ["om"], "basis": "AWR"}}
        ),
        lambda c: c["parties"]["belastingdienst"].update(source_restriction=["om", "riec"]),
    ],
    ids=["top-level", "in-a-party"],
)
def test_a_misspelt_source_restrictions_is_refused_by_both(
    tmp_path: Path, change: Callable[[dict[str, Any]], Any]
) -> None:
    document = copy.deepcopy(DEMO)
    change(document)
    checked, loaded = _judgements(_write(tmp_path / "policies", document))
    assert checked == loaded
    assert len(checked) == 1 and checked[0].endswith(".source_restriction: onbekend veld")


def test_the_correctly_spelt_source_restrictions_is_accepted_and_checked(tmp_path: Path) -> None:
    document = copy.deepcopy(DEMO)
    restriction = {
        "recipient_types": ["om", "riec"],
        "basis": "AWR art. 67; Convenant art. 9 lid 5",
    }
    document["source_restrictions"] = {"belastingdienst": restriction}
    assert _judgements(_write(tmp_path / "ok", document)) == ([], [])
    restriction["recipient_types"] = ["om", "fiod"]
    checked, loaded = _judgements(_write(tmp_path / "bad", document))
    assert checked == loaded
    assert [line.split(": ", 2)[1] for line in checked] == [
        "data.covenant.source_restrictions.belastingdienst.recipient_types[1]"
    ]


def test_unlinked_signal_days_zero_is_refused_by_check_and_loader(tmp_path: Path) -> None:
    document = copy.deepcopy(DEMO)
    document["retention"]["unlinked_signal_days"] = 0
    policies = _write(tmp_path / "policies", document)
    checked, loaded = _judgements(policies)
    line = (
        f"{policies / COVENANT_FILE}: data.covenant.retention.unlinked_signal_days: "
        "te klein; minstens 1"
    )
    assert checked == loaded == [line]
    # The whole check reports it too (this is what `gateway policy check` prints).
    assert line in check_policy_set(load_policy_set(policies))


# -- the ranges agree with the Rego tests that guard the same rules ------------------------------


def _set(path: Path_, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        _at(document, path[:-1])[path[-1]] = value

    return change


def _passing_tests(policies: Path, package: str) -> dict[str, bool]:
    """Every ``test_`` rule of a Rego test package (``data.gateway.case_test``): passes (true)
    or not (false or undefined). One query for the package, as ``policy test`` runs a package."""
    policy_set = load_policy_set(policies)
    engine = new_opa_engine(policy_set, include_tests=True)
    try:
        rows = engine.eval_query(f"doc := {package}")
    finally:
        engine.close()
    document = rows[0]["doc"] if rows else {}
    names = [t.name for t in discover_tests(policy_set) if f"data.{t.package}" == package]
    assert names, package
    return {name: document.get(name) is True for name in names}


LIB_TEST = "data.gateway.lib.covenant_test"
CASE_TEST = "data.gateway.case_test"


@pytest.mark.parametrize(
    ("change", "rego_test"),
    [
        (
            _set(("retention", "unlinked_signal_days"), 0),
            f"{LIB_TEST}.test_retention_periods_are_positive_whole_days",
        ),
        (
            _set(("retention", "closed_case_days"), 1.5),
            f"{LIB_TEST}.test_retention_periods_are_positive_whole_days",
        ),
        (_set(("small_cell_threshold",), 1), f"{LIB_TEST}.test_small_cells_are_suppressed"),
        (
            _set(("thresholds", "hits", "min_parties"), 1),
            f"{LIB_TEST}.test_thresholds_keep_at_least_two_partners",
        ),
        (
            _set(("thresholds", "proportionality", "min_independent_parties"), 1),
            f"{LIB_TEST}.test_thresholds_keep_at_least_two_partners",
        ),
        (
            _set(("release", "approvals_by_different_persons"), False),
            f"{LIB_TEST}.test_release_keeps_four_eyes",
        ),
        (
            _set(("release", "required_approvals"), ["casusregisseur", "casusregisseur"]),
            f"{LIB_TEST}.test_release_keeps_four_eyes",
        ),
        (
            _set(("release", "stages", "weging"), "alles"),
            f"{LIB_TEST}.test_every_stage_has_a_known_level",
        ),
        (
            _set(("thresholds", "urgency", "rules", 1), {"id": "leeg"}),
            f"{LIB_TEST}.test_every_urgency_rule_has_an_id_and_a_condition",
        ),
        (
            _set(("party_types", "politie", "purposes", 0), "opsporing"),
            f"{LIB_TEST}.test_every_party_type_names_known_purposes_and_classes",
        ),
        (
            _set(
                ("party_types", "gemeente", "may_receive", "strafrechtelijk", "purposes", 0),
                "opsporing_vervolging",
            ),
            f"{LIB_TEST}.test_every_basis_serves_purposes_of_its_type",
        ),
        (
            _set(("party_types", "gemeente", "may_receive", "strafrechtelijk", "purposes"), []),
            f"{LIB_TEST}.test_every_basis_serves_purposes_of_its_type",
        ),
        (
            _set(("cases", "closed_stage"), "evaluatie"),
            f"{CASE_TEST}.test_the_closed_stage_ends_the_chain",
        ),
        (
            _set(("cases", "interventions", "initial_status"), "gepland"),
            f"{CASE_TEST}.test_intervention_statuses_are_coherent",
        ),
        (
            _set(("purposes", "ketenaanpak", "basis"), "Convenant art. 99"),
            f"{LIB_TEST}.test_every_cited_covenant_article_exists",
        ),
    ],
    ids=[
        "retention-0",
        "retention-fraction",
        "small-cells-1",
        "hit-partners-1",
        "independent-partners-1",
        "four-eyes-false",
        "four-eyes-one-role",
        "unknown-release-level",
        "urgency-rule-without-condition",
        "unknown-purpose",
        "basis-purpose-not-of-its-type",
        "basis-without-purpose",
        "closed-stage-not-last",
        "unknown-initial-status",
        "unknown-article",
    ],
)
def test_what_the_schema_refuses_the_rego_test_refuses(
    tmp_path: Path, change: Callable[[dict[str, Any]], Any], rego_test: str
) -> None:
    policies = _copy_of_policies(tmp_path, change)
    checked, loaded = _judgements(policies)
    assert checked and checked == loaded
    package, name = rego_test.rsplit(".", 1)
    assert _passing_tests(policies, package)[name] is False, f"{rego_test} still passes"


def test_the_rego_tests_pass_on_the_demo_covenant_the_schema_accepts() -> None:
    """The other side of the table above: the same Rego tests hold for the accepted data."""
    names = {
        "test_retention_periods_are_positive_whole_days",
        "test_small_cells_are_suppressed",
        "test_thresholds_keep_at_least_two_partners",
        "test_release_keeps_four_eyes",
        "test_every_stage_has_a_known_level",
        "test_every_urgency_rule_has_an_id_and_a_condition",
        "test_every_party_type_names_known_purposes_and_classes",
        "test_every_basis_serves_purposes_of_its_type",
        "test_every_cited_covenant_article_exists",
    }
    assert all(_passing_tests(POLICIES, LIB_TEST)[name] for name in names)
    case_tests = _passing_tests(POLICIES, CASE_TEST)
    assert case_tests["test_the_closed_stage_ends_the_chain"]
    assert case_tests["test_intervention_statuses_are_coherent"]
    assert covenant_problems(DEMO) == []


# -- the JSON Schema for editors -----------------------------------------------------------------


def test_the_committed_json_schema_is_the_generated_one() -> None:
    """docs/covenant.schema.json is regenerated with `gateway policy schema > ...`; a model change
    without it fails here."""
    assert COMMITTED_SCHEMA.read_text("utf-8") == covenant_json_schema_text()


def test_policy_schema_writes_the_json_schema(tmp_path: Path) -> None:
    result = _cli("policy", "schema", policies=POLICIES, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == covenant_json_schema_text()
    schema = json.loads(result.stdout)
    assert schema["additionalProperties"] is False
    assert "source_restriction" not in schema["properties"]
    assert schema["$defs"]["Retention"]["properties"]["unlinked_signal_days"]["minimum"] == 1
    assert "null" not in result.stdout  # optional keys are left out, never null
