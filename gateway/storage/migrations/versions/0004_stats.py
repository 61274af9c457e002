"""Rollup counts for the regional monitor (``GET /v1/stats``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_counts",
        sa.Column("shape", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("facet", sa.String(16), primary_key=True),
        sa.Column("value", sa.String(64), primary_key=True),
        sa.Column("month", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("municipality", sa.String(6), primary_key=True),
        sa.Column("form", sa.String(32), primary_key=True),
        sa.Column("certainty", sa.String(16), primary_key=True),
        sa.Column("party", sa.String(64), primary_key=True),
        sa.Column("minor", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "stats_progress",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("applied_signal_id", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "stats_retired",
        sa.Column("signal_id", sa.BigInteger(), primary_key=True, autoincrement=False),
    )
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "INSERT INTO stats_progress (id, applied_signal_id) "
            "SELECT 1, COALESCE(MAX(id), 0) FROM signals"
        )
    )
    if connection.execute(sa.text("SELECT 1 FROM signals WHERE is_current LIMIT 1")).first():
        # Signals stored before this revision are counted now, with the barriers of the
        # configured indicator catalogue (the one their ingest was validated against). This
        # runs today's rebuild: a later revision that changes stats_counts must make this
        # backfill conditional on its own absence, or rebuild after its change.
        from gateway.settings import Settings
        from gateway.signals.reference import load_catalogue
        from gateway.storage.stats import rebuild

        catalogue = load_catalogue(Settings().policies_dir)
        rebuild(connection, barriers={c: b.value for c, b in catalogue.barriers.items()})


def downgrade() -> None:
    op.drop_table("stats_retired")
    op.drop_table("stats_progress")
    op.drop_table("stats_counts")
