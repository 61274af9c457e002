"""Engines and migrations. One code path for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from gateway.errors import Unavailable
from gateway.jsontypes import JsonObject

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_db_engine(url: str, *, connect_args: JsonObject | None = None) -> Engine:
    """Build the engine for ``url``. SQLite gets WAL and write-serialising transactions.

    pysqlite's default deferred transactions let two writers both read and then fail to upgrade
    their lock (SQLITE_BUSY with no wait). ``BEGIN IMMEDIATE`` takes the write lock up front, so
    concurrent requests queue on ``busy_timeout`` instead; this is SQLAlchemy's documented recipe.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30, **(connect_args or {})}
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:  # Any: the driver's
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:  # Any: the DB-API driver's own connection
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=True, connect_args=connect_args or {}
    )


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


# SQLite's messages for a schema that does not fit the code: a deployment error, not an outage.
_SCHEMA_PROBLEMS = ("no such table", "no such column", "syntax error")


def outage(exc: BaseException) -> Unavailable | None:
    """The :class:`Unavailable` a database error stands for when it is an outage (no connection,
    a connection lost, a locked or unreadable database file), else None: a query or schema error
    is a bug, which a retry does not cure."""
    if not isinstance(exc, OperationalError | InterfaceError | DisconnectionError):
        return None
    if isinstance(exc, OperationalError) and any(
        problem in str(exc.orig) for problem in _SCHEMA_PROBLEMS
    ):
        return None
    return Unavailable(f"database niet beschikbaar ({exc.__class__.__name__})", retry_after_s=5)


def ping(engine: Engine) -> None:
    """Raise ``Unavailable`` unless the database answers."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"; the type is logged
        raise Unavailable(f"database antwoordt niet ({exc.__class__.__name__})") from None
