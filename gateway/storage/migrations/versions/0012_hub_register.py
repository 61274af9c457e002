"""Hubs that fit a region: why a linking pseudonym is a hub (``link_keys.hub_reason``) and the
register of pseudonyms that never link, kept by privacy officers, with the RIEC's word on
candidate hubs (``hub_register``). Hubs flagged before this revision were flagged by the
threshold.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: link_keys is a WITHOUT ROWID table on SQLite, which a batch copy
    # would not keep.
    op.add_column("link_keys", sa.Column("hub_reason", sa.String(length=16), nullable=True))
    op.execute("UPDATE link_keys SET hub_reason = 'drempel' WHERE hub_id IS NOT NULL")
    op.create_table(
        "hub_register",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("pseudonym", sa.LargeBinary(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("mark", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("registered_by_party", sa.String(length=64), nullable=False),
        sa.Column("registered_by", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_party", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hub_register_pseudonym", "hub_register", ["pseudonym"])


def downgrade() -> None:
    op.drop_index("ix_hub_register_pseudonym", table_name="hub_register")
    op.drop_table("hub_register")
    with op.batch_alter_table("link_keys") as batch:
        batch.drop_column("hub_reason")
