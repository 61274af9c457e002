"""The embargo of an investigation (issue 13, item 3), over a real HTTP server on SQLite and
PostgreSQL: politie and OM place, extend and lift embargoes (each an ``embargo`` decision,
recorded and audited); other parties are refused with reasons; an embargo on a subject withholds
every partner's signal about that subject from the recipients it does not allow, and lifting it
makes release 2; hits and networks carry only the contact text for the RIEC. No pseudonym in an
answer, an audit entry or a log line. The invariant with Hypothesis over the real release
policy: whatever the embargoes, a disallowed recipient type never receives a held signal."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gateway.audit import store as audit
from gateway.embargoes.holds import CaseSignal, Embargo, holds
from gateway.policy import load_policy_set
from gateway.policy.embedded import EmbeddedEngine
from gateway.storage.tables import DecisionRow
from tests.support import REPO, batch, pseudonym
from tests.test_logging import pipeline
from tests.test_release_api import DIRECTOR, RIEC, case_in_meeting, post, sealed_signal
from tests.test_release_versions import release

OM = "om-rotterdam"
POLICE = "politie-rotterdam"
MEMBER = {"roles": ["deelnemer"]}
CONTACT = "embargo, neem contact op met het OM"


def _until(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def place(caller, party: str, target: dict[str, Any], *, days: int = 30, reason: str = ""):
    body = {"target": target, "until": _until(days), "reason": reason or "lopend_onderzoek"}
    return post(caller, party, "/v1/embargoes", body, **MEMBER)


def _hex(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).hex()


def decisions(rt, point: str) -> list[Any]:
    table = DecisionRow.__table__
    with rt.engine.connect() as connection:
        return list(
            connection.execute(select(table).where(table.c.point == point).order_by(table.c.id))
        )


def withheld_codes(recipient: dict) -> set[str]:
    return {r["code"] for w in recipient["withheld"] for r in w["reasons"]}


def test_the_om_and_the_police_place_extend_lift_and_list(caller, server):
    _, rt = server
    victim = pseudonym()
    document = sealed_signal(rt, POLICE, victim, details={"omschrijving": "Controle"})
    assert post(caller, POLICE, "/v1/signals", batch(document)).status_code == 200

    on_subject = place(caller, OM, {"kind": "subject", "pseudonym": victim})
    assert on_subject.status_code == 201, on_subject.text
    placed = on_subject.json()
    assert placed["target"] == {"kind": "subject"} and placed["placed_by"] == OM
    assert placed["allowed_types"] == ["om", "politie"] and placed["in_force"] is True
    assert "embargo-geplaatst" in {r["code"] for r in placed["reasons"]}
    assert victim not in on_subject.text

    on_signal = place(caller, POLICE, {"kind": "signal", "party": POLICE, "ref": document["ref"]})
    assert on_signal.status_code == 201, on_signal.text
    police_embargo = on_signal.json()["id"]

    # The OM extends the police's embargo; the police lift their own.
    later = _until(60)
    extended = post(
        caller, OM, f"/v1/embargoes/{police_embargo}/extend", {"until": later}, **MEMBER
    )
    assert extended.status_code == 200, extended.text
    assert extended.json()["until"] == later
    lifted = post(caller, POLICE, f"/v1/embargoes/{police_embargo}/lift", {}, **MEMBER)
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["lifted"] is True and lifted.json()["in_force"] is False
    again = post(caller, POLICE, f"/v1/embargoes/{police_embargo}/lift", {}, **MEMBER)
    assert again.status_code == 403
    assert "embargo-niet-lopend" in {e["code"] for e in again.json()["errors"]}

    listed = caller.call(POLICE, "GET", "/v1/embargoes", **MEMBER)
    assert listed.status_code == 200, listed.text
    assert [e["id"] for e in listed.json()["embargoes"]] == [placed["id"]]
    everything = caller.call(POLICE, "GET", "/v1/embargoes?all=true", **MEMBER).json()
    assert {e["id"] for e in everything["embargoes"]} == {placed["id"], police_embargo}
    assert victim not in json.dumps(everything)

    with rt.engine.connect() as connection:
        events = [e["event"] for e in audit.entries(connection) if "embargo" in e["event"]]
        trail = json.dumps(audit.entries(connection))
    assert events == [
        "embargo.placed",
        "embargo.placed",
        "embargo.extended",
        "embargo.lifted",
        "embargo.refused",
        "embargoes.listed",
        "embargoes.listed",
    ]
    assert victim not in trail and _hex(victim) not in trail
    recorded = decisions(rt, "embargo")
    assert [r.allow for r in recorded] == [True, True, True, True, False, True, True]
    assert all(victim not in json.dumps(r.input) for r in recorded)


def test_other_parties_are_refused_with_reasons(caller, server):
    _, rt = server
    victim = pseudonym()
    with pipeline() as logs:
        refused = place(caller, "gemeente-rotterdam", {"kind": "subject", "pseudonym": victim})
        analyst = caller.call(RIEC, "GET", "/v1/embargoes", roles=["analist"])
    assert refused.status_code == 403, refused.text
    assert "embargo-niet-bevoegd" in {e["code"] for e in refused.json()["errors"]}
    assert analyst.status_code == 403
    # A reason code the covenant does not know, a date beyond the term.
    unknown = place(caller, OM, {"kind": "subject", "pseudonym": victim}, reason="zomaar")
    assert "embargo-reden-onbekend" in {e["code"] for e in unknown.json()["errors"]}
    too_long = place(caller, OM, {"kind": "subject", "pseudonym": victim}, days=800)
    assert "embargo-te-lang" in {e["code"] for e in too_long.json()["errors"]}
    # A malformed pseudonym is a located 422 that does not repeat it.
    bad = place(caller, OM, {"kind": "subject", "pseudonym": "Jansen-Dorpsstraat-1"})
    assert bad.status_code == 422 and "Jansen" not in bad.text
    # A case or signal that does not exist; an embargo that does not exist.
    missing = place(caller, OM, {"kind": "case", "case": "case-0123456789abcdef"})
    assert missing.status_code == 404
    nothing = post(caller, OM, "/v1/embargoes/emb-0123456789abcdef/lift", {}, **MEMBER)
    assert nothing.status_code == 404
    for text in (refused.text, unknown.text, too_long.text, logs.getvalue()):
        assert victim not in text and _hex(victim) not in text
    with rt.engine.connect() as connection:
        assert len(audit.entries(connection, event="embargo.refused")) == 4
        assert audit.entries(connection, event="embargo.placed") == []


def test_the_police_may_not_lift_the_oms_embargo(caller, server):
    placed = place(caller, OM, {"kind": "subject", "pseudonym": pseudonym()}).json()
    refused = post(caller, POLICE, f"/v1/embargoes/{placed['id']}/lift", {}, **MEMBER)
    assert refused.status_code == 403
    assert "embargo-van-ander" in {e["code"] for e in refused.json()["errors"]}


def test_an_embargo_on_a_subject_holds_every_partners_signal_until_it_is_lifted(caller, server):
    _, rt = server
    participants = ["gemeente-rotterdam", POLICE, OM]
    case_id, sent = case_in_meeting(caller, rt, participants=participants)
    victim = sent[POLICE]["subjects"][0]["pseudonym"]
    with pipeline() as logs:
        placed = place(caller, OM, {"kind": "subject", "pseudonym": victim})
        assert placed.status_code == 201, placed.text
        first = release(caller, case_id)
    municipality = first["recipients"]["gemeente-rotterdam"]
    # The municipality's own signal about the embargoed subject is withheld from it too.
    assert municipality["released"] == [] and municipality["package"] is None
    assert "embargo-onderzoek" in withheld_codes(municipality)
    assert len(first["recipients"][POLICE]["released"]) == 2
    assert len(first["recipients"][OM]["released"]) >= 1
    assert "embargo-onderzoek" not in withheld_codes(first["recipients"][POLICE])
    assert len(first["basis"]["embargoed"]) == 2
    assert victim not in logs.getvalue() and _hex(victim) not in logs.getvalue()
    # Asking again is the same release; extending the embargo changes nothing it rests on.
    assert release(caller, case_id)["release"] == first["release"]
    extended = post(
        caller, OM, f"/v1/embargoes/{placed.json()['id']}/extend", {"until": _until(90)}, **MEMBER
    )
    assert extended.status_code == 200
    assert release(caller, case_id)["release"] == first["release"]

    lifted = post(caller, OM, f"/v1/embargoes/{placed.json()['id']}/lift", {}, **MEMBER)
    assert lifted.status_code == 200, lifted.text
    second = release(caller, case_id)
    assert second["number"] == 2 and second["predecessor"] == first["release"]
    assert "embargo-gewijzigd" in {c["code"] for c in second["changes"]}
    assert second["basis"]["embargoed"] == []
    after = second["recipients"]["gemeente-rotterdam"]
    assert len(after["released"]) == 1 and "embargo-onderzoek" not in withheld_codes(after)


def test_the_om_embargoes_a_person_of_the_case_by_the_handle_the_case_gives_it(caller, server):
    _, rt = server
    case_id, sent = case_in_meeting(caller, rt, participants=["gemeente-rotterdam", POLICE, OM])
    network = caller.call(RIEC, "GET", f"/v1/cases/{case_id}/network", **DIRECTOR).json()
    # The victim is the person both signals name; the director passes her handle to the OM.
    (handle,) = [n["id"] for n in network["nodes"] if n["kind"] == "persoon" and n["signals"] == 2]
    unknown = place(caller, OM, {"kind": "case_subject", "case": case_id, "handle": "p" + "0" * 12})
    assert unknown.status_code == 404
    placed = place(caller, OM, {"kind": "case_subject", "case": case_id, "handle": handle})
    assert placed.status_code == 201, placed.text
    assert placed.json()["target"] == {"kind": "subject"}
    assert handle not in placed.text and sent[POLICE]["subjects"][0]["pseudonym"] not in placed.text
    first = release(caller, case_id)
    municipality = first["recipients"]["gemeente-rotterdam"]
    assert municipality["released"] == [] and "embargo-onderzoek" in withheld_codes(municipality)
    assert len(first["recipients"][POLICE]["released"]) == 2


def test_a_case_embargo_holds_all_of_the_case(caller, server):
    _, rt = server
    case_id, _ = case_in_meeting(caller, rt, participants=["gemeente-rotterdam", POLICE])
    assert place(caller, POLICE, {"kind": "case", "case": case_id}).status_code == 201
    first = release(caller, case_id)
    assert "embargo-onderzoek" in withheld_codes(first["recipients"]["gemeente-rotterdam"])
    assert len(first["recipients"][POLICE]["released"]) == 2
    # The case's readers see the marker, nothing more.
    seen = caller.call(RIEC, "GET", f"/v1/cases/{case_id}", **DIRECTOR).json()
    assert seen["embargo"] == {"embargo": True, "message": CONTACT}


def test_hits_and_networks_show_the_riec_only_the_contact_text(caller, server):
    _, rt = server
    victim = pseudonym()
    for party in ("gemeente-rotterdam", POLICE):
        document = sealed_signal(rt, party, victim, details={})
        assert post(caller, party, "/v1/signals", batch(document)).status_code == 200
    (hit,) = caller.call(RIEC, "GET", "/v1/hits", roles=["analist"]).json()["hits"]
    assert "embargo" not in hit
    assert place(caller, OM, {"kind": "subject", "pseudonym": victim}).status_code == 201

    listed = caller.call(RIEC, "GET", "/v1/hits", roles=["analist"])
    (hit,) = listed.json()["hits"]
    assert hit["embargo"] == {"embargo": True, "message": CONTACT}
    one = caller.call(RIEC, "GET", f"/v1/hits/{hit['id']}", roles=["analist"]).json()
    assert one["embargo"] == {"embargo": True, "message": CONTACT}
    network = caller.call(RIEC, "GET", f"/v1/hits/{hit['id']}/network", roles=["analist"])
    view = network.json()
    assert view["embargo"] == {"embargo": True, "message": CONTACT}
    marked = [n for n in view["nodes"] if "embargo" in n]
    assert len(marked) == 1 and marked[0]["embargo"] == {"embargo": True, "message": CONTACT}
    assert all(e["embargo"] == {"embargo": True, "message": CONTACT} for e in view["edges"])
    for text in (listed.text, network.text):
        assert "lopend_onderzoek" not in text and OM not in text and victim not in text
    # The mark decisions are recorded; the RIEC got no details.
    marks = [r for r in decisions(rt, "embargo") if r.input.get("action") == "mark"]
    assert marks and all(r.input["requester"]["party"] == RIEC for r in marks)


# -- the invariant, over the real release policy -----------------------------------------------

_TYPES = {
    "gemeente-rotterdam": "gemeente",
    "politie-rotterdam": "politie",
    "om-rotterdam": "om",
    "arbeidsinspectie": "arbeidsinspectie",
    "riec-rr": "riec",
}
_PEOPLE = [bytes([n]) * 64 for n in range(1, 6)]
TODAY = date(2026, 3, 1)


@pytest.fixture(scope="module")
def release_engine():
    engine = EmbeddedEngine(load_policy_set(REPO / "policies"))
    yield engine
    engine.close()


def _release_input(signals: list[CaseSignal], held: dict[int, Any]) -> dict[str, Any]:
    approvals = [
        {"party": "riec-rr", "role": "casusregisseur", "sub": "cr-1"},
        {"party": "riec-rr", "role": "privacy_officer", "sub": "po-1"},
    ]
    return {
        "now": "2026-03-01T10:00:00Z",
        "requester": {"party": "riec-rr", "type": "riec", "roles": ["casusregisseur"]},
        "case": {
            "id": "case-1",
            "stage": "casusoverleg",
            "purpose": "ketenaanpak",
            "acute_danger": True,
            "approvals": approvals,
            "meeting_part": None,
        },
        "participants": [
            {"party": party, "type": kind, "signatory": True} for party, kind in _TYPES.items()
        ],
        "signals": [
            {
                "id": f"s{s.id}",
                "party": s.party,
                "party_type": _TYPES[s.party],
                "form": "arbeidsuitbuiting",
                "data_classes": ["gewoon"],
                "fields": ["naam", "adres"],
                "flags": {
                    "minor": False,
                    "consent": None,
                    "embargo_until": None,
                    "source_protected": False,
                }
                | ({"investigation_embargo": held[s.id].flag()} if s.id in held else {}),
            }
            for s in signals
        ],
    }


_signals = st.lists(
    st.tuples(
        st.sampled_from([p for p in _TYPES if p != "riec-rr"]),
        st.sets(st.sampled_from(_PEOPLE), min_size=1, max_size=3),
    ),
    min_size=1,
    max_size=6,
)
_embargoes = st.lists(
    st.tuples(
        st.sampled_from(["subject", "signal", "case"]),
        st.sampled_from(_PEOPLE),
        st.integers(0, 5),
        st.integers(-3, 30),
        st.sets(st.sampled_from(["politie", "om", "gemeente"]), min_size=1),
        st.booleans(),
    ),
    max_size=4,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_signals, _embargoes)
def test_a_disallowed_recipient_never_receives_a_held_signal(release_engine, drawn, placed):
    signals = [
        CaseSignal(index + 1, party, f"REF-{index}", frozenset(people))
        for index, (party, people) in enumerate(drawn)
    ]
    embargoes = [
        Embargo(
            id=f"emb-{n}",
            target_kind=kind,
            pseudonym=person if kind == "subject" else None,
            signal=(signals[at % len(signals)].party, signals[at % len(signals)].ref)
            if kind == "signal"
            else None,
            case_id="case-1" if kind == "case" else None,
            placed_by=OM,
            reason="lopend_onderzoek",
            until=TODAY + timedelta(days=days),
            allowed_types=frozenset(allowed),
            lifted=lifted,
        )
        for n, (kind, person, at, days, allowed, lifted) in enumerate(placed)
    ]
    held = holds(embargoes, signals, case_id="case-1", today=TODAY)
    decision = release_engine.decide("release", _release_input(signals, held))
    releases = decision.document.get("releases", {})
    for signal in signals:
        in_force = [e for e in embargoes if e.in_force(TODAY)]
        concerning = [
            e
            for e in in_force
            if e.target_kind == "case"
            or (e.target_kind == "subject" and e.pseudonym in signal.pseudonyms)
            or (e.target_kind == "signal" and e.signal == (signal.party, signal.ref))
        ]
        for party, kind in _TYPES.items():
            received = f"s{signal.id}" in releases.get(party, {}).get("signals", {})
            if any(kind not in e.allowed_types for e in concerning):
                assert not received, (party, signal, concerning)
    # Nothing lifted or ended holds anything.
    assert set(held) <= {s.id for s in signals}
