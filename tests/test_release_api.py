"""Release to the casusoverleg over a real HTTP server (issue 6, items 3, 4 and 6): what each
recipient gets, opened with its own key, follows the covenant's rules; every failure leaves no
package behind; concurrent requests make one release."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from gateway.audit import store as audit
from gateway.parties.keys import load_hpke_private
from gateway.release.packages import open_package
from gateway.storage.tables import PackageRow, ReleaseRow
from tests.support import (
    REPO,
    Caller,
    batch,
    env_without_gateway,
    pseudonym,
    sealed_signal_with,
)

RIEC = "riec-rr"
DIRECTOR = {"roles": ["casusregisseur"], "claims": {"sub": "regisseur-01"}}
PRIVACY = {"roles": ["privacy_officer"], "claims": {"sub": "privacy-07"}}
VICTIM_NAME = {"family_name": "Zwaluwstaart", "given_names": "Mirela", "birth_date": "1999-04-02"}


CARE = {
    "details": {"zorgtraject": "Opvang gestart"},
    "data_classes": ["zorg_beroepsgeheim"],
    "flags": {"minor": False, "consent": True, "embargo_until": None, "source_protected": False},
}


def sealed_signal(rt, party: str, victim: str, *, details: dict[str, str], **meta: Any) -> dict:
    """A wire signal about ``victim`` (a name and a BSN) with real sealed content."""
    return sealed_signal_with(
        rt,
        party,
        [
            ("persoon", "slachtoffer", victim, VICTIM_NAME),
            ("bsn", "slachtoffer", pseudonym(), "111222333"),
        ],
        details,
        **meta,
    )


def post(caller: Caller, party: str, target: str, body: Any, **options: Any):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return caller.call(party, "POST", target, data, **options)


def case_in_meeting(
    caller: Caller,
    rt,
    *,
    participants: list[str],
    police_meta: dict | None = None,
    extra: list[tuple[str, dict]] = (),
) -> tuple[str, dict[str, dict]]:
    """A hit from the municipality and the police on one victim, a case in the casusoverleg."""
    victim = pseudonym()
    sent = {
        "gemeente-rotterdam": sealed_signal(
            rt,
            "gemeente-rotterdam",
            victim,
            details={"toelichting": "Overbewoning gemeld", "melder_naam": "Pieter Wachtmeester"},
        ),
        "politie-rotterdam": sealed_signal(
            rt,
            "politie-rotterdam",
            victim,
            details={"omschrijving": "Controle pand"},
            data_classes=["politiegegevens"],
            **(police_meta or {}),
        ),
    }
    for party, document in sent.items():
        assert post(caller, party, "/v1/signals", batch(document)).status_code == 200
    for party, meta in extra:
        document = sealed_signal(rt, party, victim, **meta)
        sent[party] = document
        response = post(caller, party, "/v1/signals", batch(document))
        assert response.status_code == 200, response.text
    (hit,) = caller.call(RIEC, "GET", "/v1/hits", roles=["analist"]).json()["hits"]
    opened = post(
        caller,
        RIEC,
        "/v1/cases",
        {"hit": hit["id"], "purpose": "ketenaanpak", "participants": participants},
        **DIRECTOR,
    )
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    build_case_file(caller, case_id)
    assert (
        post(
            caller, RIEC, f"/v1/cases/{case_id}/transitions", {"to": "weging"}, **DIRECTOR
        ).status_code
        == 200
    )
    post(caller, RIEC, f"/v1/cases/{case_id}/approvals", {"role": "casusregisseur"}, **DIRECTOR)
    post(caller, RIEC, f"/v1/cases/{case_id}/approvals", {"role": "privacy_officer"}, **PRIVACY)
    moved = post(
        caller, RIEC, f"/v1/cases/{case_id}/transitions", {"to": "casusoverleg"}, **DIRECTOR
    )
    assert moved.status_code == 200, moved.text
    return case_id, sent


def build_case_file(caller: Caller, case_id: str, *, subjects: list[str] | None = None) -> dict:
    """The case director takes the given subjects (all, by default) with their signals into the
    case file; the answer is the network view afterwards."""
    network = caller.call(RIEC, "GET", f"/v1/cases/{case_id}/network", **DIRECTOR)
    assert network.status_code == 200, network.text
    handles = subjects if subjects is not None else [n["id"] for n in network.json()["nodes"]]
    edited = post(
        caller,
        RIEC,
        f"/v1/cases/{case_id}/file",
        {"reason": "betrokkene_casus", "add_subjects": handles},
        **DIRECTOR,
    )
    assert edited.status_code == 200, edited.text
    return caller.call(RIEC, "GET", f"/v1/cases/{case_id}/network", **DIRECTOR).json()


def fetch_and_open(caller: Caller, keys_dir: Path, party: str, package_id: str) -> dict:
    envelope = caller.call(party, "GET", f"/v1/packages/{package_id}").json()
    return open_package(envelope, private_keys=load_hpke_private(keys_dir, party))


def package_count(rt) -> int:
    with rt.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(PackageRow.__table__)).scalar()


def test_each_recipient_gets_exactly_what_the_policy_allows(caller, server, keys):
    _, rt = server
    participants = ["gemeente-rotterdam", "politie-rotterdam", "gemeente-alblasserdam"]
    case_id, sent = case_in_meeting(caller, rt, participants=participants)
    response = post(caller, RIEC, f"/v1/cases/{case_id}/release", {}, **DIRECTOR)
    assert response.status_code == 200, response.text
    body = response.json()
    recipients = body["recipients"]
    # The police get both signals: their own with the police description, the municipality's.
    police = fetch_and_open(
        caller, keys[1], "politie-rotterdam", recipients["politie-rotterdam"]["package"]
    )
    assert len(police["records"]) == 2
    texts = json.dumps(police, ensure_ascii=False)
    assert "Mirela Zwaluwstaart" in texts and "Controle pand" in texts
    assert "111222333" not in texts  # a BSN is never released
    assert "Pieter Wachtmeester" not in texts  # nor who reported (source protection)
    # The municipality may not receive police data: one record, the police signal withheld.
    municipality = fetch_and_open(
        caller, keys[1], "gemeente-rotterdam", recipients["gemeente-rotterdam"]["package"]
    )
    assert len(municipality["records"]) == 1
    assert "Controle pand" not in json.dumps(municipality, ensure_ascii=False)
    (withheld,) = municipality["achtergehouden"]
    assert "politiegegevens-geen-grondslag" in {r["code"] for r in withheld["reasons"]}
    # A non-signatory gets no package at all, with the reason.
    outsider = recipients["gemeente-alblasserdam"]
    assert outsider["package"] is None and outsider["released"] == []
    assert {r["code"] for w in outsider["withheld"] for r in w["reasons"]} >= {
        "ontvanger-geen-convenantpartner"
    }
    # The director's answer names signals and fields, never a value.
    assert "Mirela" not in response.text and "Zwaluwstaart" not in response.text
    # Another party cannot fetch someone else's package.
    other = caller.call(
        "gemeente-rotterdam", "GET", f"/v1/packages/{recipients['politie-rotterdam']['package']}"
    )
    assert other.status_code == 404
    with rt.engine.connect() as connection:
        (entry,) = audit.entries(connection, event="case.released")
        fetched = audit.entries(connection, event="package.fetched")
        assert audit.verify(connection) > 0
    assert entry["detail"]["packages"] == 2 and len(fetched) == 2


def test_before_the_casusoverleg_nothing_is_released(caller, server):
    _, rt = server
    victim = pseudonym()
    for party in ("gemeente-rotterdam", "politie-rotterdam"):
        document = sealed_signal(rt, party, victim, details={})
        assert post(caller, party, "/v1/signals", batch(document)).status_code == 200
    (hit,) = caller.call(RIEC, "GET", "/v1/hits", roles=["analist"]).json()["hits"]
    case_id = post(
        caller,
        RIEC,
        "/v1/cases",
        {"hit": hit["id"], "purpose": "ketenaanpak", "participants": ["politie-rotterdam"]},
        **DIRECTOR,
    ).json()["id"]
    response = post(caller, RIEC, f"/v1/cases/{case_id}/release", {}, **DIRECTOR)
    assert response.status_code == 403
    assert "alleen-metadata-voor-casusoverleg" in {e["code"] for e in response.json()["errors"]}
    assert package_count(rt) == 0


def test_an_embargo_holds_back_all_but_police_and_om(caller, server, keys):
    _, rt = server
    until = (date.today() + timedelta(days=30)).isoformat()
    flags = {"minor": False, "consent": None, "embargo_until": until, "source_protected": False}
    case_id, _ = case_in_meeting(
        caller,
        rt,
        participants=["gemeente-rotterdam", "politie-rotterdam", "om-rotterdam"],
        police_meta={"flags": flags},
    )
    body = post(caller, RIEC, f"/v1/cases/{case_id}/release", {}, **DIRECTOR).json()
    om = fetch_and_open(
        caller, keys[1], "om-rotterdam", body["recipients"]["om-rotterdam"]["package"]
    )
    assert len(om["records"]) == 2
    codes = {
        r["code"]
        for w in body["recipients"]["gemeente-rotterdam"]["withheld"]
        for r in w["reasons"]
    }
    assert "embargo-lopend-onderzoek" in codes


def test_care_data_needs_consent_and_goes_via_the_care_coordinator(caller, server, keys):
    _, rt = server
    case_id, _ = case_in_meeting(
        caller,
        rt,
        participants=["politie-rotterdam", "zorgcoordinator-rr"],
        extra=[("zorgcoordinator-rr", CARE)],
    )
    body = post(caller, RIEC, f"/v1/cases/{case_id}/release", {}, **DIRECTOR).json()
    coordinator = fetch_and_open(
        caller, keys[1], "zorgcoordinator-rr", body["recipients"]["zorgcoordinator-rr"]["package"]
    )
    assert "Opvang gestart" in json.dumps(coordinator, ensure_ascii=False)
    police_codes = {
        r["code"] for w in body["recipients"]["politie-rotterdam"]["withheld"] for r in w["reasons"]
    }
    assert police_codes & {"beroepsgeheim-geen-grondslag", "zorg-alleen-via-zorgcoordinator"}


def test_concurrent_release_requests_make_one_release(caller, server):
    _, rt = server
    case_id, _ = case_in_meeting(caller, rt, participants=["politie-rotterdam"])
    answers: list[dict] = []

    def release() -> None:
        answers.append(post(caller, RIEC, f"/v1/cases/{case_id}/release", {}, **DIRECTOR).json())

    threads = [threading.Thread(target=release) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({a["release"] for a in answers}) == 1
    with rt.engine.connect() as connection:
        assert (
            connection.execute(select(func.count()).select_from(ReleaseRow.__table__)).scalar() == 1
        )
    assert package_count(rt) == 1


def test_fail_closed_leaves_no_package(caller, server, monkeypatch):
    _, rt = server
    case_id, _ = case_in_meeting(caller, rt, participants=["politie-rotterdam"])
    target = f"/v1/cases/{case_id}/release"
    # 1. The policy engine is gone: an outage (503, retry), not a refusal; nothing is released.
    from gateway.runtime import open_policy

    dead = open_policy(rt.settings)
    dead.close()
    monkeypatch.setattr(rt, "policy", dead)
    down = post(caller, RIEC, target, {}, **DIRECTOR)
    assert down.status_code == 503 and int(down.headers["Retry-After"]) > 0
    assert package_count(rt) == 0
    monkeypatch.undo()
    # 2. A recipient without an encryption key.
    real_keys = rt.keyring.encryption_keys
    monkeypatch.setattr(rt.keyring, "encryption_keys", lambda party: [], raising=False)
    missing = post(caller, RIEC, target, {}, **DIRECTOR)
    assert missing.status_code == 503 and "politie-rotterdam" in missing.json()["detail"]
    assert package_count(rt) == 0
    monkeypatch.setattr(rt.keyring, "encryption_keys", real_keys, raising=False)
    # 3. The audit entry cannot be written: the release does not happen.
    import gateway.release.service as route

    def broken_audit(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(route, "audit_case", broken_audit)
    failed = post(caller, RIEC, target, {}, **DIRECTOR)
    assert failed.status_code == 500
    assert package_count(rt) == 0
    monkeypatch.undo()
    assert post(caller, RIEC, target, {}, **DIRECTOR).status_code == 200
    assert package_count(rt) == 1


def test_the_recipient_opens_its_package_on_the_command_line(caller, server, keys, tmp_path):
    _, rt = server
    case_id, _ = case_in_meeting(caller, rt, participants=["politie-rotterdam"])
    body = post(caller, RIEC, f"/v1/cases/{case_id}/release", {}, **DIRECTOR).json()
    package_id = body["recipients"]["politie-rotterdam"]["package"]
    envelope = caller.call("politie-rotterdam", "GET", f"/v1/packages/{package_id}").json()
    path = tmp_path / "pakket.json"
    path.write_text(json.dumps(envelope))
    command = [
        sys.executable,
        "-m",
        "gateway",
        "package",
        "open",
        str(path),
        "--party",
        "politie-rotterdam",
        "--keys-dir",
        str(keys[1]),
    ]
    env = env_without_gateway() | {"PYTHONPATH": str(REPO), "COLUMNS": "200"}
    shown = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "Zwaluwstaart" in shown.stdout
    as_json = subprocess.run(
        [*command, "--format", "json"], capture_output=True, text=True, env=env, timeout=60
    )
    assert len(json.loads(as_json.stdout)["records"]) == 2
    wrong = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway",
            "package",
            "open",
            str(path),
            "--party",
            "gemeente-rotterdam",
            "--keys-dir",
            str(keys[1]),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert wrong.returncode == 2 and "niet voor gemeente-rotterdam" in wrong.stderr


@pytest.mark.parametrize("part", ["algemeen"])
def test_the_general_part_of_a_split_meeting_gets_no_care_data(caller, server, part):
    _, rt = server
    case_id, _ = case_in_meeting(
        caller,
        rt,
        participants=["politie-rotterdam", "zorgcoordinator-rr"],
        extra=[("zorgcoordinator-rr", CARE)],
    )
    body = post(
        caller, RIEC, f"/v1/cases/{case_id}/release", {"meeting_part": part}, **DIRECTOR
    ).json()
    codes = {
        r["code"]
        for w in body["recipients"]["zorgcoordinator-rr"]["withheld"]
        for r in w["reasons"]
    }
    assert "zorgdeel-gescheiden-overleg" in codes


def codes_for(body: dict, party: str) -> dict[str, set[str]]:
    """Withheld signal -> reason codes, for one recipient."""
    return {
        w["signal"]: {r["code"] for r in w["reasons"]}
        for w in body["recipients"][party]["withheld"]
    }


def test_the_rules_show_in_what_each_recipient_gets(caller, server, keys):
    """One case, one signal per rule; each rule visible in a recipient's package or reasons."""
    _, rt = server

    def flags(**set_: Any) -> dict[str, Any]:
        return {
            "minor": False,
            "consent": None,
            "embargo_until": None,
            "source_protected": False,
            **set_,
        }

    extra = [
        # Tax data: only with an explicit basis (OM yes, municipality and housing no).
        (
            "belastingdienst",
            {"details": {"fiscale_bevinding": "Geen loonaangifte"}, "data_classes": ["fiscaal"]},
        ),
        # A minor: extra safeguards, and not for a housing association.
        (
            "arbeidsinspectie",
            {"details": {"toelichting": "Minderjarige aangetroffen"}, "flags": flags(minor=True)},
        ),
        # Care data without consent, admitted because urgent (a minor in sexual exploitation),
        # but released only when the case director judges the danger acute: here not.
        (
            "zorgcoordinator-rr",
            {
                "details": {"zorgtraject": "Zonder toestemming"},
                "data_classes": ["zorg_beroepsgeheim"],
                "form": "seksuele_uitbuiting",
                "indicators": ["SEKS-MINDERJARIG"],
                "flags": flags(minor=True),
            },
        ),
        # Source protection: the reporting party's identity stays hidden.
        (
            "woningcorporatie-maasoever",
            {"details": {"vhe": "VHE-9"}, "flags": flags(source_protected=True)},
        ),
    ]
    participants = [
        "gemeente-rotterdam",
        "politie-rotterdam",
        "om-rotterdam",
        "woningcorporatie-maasoever",
        "zorgcoordinator-rr",
    ]
    case_id, sent = case_in_meeting(caller, rt, participants=participants, extra=extra)
    body = post(caller, RIEC, f"/v1/cases/{case_id}/release", {}, **DIRECTOR).json()
    ids = {}
    with rt.engine.connect() as connection:
        from gateway.storage.tables import SignalRow

        table = SignalRow.__table__
        for party, document in sent.items():
            row_id = connection.execute(
                select(table.c.id).where(table.c.party == party, table.c.ref == document["ref"])
            ).scalar_one()
            ids[party] = f"s{row_id}"
    released = {p: {r["signal"] for r in e["released"]} for p, e in body["recipients"].items()}
    # Tax data reaches the OM, not the municipality.
    assert ids["belastingdienst"] in released["om-rotterdam"]
    assert "fiscaal-geen-grondslag" in codes_for(body, "gemeente-rotterdam")[ids["belastingdienst"]]
    # The minor's signal reaches the police, not the housing association.
    assert ids["arbeidsinspectie"] in released["politie-rotterdam"]
    housing = codes_for(body, "woningcorporatie-maasoever")
    assert "minderjarige-ontvanger-niet-toegestaan" in housing[ids["arbeidsinspectie"]]
    # Care data without consent or acute danger reaches nobody, not even the care coordinator.
    for party in participants:
        assert ids["zorgcoordinator-rr"] not in released[party]
    coordinator = codes_for(body, "zorgcoordinator-rr")
    assert "zorg-zonder-toestemming-of-acuut-gevaar" in coordinator[ids["zorgcoordinator-rr"]]
    # The source-protected signal is released without naming its source.
    police = fetch_and_open(
        caller, keys[1], "politie-rotterdam", body["recipients"]["politie-rotterdam"]["package"]
    )
    protected = next(
        r for r in police["records"] if r["signaal"] == ids["woningcorporatie-maasoever"]
    )
    assert "bron_partij" not in protected and "bron_referentie" not in protected
    unprotected = next(r for r in police["records"] if r["signaal"] == ids["gemeente-rotterdam"])
    assert unprotected["bron_partij"] == "gemeente-rotterdam"
