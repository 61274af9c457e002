"""The audit entry is the whole row (issue 14, 3), on SQLite and PostgreSQL.

Every stored column of an audit row is inside the hashed body or checked against it: an edit of
any one of them, made directly in the database, fails ``verify`` naming that entry. The columns
that decide access (``actor_party``: who may read ``/v1/audit/entries/{seq}``) are read from the
hashed body, so an edited column gives no one another party's entry. Stored checkpoints are
checked too, column by column.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, inspect, text

from gateway.audit import checkpoint, merkle, store
from gateway.audit.chain import (
    AuditChainBroken,
    AuditEvent,
    canonical_json,
    chain_hash,
    leaf_hash,
)
from gateway.audit.checkpointing import Checkpointer
from gateway.crypto.signing import Ed25519PrivateKey

NOW = datetime(2026, 12, 5, 10, 15, 30, 250000, tzinfo=UTC)
PARTIES = ["gemeente-rotterdam", "politie-rotterdam", "arbeidsinspectie", None, "riec-rr"]
EDITED = 3  # the entry every test edits


def _append(engine: Engine, n: int = 5, now: datetime = NOW) -> None:
    for i in range(n):
        with engine.begin() as connection:
            store.append(
                connection,
                [
                    AuditEvent(
                        event=f"test.event{i % 2}",
                        actor_party=PARTIES[i % len(PARTIES)],
                        actor_sub="medewerker-0042",
                        object={"i": i},
                        detail={"n": i},
                        policy_revision="rev-1",
                    )
                ],
                now=now + timedelta(seconds=i),
            )


def _broken(engine: Engine) -> AuditChainBroken:
    with engine.connect() as connection:
        with pytest.raises(AuditChainBroken) as caught:
            store.verify(connection)
    return caught.value


def _edit(engine: Engine, sql: str, **params: object) -> None:
    with engine.begin() as connection:
        connection.execute(text(sql), {"seq": EDITED, **params})


# One edit per stored column of audit_log; each leaves every other column as it was.
COLUMN_EDITS: dict[str, Callable[[Engine], None]] = {
    "seq": lambda e: _edit(e, "UPDATE audit_log SET seq = 1000 WHERE seq = :seq"),
    "recorded_at": lambda e: _edit(
        e,
        "UPDATE audit_log SET recorded_at = :t WHERE seq = :seq",
        t=NOW + timedelta(days=1),
    ),
    "event": lambda e: _edit(e, "UPDATE audit_log SET event = 'test.other' WHERE seq = :seq"),
    "actor_party": lambda e: _edit(
        e, "UPDATE audit_log SET actor_party = 'om-rotterdam' WHERE seq = :seq"
    ),
    "body": lambda e: _edit(
        e,
        "UPDATE audit_log SET body = :body WHERE seq = :seq",
        body=_rewritten_body(e),
    ),
    "leaf_hash": lambda e: _edit(
        e, "UPDATE audit_log SET leaf_hash = :h WHERE seq = :seq", h=bytes(32)
    ),
    "chain_hash": lambda e: _edit(
        e, "UPDATE audit_log SET chain_hash = :h WHERE seq = :seq", h=bytes(32)
    ),
}


def _rewritten_body(engine: Engine) -> str:
    """Entry 3's body with its detail changed, still canonical: only the hashes can tell."""
    with engine.connect() as connection:
        body = connection.execute(
            text("SELECT body FROM audit_log WHERE seq = :seq"), {"seq": EDITED}
        ).scalar_one()
    document = json.loads(body)
    document["detail"] = {"n": 99}
    return canonical_json(document)


def test_every_stored_column_has_an_edit_here(engine: Engine) -> None:
    with engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("audit_log")}
    assert columns == set(COLUMN_EDITS)


@pytest.mark.parametrize("column", sorted(COLUMN_EDITS))
def test_an_edited_column_fails_verify_naming_the_entry(engine: Engine, column: str) -> None:
    _append(engine)
    with engine.connect() as connection:
        assert store.verify(connection) == 5
    COLUMN_EDITS[column](engine)
    broken = _broken(engine)
    assert broken.seq == EDITED, broken
    if column in ("recorded_at", "event", "actor_party"):
        assert column in broken.reason


def test_a_removed_actor_party_is_an_edit_too(engine: Engine) -> None:
    _append(engine)
    _edit(engine, "UPDATE audit_log SET actor_party = NULL WHERE seq = :seq")
    assert _broken(engine).seq == EDITED
    # ... and so is naming a party on an entry that had none (entry 4 is the system's).
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_log SET actor_party = 'riec-rr' WHERE seq = 4"),
        )
        connection.execute(
            text("UPDATE audit_log SET actor_party = :p WHERE seq = :seq"),
            {"p": PARTIES[EDITED - 1], "seq": EDITED},
        )
    assert _broken(engine).seq == 4


def test_a_time_moved_by_a_microsecond_is_detected(engine: Engine) -> None:
    _append(engine)
    _edit(
        engine,
        "UPDATE audit_log SET recorded_at = :t WHERE seq = :seq",
        t=NOW + timedelta(seconds=EDITED - 1, microseconds=1),
    )
    assert _broken(engine).seq == EDITED


def test_a_garbled_time_on_sqlite_names_the_entry_instead_of_crashing(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's timestamptz holds no text")
    _append(engine)
    _edit(engine, "UPDATE audit_log SET recorded_at = 'gisteren' WHERE seq = :seq")
    broken = _broken(engine)
    assert broken.seq == EDITED and "recorded_at" in broken.reason


def test_a_log_as_written_before_the_column_checks_still_verifies(engine: Engine) -> None:
    """The hash input did not change: entries of every kind the gateway writes (a party, none, a
    system event) verify with their columns, at times with and without microseconds."""
    _append(engine, 7, now=datetime(2026, 1, 1, tzinfo=UTC))
    _append(engine, 3, now=NOW)
    with engine.connect() as connection:
        assert store.verify(connection) == 10


def test_an_entry_whose_actor_party_column_was_edited_is_no_ones_to_read(engine: Engine) -> None:
    """The column decides access only together with the hashed body: moved to another party, the
    entry is readable by neither (the API answers 404 for both)."""
    _append(engine)
    owner = PARTIES[EDITED - 1]
    with engine.connect() as connection:
        found = store.entry(connection, EDITED)
    assert found is not None and found[0] == owner
    _edit(engine, "UPDATE audit_log SET actor_party = 'om-rotterdam' WHERE seq = :seq")
    with engine.connect() as connection:
        assert store.entry(connection, EDITED) is None
    # A body rewritten to name another party (its hashes recomputed) does not match its leaf.
    _edit(engine, "UPDATE audit_log SET actor_party = :p WHERE seq = :seq", p=owner)
    with engine.connect() as connection:
        body = connection.execute(
            text("SELECT body FROM audit_log WHERE seq = :seq"), {"seq": EDITED}
        ).scalar_one()
    document = json.loads(body)
    document["actor"]["party"] = "om-rotterdam"
    _edit(
        engine,
        "UPDATE audit_log SET body = :b, actor_party = 'om-rotterdam' WHERE seq = :seq",
        b=canonical_json(document),
    )
    with engine.connect() as connection:
        assert store.entry(connection, EDITED) is None


# --- stored checkpoints -------------------------------------------------------------------------

ORIGIN = "gateway.test/audit"
KEY = Ed25519PrivateKey.generate()


def _checkpointer(engine: Engine, *, every_entries: int = 2, every_s: float = 3600) -> Checkpointer:
    return Checkpointer(
        engine=engine,
        clock=lambda: NOW + timedelta(minutes=1),
        origin=ORIGIN,
        signer=lambda: KEY,
        every_entries=every_entries,
        every_s=every_s,
    )


def _read(note: str) -> checkpoint.Checkpoint:
    return checkpoint.parse(checkpoint.open_note(note, ORIGIN, KEY.public_key()), origin=ORIGIN)


def _verify_checkpoints(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return store.verify_checkpoints(connection, _read)


def _checkpoints_broken(engine: Engine) -> AuditChainBroken:
    with pytest.raises(AuditChainBroken) as caught:
        _verify_checkpoints(engine)
    return caught.value


def _log_with_checkpoints(engine: Engine) -> None:
    """Six entries with checkpoints at 2, 4 and 6."""
    maker = _checkpointer(engine)
    for _ in range(3):
        _append(engine, 2)
        assert maker.latest() is not None


def test_stored_checkpoints_verify(engine: Engine) -> None:
    _log_with_checkpoints(engine)
    assert _verify_checkpoints(engine) == [2, 4, 6]


def test_an_edited_checkpoint_size_column_is_detected(engine: Engine) -> None:
    _log_with_checkpoints(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_checkpoints SET size = 5 WHERE size = 4"))
    broken = _checkpoints_broken(engine)
    assert broken.seq == 3 and "signs 4 entries" in broken.reason


def test_an_edited_checkpoint_note_is_detected(engine: Engine) -> None:
    _log_with_checkpoints(engine)
    with engine.begin() as connection:
        note = connection.execute(
            text("SELECT note FROM audit_checkpoints WHERE size = 4")
        ).scalar_one()
        forged = note.replace("\n4\n", "\n3\n", 1)
        connection.execute(
            text("UPDATE audit_checkpoints SET note = :n WHERE size = 4"), {"n": forged}
        )
    broken = _checkpoints_broken(engine)
    assert broken.seq == 3 and "handtekening klopt niet" in broken.reason


def test_a_rewrite_under_a_stored_checkpoint_names_the_range(engine: Engine) -> None:
    """Entry 3 rewritten with every hash recomputed (chain, nodes, head): the chain verifies, the
    checkpoint at 4 does not, and the first entry named is 3 (after the checkpoint at 2)."""
    _log_with_checkpoints(engine)
    _rewrite_entry(engine, 3)
    with engine.connect() as connection:
        assert store.verify(connection) == 6
        store.verify_tree(connection)
    broken = _checkpoints_broken(engine)
    assert broken.seq == 3 and "entries 3..4 were rewritten" in broken.reason


def test_a_cut_tail_under_a_stored_checkpoint_is_detected(engine: Engine) -> None:
    _log_with_checkpoints(engine)
    _truncate(engine, 5)
    with engine.connect() as connection:
        assert store.verify(connection) == 5
    broken = _checkpoints_broken(engine)
    assert broken.seq == 6 and "tail cut off" in broken.reason


def _rewrite_entry(engine: Engine, seq: int) -> None:
    """A forger with the database: entry ``seq`` changed, every hash after it recomputed."""
    with engine.begin() as connection:
        rows = connection.execute(text("SELECT seq, body FROM audit_log ORDER BY seq")).all()
        previous, leaves = bytes(32), []
        for number, body in rows:
            if number == seq:
                document = json.loads(body)
                document["detail"] = {"forged": True}
                body = canonical_json(document)
            leaf = leaf_hash(body)
            previous = chain_hash(previous, leaf)
            leaves.append(leaf)
            connection.execute(
                text("UPDATE audit_log SET body=:b, leaf_hash=:l, chain_hash=:c WHERE seq=:s"),
                {"b": body, "l": leaf, "c": previous, "s": number},
            )
        connection.execute(text("UPDATE audit_head SET chain_hash=:c"), {"c": previous})
        _rebuild_nodes(connection, leaves)


def _truncate(engine: Engine, keep: int) -> None:
    """Cut the log back to ``keep`` entries, head and nodes made to match."""
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE seq > :k"), {"k": keep})
        rows = connection.execute(
            text("SELECT leaf_hash, chain_hash FROM audit_log ORDER BY seq")
        ).all()
        head = bytes(rows[-1].chain_hash) if rows else bytes(32)
        connection.execute(
            text("UPDATE audit_head SET seq=:s, chain_hash=:c"), {"s": keep, "c": head}
        )
        _rebuild_nodes(connection, [bytes(r.leaf_hash) for r in rows])


def _rebuild_nodes(connection: Connection, leaves: list[bytes]) -> None:
    connection.execute(text("DELETE FROM audit_nodes"))
    for level, idx, hashed in merkle.completed_nodes(0, leaves, {}):
        connection.execute(
            text("INSERT INTO audit_nodes (key, hash) VALUES (:k, :h)"),
            {"k": merkle.node_key(level, idx), "h": hashed},
        )
