"""Versioned releases: a case part can be released again when what it rests on changed.

Each release of a case part gets a number (1, 2, ...), names its predecessor and keeps the digest
of its basis (the case file's signal versions, the embargoes and consent in force, acute danger,
the policy revision), so that a retried request finds the release it already made and a changed
basis makes the next one. Packages of a superseded release name the release that replaced them.
Existing releases become number 1.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.add_column(sa.Column("number", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("predecessor", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("basis_digest", sa.String(length=64), nullable=True))
        batch.drop_constraint("uq_releases_case_part", type_="unique")
        batch.create_unique_constraint(
            "uq_releases_case_part_number", ["case_id", "meeting_part", "number"]
        )
    with op.batch_alter_table("packages") as batch:
        batch.add_column(sa.Column("superseded_by", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("packages") as batch:
        batch.drop_column("superseded_at")
        batch.drop_column("superseded_by")
    op.execute(
        "DELETE FROM packages WHERE release_id IN (SELECT id FROM releases WHERE number > 1)"
    )
    op.execute("DELETE FROM releases WHERE number > 1")
    with op.batch_alter_table("releases") as batch:
        batch.drop_constraint("uq_releases_case_part_number", type_="unique")
        batch.create_unique_constraint("uq_releases_case_part", ["case_id", "meeting_part"])
        batch.drop_column("basis_digest")
        batch.drop_column("predecessor")
        batch.drop_column("number")
