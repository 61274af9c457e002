"""The ``ingest`` decision wired into signal ingest: one evaluation per batch, refused signals
get their reasons (with legal basis) back, nothing of a refused batch is stored, every decision
is recorded for ``policy simulate`` and every audit entry carries the policy revision."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from gateway.audit import store as audit
from gateway.storage import decisions
from gateway.storage.tables import DecisionRow, SignalRow
from tests.support import REPO, batch, env_without_gateway, pseudonym, signal

PARTY = "gemeente-rotterdam"


def count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_one_decision_per_batch_recorded_with_the_revision(caller, server):
    _, rt = server
    response = caller.call(PARTY, "POST", "/v1/signals", batch(*[signal() for _ in range(25)]))
    assert response.status_code == 200, response.text
    with rt.engine.connect() as connection:
        points = {r.point: r for r in decisions.recorded(connection)}
        (entry,) = audit.entries(connection, event="signals.ingested")
    # One ingest decision for the batch, and one hits decision for the clusters it changed.
    assert sorted(points) == ["hits", "ingest"]
    recorded = points["ingest"]
    assert recorded.point == "ingest" and recorded.allow is True
    # 25 new clusters of one alike signal each: judged as one entry.
    assert len(points["hits"].input["clusters"]) == 1
    # Signals of one kind are judged once: 25 alike signals are one entry with count 25.
    assert [(s["index"], s["count"]) for s in recorded.input["signals"]] == [(0, 25)]
    assert recorded.revision == rt.policy.revision == entry["policy_revision"]
    # The employee's id is not stored with the decision: it becomes a per-decision alias.
    assert recorded.input["caller"]["sub"] == "persoon-1"
    assert "medewerker-0042" not in json.dumps(recorded.input)


def test_cie_never_enters_and_the_reason_names_the_signal_and_the_basis(caller, server):
    _, rt = server
    response = caller.call(
        "politie-rotterdam",
        "POST",
        "/v1/signals",
        batch(
            signal(),
            signal(data_classes=["politiegegevens", "cie"]),
            signal(data_classes=["politiegegevens"]),
            signal(data_classes=["politiegegevens", "cie"]),
        ),
    )
    assert response.status_code == 403
    problem = response.json()
    assert problem["type"] == "/problems/policy-refused"
    assert problem["policy_revision"] == rt.policy.revision
    refused = [e for e in problem["errors"] if e["code"] == "cie-nooit-opnemen"]
    assert [e["location"] for e in refused] == ["signals[1]", "signals[3]"]
    assert refused[0]["basis"]
    assert count(rt.engine, SignalRow.__table__) == 0
    with rt.engine.connect() as connection:
        (recorded,) = list(decisions.recorded(connection))
        (entry,) = audit.entries(connection, event="signals.refused")
    assert recorded.allow is False
    assert entry["detail"]["problem"] == "policy-refused"
    assert entry["policy_revision"] == rt.policy.revision


def test_a_party_type_may_only_submit_its_own_data_classes(caller, server):
    _, rt = server
    response = caller.call(PARTY, "POST", "/v1/signals", batch(signal(data_classes=["fiscaal"])))
    assert response.status_code == 403
    codes = {e["code"] for e in response.json()["errors"]}
    assert "gegevensklasse-niet-voor-partijtype" in codes
    assert count(rt.engine, SignalRow.__table__) == 0


def changed_policies(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    """A copy of policies/ with ``change`` applied to its covenant data."""
    changed = tmp_path / "policies"
    shutil.copytree(REPO / "policies", changed)
    covenant_file = changed / "covenant/data.json"
    covenant = json.loads(covenant_file.read_text("utf-8"))
    change(covenant)
    covenant_file.write_text(json.dumps(covenant, ensure_ascii=False), encoding="utf-8")
    return changed


def simulate(policies: Path, settings) -> str:  # type: ignore[no-untyped-def]
    """``gateway policy simulate --policies`` against the test database; its output."""
    env = env_without_gateway() | {
        "PYTHONPATH": str(REPO),
        "COLUMNS": "250",
        "GATEWAY_DATABASE_URL": settings.database_url.get_secret_value(),
        "GATEWAY_POLICIES_DIR": str(REPO / "policies"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "policy", "simulate", "--policies", str(policies)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_simulate_shows_which_recorded_decisions_a_change_would_flip(
    caller, server, tmp_path: Path, settings
):
    _, rt = server
    for _ in range(3):
        assert caller.call(PARTY, "POST", "/v1/signals", batch(signal())).status_code == 200
    changed = changed_policies(
        tmp_path, lambda c: c["party_types"]["gemeente"]["may_submit"].remove("gewoon")
    )
    flipped = simulate(changed, settings)
    # Three ingest decisions flip; the three hits evaluations of those batches do not.
    assert "6 beslissingen herhaald; 3 zouden omslaan" in flipped
    assert "gegevensklasse-niet-voor-partijtype" in flipped
    unchanged = simulate(REPO / "policies", settings)
    assert "6 beslissingen herhaald; 0 zouden omslaan" in unchanged
    assert "3 clusterbeoordelingen (hits) herhaald; 0 zouden een hit worden" in unchanged
    assert count(rt.engine, DecisionRow.__table__) == 6  # simulating records nothing


def test_simulate_shows_which_clusters_a_changed_hit_rule_would_judge_differently(
    caller, server, tmp_path: Path, settings
):
    """Two partners on one person make a hit; with min_parties 3 it would not be one. The
    recorded hits evaluation is judged by the policy in force and by the change, per cluster."""
    victim = pseudonym()
    for party in ("gemeente-rotterdam", "politie-rotterdam"):
        one = signal(subjects=[{"kind": "bsn", "role": "slachtoffer", "pseudonym": victim}])
        assert caller.call(party, "POST", "/v1/signals", batch(one)).status_code == 200
    changed = changed_policies(
        tmp_path, lambda c: c["thresholds"]["hits"].update({"min_parties": 3})
    )
    output = simulate(changed, settings)
    # The first batch judged one cluster (one signal, no hit either way); the second the merged
    # cluster of two partners: a hit now, not with the change.
    assert "2 clusterbeoordelingen (hits) herhaald; 0 zouden een hit worden, 1 geen hit meer" in (
        output
    )
    assert "hit-meerdere-partijen" in output and "te-weinig-partijen" in output


def test_simulate_shows_what_each_recipient_of_a_release_would_get_instead(
    caller, server, tmp_path: Path, settings
):
    """Allowing police data to municipalities changes no release's outcome or reasons, but the
    municipality would receive the police signal too: simulate shows that per recipient."""
    from tests.test_release_api import DIRECTOR, RIEC, case_in_meeting, post

    _, rt = server
    participants = ["gemeente-rotterdam", "politie-rotterdam"]
    case_id, _ = case_in_meeting(caller, rt, participants=participants)
    released = post(caller, RIEC, f"/v1/cases/{case_id}/release", {}, **DIRECTOR)
    assert released.status_code == 200, released.text
    unchanged = simulate(REPO / "policies", settings)
    assert "2 ontvangers van verstrekkingen herhaald; 0 zouden iets anders ontvangen" in unchanged

    changed = changed_policies(
        tmp_path,
        lambda c: c["party_types"]["gemeente"]["may_receive"].update(
            {"politiegegevens": {"basis": "Wpg art. 19 (proef)", "purposes": ["ketenaanpak"]}}
        ),
    )
    output = simulate(changed, settings)
    assert "2 ontvangers van verstrekkingen herhaald; 1 zouden iets anders ontvangen" in output
    (row,) = [line for line in output.splitlines() if "gemeente-rotterdam" in line]
    cells = [cell.strip() for cell in row.split("│")]
    assert case_id in cells
    assert cells[cells.index("gemeente-rotterdam") + 1 : cells.index("gemeente-rotterdam") + 3] == [
        "1",
        "2",
    ]
    assert "omschrijving" in row  # the police signal's field the municipality would now get
