"""Initial schema: signals, their subject pseudonyms, the JWT replay cache, the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "signals",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("ref", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("content_sha256", sa.LargeBinary(32), nullable=False),
        sa.Column("observed_at", _utc(), nullable=False),
        sa.Column("received_at", _utc(), nullable=False),
        sa.Column("municipality", sa.String(6), nullable=False),
        sa.Column("form", sa.String(32), nullable=False),
        sa.Column("certainty", sa.String(16), nullable=False),
        sa.Column("indicators", _JSON, nullable=False),
        sa.Column("data_classes", _JSON, nullable=False),
        sa.Column("minor", sa.Boolean(), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=True),
        sa.Column("embargo_until", sa.Date(), nullable=True),
        sa.Column("source_protected", sa.Boolean(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("party", "ref", "version", name="uq_signals_party_ref_version"),
    )
    op.create_index(
        "uq_signals_current",
        "signals",
        ["party", "ref"],
        unique=True,
        sqlite_where=sa.text("is_current"),
        postgresql_where=sa.text("is_current"),
    )
    op.create_index("ix_signals_received_at", "signals", ["received_at"])

    op.create_table(
        "signal_subjects",
        sa.Column("id", _ID, primary_key=True),
        sa.Column(
            "signal_id",
            sa.BigInteger(),
            sa.ForeignKey("signals.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("pseudonym", sa.LargeBinary(64), nullable=False),
    )
    op.create_index("ix_signal_subjects_pseudonym", "signal_subjects", ["pseudonym"])
    op.create_index("ix_signal_subjects_signal_id", "signal_subjects", ["signal_id"])

    op.create_table(
        "jwt_replay",
        sa.Column("issuer", sa.String(64), primary_key=True),
        sa.Column("jti", sa.String(128), primary_key=True),
        sa.Column("expires_at", _utc(), nullable=False),
    )
    op.create_index("ix_jwt_replay_expires_at", "jwt_replay", ["expires_at"])

    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("recorded_at", _utc(), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("actor_party", sa.String(64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("chain_hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_index("ix_audit_log_event", "audit_log", ["event"])
    op.create_index("ix_audit_log_recorded_at", "audit_log", ["recorded_at"])

    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("chain_hash", sa.LargeBinary(32), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "chain_hash": bytes(32)}])


def downgrade() -> None:
    for table in ("audit_head", "audit_log", "jwt_replay", "signal_subjects", "signals"):
        op.drop_table(table)
