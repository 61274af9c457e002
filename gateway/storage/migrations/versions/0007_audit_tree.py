"""The audit log's Merkle tree: complete subtrees, level 1 and up.

Existing entries get their nodes here, computed from the stored leaf hashes in one streaming
pass (the same function the append path uses), so a log that predates the tree proves its whole
history.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from gateway.audit import merkle

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_CHUNK = 10_000


def upgrade() -> None:
    nodes = op.create_table(
        "audit_nodes",
        sa.Column("key", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    connection = op.get_bind()
    log = sa.table("audit_log", sa.column("seq", sa.BigInteger), sa.column("leaf_hash"))
    frontier: dict[merkle.Node, bytes] = {}
    size = 0
    pending: list[dict[str, int | bytes]] = []
    # yield_per on the statement: on the connection it would stay on for alembic's own updates.
    rows = connection.execute(
        sa.select(log.c.seq, log.c.leaf_hash)
        .order_by(log.c.seq)
        .execution_options(yield_per=_CHUNK)
    )
    for partition in rows.partitions(_CHUNK):
        leaves = [bytes(row.leaf_hash) for row in partition]
        completed = merkle.completed_nodes(size, leaves, frontier)
        known = {**frontier, **{(0, size + i): h for i, h in enumerate(leaves)}}
        known.update({(level, idx): h for level, idx, h in completed})
        size += len(leaves)
        frontier = {node: known[node] for node in merkle.range_nodes(0, size)}
        pending.extend({"key": merkle.node_key(lv, ix), "hash": h} for lv, ix, h in completed)
        if len(pending) >= _CHUNK:
            connection.execute(sa.insert(nodes), pending)
            pending = []
    if pending:
        connection.execute(sa.insert(nodes), pending)


def downgrade() -> None:
    op.drop_table("audit_nodes")
