"""Linkage and hits: clusters, linking pseudonyms, hits with facets and history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("signals", sa.Column("cluster_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_signals_cluster_id", "signals", ["cluster_id"])
    op.create_table(
        "clusters",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("merged_into", sa.BigInteger(), nullable=True),
        sa.Column("split_from", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "link_keys",
        sa.Column("pseudonym", sa.LargeBinary(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("signals", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.BigInteger(), nullable=True),
        sa.Column("hub_id", sa.String(32), nullable=True),
        sa.Column("hub_since", _utc(), nullable=True),
        # SQLite: keyed by the pseudonym itself, one B-tree instead of rowid table + key index.
        sqlite_with_rowid=False,
    )
    op.create_index("ix_link_keys_cluster_id", "link_keys", ["cluster_id"])
    op.create_index(
        "uq_link_keys_hub_id",
        "link_keys",
        ["hub_id"],
        unique=True,
        sqlite_where=sa.text("hub_id IS NOT NULL"),
        postgresql_where=sa.text("hub_id IS NOT NULL"),
    )
    op.create_table(
        "hits",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("cluster_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("signals", sa.Integer(), nullable=False),
        sa.Column("parties", sa.Integer(), nullable=False),
        sa.Column("reasons", _JSON, nullable=False),
        sa.Column("first_seen_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("merged_into", sa.String(32), nullable=True),
        sa.Column("policy_revision", sa.String(80), nullable=False),
    )
    op.create_index(
        "uq_hits_cluster_open",
        "hits",
        ["cluster_id"],
        unique=True,
        sqlite_where=sa.text("cluster_id IS NOT NULL"),
        postgresql_where=sa.text("cluster_id IS NOT NULL"),
    )
    op.create_index("ix_hits_status_updated_at", "hits", ["status", "updated_at", "id"])
    op.create_index("ix_hits_updated_at", "hits", ["updated_at", "id"])
    op.create_table(
        "hit_facets",
        sa.Column("hit_id", sa.String(32), primary_key=True),
        sa.Column("facet", sa.String(16), primary_key=True),
        sa.Column("value", sa.String(64), primary_key=True),
    )
    op.create_index("ix_hit_facets_facet_value", "hit_facets", ["facet", "value", "hit_id"])
    op.create_table(
        "hit_events",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("hit_id", sa.String(32), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("event", sa.String(24), nullable=False),
        sa.Column("detail", _JSON, nullable=False),
    )
    op.create_index("ix_hit_events_hit_id", "hit_events", ["hit_id", "id"])


def downgrade() -> None:
    for table in ("hit_events", "hit_facets", "hits", "link_keys", "clusters"):
        op.drop_table(table)
    op.drop_index("ix_signals_cluster_id", table_name="signals")
    op.drop_column("signals", "cluster_id")
