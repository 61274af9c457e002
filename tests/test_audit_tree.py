"""The audit log's Merkle tree in the SQL store (SQLite and PostgreSQL): what appends store,
what roots and proofs it hands out, how verify finds a changed node, and the 0007 backfill."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text

from gateway.audit import merkle, store
from gateway.audit.chain import AuditChainBroken, AuditEvent
from gateway.storage.database import alembic_config, create_db_engine
from tests.test_audit_merkle import mth, path, proof
from tests.test_migrations import fresh_engine  # noqa: F401  (fixture)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _append(engine: Engine, sizes: list[int]) -> None:
    n = 0
    for size in sizes:
        with engine.begin() as connection:
            store.append(
                connection,
                [AuditEvent(event="test.tree", object={"i": n + i}) for i in range(size)],
                now=NOW,
            )
        n += size


def _leaves(engine: Engine) -> list[bytes]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT leaf_hash FROM audit_log ORDER BY seq"))
        return [bytes(r[0]) for r in rows]


def test_roots_and_proofs_from_the_store_are_the_rfc_values(engine: Engine) -> None:
    _append(engine, [1, 2, 1, 5, 9, 3, 17, 1])  # 39 entries in appends of mixed sizes
    leaves = _leaves(engine)
    with engine.connect() as connection:
        size = store.tree_size(connection)
        assert size == len(leaves) == 39
        for n in (1, 2, 7, 8, 16, 33, 39):
            assert store.root(connection, n) == mth(leaves[:n])
        for seq in (1, 2, 8, 17, 32, 39):
            leaf, audit_path = store.inclusion_proof(connection, seq, size)
            assert leaf == leaves[seq - 1]
            assert audit_path == path(seq - 1, leaves)
            assert merkle.verify_inclusion(leaf, seq - 1, size, audit_path, mth(leaves))
        for old in (1, 4, 6, 16, 38, 39):
            assert store.consistency_proof(connection, old, size) == proof(old, leaves)
        assert store.verify_tree(connection) == size - bin(size).count("1")


def test_verify_tree_names_the_first_entry_under_a_changed_node(engine: Engine) -> None:
    _append(engine, [10, 10, 12])
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_nodes SET hash = :h WHERE key = :k"),
            {"h": bytes(32), "k": merkle.node_key(2, 3)},
        )
    with engine.connect() as connection, pytest.raises(AuditChainBroken) as caught:
        store.verify_tree(connection)
    assert caught.value.seq == 3 * 4 + 1  # node (2, 3) covers entries 13..16
    with engine.begin() as connection:
        connection.execute(
            text("DELETE FROM audit_nodes WHERE key = :k"), {"k": merkle.node_key(1, 5)}
        )
    with engine.connect() as connection, pytest.raises(AuditChainBroken) as caught:
        store.verify_tree(connection)
    assert caught.value.seq == 5 * 2 + 1


@pytest.fixture
def at_0006(fresh_engine: Engine) -> Iterator[Engine]:  # noqa: F811
    config = alembic_config()
    with fresh_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")
    yield fresh_engine


def test_the_migration_builds_the_tree_of_an_existing_log(at_0006: Engine) -> None:
    """A log written before the tree existed: 0007 computes the same nodes appends would have."""
    from gateway.audit import chain

    head_seq, head_hash, leaves = 0, bytes(32), []
    for size in (3, 8, 2, 14):
        entries = chain.seal(
            [AuditEvent(event="test.old", object={"n": head_seq + i}) for i in range(size)],
            after_seq=head_seq,
            after_hash=head_hash,
            now=NOW,
        )
        with at_0006.begin() as connection:
            for e in entries:
                connection.execute(
                    text(
                        "INSERT INTO audit_log (seq, recorded_at, event, actor_party, body, "
                        "leaf_hash, chain_hash) VALUES (:s, :r, :e, NULL, :b, :l, :c)"
                    ),
                    {
                        "s": e.seq,
                        "r": NOW,
                        "e": e.event,
                        "b": e.body,
                        "l": e.leaf_hash,
                        "c": e.chain_hash,
                    },
                )
            connection.execute(
                text("UPDATE audit_head SET seq = :s, chain_hash = :c WHERE id = 1"),
                {"s": entries[-1].seq, "c": entries[-1].chain_hash},
            )
        head_seq, head_hash = entries[-1].seq, entries[-1].chain_hash
        leaves += [e.leaf_hash for e in entries]
    config = alembic_config()
    with at_0006.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with at_0006.connect() as connection:
        assert store.verify(connection) == 27
        assert store.verify_tree(connection) == 27 - bin(27).count("1")
        assert store.root(connection, 27) == mth(leaves)
    _append(at_0006, [5])  # and the log grows on from there
    grown = _leaves(at_0006)
    with at_0006.connect() as connection:
        assert store.root(connection, 32) == mth(grown)
        assert store.verify_tree(connection) == 31


def test_a_store_without_the_node_a_proof_needs_says_so(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'g.db'}")
    from gateway.storage.database import migrate

    migrate(engine)
    _append(engine, [4])
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_nodes"))
    with engine.connect() as connection, pytest.raises(AuditChainBroken, match="missing"):
        store.root(connection, 4)
