"""Checkpoints a partner keeps (issue 14, 3), over a real HTTP server and the real command, on
SQLite and PostgreSQL.

Every ingest answer carries the latest signed checkpoint. A partner that keeps it can later have
``gateway audit verify --checkpoint`` run against the log: a tail cut off, or cut off and forged
anew with every hash recomputed and the gateway's own stored checkpoints deleted, no longer
matches what the partner holds. Edits of the columns the issue names fail the command too,
naming the entry.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from gateway.audit import checkpoint as cp
from gateway.audit import store
from gateway.audit.chain import AuditEvent
from gateway.audit.checkpointing import Checkpointer
from gateway.crypto.signing import Ed25519PrivateKey
from gateway.runtime import Runtime
from gateway.settings import Settings
from gateway.storage.tables import AuditRow
from tests.support import REPO, Caller, batch, env_without_gateway, live_server, signal
from tests.test_audit_api import verifier
from tests.test_audit_columns import _rewrite_entry, _truncate

PARTY = "gemeente-rotterdam"


def push(caller: Caller) -> dict:
    response = caller.call(PARTY, "POST", "/v1/signals", batch(signal(), signal()))
    assert response.status_code == 200, response.text
    return response.json()


def gateway(database_url: str, keys: tuple[Path, Path], *args: str) -> tuple[int, str]:
    env = env_without_gateway()
    env.update(
        GATEWAY_DATABASE_URL=database_url,
        GATEWAY_POLICIES_DIR=str(REPO / "policies"),
        GATEWAY_KEYS_DIR=str(keys[0]),
        GATEWAY_PRIVATE_KEYS_DIR=str(keys[1]),
        PYTHONPATH=str(REPO),
        COLUMNS="300",
    )
    done = subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


def test_every_ingest_answer_carries_a_signed_checkpoint(caller, server):
    origin, key = verifier(caller)
    first = push(caller)
    # The first entry of a log is never left unsigned: the answer's checkpoint covers it.
    point = cp.parse(cp.open_note(first["checkpoint"], origin, key), origin=origin)
    assert point.size == first["audit_seq"] == 1
    second = push(caller)
    # Within N entries and T seconds the latest stays the one a partner already holds.
    assert second["checkpoint"] == first["checkpoint"]


def test_checkpoints_follow_every_n_entries(settings: Settings, engine: Engine, caller):
    rt = Runtime.build(settings.model_copy(update={"audit_checkpoint_entries": 2}), engine=engine)
    with live_server(rt) as url:
        partner = Caller(url, caller.audience, caller.private_keys_dir)
        origin, key = verifier(partner)
        sizes = []
        for _ in range(5):
            note = partner.call(PARTY, "POST", "/v1/signals", batch(signal())).json()["checkpoint"]
            sizes.append(cp.parse(cp.open_note(note, origin, key), origin=origin).size)
    assert sizes == [1, 1, 3, 3, 5]


def test_a_quiet_tail_is_signed_after_t_seconds(engine: Engine):
    key = Ed25519PrivateKey.generate()
    now = [datetime(2026, 12, 5, 12, 0, tzinfo=UTC)]
    maker = Checkpointer(
        engine=engine,
        clock=lambda: now[0],
        origin="gateway.test/audit",
        signer=lambda: key,
        every_entries=1000,
        every_s=0.05,
    )
    with engine.begin() as connection:
        store.append(connection, [AuditEvent(event="test.one")], now=now[0])
    assert maker.latest() is not None  # the first entry: due at once
    with engine.begin() as connection:
        store.append(connection, [AuditEvent(event="test.two")], now=now[0])
    assert _stored_sizes(engine) == [1]  # one entry, no time passed: not due
    now[0] += timedelta(seconds=1)
    stop = threading.Event()
    loop = threading.Thread(target=maker.run, args=(stop, pytest.fail), daemon=True)
    loop.start()
    try:
        for _ in range(100):
            if _stored_sizes(engine) == [1, 2]:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        loop.join(5)
    assert _stored_sizes(engine) == [1, 2]


def _stored_sizes(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return [r[0] for r in connection.execute(text("SELECT size FROM audit_checkpoints"))]


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"size": 0, "covered": None, "first_uncovered_at": None}, False),
        ({"size": 1, "covered": None, "first_uncovered_at": None}, True),
        ({"size": 5, "covered": 5, "first_uncovered_at": None}, False),
        ({"size": 9, "covered": 5, "first_uncovered_at": "recent"}, False),
        ({"size": 10, "covered": 5, "first_uncovered_at": "recent"}, True),
        ({"size": 6, "covered": 5, "first_uncovered_at": "old"}, True),
    ],
)
def test_when_a_checkpoint_is_due(kw: dict, expected: bool):
    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    ages = {"recent": now - timedelta(seconds=59), "old": now - timedelta(seconds=60)}
    when = ages.get(kw.pop("first_uncovered_at"))
    assert cp.due(**kw, first_uncovered_at=when, now=now, every_entries=5, every_s=60) is expected


def _saved(tmp_path: Path, answer: dict) -> Path:
    path = tmp_path / f"checkpoint-{answer['audit_seq']}.txt"
    path.write_text(answer["checkpoint"], "utf-8")
    return path


def _partner_log(caller: Caller, server, tmp_path: Path) -> tuple[Path, int]:
    """Six batches; the partner keeps the checkpoint of a GET after the fourth (size 4)."""
    _, rt = server
    for _ in range(4):
        push(caller)
    note = caller.call(PARTY, "GET", "/v1/audit/checkpoint").text
    kept = tmp_path / "kept.txt"
    kept.write_text(note, "utf-8")
    for _ in range(2):
        push(caller)
    return kept, 4


def test_a_cut_tail_fails_verify_with_the_partners_checkpoint(
    caller, server, engine: Engine, database_url, keys, tmp_path
):
    kept, size = _partner_log(caller, server, tmp_path)
    code, out = gateway(database_url, keys, "audit", "verify", "--checkpoint", str(kept))
    assert code == 0, out
    assert f"({size} regels) klopt" in out

    _truncate(engine, 2)
    with engine.begin() as connection:  # the forger removes the gateway's own checkpoints too
        connection.execute(text("DELETE FROM audit_checkpoints"))
    code, out = gateway(database_url, keys, "audit", "verify")
    assert code == 0, out  # on its own the shortened log is self-consistent ...
    code, out = gateway(database_url, keys, "audit", "verify", "--checkpoint", str(kept))
    assert code == 1, out  # ... the partner's checkpoint is not
    assert "auditregel 3:" in out and "staart afgekapt" in out


def test_a_forged_tail_fails_verify_with_the_partners_checkpoint(
    caller, server, engine: Engine, database_url, keys, tmp_path
):
    kept, _ = _partner_log(caller, server, tmp_path)
    # Cut back to 2 entries and a new tail appended with a correct chain and Merkle nodes.
    _truncate(engine, 2)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_checkpoints"))
        store.append(
            connection,
            [AuditEvent(event="signals.ingested", actor_party=PARTY) for _ in range(6)],
            now=datetime.now(UTC),
        )
    code, out = gateway(database_url, keys, "audit", "verify")
    assert code == 0, out
    code, out = gateway(database_url, keys, "audit", "verify", "--checkpoint", str(kept))
    assert code == 1, out
    assert "geschiedenis herschreven" in out and "auditregel 1:" in out


def test_a_rewrite_is_caught_by_the_gateways_own_stored_checkpoints(
    caller, server, engine: Engine, database_url, keys, tmp_path
):
    """Without the partner's checkpoint: the ones the gateway stored (each answer's, each
    GET's) are checked by plain ``verify``; the first entry named follows the last that holds."""
    _partner_log(caller, server, tmp_path)
    _rewrite_entry(engine, 3)
    code, out = gateway(database_url, keys, "audit", "verify")
    assert code == 1, out
    assert "auditregel 2:" in out and "rewritten" in out  # the stored checkpoints: 1 and 4


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor_party", "'om-rotterdam'"),
        ("event", "'signals.refused'"),
        ("recorded_at", "recorded_at"),  # replaced below by a time one second later
    ],
)
def test_the_command_names_an_entry_whose_column_was_edited(
    caller, server, engine: Engine, database_url, keys, tmp_path, column, value
):
    kept, _ = _partner_log(caller, server, tmp_path)
    with engine.begin() as connection:
        if column == "recorded_at":
            log = AuditRow.__table__
            connection.execute(
                log.update()
                .where(log.c.seq == 3)
                .values(recorded_at=log.c.recorded_at + timedelta(seconds=1))
                if engine.dialect.name == "postgresql"
                else text(
                    "UPDATE audit_log SET recorded_at = "
                    "strftime('%Y-%m-%d %H:%M:%f', recorded_at, '+1 second') WHERE seq = 3"
                )
            )
        else:
            connection.execute(text(f"UPDATE audit_log SET {column} = {value} WHERE seq = 3"))
    for args in (("audit", "verify"), ("audit", "verify", "--checkpoint", str(kept))):
        code, out = gateway(database_url, keys, *args)
        assert code == 1, out
        assert f"auditregel 3: {column} column does not match" in out


def test_an_entry_moved_to_another_party_is_read_by_neither(caller, server, engine: Engine):
    mine = push(caller)["audit_seq"]
    assert caller.call(PARTY, "GET", f"/v1/audit/entries/{mine}").status_code == 200
    other = "politie-rotterdam"
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_log SET actor_party = :p WHERE seq = :s"), {"p": other, "s": mine}
        )
    for party in (PARTY, other):
        response = caller.call(party, "GET", f"/v1/audit/entries/{mine}")
        assert response.status_code == 404, (party, response.text)
