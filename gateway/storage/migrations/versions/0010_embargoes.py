"""Embargoes of an investigation: politie and OM hold back what concerns a subject (by
pseudonym), a signal (party and ref) or a whole case, up to and including an end date.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "embargoes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("pseudonym", sa.LargeBinary(length=64), nullable=True),
        sa.Column("signal_party", sa.String(length=64), nullable=True),
        sa.Column("signal_ref", sa.String(length=128), nullable=True),
        sa.Column("case_id", sa.String(length=32), nullable=True),
        sa.Column("placed_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column(
            "allowed_types",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_embargoes_pseudonym", "embargoes", ["pseudonym"])
    op.create_index("ix_embargoes_signal", "embargoes", ["signal_party", "signal_ref"])
    op.create_index("ix_embargoes_case_id", "embargoes", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_embargoes_case_id", table_name="embargoes")
    op.drop_index("ix_embargoes_signal", table_name="embargoes")
    op.drop_index("ix_embargoes_pseudonym", table_name="embargoes")
    op.drop_table("embargoes")
