"""Signal ingest over a real HTTP server, on SQLite and PostgreSQL: validation with located
errors, atomic batches, idempotency, supersede, the status view, audit entries and metrics."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from gateway.audit import store as audit
from gateway.runtime import Runtime
from gateway.settings import Settings
from gateway.storage.tables import SignalRow, SubjectRow
from tests.support import Caller, batch, live_server, pseudonym, signal

PARTY = "gemeente-rotterdam"


def count(engine: Engine, table: object) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def post(caller: Caller, body: bytes, party: str = PARTY):
    return caller.call(party, "POST", "/v1/signals", body)


def test_batch_is_stored_with_pseudonyms_as_bytes_and_one_receipt_per_signal(caller, server):
    _, rt = server
    signals = [signal(f"ref-{i}") for i in range(5)]
    response = post(caller, batch(*signals))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["stored"] == 5 and body["duplicates"] == 0
    assert [r["ref"] for r in body["receipts"]] == [s["ref"] for s in signals]
    assert all(len(r["content_sha256"]) == 64 for r in body["receipts"])
    assert count(rt.engine, SignalRow.__table__) == 5
    assert count(rt.engine, SubjectRow.__table__) == 15
    with rt.engine.connect() as connection:
        stored = {
            bytes(p) for p in connection.execute(select(SubjectRow.__table__.c.pseudonym)).scalars()
        }
    sent = {s["pseudonym"] for sig in signals for s in sig["subjects"]}
    from gateway.crypto import unb64u

    assert stored == {unb64u(p) for p in sent}


def test_same_batch_again_returns_the_same_receipts_and_stores_nothing(caller, server):
    _, rt = server
    body = batch(signal("dup-1"), signal("dup-2"))
    first = post(caller, body)
    second = post(caller, body)
    assert first.status_code == second.status_code == 200
    assert second.json()["receipts"] == first.json()["receipts"]
    assert second.json()["stored"] == 0 and second.json()["duplicates"] == 2
    assert count(rt.engine, SignalRow.__table__) == 2


def test_same_ref_from_another_party_is_another_signal(caller, server):
    _, rt = server
    body = batch(signal("shared-ref"))
    assert post(caller, body).json()["stored"] == 1
    assert post(caller, body, party="politie-rotterdam").json()["stored"] == 1
    assert count(rt.engine, SignalRow.__table__) == 2


def test_different_content_under_a_stored_ref_is_a_409_and_nothing_of_the_batch_is_stored(
    caller, server
):
    _, rt = server
    assert post(caller, batch(signal("x-1"))).status_code == 200
    response = post(caller, batch(signal("new-1"), signal("x-1", form="seksuele_uitbuiting")))
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/conflict"
    assert [e["location"] for e in problem["errors"]] == ["signals[1].version"]
    assert count(rt.engine, SignalRow.__table__) == 1  # new-1 was not stored either


def test_a_new_version_must_declare_what_it_supersedes(caller, server):
    _, rt = server
    assert post(caller, batch(signal("v-1"))).status_code == 200
    undeclared = post(caller, batch(signal("v-1", version=2)))
    assert undeclared.status_code == 409
    assert undeclared.json()["errors"][0]["location"] == "signals[0].supersedes"
    wrong = post(caller, batch(signal("v-1", version=3, supersedes=2)))
    assert wrong.status_code == 409
    ok = post(caller, batch(signal("v-1", version=2, supersedes=1)))
    assert ok.status_code == 200 and ok.json()["stored"] == 1
    status = caller.call(PARTY, "GET", "/v1/signals/v-1/status").json()
    assert status["version"] == 2
    with rt.engine.connect() as connection:
        rows = connection.execute(
            select(SignalRow.__table__.c.version, SignalRow.__table__.c.is_current).order_by(
                "version"
            )
        ).all()
    assert [(r.version, r.is_current) for r in rows] == [(1, False), (2, True)]


def test_supersedes_without_a_previous_version_is_refused(caller):
    response = post(caller, batch(signal("lonely", version=2, supersedes=1)))
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "nothing-to-supersede"


def test_a_batch_may_carry_a_version_and_its_successor(caller, server):
    _, rt = server
    response = post(caller, batch(signal("pair"), signal("pair", version=2, supersedes=1)))
    assert response.status_code == 200, response.text
    with rt.engine.connect() as connection:
        current = (
            connection.execute(
                select(SignalRow.__table__.c.version).where(SignalRow.__table__.c.is_current)
            )
            .scalars()
            .all()
        )
    assert current == [2]


def test_one_bad_signal_refuses_the_whole_batch_and_names_index_and_field(caller, server):
    _, rt = server
    signals = [signal(f"ok-{i}") for i in range(5)]
    signals[3]["municipality"] = "GM0501"  # Brielle: merged into Voorne aan Zee in 2023
    response = post(caller, batch(*signals))
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "/problems/invalid-input"
    assert problem["errors"] == [
        {
            "location": "signals[3].municipality",
            "message": "onbekende CBS-gemeentecode (verwacht GMxxxx uit de CBS-lijst)",
            "code": "value_error",
        }
    ]
    assert count(rt.engine, SignalRow.__table__) == 0
    assert count(rt.engine, SubjectRow.__table__) == 0


def test_every_problem_in_a_batch_is_reported(caller):
    bad_indicator = signal(indicators=["ARB-ONDERBETALING", "ARB-NIET-IN-CATALOGUS"])
    naive_time = signal(observed_at="2026-10-01T09:30:00")
    extra_field = signal(naam="x")
    no_subjects = signal(subjects=[])
    bad_kind = signal(
        subjects=[{"kind": "paspoort", "role": "slachtoffer", "pseudonym": pseudonym()}]
    )
    future = signal(observed_at=(datetime.now(UTC) + timedelta(days=2)).isoformat())
    response = post(
        caller, batch(bad_indicator, naive_time, extra_field, no_subjects, bad_kind, future)
    )
    assert response.status_code == 422
    located = {(e["location"], e["code"]) for e in response.json()["errors"]}
    assert located == {
        ("signals[0].indicators", "value_error"),
        ("signals[1].observed_at", "timezone_aware"),
        ("signals[2].<onbekend veld 1>", "extra_forbidden"),  # the key itself never
        ("signals[3].subjects", "too_short"),
        ("signals[4].subjects[0].kind", "enum"),
        ("signals[5].observed_at", "value_error"),
    }
    indicator_message = next(
        e["message"] for e in response.json()["errors"] if e["location"] == "signals[0].indicators"
    )
    assert "positie 1" in indicator_message and "2026.1" in indicator_message


def test_errors_never_echo_the_values_sent(caller):
    leaky = signal(
        ref="ok-ref",
        municipality="Jan Jansen 3011AB",
        indicators=["BSN 111222333"],
        subjects=[{"kind": "bsn", "role": "slachtoffer", "pseudonym": "111222333"}],
        sealed="Fatima El Amrani, Coolsingel 40",
    )
    response = post(caller, batch(leaky))
    assert response.status_code == 422
    text = response.text
    for secret in ("Jansen", "3011AB", "111222333", "Fatima", "Coolsingel"):
        assert secret not in text


def test_invalid_json_is_located(caller):
    response = post(caller, b'{"signals": [')
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["location"] == "body" and error["code"] == "json_invalid"


def test_status_is_only_for_the_reporting_party(caller):
    assert post(caller, batch(signal("mine"))).status_code == 200
    own = caller.call(PARTY, "GET", "/v1/signals/mine/status")
    assert own.status_code == 200
    assert set(own.json()) == {"ref", "version", "state", "received_at"}
    assert own.json()["state"] == "received"
    other = caller.call("politie-rotterdam", "GET", "/v1/signals/mine/status")
    unknown = caller.call(PARTY, "GET", "/v1/signals/never-sent/status")
    assert other.status_code == unknown.status_code == 404
    assert other.json()["detail"] == unknown.json()["detail"]


def test_ingest_and_refusals_are_audited_and_the_chain_verifies(caller, server):
    _, rt = server
    assert post(caller, batch(signal("a"), signal("b"))).status_code == 200
    assert post(caller, batch(signal("c", municipality="GM0000"))).status_code == 422
    with rt.engine.connect() as connection:
        ingested = audit.entries(connection, event="signals.ingested")
        refused = audit.entries(connection, event="signals.refused")
        assert audit.verify(connection) == 2
    assert ingested[0]["actor"] == {"party": PARTY, "sub": "medewerker-0042"}
    assert ingested[0]["detail"] == {
        "stored": 2,
        "duplicates": 0,
        "superseded": 0,
        "clusters_changed": 2,  # two signals with unrelated subjects: two clusters, no hit
        "hits_new": 0,
        "hits_changed": 0,
        "hits_lapsed": 0,
        "hits_merged": 0,
        "hubs_new": 0,
    }
    assert refused[0]["detail"] == {"problem": "invalid-input", "errors": 1}


def test_metrics_count_stored_signals_by_party_type(caller, server):
    url, _ = server
    import httpx

    before = httpx.get(url + "/metrics").text
    assert post(caller, batch(signal(), signal(), signal())).status_code == 200
    after = httpx.get(url + "/metrics").text

    def value(text: str) -> float:
        for line in text.splitlines():
            if line.startswith('gateway_signals_total{outcome="stored",party_type="gemeente"}'):
                return float(line.split()[-1])
        return 0.0

    assert value(after) - value(before) == 3


def test_concurrent_identical_batches_store_once_and_agree_on_receipts(caller, server):
    _, rt = server
    body = batch(*[signal(f"race-{i}") for i in range(20)])
    results: list = []

    def send() -> None:
        results.append(post(caller, body))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [200] * 6, [r.text for r in results]
    assert len({json.dumps(r.json()["receipts"]) for r in results}) == 1
    assert sum(r.json()["stored"] for r in results) == 20
    assert count(rt.engine, SignalRow.__table__) == 20
    with rt.engine.connect() as connection:
        assert audit.verify(connection) == 6


@pytest.fixture
def small_server(settings: Settings, engine: Engine) -> Iterator[tuple[Caller, Runtime]]:
    tight = settings.model_copy(update={"max_batch_signals": 3, "max_body_bytes": 20_000})
    rt = Runtime.build(tight, engine=engine)
    with live_server(rt) as url:
        yield Caller(url, rt.covenant.gateway_id, tight.private_keys_dir), rt


def test_batch_size_and_body_size_limits(small_server):
    caller, rt = small_server
    too_many = post(caller, batch(*[signal() for _ in range(4)]))
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["location"] == "signals"
    too_big = post(caller, batch(*[signal() for _ in range(12)]))
    assert too_big.status_code == 413
    assert too_big.json()["type"] == "/problems/payload-too-large"
    assert count(rt.engine, SignalRow.__table__) == 0


def test_resealed_details_count_as_the_same_content(caller, server):
    """Sealing is randomised: the same export sealed twice must give duplicates, not conflicts."""
    _, rt = server
    first = signal("resealed")
    again = {**first, "sealed": signal()["sealed"]}
    assert post(caller, batch(first)).json()["stored"] == 1
    response = post(caller, batch(again))
    assert response.status_code == 200 and response.json()["duplicates"] == 1
    assert count(rt.engine, SignalRow.__table__) == 1
