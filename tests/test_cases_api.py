"""Cases over a real HTTP server (issue 6, items 1, 2 and 5): opened from a hit by the RIEC's
case director, moved through the chain process one policy-checked, audited step at a time, with
four-eyes approvals, signals added by participants, interventions, and the reporting party's
view of its own signal."""

from __future__ import annotations

import json
import threading
from typing import Any

from gateway.audit import store as audit
from tests.support import Caller, batch, pseudonym, signal
from tests.test_release_api import build_case_file

RIEC = "riec-rr"
DIRECTOR = {"roles": ["casusregisseur"], "claims": {"sub": "regisseur-01"}}
PRIVACY = {"roles": ["privacy_officer"], "claims": {"sub": "privacy-07"}}
PARTICIPANTS = ["gemeente-rotterdam", "politie-rotterdam", "arbeidsinspectie"]


def send(caller: Caller, party: str, *signals: dict[str, Any]) -> None:
    response = caller.call(party, "POST", "/v1/signals", batch(*signals))
    assert response.status_code == 200, response.text


def victim_signal(victim: str, **extra: Any) -> dict[str, Any]:
    return signal(subjects=[{"kind": "bsn", "role": "slachtoffer", "pseudonym": victim}], **extra)


def make_hit(caller: Caller) -> tuple[str, dict[str, Any]]:
    victim = pseudonym()
    first = victim_signal(victim)
    send(caller, "gemeente-rotterdam", first)
    send(caller, "politie-rotterdam", victim_signal(victim))
    hits = caller.call(RIEC, "GET", "/v1/hits", roles=["analist"]).json()["hits"]
    (hit,) = hits
    return hit["id"], first


def post(caller: Caller, party: str, target: str, body: dict[str, Any], **options: Any):
    return caller.call(party, "POST", target, json.dumps(body).encode(), **options)


def open_case(caller: Caller, hit_id: str, **overrides: Any):
    body = {"hit": hit_id, "purpose": "ketenaanpak", "participants": PARTICIPANTS, **overrides}
    return post(caller, RIEC, "/v1/cases", body, **DIRECTOR)


def to_stage(caller: Caller, case_id: str, stage: str, **options: Any):
    return post(
        caller, RIEC, f"/v1/cases/{case_id}/transitions", {"to": stage}, **(options or DIRECTOR)
    )


def codes(response) -> list[str]:
    return [e["code"] for e in response.json().get("errors", [])]


def test_the_case_director_opens_a_case_from_a_hit(caller, server):
    hit_id, _ = make_hit(caller)
    response = open_case(caller, hit_id)
    assert response.status_code == 201, response.text
    case = response.json()
    assert case["stage"] == "dossiervorming" and case["hit"] == hit_id
    # The case file starts empty: the director builds it from the network (tests/test_case_file.py).
    assert case["signals"] == 0 and case["participants"] == sorted(PARTICIPANTS)
    assert case["next_stages"] == ["weging", "gesloten"]
    assert [e["event"] for e in case["history"]] == ["open"]
    _, rt = server
    with rt.engine.connect() as connection:
        (entry,) = audit.entries(connection, event="case.open")
    assert entry["object"] == {"case": case["id"]} and entry["actor"]["sub"] == "regisseur-01"


def test_only_the_riec_case_director_opens_cases(caller, server):
    hit_id, _ = make_hit(caller)
    for party, options in (
        ("gemeente-rotterdam", {"roles": ["privacy_officer"]}),
        (RIEC, {"roles": ["analist"]}),
    ):
        body = {"hit": hit_id, "purpose": "ketenaanpak", "participants": PARTICIPANTS}
        response = post(caller, party, "/v1/cases", body, **options)
        assert response.status_code == 403, response.text
        assert response.json()["type"] == "/problems/policy-refused"
    _, rt = server
    with rt.engine.connect() as connection:
        assert len(audit.entries(connection, event="case.refused")) == 2


def test_unknown_participants_and_purposes_are_refused(caller, server):
    hit_id, _ = make_hit(caller)
    assert open_case(caller, hit_id, participants=["bestaat-niet"]).status_code == 403
    assert open_case(caller, hit_id, purpose="nieuwsgierigheid").status_code == 403


def test_the_stages_go_forward_one_at_a_time_and_need_four_eyes(caller, server):
    hit_id, _ = make_hit(caller)
    case_id = open_case(caller, hit_id).json()["id"]
    skipped = to_stage(caller, case_id, "casusoverleg")
    assert skipped.status_code == 403
    assert to_stage(caller, case_id, "weging").status_code == 200
    # No casusoverleg without the approvals the covenant demands.
    assert to_stage(caller, case_id, "casusoverleg").status_code == 403
    approvals = f"/v1/cases/{case_id}/approvals"
    assert post(caller, RIEC, approvals, {"role": "casusregisseur"}, **DIRECTOR).status_code == 200
    # The same person cannot be the second pair of eyes.
    same = post(
        caller,
        RIEC,
        approvals,
        {"role": "privacy_officer"},
        roles=["privacy_officer"],
        claims={"sub": "regisseur-01"},
    )
    assert same.status_code == 403, same.text
    other = post(caller, RIEC, approvals, {"role": "privacy_officer"}, **PRIVACY)
    assert other.status_code == 200, other.text
    assert [a["role"] for a in other.json()["approvals"]] == ["casusregisseur", "privacy_officer"]
    moved = to_stage(caller, case_id, "casusoverleg")
    assert moved.status_code == 200, moved.text
    assert moved.json()["stage"] == "casusoverleg"
    history = [e["event"] for e in moved.json()["history"]]
    assert history == ["open", "transition", "approve", "approve", "transition"]


def test_participants_add_their_own_signals_and_others_cannot(caller, server):
    hit_id, _ = make_hit(caller)
    case_id = open_case(caller, hit_id).json()["id"]
    extra = signal()
    send(caller, "arbeidsinspectie", extra)
    target = f"/v1/cases/{case_id}/signals"
    added = post(caller, "arbeidsinspectie", target, {"refs": [extra["ref"]]})
    assert added.status_code == 200, added.text
    assert added.json() == {"signals": 1}
    outsider = signal()
    send(caller, "belastingdienst", outsider)
    refused = post(caller, "belastingdienst", target, {"refs": [outsider["ref"]]})
    assert refused.status_code == 403
    # Another party's ref is not found, as if it did not exist.
    assert post(caller, "gemeente-rotterdam", target, {"refs": [extra["ref"]]}).status_code == 404
    case = caller.call(RIEC, "GET", f"/v1/cases/{case_id}", roles=["analist"]).json()
    assert case["signals"] == 1  # the file was empty: only the signal the participant added
    assert caller.call("belastingdienst", "GET", f"/v1/cases/{case_id}").status_code == 404


def advance_to(caller: Caller, case_id: str, stage: str) -> None:
    order = ["weging", "casusoverleg", "toewijzing", "uitvoering", "evaluatie"]
    approvals = f"/v1/cases/{case_id}/approvals"
    for step in order[: order.index(stage) + 1]:
        if step == "casusoverleg":
            post(caller, RIEC, approvals, {"role": "casusregisseur"}, **DIRECTOR)
            post(caller, RIEC, approvals, {"role": "privacy_officer"}, **PRIVACY)
        response = to_stage(caller, case_id, step)
        assert response.status_code == 200, (step, response.text)


def test_interventions_are_assigned_and_reported_by_their_partner(caller, server):
    hit_id, _ = make_hit(caller)
    case_id = open_case(caller, hit_id).json()["id"]
    target = f"/v1/cases/{case_id}/interventions"
    early = post(
        caller, RIEC, target, {"party": "politie-rotterdam", "kind": "strafrechtelijk"}, **DIRECTOR
    )
    assert early.status_code == 403  # only from toewijzing on
    advance_to(caller, case_id, "toewijzing")
    assigned = post(
        caller, RIEC, target, {"party": "politie-rotterdam", "kind": "strafrechtelijk"}, **DIRECTOR
    )
    assert assigned.status_code == 201, assigned.text
    intervention = assigned.json()["intervention"]
    outsider = post(
        caller, RIEC, target, {"party": "belastingdienst", "kind": "fiscaal"}, **DIRECTOR
    )
    assert outsider.status_code == 403  # not a participant
    update = f"{target}/{intervention}"
    assert (
        post(caller, "gemeente-rotterdam", update, {"status": "in_uitvoering"}).status_code == 403
    )
    reported = post(
        caller, "politie-rotterdam", update, {"status": "in_uitvoering"}, roles=["deelnemer"]
    )
    assert reported.status_code == 200, reported.text
    case = caller.call(RIEC, "GET", f"/v1/cases/{case_id}", roles=["analist"]).json()
    assert case["interventions"] == [
        {
            "id": intervention,
            "party": "politie-rotterdam",
            "kind": "strafrechtelijk",
            "status": "in_uitvoering",
        }
    ]


def test_the_reporter_sees_in_case_then_closed_and_nothing_of_the_case(caller, server):
    hit_id, first = make_hit(caller)
    status = f"/v1/signals/{first['ref']}/status"
    assert caller.call("gemeente-rotterdam", "GET", status).json()["state"] == "linked"
    case_id = open_case(caller, hit_id).json()["id"]
    # Opening a case takes nothing along: the signal is in a case once it is in its file.
    assert caller.call("gemeente-rotterdam", "GET", status).json()["state"] == "linked"
    build_case_file(caller, case_id)
    body = caller.call("gemeente-rotterdam", "GET", status).json()
    assert body["state"] == "in_case" and case_id not in json.dumps(body)
    closed = to_stage(caller, case_id, "gesloten")
    assert closed.status_code == 200, closed.text
    assert caller.call("gemeente-rotterdam", "GET", status).json()["state"] == "closed"
    assert to_stage(caller, case_id, "weging").status_code == 403  # nothing after closing


def test_concurrent_identical_steps_happen_once(caller, server):
    hit_id, _ = make_hit(caller)
    case_id = open_case(caller, hit_id).json()["id"]
    results: list[int] = []

    def move() -> None:
        results.append(to_stage(caller, case_id, "weging").status_code)

    threads = [threading.Thread(target=move) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(200) == 1, results
    assert set(results) <= {200, 403, 409}
    case = caller.call(RIEC, "GET", f"/v1/cases/{case_id}", roles=["analist"]).json()
    assert [e["event"] for e in case["history"]] == ["open", "transition"]


def test_a_case_cannot_be_read_while_the_policy_engine_is_down(caller, server, monkeypatch):
    """Reading a case asks the policy; an engine that cannot answer is an outage (503 with
    Retry-After), not a case that does not exist."""
    from gateway.runtime import open_policy

    hit_id, _ = make_hit(caller)
    case_id = open_case(caller, hit_id).json()["id"]
    _, rt = server
    dead = open_policy(rt.settings)
    dead.close()
    monkeypatch.setattr(rt, "policy", dead)
    down = caller.call(RIEC, "GET", f"/v1/cases/{case_id}", **DIRECTOR)
    assert down.status_code == 503 and "Retry-After" in down.headers
    monkeypatch.undo()
    assert caller.call(RIEC, "GET", f"/v1/cases/{case_id}", **DIRECTOR).status_code == 200
