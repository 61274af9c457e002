"""Case files: the subjects a case is about, why each signal is in it, and the key of the case's
handles.

A case no longer holds its hit's whole cluster: the case director builds its file from the hit's
network view. Cases opened before this revision keep the signals they hold and get a handle key.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("handle_key", sa.LargeBinary(length=32), nullable=True))
    op.add_column("case_signals", sa.Column("reason", sa.String(length=64), nullable=True))
    op.create_table(
        "case_subjects",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("pseudonym", sa.LargeBinary(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "pseudonym"),
    )
    connection = op.get_bind()
    cases = sa.table(
        "cases",
        sa.column("id", sa.String),
        sa.column("handle_key", sa.LargeBinary),
        sa.column("opened_by", sa.String),
        sa.column("opened_at", sa.DateTime(timezone=True)),
    )
    case_signals = sa.table(
        "case_signals", sa.column("case_id", sa.String), sa.column("signal_id", sa.BigInteger)
    )
    subjects = sa.table(
        "signal_subjects",
        sa.column("signal_id", sa.BigInteger),
        sa.column("pseudonym", sa.LargeBinary),
        sa.column("kind", sa.String),
    )
    case_subjects = sa.table(
        "case_subjects",
        sa.column("case_id", sa.String),
        sa.column("pseudonym", sa.LargeBinary),
        sa.column("kind", sa.String),
        sa.column("added_by", sa.String),
        sa.column("added_at", sa.DateTime(timezone=True)),
        sa.column("reason", sa.String),
    )
    for case_id, opened_by, opened_at in connection.execute(
        sa.select(cases.c.id, cases.c.opened_by, cases.c.opened_at)
    ).all():
        connection.execute(
            sa.update(cases).where(cases.c.id == case_id).values(handle_key=secrets.token_bytes(32))
        )
        # A case opened before case files is about everyone in its signals, as it was released.
        found = connection.execute(
            sa.select(subjects.c.pseudonym, subjects.c.kind)
            .join(case_signals, case_signals.c.signal_id == subjects.c.signal_id)
            .where(case_signals.c.case_id == case_id)
        ).all()
        people = {bytes(pseudonym): kind for pseudonym, kind in found}
        if people:
            connection.execute(
                sa.insert(case_subjects),
                [
                    {
                        "case_id": case_id,
                        "pseudonym": pseudonym,
                        "kind": kind,
                        "added_by": opened_by,
                        "added_at": opened_at,
                        "reason": "betrokkene_casus",
                    }
                    for pseudonym, kind in people.items()
                ],
            )


def downgrade() -> None:
    op.drop_table("case_subjects")
    with op.batch_alter_table("case_signals") as batch:
        batch.drop_column("reason")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("handle_key")
