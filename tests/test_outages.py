"""An outage is not a refusal: with the policy engine down (embedded, or the OPA server backend
stopped), every endpoint that needs a decision answers 503 problem+json with Retry-After, never
403 policy-refused; nothing is stored or released and the audit log verifies. An adapter's push
retries the 503 and succeeds once the engine is back. Over a real HTTP server, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from adapters import push
from gateway.audit import store as audit
from gateway.parties.keys import load_signing_key
from gateway.policy.bundle import load_policy_set
from gateway.policy.opa_server import OpaServerEngine
from gateway.runtime import open_policy
from gateway.storage.tables import SignalRow
from tests.policy_test_server import OpaTestServer, opa_test_server
from tests.support import batch, pseudonym, real_envelope, signal
from tests.test_release_api import DIRECTOR, RIEC, case_in_meeting, post


def stored(rt) -> int:
    with rt.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(SignalRow.__table__)).scalar()


def assert_outage(response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "/problems/unavailable"


@pytest.fixture
def opa_server() -> Iterator[OpaTestServer]:
    with opa_test_server() as running:
        yield running


@pytest.fixture(params=["embedded", "opa"])
def dead_engine(request, server, monkeypatch, opa_server):
    """The runtime's policy engine, replaced by one that is down: a closed embedded engine, or
    an OPA server backend whose server has stopped."""
    _, rt = server
    if request.param == "embedded":
        engine = open_policy(rt.settings)
        engine.close()
    else:
        engine = OpaServerEngine(load_policy_set(rt.settings.policies_dir), opa_server.url, 2.0)
        opa_server.stop()
    monkeypatch.setattr(rt, "policy", engine)
    return engine


def test_every_decision_endpoint_answers_503_while_the_engine_is_down(caller, server, dead_engine):
    _, rt = server
    before = stored(rt)
    document = signal(subjects=[{"kind": "bsn", "role": "slachtoffer", "pseudonym": pseudonym()}])
    assert_outage(caller.call("politie-rotterdam", "POST", "/v1/signals", batch(document)))
    assert stored(rt) == before
    assert_outage(caller.call(RIEC, "GET", "/v1/hits", roles=["analist"]))
    assert_outage(caller.call(RIEC, "GET", "/v1/stats?dimensions=vorm", roles=["analist"]))
    assert_outage(caller.call(RIEC, "GET", "/readyz"))
    with rt.engine.connect() as connection:
        (refused,) = audit.entries(connection, event="signals.refused")
        assert refused["detail"]["problem"] == "unavailable"
        assert audit.verify(connection) > 0


def test_case_steps_and_release_answer_503_and_release_nothing(
    caller, server, monkeypatch, opa_server
):
    _, rt = server
    case_id, _ = case_in_meeting(caller, rt, participants=["politie-rotterdam"])
    live = rt.policy
    dead = OpaServerEngine(load_policy_set(rt.settings.policies_dir), opa_server.url, 2.0)
    opa_server.stop()
    monkeypatch.setattr(rt, "policy", dead)
    assert_outage(post(caller, RIEC, f"/v1/cases/{case_id}/release", {}, **DIRECTOR))
    assert_outage(
        post(caller, RIEC, f"/v1/cases/{case_id}/transitions", {"to": "gesloten"}, **DIRECTOR)
    )
    monkeypatch.setattr(rt, "policy", live)
    released = post(caller, RIEC, f"/v1/cases/{case_id}/release", {}, **DIRECTOR)
    assert released.status_code == 200, released.text
    assert released.json()["number"] == 1  # the outage left nothing behind


def test_an_adapter_push_retries_the_outage_and_succeeds_when_the_engine_returns(
    server, keys, monkeypatch, tmp_path
):
    url, rt = server
    live = rt.policy
    dead = open_policy(rt.settings)
    dead.close()
    monkeypatch.setattr(rt, "policy", dead)
    waits: list[float] = []

    def engine_returns(seconds: float) -> None:
        waits.append(seconds)
        monkeypatch.setattr(rt, "policy", live)

    client = push.GatewayClient(
        base_url=url, key=load_signing_key(keys[1], "politie-rotterdam"), sleep=engine_returns
    )
    document = signal(subjects=[{"kind": "bsn", "role": "slachtoffer", "pseudonym": pseudonym()}])
    # Ingest opens every envelope: sealed for real, as the adapter does.
    document["sealed"] = real_envelope(dict(rt.release_key()), "politie-rotterdam", document)
    answer = client.submit([document])
    client.close()
    assert answer["stored"] == 1
    assert waits and waits[0] >= 5  # it waited at least as long as Retry-After asked
    assert json.dumps(answer).count("stored") == 1


def test_a_database_that_is_gone_is_503_not_500(caller, server, monkeypatch):
    """The database stops answering (here: the runtime's engine points at a port where nothing
    listens): every call that needs it is an outage, 503 with Retry-After."""
    from gateway.service.work import UnitOfWork
    from gateway.storage.database import create_db_engine

    _, rt = server
    gone = create_db_engine("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2")
    monkeypatch.setattr(rt, "engine", gone)
    monkeypatch.setattr(rt, "unit_of_work", UnitOfWork(gone, rt.clock))
    document = signal(subjects=[{"kind": "bsn", "role": "slachtoffer", "pseudonym": pseudonym()}])
    assert_outage(caller.call("politie-rotterdam", "POST", "/v1/signals", batch(document)))
    assert_outage(caller.call(RIEC, "GET", "/v1/hits", roles=["analist"]))
    body = caller.call(RIEC, "GET", "/readyz")
    assert_outage(body)
    assert body.json()["checks"]["database"] == "unavailable"
    gone.dispose()


def test_a_key_holder_that_is_gone_is_503(caller, server, monkeypatch):
    """The OPRF key holder runs as its own process and stops answering: evaluating pseudonyms
    is an outage, 503 with Retry-After."""
    from gateway.crypto import b64u
    from gateway.pseudonyms import oprf
    from gateway.pseudonyms.keyholder import RemoteKeyHolder

    _, rt = server
    gone = RemoteKeyHolder(url="http://127.0.0.1:1", token="x", timeout_s=2)
    monkeypatch.setattr(rt, "keyholder", gone)
    body = json.dumps({"domain": "rr-demo", "elements": [b64u(oprf.blind(b"bsn:1")[1])]})
    assert_outage(
        caller.call("politie-rotterdam", "POST", "/v1/pseudonyms/evaluate", body.encode())
    )
