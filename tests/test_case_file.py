"""Case files over a real HTTP server, on SQLite and PostgreSQL: a case opens empty; the case
director builds its file from the network view (stable handles, never a pseudonym), each change
with a reason code, decided and audited; a release passes on only the file's signals and, of
those, only the file's subjects; a second case on a hit needs a covenant reason."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from gateway.audit import store as audit
from gateway.crypto.handles import signal_handle, subject_handle
from tests.support import batch, pseudonym, sealed_signal_with
from tests.test_release_api import DIRECTOR, PRIVACY, RIEC, fetch_and_open, post

VICTIM = {"family_name": "Zwaluwstaart", "given_names": "Mirela", "birth_date": "1999-04-02"}
NEIGHBOUR = {"family_name": "Oosterhuis", "given_names": "Teun", "birth_date": "1971-08-19"}


def sealed(rt, party: str, subjects: list[tuple[str, str, str, Any]], **meta: Any) -> dict:
    return sealed_signal_with(rt, party, subjects, {"omschrijving": "Controle"}, **meta)


def send(caller, party: str, document: dict) -> None:
    response = post(caller, party, "/v1/signals", batch(document))
    assert response.status_code == 200, response.text


def only_hit(caller) -> str:
    (hit,) = caller.call(RIEC, "GET", "/v1/hits", roles=["analist"]).json()["hits"]
    return hit["id"]


def open_case(caller, hit_id: str, participants: list[str], **extra: Any):
    body = {"hit": hit_id, "purpose": "ketenaanpak", "participants": participants, **extra}
    return post(caller, RIEC, "/v1/cases", body, **DIRECTOR)


def network(caller, case_id: str) -> dict:
    response = caller.call(RIEC, "GET", f"/v1/cases/{case_id}/network", **DIRECTOR)
    assert response.status_code == 200, response.text
    return response.json()


def edit(caller, case_id: str, **body: Any):
    return post(caller, RIEC, f"/v1/cases/{case_id}/file", body, **DIRECTOR)


def to_meeting(caller, case_id: str) -> None:
    for stage in ("weging", "casusoverleg"):
        if stage == "casusoverleg":
            approvals = f"/v1/cases/{case_id}/approvals"
            post(caller, RIEC, approvals, {"role": "casusregisseur"}, **DIRECTOR)
            post(caller, RIEC, approvals, {"role": "privacy_officer"}, **PRIVACY)
        moved = post(caller, RIEC, f"/v1/cases/{case_id}/transitions", {"to": stage}, **DIRECTOR)
        assert moved.status_code == 200, moved.text


def two_partners_one_victim(caller, rt) -> dict[str, str]:
    """The municipality reports a victim and her neighbour in one signal; the police report the
    victim. Returns the pseudonyms."""
    names = {"victim": pseudonym(), "neighbour": pseudonym()}
    send(
        caller,
        "gemeente-rotterdam",
        sealed(
            rt,
            "gemeente-rotterdam",
            [
                ("persoon", "slachtoffer", names["victim"], VICTIM),
                ("persoon", "betrokkene", names["neighbour"], NEIGHBOUR),
            ],
        ),
    )
    send(
        caller,
        "politie-rotterdam",
        sealed(
            rt,
            "politie-rotterdam",
            [("persoon", "slachtoffer", names["victim"], VICTIM)],
            data_classes=["politiegegevens"],
        ),
    )
    return names


def test_a_case_opens_empty_and_the_network_has_stable_handles(caller, server):
    _, rt = server
    names = two_partners_one_victim(caller, rt)
    opened = open_case(caller, only_hit(caller), ["politie-rotterdam"])
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    assert opened.json()["signals"] == 0
    first, second = network(caller, case_id), network(caller, case_id)
    assert [n["id"] for n in first["nodes"]] == [n["id"] for n in second["nodes"]]
    assert [e["id"] for e in first["edges"]] == [e["id"] for e in second["edges"]]
    assert first["file"] == {"subjects": 0, "signals": 0}
    assert not any(n["in_file"] for n in first["nodes"])
    # Both signals share the victim only: each hangs on the other by one single key.
    assert {e["joined_by"] for e in first["edges"]} == {"een-sleutel:persoon"}
    text = json.dumps(first)
    assert not any(p in text for p in names.values())
    # Another case on the same hit has other handles: two cases cannot be joined on them.
    other = open_case(
        caller, only_hit(caller), ["politie-rotterdam"], second_case_reason="ander_doel"
    )
    assert other.status_code == 201, other.text
    assert not {n["id"] for n in network(caller, other.json()["id"])["nodes"]} & {
        n["id"] for n in first["nodes"]
    }


def test_only_the_case_director_sees_the_network_and_builds_the_file(caller, server):
    _, rt = server
    two_partners_one_victim(caller, rt)
    case_id = open_case(caller, only_hit(caller), ["politie-rotterdam"]).json()["id"]
    seen = caller.call(
        "politie-rotterdam", "GET", f"/v1/cases/{case_id}/network", roles=["deelnemer"]
    )
    assert seen.status_code == 403
    handle = network(caller, case_id)["nodes"][0]["id"]
    refused = post(
        caller,
        "politie-rotterdam",
        f"/v1/cases/{case_id}/file",
        {"reason": "betrokkene_casus", "add_subjects": [handle]},
        roles=["deelnemer"],
    )
    assert refused.status_code == 403
    assert "verzoeker-geen-casusregisseur" in {e["code"] for e in refused.json()["errors"]}


def test_bad_handles_and_reasons_are_named_and_change_nothing(caller, server):
    _, rt = server
    two_partners_one_victim(caller, rt)
    case_id = open_case(caller, only_hit(caller), ["politie-rotterdam"]).json()["id"]
    real = network(caller, case_id)["nodes"][0]["id"]
    unknown = edit(caller, case_id, reason="betrokkene_casus", add_subjects=[real, "p000000000000"])
    assert unknown.status_code == 422, unknown.text
    assert [e["location"] for e in unknown.json()["errors"]] == ["add_subjects[1]"]
    malformed = edit(caller, case_id, reason="betrokkene_casus", add_signals=["x"])
    assert malformed.status_code == 422
    no_reason = edit(caller, case_id, reason="zomaar", add_subjects=[real])
    assert no_reason.status_code == 403
    assert "dossier-reden-onbekend" in {e["code"] for e in no_reason.json()["errors"]}
    assert network(caller, case_id)["file"] == {"subjects": 0, "signals": 0}


def test_the_file_changes_are_decided_and_audited(caller, server):
    _, rt = server
    two_partners_one_victim(caller, rt)
    case_id = open_case(caller, only_hit(caller), ["politie-rotterdam"]).json()["id"]
    view = network(caller, case_id)
    victim = next(n["id"] for n in view["nodes"] if n["signals"] == 2)
    added = edit(caller, case_id, reason="betrokkene_casus", add_subjects=[victim])
    assert added.status_code == 200, added.text
    assert added.json() == {
        "reason": "betrokkene_casus",
        "subjects_added": 1,
        "subjects_removed": 0,
        "signals_added": 2,
        "signals_removed": 0,
    }
    after = network(caller, case_id)
    assert after["file"] == {"subjects": 1, "signals": 2}
    assert [n["in_file"] for n in after["nodes"] if n["id"] == victim] == [True]
    municipal = next(e["id"] for e in after["edges"] if e["party_type"] == "gemeente")
    removed = edit(caller, case_id, reason="niet_noodzakelijk", remove_signals=[municipal])
    assert removed.json()["signals_removed"] == 1
    assert network(caller, case_id)["file"] == {"subjects": 1, "signals": 1}
    with rt.engine.connect() as connection:
        entries = audit.entries(connection, event="case.edit_file")
    assert [e["detail"]["reason"] for e in entries] == ["betrokkene_casus", "niet_noodzakelijk"]
    assert all(e["object"] == {"case": case_id} for e in entries)


def test_a_release_names_only_the_people_of_the_case_file(caller, server, keys):
    _, rt = server
    two_partners_one_victim(caller, rt)
    case_id = open_case(caller, only_hit(caller), ["politie-rotterdam"]).json()["id"]
    view = network(caller, case_id)
    victim = next(n["id"] for n in view["nodes"] if n["signals"] == 2)
    assert (
        edit(caller, case_id, reason="betrokkene_casus", add_subjects=[victim]).status_code == 200
    )
    to_meeting(caller, case_id)
    response = post(caller, RIEC, f"/v1/cases/{case_id}/release", {}, **DIRECTOR)
    assert response.status_code == 200, response.text
    body = response.json()
    package = fetch_and_open(
        caller, keys[1], "politie-rotterdam", body["recipients"]["politie-rotterdam"]["package"]
    )
    text = json.dumps(package, ensure_ascii=False)
    assert len(package["records"]) == 2
    assert "Zwaluwstaart" in text  # the victim, whom the case is about
    assert "Oosterhuis" not in text  # the neighbour in the municipality's signal is not
    with rt.engine.connect() as connection:
        (entry,) = audit.entries(connection, event="case.released")
    assert entry["detail"]["subjects_outside_file"] == 1


def test_a_release_passes_on_only_the_signals_of_the_file(caller, server, keys):
    _, rt = server
    two_partners_one_victim(caller, rt)
    case_id = open_case(caller, only_hit(caller), ["politie-rotterdam"]).json()["id"]
    view = network(caller, case_id)
    victim = next(n["id"] for n in view["nodes"] if n["signals"] == 2)
    police = next(e["id"] for e in view["edges"] if e["party_type"] == "politie")
    municipal = next(e["id"] for e in view["edges"] if e["party_type"] == "gemeente")
    # Only the police signal, and the victim without bringing her other signals along.
    assert (
        edit(
            caller,
            case_id,
            reason="betrokkene_casus",
            add_subjects=[victim],
            add_signals=[police],
            with_signals=False,
        ).status_code
        == 200
    )
    to_meeting(caller, case_id)
    # One partner's signal: proportionate only with acute danger established.
    response = post(
        caller, RIEC, f"/v1/cases/{case_id}/release", {"acute_danger": True}, **DIRECTOR
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["basis"]["signals"]) == 1
    package = fetch_and_open(
        caller, keys[1], "politie-rotterdam", body["recipients"]["politie-rotterdam"]["package"]
    )
    assert len(package["records"]) == 1
    assert municipal not in json.dumps(body)


def test_a_second_case_on_a_hit_needs_a_covenant_reason(caller, server):
    _, rt = server
    two_partners_one_victim(caller, rt)
    hit_id = only_hit(caller)
    assert open_case(caller, hit_id, ["politie-rotterdam"]).status_code == 201
    again = open_case(caller, hit_id, ["gemeente-rotterdam"])
    assert again.status_code == 403
    assert "hit-heeft-open-casus" in {e["code"] for e in again.json()["errors"]}
    assert (
        open_case(caller, hit_id, ["gemeente-rotterdam"], second_case_reason="onzin").status_code
        == 403
    )
    allowed = open_case(caller, hit_id, ["gemeente-rotterdam"], second_case_reason="ander_doel")
    assert allowed.status_code == 201, allowed.text


keys_ = st.binary(min_size=32, max_size=32)


@given(keys_, keys_, st.binary(min_size=1, max_size=64), st.integers(1, 10**12))
def test_handles_are_stable_per_case_and_differ_between_cases(a, b, pseudonym_, signal_id):
    assert subject_handle(a, pseudonym_) == subject_handle(a, pseudonym_)
    assert signal_handle(a, signal_id) == signal_handle(a, signal_id)
    assert (
        subject_handle(a, pseudonym_).startswith("p") and len(subject_handle(a, pseudonym_)) == 13
    )
    if a != b:
        assert subject_handle(a, pseudonym_) != subject_handle(b, pseudonym_)
