"""Recorded policy decisions, for ``gateway policy simulate``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "policy_decisions",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("point", sa.String(32), nullable=False),
        sa.Column("revision", sa.String(80), nullable=False),
        sa.Column("allow", sa.Boolean(), nullable=False),
        sa.Column("reasons", _JSON, nullable=False),
        sa.Column("input", _JSON, nullable=False),
    )
    op.create_index(
        "ix_policy_decisions_point_decided_at", "policy_decisions", ["point", "decided_at"]
    )


def downgrade() -> None:
    op.drop_table("policy_decisions")
