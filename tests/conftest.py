"""Fixtures: every database test runs on real SQLite and real PostgreSQL.

PostgreSQL is expected at 127.0.0.1:5432 (user postgres, trust auth, database ``test``); each test
session works in its own schema, so runs never see each other's rows. ``.ci/ensure-postgres``
starts or installs the server.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import SQLModel

from gateway.bootstrap import create_dev_keys
from gateway.parties.covenant import load_covenant
from gateway.parties.release_keys import ReleaseKeys
from gateway.runtime import Runtime
from gateway.settings import Settings
from gateway.storage import tables  # noqa: F401
from gateway.storage.database import create_db_engine, migrate
from tests.support import REPO, Caller, live_server, use_release_kid

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Dev keys for the demo covenant, generated once per run: (public dir, private dir)."""
    root = tmp_path_factory.mktemp("keys")
    covenant = load_covenant(REPO / "policies")
    create_dev_keys(covenant=covenant, keys_dir=root / "public", private_keys_dir=root / "private")
    release = ReleaseKeys(root / "private", covenant.gateway_id)
    use_release_kid(release.current(datetime.now(UTC)).kid)
    return root / "public", root / "private"


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # pragma: no cover - environment problem, not a test result
        pytest.fail(
            f"PostgreSQL is not reachable at 127.0.0.1:5432 ({exc.__class__.__name__}); "
            "run .ci/ensure-postgres"
        )
    schema = f"gw_test_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    yield schema
    with admin.connect() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'gateway.db'}"
    schema = request.getfixturevalue("pg_schema")
    return f"{PG_SERVER}?options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def _reset(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name == "audit_head":
                connection.execute(
                    text("UPDATE audit_head SET seq = 0, chain_hash = :zero"), {"zero": bytes(32)}
                )
            else:
                connection.execute(table.delete())


@pytest.fixture
def engine(migrated_engine: Engine) -> Engine:
    """A migrated, emptied database (SQLite or PostgreSQL)."""
    _reset(migrated_engine)
    return migrated_engine


@pytest.fixture
def settings(database_url: str, keys: tuple[Path, Path]) -> Settings:
    public, private = keys
    return Settings(
        database_url=database_url,
        policies_dir=REPO / "policies",
        keys_dir=public,
        private_keys_dir=private,
    )


@pytest.fixture
def runtime(settings: Settings, engine: Engine) -> Runtime:
    return Runtime.build(settings, engine=engine)


@pytest.fixture(scope="session")
def _shared_server(
    migrated_engine: Engine, database_url: str, keys: tuple[Path, Path]
) -> Iterator[tuple[str, Runtime]]:
    public, private = keys
    settings = Settings(
        database_url=database_url,
        policies_dir=REPO / "policies",
        keys_dir=public,
        private_keys_dir=private,
    )
    rt = Runtime.build(settings, engine=migrated_engine)
    with live_server(rt) as url:
        yield url, rt


@pytest.fixture
def server(_shared_server: tuple[str, Runtime], engine: Engine) -> tuple[str, Runtime]:
    """A real uvicorn server on loopback over an emptied database: (base URL, its runtime)."""
    return _shared_server


@pytest.fixture
def caller(server: tuple[str, Runtime], keys: tuple[Path, Path]) -> Caller:
    url, rt = server
    return Caller(base_url=url, audience=rt.covenant.gateway_id, private_keys_dir=keys[1])
