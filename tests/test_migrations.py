"""Migrations and the SQLModel tables describe one schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, insert, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from gateway.audit import store
from gateway.audit.chain import AuditEvent
from gateway.storage import tables  # noqa: F401  (registers the tables)
from gateway.storage.database import alembic_config, create_db_engine, migrate
from gateway.storage.tables import SignalRow

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
TABLES = {
    "signals",
    "signal_subjects",
    "jwt_replay",
    "audit_log",
    "audit_head",
    "audit_nodes",
    "audit_checkpoints",
    "policy_decisions",
    "clusters",
    "link_keys",
    "hits",
    "hit_facets",
    "hit_events",
    "releases",
    "packages",
    "stats_counts",
    "stats_progress",
    "stats_retired",
    "cases",
    "case_participants",
    "case_signals",
    "case_subjects",
    "embargoes",
    "hub_register",
    "case_events",
    "case_approvals",
    "case_interventions",
    "alembic_version",
}


@pytest.fixture
def fresh_engine(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a brand-new, empty database of the same backend (never migrated)."""
    if database_url.startswith("sqlite"):
        engine = create_db_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        engine.dispose()
        return
    server = make_url(database_url).set(query={})
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    schema = f"gw_fresh_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_db_engine(
        server.set(query={"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    )
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _diff(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, SQLModel.metadata)


def _revision(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [r[0] for r in connection.execute(text("SELECT version_num FROM alembic_version"))]


def _head_rows(engine: Engine) -> list[tuple[int, int, bytes]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, seq, chain_hash FROM audit_head")).all()
    return [(r.id, r.seq, bytes(r.chain_hash)) for r in rows]


def test_fresh_database_is_empty(fresh_engine: Engine) -> None:
    """Guards the fixture: the comparison below must not run against an already built schema."""
    with fresh_engine.connect() as connection:
        assert inspect(connection).get_table_names() == []
    assert _diff(fresh_engine) != []  # an empty database differs from the metadata


def test_migrated_schema_matches_the_table_models(fresh_engine: Engine) -> None:
    migrate(fresh_engine)
    assert _diff(fresh_engine) == []
    with fresh_engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == TABLES


def test_migrate_reaches_the_newest_revision(fresh_engine: Engine) -> None:
    migrate(fresh_engine)
    newest = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert _revision(fresh_engine) == [newest]


def test_migrate_creates_the_audit_head_at_genesis(fresh_engine: Engine) -> None:
    migrate(fresh_engine)
    assert _head_rows(fresh_engine) == [(1, 0, bytes(32))]
    with fresh_engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM audit_log")).scalar_one() == 0
        assert store.verify(connection) == 0
    # The first append chains onto it.
    with fresh_engine.begin() as connection:
        assert store.append(connection, [AuditEvent(event="test.first")], now=NOW) == [1]


def test_migrate_twice_is_a_no_op(fresh_engine: Engine) -> None:
    migrate(fresh_engine)
    with fresh_engine.begin() as connection:
        store.append(
            connection, [AuditEvent(event="test.before"), AuditEvent(event="test.x")], now=NOW
        )
        connection.execute(
            text("INSERT INTO jwt_replay (issuer, jti, expires_at) VALUES ('om', 'j1', :t)"),
            {"t": NOW},
        )
    revision, head = _revision(fresh_engine), _head_rows(fresh_engine)

    migrate(fresh_engine)

    assert _revision(fresh_engine) == revision
    assert _head_rows(fresh_engine) == head and head[0][1] == 2
    assert _diff(fresh_engine) == []
    with fresh_engine.connect() as connection:
        assert store.verify(connection) == 2
        assert connection.execute(text("SELECT COUNT(*) FROM jwt_replay")).scalar_one() == 1


def test_migrate_on_the_shared_database_is_a_no_op(engine: Engine) -> None:
    """The session database was migrated by the fixture; migrating again changes nothing."""
    with engine.begin() as connection:
        store.append(connection, [AuditEvent(event="test.kept")], now=NOW)
    revision, head = _revision(engine), _head_rows(engine)
    migrate(engine)
    assert (_revision(engine), _head_rows(engine)) == (revision, head)
    assert _diff(engine) == []


# --------------------------------------------------------------------------------------------
# the partial unique index: one current version per (party, ref)


def _signal(party: str, ref: str, version: int, *, current: bool) -> dict[str, object]:
    return {
        "party": party,
        "ref": ref,
        "version": version,
        "is_current": current,
        "content_sha256": bytes([version]) * 32,
        "observed_at": NOW,
        "received_at": NOW,
        "municipality": "GM0599",
        "form": "arbeidsuitbuiting",
        "certainty": "vermoeden",
        "indicators": ["ARB-ONDERBETALING"],
        "data_classes": ["gewoon"],
        "minor": False,
        "consent": None,
        "embargo_until": None,
        "source_protected": False,
        "sealed": b"\x01" * 16,
    }


def _insert(engine: Engine, *rows: dict[str, object]) -> None:
    with engine.begin() as connection:
        connection.execute(insert(SignalRow.__table__), list(rows))


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT COUNT(*) FROM signals")).scalar_one()


def test_two_current_versions_of_one_signal_are_refused(engine: Engine) -> None:
    _insert(engine, _signal("gemeente-rotterdam", "sig-1", 1, current=True))
    with pytest.raises(IntegrityError):
        _insert(engine, _signal("gemeente-rotterdam", "sig-1", 2, current=True))
    assert _count(engine) == 1


def test_two_current_versions_in_one_statement_are_refused(engine: Engine) -> None:
    with pytest.raises(IntegrityError):
        _insert(
            engine,
            _signal("gemeente-rotterdam", "sig-1", 1, current=True),
            _signal("gemeente-rotterdam", "sig-1", 2, current=True),
        )
    assert _count(engine) == 0


def test_one_current_and_older_versions_are_fine(engine: Engine) -> None:
    _insert(
        engine,
        _signal("gemeente-rotterdam", "sig-1", 1, current=False),
        _signal("gemeente-rotterdam", "sig-1", 2, current=False),
        _signal("gemeente-rotterdam", "sig-1", 3, current=True),
    )
    assert _count(engine) == 3


def test_current_versions_of_other_refs_and_parties_are_fine(engine: Engine) -> None:
    _insert(
        engine,
        _signal("gemeente-rotterdam", "sig-1", 1, current=True),
        _signal("gemeente-rotterdam", "sig-2", 1, current=True),
        _signal("politie-rotterdam", "sig-1", 1, current=True),
    )
    assert _count(engine) == 3


def test_superseding_moves_the_current_flag(engine: Engine) -> None:
    _insert(engine, _signal("gemeente-rotterdam", "sig-1", 1, current=True))
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE signals SET is_current = :f WHERE ref = 'sig-1'"), {"f": False}
        )
        connection.execute(
            insert(SignalRow.__table__), [_signal("gemeente-rotterdam", "sig-1", 2, current=True)]
        )
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT version, is_current FROM signals ORDER BY version")
        ).all()
    assert [(r.version, bool(r.is_current)) for r in rows] == [(1, False), (2, True)]
    # Making the old version current again while the new one is current is refused.
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text("UPDATE signals SET is_current = :t WHERE version = 1"), {"t": True}
        )


def test_same_version_twice_is_refused_even_when_not_current(engine: Engine) -> None:
    _insert(engine, _signal("gemeente-rotterdam", "sig-1", 1, current=False))
    with pytest.raises(IntegrityError):
        _insert(engine, _signal("gemeente-rotterdam", "sig-1", 1, current=False))
