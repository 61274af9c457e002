"""Alembic environment: runs on the connection the gateway hands over (never its own URL)."""

from alembic import context
from sqlmodel import SQLModel

from gateway.storage import tables  # noqa: F401  (registers the tables on SQLModel.metadata)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through gateway.storage.database.migrate()")

context.configure(connection=connection, target_metadata=SQLModel.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
