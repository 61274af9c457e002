"""The RIEC's view of linked data over a real HTTP server (issue 5, items 2 and 3): hits arise,
change, lapse and merge as signals arrive; the list filters and pages; the network view shows
kinds and roles, never a pseudonym; only RIEC analysts see anything; every view is audited."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from gateway.audit import store as audit
from gateway.linkage.rules import link_rules
from gateway.storage import decisions
from gateway.storage.tables import DecisionRow
from tests.support import Caller, batch, pseudonym, signal

RIEC = "riec-rr"
ANALYST = {"roles": ["analist"]}


def send(caller: Caller, party: str, *signals: dict[str, Any]) -> None:
    response = caller.call(party, "POST", "/v1/signals", batch(*signals))
    assert response.status_code == 200, response.text


def subjects(**pseudonyms: str) -> list[dict[str, str]]:
    roles = {"bsn": "slachtoffer", "adres": "verblijfplaats", "kvk": "werkgever"}
    return [{"kind": k, "role": roles[k], "pseudonym": p} for k, p in pseudonyms.items()]


def riec(caller: Caller, target: str, **options: Any) -> Any:
    response = caller.call(RIEC, "GET", target, **(options or ANALYST))
    assert response.status_code == 200, response.text
    return response.json()


def two_party_hit(caller: Caller, victim: str, **extra: Any) -> tuple[dict, dict]:
    first = signal(subjects=subjects(bsn=victim, adres=pseudonym()), **extra)
    second = signal(subjects=subjects(bsn=victim, kvk=pseudonym()), **extra)
    send(caller, "gemeente-rotterdam", first)
    send(caller, "politie-rotterdam", second)
    return first, second


def test_signals_of_two_parties_on_one_person_become_a_hit(caller, server):
    victim = pseudonym()
    first, second = two_party_hit(caller, victim)
    (hit,) = riec(caller, "/v1/hits")["hits"]
    assert hit["status"] == "open" and hit["signals"] == 2 and hit["parties"] == 2
    assert hit["party_types"] == ["gemeente", "politie"]
    assert hit["municipalities"] == ["GM0599"] and hit["forms"] == ["arbeidsuitbuiting"]
    assert hit["barriers"] == ["arbeid", "huisvesting"]
    assert "hit-meerdere-partijen" in hit["reasons"]
    detail = riec(caller, f"/v1/hits/{hit['id']}")
    assert [e["event"] for e in detail["history"]] == ["ontstaan"]
    assert detail["history"][0]["detail"]["policy_revision"].startswith("sha256:")


def test_one_party_alone_is_no_hit_but_an_urgent_signal_is(caller, server):
    send(caller, "gemeente-rotterdam", signal(), signal())
    assert riec(caller, "/v1/hits")["hits"] == []
    urgent = signal(
        form="seksuele_uitbuiting",
        indicators=["SEKS-MINDERJARIG"],
        flags={"minor": True, "consent": None, "embargo_until": None, "source_protected": False},
        data_classes=["politiegegevens"],
    )
    send(caller, "politie-rotterdam", urgent)
    (hit,) = riec(caller, "/v1/hits")["hits"]
    assert hit["urgent"] is True and hit["parties"] == 1
    assert riec(caller, "/v1/hits?urgent=false")["hits"] == []


def test_the_network_view_shows_kinds_and_roles_never_pseudonyms(caller, server):
    victim = pseudonym()
    first, second = two_party_hit(caller, victim)
    (hit,) = riec(caller, "/v1/hits")["hits"]
    view = riec(caller, f"/v1/hits/{hit['id']}/network")
    assert view["counts"] == {"signals": 2, "subjects": 3, "parties": 2, "hubs": 0}
    shared = [n for n in view["nodes"] if n["signals"] == 2]
    assert [(n["kind"], n["roles"]) for n in shared] == [("bsn", ["slachtoffer"])]
    assert sorted(e["party_type"] for e in view["edges"]) == ["gemeente", "politie"]
    assert {e["month"] for e in view["edges"]} == {"2026-10"}
    assert all(shared[0]["id"] in [s["node"] for s in e["subjects"]] for e in view["edges"])
    # Nothing that identifies: no pseudonym in any encoding, no ref, no sealed blob.
    text = json.dumps(view)
    for s in (first, second):
        assert s["ref"] not in text and s["sealed"][:40] not in text
        for subject in s["subjects"]:
            raw = base64.urlsafe_b64decode(subject["pseudonym"] + "==")
            assert subject["pseudonym"] not in text and raw.hex() not in text
    # Ids are drawn per view: five views do not all number the nodes alike.
    shapes = {json.dumps(riec(caller, f"/v1/hits/{hit['id']}/network")["nodes"]) for _ in range(5)}
    assert len(shapes) > 1
    _, rt = server
    with rt.engine.connect() as connection:
        viewed = audit.entries(connection, event="hits.network_viewed")
    assert len(viewed) == 6 and viewed[0]["object"] == {"hit": hit["id"]}
    assert viewed[0]["detail"]["signals"] == 2


def test_only_riec_analysts_see_hits_and_refusals_are_audited(caller, server):
    two_party_hit(caller, pseudonym())
    for party, roles in (("gemeente-rotterdam", ["privacy_officer"]), (RIEC, ["adapter"])):
        response = caller.call(party, "GET", "/v1/hits", roles=roles)
        assert response.status_code == 403
        problem = response.json()
        assert problem["type"] == "/problems/policy-refused"
        assert [e["code"] for e in problem["errors"]] == ["verzoeker-geen-riec-analist"]
        assert "hit-" not in response.text
    _, rt = server
    with rt.engine.connect() as connection:
        refused = audit.entries(connection, event="hits.view_refused")
        recorded = [d for d in decisions.recorded(connection, point="hits") if not d.allow]
    assert len(refused) == len(recorded) == 2


def test_the_list_filters_and_pages(caller, server):
    for _ in range(3):
        two_party_hit(caller, pseudonym())
    two_party_hit(
        caller,
        pseudonym(),
        municipality="GM0622",
        form="seksuele_uitbuiting",
        indicators=["SEKS-ONVERGUNDE-EXPLOITATIE"],
    )
    assert len(riec(caller, "/v1/hits")["hits"]) == 4
    assert len(riec(caller, "/v1/hits?gemeente=GM0622")["hits"]) == 1
    assert len(riec(caller, "/v1/hits?vorm=arbeidsuitbuiting")["hits"]) == 3
    assert len(riec(caller, "/v1/hits?barriere=huisvesting")["hits"]) == 3
    assert riec(caller, "/v1/hits?since=2099-01-01")["hits"] == []
    first = riec(caller, "/v1/hits?limit=3")
    assert len(first["hits"]) == 3 and first["next"]
    second = riec(caller, f"/v1/hits?limit=3&after={first['next']}")
    assert len(second["hits"]) == 1 and second["next"] is None
    ids = [h["id"] for h in first["hits"] + second["hits"]]
    assert len(set(ids)) == 4
    bad = caller.call(RIEC, "GET", "/v1/hits?after=bm9wZQ", **ANALYST)
    assert bad.status_code == 422 and bad.json()["errors"][0]["location"] == "query.after"


def test_a_superseded_link_lapses_the_hit_and_a_new_one_revives_it(caller, server):
    victim = pseudonym()
    first, second = two_party_hit(caller, victim)
    (hit,) = riec(caller, "/v1/hits")["hits"]
    # The police correct their signal: it was another person. The cluster splits.
    corrected = dict(second, version=2, supersedes=1, subjects=subjects(bsn=pseudonym()))
    send(caller, "politie-rotterdam", corrected)
    assert riec(caller, "/v1/hits")["hits"] == []
    (lapsed,) = riec(caller, "/v1/hits?status=vervallen")["hits"]
    assert lapsed["id"] == hit["id"] and lapsed["signals"] == 1
    # The labour inspectorate reports the same person: the same hit, revived.
    send(caller, "arbeidsinspectie", signal(subjects=subjects(bsn=victim)))
    (revived,) = riec(caller, "/v1/hits")["hits"]
    assert revived["id"] == hit["id"] and revived["party_types"] == ["arbeidsinspectie", "gemeente"]
    events = [e["event"] for e in riec(caller, f"/v1/hits/{hit['id']}")["history"]]
    assert events == ["ontstaan", "vervallen", "herleefd"]


def test_two_hits_that_become_linked_merge_into_the_older(caller, server):
    a, b = pseudonym(), pseudonym()
    two_party_hit(caller, a)
    two_party_hit(caller, b)
    older, newer = sorted(riec(caller, "/v1/hits")["hits"], key=lambda h: h["first_seen_at"])
    # A signal naming both people bridges the two clusters.
    send(
        caller,
        "arbeidsinspectie",
        signal(
            subjects=subjects(bsn=a)
            + subjects(kvk=pseudonym())[:0]
            + [{"kind": "bsn", "role": "betrokkene", "pseudonym": b}]
        ),
    )
    (merged,) = riec(caller, "/v1/hits")["hits"]
    assert merged["id"] == older["id"] and merged["signals"] == 5 and merged["parties"] == 3
    (gone,) = riec(caller, "/v1/hits?status=samengevoegd")["hits"]
    assert gone["id"] == newer["id"] and gone["merged_into"] == older["id"]
    view = riec(caller, f"/v1/hits/{newer['id']}/network")
    assert view["merged_into"] == older["id"] and view["nodes"] == []


def test_a_shared_shelter_address_becomes_a_hub_and_links_nobody(caller, server):
    _, rt = server
    threshold = link_rules(rt.policy.data).threshold("adres")  # the address's own threshold
    shelter = pseudonym()
    residents = [
        signal(subjects=subjects(bsn=pseudonym(), adres=shelter)) for _ in range(threshold + 1)
    ]
    send(caller, "gemeente-rotterdam", *residents[:threshold])
    # Up to the threshold the address links everybody (one municipality: no hit yet).
    send(caller, "politie-rotterdam", residents[threshold])
    # Past it, nobody is linked through it: no two-party hit from the shelter.
    assert riec(caller, "/v1/hits")["hits"] == []
    body = riec(caller, "/v1/hubs")
    (hub,) = body["hubs"]
    assert hub["kind"] == "adres" and hub["signals"] == threshold + 1
    assert body["thresholds"]["adres"] == threshold and hub["reason"] == "drempel"
    assert body["threshold"] == rt.policy.data["covenant"]["linkage"]["hub_threshold"]
    assert shelter not in json.dumps(body)


def test_expired_signals_leave_and_their_hit_lapses(caller, server):
    from gateway.retention import run_retention
    from gateway.storage.tables import SignalRow

    _, rt = server
    old = "2023-03-01T09:00:00+01:00"  # longer ago than retention.unlinked_signal_days
    two_party_hit(caller, pseudonym(), observed_at=old)
    recent_victim = pseudonym()
    two_party_hit(caller, recent_victim)
    assert len(riec(caller, "/v1/hits")["hits"]) == 2
    # A decision recorded longer ago than retention.decision_record_days (365 days).
    with rt.engine.begin() as connection:
        decisions.record(
            connection,
            point="ingest",
            input={"signals": []},
            allow=False,
            reasons=[],
            revision="old",
            now=rt.clock() - timedelta(days=400),
        )
        recorded = connection.execute(select(func.count()).select_from(DecisionRow)).scalar_one()
    dry = run_retention(rt, dry_run=True)
    assert dry.due == 2 and dry.deleted_rows == 0 and dry.decisions == 1
    report = run_retention(rt)
    assert report.due == 2 and report.deleted_rows == 2 and report.hits_lapsed == 1
    assert report.decisions == 1
    with rt.engine.connect() as connection:
        left_over = connection.execute(select(func.count()).select_from(DecisionRow)).scalar_one()
        # Only the old one went (the emptied cluster needed no new hits decision).
        assert left_over == recorded - 1
        assert decisions.older_than(connection, rt.clock() - timedelta(days=365)) == 0
    (left,) = riec(caller, "/v1/hits")["hits"]
    assert left["signals"] == 2
    (lapsed,) = riec(caller, "/v1/hits?status=vervallen")["hits"]
    assert lapsed["signals"] == 0
    with rt.engine.connect() as connection:
        assert connection.execute(SignalRow.__table__.select()).all().__len__() == 2
        (entry,) = audit.entries(connection, event="retention.purged")
        assert audit.verify(connection) > 0
    assert entry["detail"] == {
        "signals": 2,
        "rows": 2,
        "clusters_changed": 0,
        "hits_lapsed": 1,
        "decisions": 1,
    }


def test_the_reporting_party_sees_that_its_signal_is_linked_and_nothing_more(caller, server):
    victim = pseudonym()
    first = signal(subjects=subjects(bsn=victim))
    send(caller, "gemeente-rotterdam", first)
    status = f"/v1/signals/{first['ref']}/status"
    assert caller.call("gemeente-rotterdam", "GET", status).json()["state"] == "received"
    send(caller, "politie-rotterdam", signal(subjects=subjects(bsn=victim)))
    body = caller.call("gemeente-rotterdam", "GET", status).json()
    assert body["state"] == "linked"
    assert set(body) == {"ref", "version", "state", "received_at"}  # not with whom, not the hit


def test_a_rebuild_applies_changed_link_rules_to_stored_clusters(
    caller, server, settings, tmp_path
):
    """Linking on the address is switched off: the stored cluster that only the address held
    together splits and its hit lapses, once `linkage rebuild` runs; a dry run changes nothing.
    Switched on again, the rebuild joins them once more and the hit revives."""
    import shutil

    from gateway.linkage.rebuild import rebuild_linkage
    from gateway.policy import load_policy_set
    from gateway.policy.embedded import EmbeddedEngine
    from gateway.runtime import Runtime

    _, rt = server
    address = pseudonym()
    send(caller, "gemeente-rotterdam", signal(subjects=subjects(bsn=pseudonym(), adres=address)))
    send(caller, "politie-rotterdam", signal(subjects=subjects(kvk=pseudonym(), adres=address)))
    (hit,) = riec(caller, "/v1/hits")["hits"]

    changed = tmp_path / "policies"
    shutil.copytree(settings.policies_dir, changed)
    covenant_file = changed / "covenant/data.json"
    covenant = json.loads(covenant_file.read_text("utf-8"))
    covenant["linkage"]["link_kinds"].remove("adres")
    covenant_file.write_text(json.dumps(covenant, ensure_ascii=False), encoding="utf-8")
    engine = EmbeddedEngine(load_policy_set(changed))
    try:
        narrower = Runtime.build(settings, engine=rt.engine, policy=engine)
        dry = rebuild_linkage(narrower, dry_run=True)
        assert (dry.split, dry.hits_lapsed, dry.dry_run) == (1, 1, True)
        assert [h["id"] for h in riec(caller, "/v1/hits")["hits"]] == [hit["id"]]
        report = rebuild_linkage(narrower)
        assert (report.split, report.merged, report.hits_lapsed) == (1, 0, 1)
    finally:
        engine.close()
    assert riec(caller, "/v1/hits")["hits"] == []
    (lapsed,) = riec(caller, "/v1/hits?status=vervallen")["hits"]
    assert lapsed["id"] == hit["id"]

    # The rules in force link on the address again: one rebuild, and the cluster is one again.
    report = rebuild_linkage(rt)
    assert (report.merged, report.split) == (1, 0)
    (revived,) = riec(caller, "/v1/hits")["hits"]
    assert revived["id"] == hit["id"] and revived["signals"] == 2
    with rt.engine.connect() as connection:
        entries = audit.entries(connection, event="linkage.rebuilt")
        assert audit.verify(connection) > 0
    assert [e["object"]["hub_threshold"] for e in entries] == [25, 25]
    assert "adres" not in entries[0]["object"]["link_kinds"]
    assert "adres" in entries[1]["object"]["link_kinds"]
