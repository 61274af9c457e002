"""Persistence: SQLModel tables, engines, Alembic migrations, and the SQL drivers of the domain."""
