"""Cases: participants, signals, history, approvals, interventions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("hit_id", sa.String(32), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("split_meeting", sa.Boolean(), nullable=False),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("opened_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
    )
    op.create_index("ix_cases_hit_id", "cases", ["hit_id"])
    op.create_table(
        "case_participants",
        sa.Column("case_id", sa.String(32), primary_key=True),
        sa.Column("party", sa.String(64), primary_key=True),
    )
    op.create_table(
        "case_signals",
        sa.Column("case_id", sa.String(32), primary_key=True),
        sa.Column("signal_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.Column("added_at", _utc(), nullable=False),
    )
    op.create_index("ix_case_signals_signal_id", "case_signals", ["signal_id"])
    op.create_table(
        "case_events",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("actor_party", sa.String(64), nullable=False),
        sa.Column("detail", _JSON, nullable=False),
        sa.Column("policy_revision", sa.String(80), nullable=False),
    )
    op.create_index("ix_case_events_case_id", "case_events", ["case_id", "id"])
    op.create_table(
        "case_approvals",
        sa.Column("case_id", sa.String(32), primary_key=True),
        sa.Column("role", sa.String(32), primary_key=True),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("sub", sa.String(128), nullable=False),
        sa.Column("approved_at", _utc(), nullable=False),
    )
    op.create_table(
        "case_interventions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assigned_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
    )
    op.create_index("ix_case_interventions_case_id", "case_interventions", ["case_id"])


def downgrade() -> None:
    for table in (
        "case_interventions",
        "case_approvals",
        "case_events",
        "case_signals",
        "case_participants",
        "cases",
    ):
        op.drop_table(table)
