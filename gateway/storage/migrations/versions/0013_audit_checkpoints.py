"""Signed checkpoints of the audit log, made every N entries or T seconds and handed to partners
with every ingest answer (``gateway.audit.checkpointing``). Existing entries need nothing: their
hashed body already holds every column (``gateway audit verify`` now checks the columns against
it), so the hash input is unchanged and old logs verify as before.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("size", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("note", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
