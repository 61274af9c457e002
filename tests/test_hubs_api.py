"""The register of non-linking pseudonyms and the review of candidate hubs, over the signed API
(issue 13, item 2): each step a ``hits`` decision, audited; the linkage follows at once; no
pseudonym in any answer."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from gateway.storage.tables import AuditRow, SignalRow
from tests.support import Caller, batch, pseudonym, signal

PO = {"roles": ["privacy_officer"]}
ANALYST = {"roles": ["analist"]}


def send(caller: Caller, party: str, *signals: dict[str, Any]) -> None:
    response = caller.call(party, "POST", "/v1/signals", batch(*signals))
    assert response.status_code == 200, response.text


def at(person: str, address: str, day: int = 0) -> dict[str, Any]:
    observed = (datetime(2026, 1, 5, 9, 0, tzinfo=UTC) + timedelta(days=day)).isoformat()
    return signal(
        observed_at=observed,
        subjects=[
            {"kind": "persoon", "role": "slachtoffer", "pseudonym": person},
            {"kind": "adres", "role": "verblijfplaats", "pseudonym": address},
        ],
    )


def clusters(rt: Any, refs: list[str]) -> set[int]:
    signals = SignalRow.__table__
    with rt.engine.connect() as connection:
        return set(
            connection.execute(
                select(signals.c.cluster_id).where(signals.c.ref.in_(refs), signals.c.is_current)
            ).scalars()
        )


def events(rt: Any) -> list[str]:
    with rt.engine.connect() as connection:
        return list(connection.execute(select(AuditRow.__table__.c.event)).scalars())


def post(caller: Caller, party: str, target: str, body: dict[str, Any], **roles: Any) -> Any:
    return caller.call(party, "POST", target, json.dumps(body).encode(), **roles)


def no_pseudonym(text: str, *pseudonyms: str) -> None:
    for p in pseudonyms:
        raw = base64.urlsafe_b64decode(p + "==")
        assert p not in text and raw.hex() not in text


def test_a_privacy_officer_registers_a_shelter_and_the_linkage_follows(caller, server):
    url, rt = server
    shelter = pseudonym()
    first, second = at(pseudonym(), shelter), at(pseudonym(), shelter, 5)
    send(caller, "gemeente-rotterdam", first)
    send(caller, "politie-rotterdam", second)
    refs = [first["ref"], second["ref"]]
    assert len(clusters(rt, refs)) == 1
    entry = {
        "pseudonym": shelter,
        "kind": "adres",
        "reason": "opvang",
        "expires": (date.today() + timedelta(days=365)).isoformat(),
    }
    refused = post(caller, "riec-rr", "/v1/hubs/register", entry, **ANALYST)
    assert refused.status_code == 403, refused.text
    assert "verzoeker-houdt-register-niet-bij" in refused.text
    made = post(caller, "gemeente-rotterdam", "/v1/hubs/register", entry, **PO)
    assert made.status_code == 201, made.text
    answer = made.json()
    assert answer["entry"]["kind"] == "adres" and answer["entry"]["in_force"]
    assert answer["linkage"]["split"] == 1
    assert len(clusters(rt, refs)) == 2
    listed = caller.call("gemeente-rotterdam", "GET", "/v1/hubs/register", **PO)
    assert listed.status_code == 200 and len(listed.json()["entries"]) == 1
    hubs = caller.call("riec-rr", "GET", "/v1/hubs", **ANALYST)
    assert [h["reason"] for h in hubs.json()["hubs"]] == ["register"]
    no_pseudonym(made.text + listed.text + hubs.text, shelter)
    # Withdrawn: the address links again.
    entry_id = answer["entry"]["id"]
    gone = post(caller, "gemeente-rotterdam", f"/v1/hubs/register/{entry_id}/withdraw", {}, **PO)
    assert gone.status_code == 200, gone.text
    assert gone.json()["linkage"]["merged"] == 1
    assert len(clusters(rt, refs)) == 1
    assert {"hubs.registered", "hubs.withdrawn", "hubs.refused"} <= set(events(rt))


def test_the_riec_overrules_a_candidate_and_it_links_again(caller, server):
    url, rt = server
    address = pseudonym()
    partners = ["gemeente-rotterdam", "politie-rotterdam", "arbeidsinspectie"]
    sent = []
    for n in range(8):
        document = at(pseudonym(), address, 30 * n)
        send(caller, partners[n % 3], document)
        sent.append(document["ref"])
    assert len(clusters(rt, sent)) == 8  # apart: the structural rule named the address
    listed = caller.call("riec-rr", "GET", "/v1/hubs/candidates", **ANALYST)
    assert listed.status_code == 200, listed.text
    (candidate,) = listed.json()["candidates"]
    assert candidate["kind"] == "adres" and candidate["reason"] == "structuur"
    assert (candidate["signals"], candidate["parties"], candidate["separate_groups"]) == (8, 3, 8)
    no_pseudonym(listed.text, address)
    outsider = caller.call(
        "woningcorporatie-maasoever", "GET", "/v1/hubs/candidates", roles=["deelnemer"]
    )
    assert outsider.status_code == 403
    review = {"verdict": "verworpen", "reason": "structuur_patroon"}
    done = post(caller, "riec-rr", f"/v1/hubs/{candidate['id']}/review", review, **ANALYST)
    assert done.status_code == 200, done.text
    assert len(clusters(rt, sent)) == 1
    assert caller.call("riec-rr", "GET", "/v1/hubs", **ANALYST).json()["hubs"] == []
    assert "hubs.reviewed" in events(rt)
