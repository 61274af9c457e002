"""Which release key each stored envelope is sealed to (crypto-shredding, docs/sealing.md).

The retention run shreds a retired release key only when no stored signal names it, so every
row carries the kid from its envelope's header. Existing rows get it here, read from the first
bytes of their envelope (an envelope without a valid header gets NULL, and names no key).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from gateway import sealing

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_CHUNK = 10_000
_HEADER_BYTES = 260  # "GWS1" + length byte + at most 255 bytes of kid


def upgrade() -> None:
    op.add_column("signals", sa.Column("sealed_kid", sa.String(length=255), nullable=True))
    connection = op.get_bind()
    signals = sa.table(
        "signals", sa.column("id", sa.BigInteger), sa.column("sealed"), sa.column("sealed_kid")
    )
    rows = connection.execute(
        sa.select(signals.c.id, sa.func.substr(signals.c.sealed, 1, _HEADER_BYTES).label("head"))
        .order_by(signals.c.id)
        .execution_options(yield_per=_CHUNK)
    )
    for partition in rows.partitions(_CHUNK):
        by_kid: dict[str, list[int]] = defaultdict(list)
        for row in partition:
            kid = sealing.named_kid(bytes(row.head))
            if kid is not None:
                by_kid[kid].append(row.id)
        for kid, ids in by_kid.items():
            connection.execute(
                sa.update(signals).where(signals.c.id.in_(ids)).values(sealed_kid=kid)
            )
    # After the backfill: one index build instead of an update per row.
    op.create_index("ix_signals_sealed_kid", "signals", ["sealed_kid"])


def downgrade() -> None:
    op.drop_index("ix_signals_sealed_kid", table_name="signals")
    op.drop_column("signals", "sealed_kid")
