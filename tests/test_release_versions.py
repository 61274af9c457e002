"""Versioned releases: a retry gets the release already made; a changed basis (acute danger, a
lapsed embargo, the case file) makes the next, numbered release that names its predecessor and
what changed, and supersedes the predecessor's packages. Over a real HTTP server, on SQLite and
PostgreSQL; the basis itself with Hypothesis."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from gateway.audit import store as audit
from gateway.release.basis import Basis
from gateway.storage.tables import SignalRow
from tests.test_release_api import DIRECTOR, RIEC, case_in_meeting, post, sealed_signal


def release(caller, case_id: str, **body) -> dict:
    response = post(caller, RIEC, f"/v1/cases/{case_id}/release", body, **DIRECTOR)
    assert response.status_code == 200, response.text
    return response.json()


def packages_of(caller, party: str) -> dict[str, dict]:
    listed = caller.call(party, "GET", "/v1/packages").json()["packages"]
    return {p["release"]: p for p in listed}


def test_a_retry_is_the_same_release_and_new_facts_make_release_two(caller, server):
    _, rt = server
    case_id, _ = case_in_meeting(caller, rt, participants=["politie-rotterdam"])
    first = release(caller, case_id)
    assert first["number"] == 1 and first["predecessor"] is None and first["changes"] == []
    again = release(caller, case_id)
    assert again["release"] == first["release"] and again["existing"] is True

    second = release(caller, case_id, acute_danger=True)
    assert second["existing"] is False and second["release"] != first["release"]
    assert second["number"] == 2 and second["predecessor"] == first["release"]
    assert [c["code"] for c in second["changes"]] == ["acuut-gevaar-gewijzigd"]
    # Retrying the second request is the second release, not a third.
    assert release(caller, case_id, acute_danger=True)["release"] == second["release"]

    # The recipient sees which package is current and which was replaced.
    police = packages_of(caller, "politie-rotterdam")
    assert police[first["release"]]["status"] == "vervangen"
    assert police[first["release"]]["superseded_by"] == second["release"]
    assert police[second["release"]]["status"] == "actueel"
    assert police[second["release"]]["superseded_by"] is None
    with rt.engine.connect() as connection:
        entries = audit.entries(connection, event="case.released")
    assert [(e["detail"]["number"], e["detail"]["predecessor"]) for e in entries] == [
        (1, None),
        (2, first["release"]),
    ]


def test_a_lapsed_embargo_makes_a_new_release_possible(caller, server, monkeypatch):
    _, rt = server
    until = date.today() + timedelta(days=3)
    flags = {
        "minor": False,
        "consent": None,
        "embargo_until": until.isoformat(),
        "source_protected": False,
    }
    case_id, _ = case_in_meeting(
        caller,
        rt,
        participants=["gemeente-rotterdam", "politie-rotterdam"],
        police_meta={"flags": flags},
    )
    first = release(caller, case_id)
    municipality = first["recipients"]["gemeente-rotterdam"]
    codes = {r["code"] for w in municipality["withheld"] for r in w["reasons"]}
    assert "embargo-lopend-onderzoek" in codes
    # The same request a week later: the embargo has lapsed, so this is release 2.
    real = rt.clock
    monkeypatch.setattr(rt, "clock", lambda: real() + timedelta(days=7))
    later = release(caller, case_id)
    assert later["number"] == 2 and later["predecessor"] == first["release"]
    assert "embargo-gewijzigd" in {c["code"] for c in later["changes"]}
    after = later["recipients"]["gemeente-rotterdam"]
    assert "embargo-lopend-onderzoek" not in {
        r["code"] for w in after["withheld"] for r in w["reasons"]
    }


def test_a_changed_case_file_makes_release_two(caller, server):
    _, rt = server
    case_id, sent = case_in_meeting(caller, rt, participants=["politie-rotterdam"])
    first = release(caller, case_id)
    # The police add another signal of their own to the case.
    victim = sent["politie-rotterdam"]["subjects"][0]["pseudonym"]
    extra = sealed_signal(
        rt,
        "politie-rotterdam",
        victim,
        details={"omschrijving": "Tweede controle"},
        data_classes=["politiegegevens"],
    )
    from tests.support import batch

    assert post(caller, "politie-rotterdam", "/v1/signals", batch(extra)).status_code == 200
    added = post(
        caller, "politie-rotterdam", f"/v1/cases/{case_id}/signals", {"refs": [extra["ref"]]}
    )
    assert added.status_code == 200, added.text
    second = release(caller, case_id)
    assert second["number"] == 2
    assert [c["code"] for c in second["changes"]] == ["dossier-gewijzigd"]
    assert len(second["basis"]["signals"]) == len(first["basis"]["signals"]) + 1


ids = st.lists(st.integers(1, 40).map(lambda n: f"s{n}"), max_size=8)
bases = st.builds(
    Basis.of,
    signals=ids,
    embargoed=ids,
    consent=ids,
    acute_danger=st.booleans(),
    revision=st.sampled_from(["r1", "r2"]),
)


@given(bases, bases)
def test_the_digest_changes_exactly_when_a_change_is_named(a: Basis, b: Basis):
    assert a.changes_since(a.as_dict()) == []
    named = b.changes_since(a.as_dict())
    assert (a.digest() == b.digest()) == (named == [])
    # Order and repetition of ids do not matter, only which ids.
    shuffled = Basis.of(
        signals=reversed(a.signals + a.signals),
        embargoed=a.embargoed,
        consent=a.consent,
        acute_danger=a.acute_danger,
        revision=a.revision,
    )
    assert shuffled.digest() == a.digest()


def test_an_envelope_that_does_not_open_is_withheld_and_named_not_the_whole_release(
    caller, server
):
    """A key incident or a restored backup: one signal's envelope will not open. The rest is
    released, the case director sees which signal was withheld; once it opens again, the next
    request is release 2."""
    _, rt = server
    case_id, sent = case_in_meeting(
        caller, rt, participants=["politie-rotterdam", "gemeente-rotterdam"]
    )
    signals = SignalRow.__table__
    with rt.engine.begin() as connection:
        row = connection.execute(
            select(signals.c.id, signals.c.sealed).where(
                signals.c.ref == sent["gemeente-rotterdam"]["ref"]
            )
        ).one()
        broken = bytes(row.sealed[:-16]) + bytes(16)  # the AEAD tag no longer fits
        connection.execute(update(signals).where(signals.c.id == row.id).values(sealed=broken))
    # One partner's signal left: proportionate only with acute danger established.
    first = release(caller, case_id, acute_danger=True)
    assert [u["signal"] for u in first["unreadable"]] == [f"s{row.id}"]
    assert first["unreadable"][0]["code"] == "signaal-niet-te-openen"
    police = first["recipients"]["politie-rotterdam"]
    assert f"s{row.id}" not in police["released"] and len(police["released"]) == 1
    # Restored from the backup: it opens again, and that is a change of what the release rests on.
    with rt.engine.begin() as connection:
        connection.execute(
            update(signals).where(signals.c.id == row.id).values(sealed=bytes(row.sealed))
        )
    second = release(caller, case_id, acute_danger=True)
    assert second["number"] == 2 and second["unreadable"] == []
    assert "leesbaarheid-gewijzigd" in {c["code"] for c in second["changes"]}
    assert len(second["recipients"]["politie-rotterdam"]["released"]) == 2
