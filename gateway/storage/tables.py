"""The schema. Nothing identifying is stored in clear: subjects are OPRF pseudonyms,
the identifying part of a signal is an HPKE-sealed blob only the release step can open.

Bulk paths use these tables through SQLAlchemy Core (``SignalRow.__table__``), not per-row ORM.
Changing a table means a new Alembic migration; a test compares the two.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from gateway.jsontypes import JsonObject

_JSON = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
_ID = BigInteger().with_variant(Integer(), "sqlite")


if TYPE_CHECKING:

    class _Row(SQLModel):
        # Set by SQLModel on every ``table=True`` class; SQLModel does not declare it.
        __table__: ClassVar[Table]

else:
    _Row = SQLModel


def _utc() -> DateTime:
    return DateTime(timezone=True)


class SignalRow(_Row, table=True):
    """One version of one partner's signal. ``is_current`` marks the version in force."""

    __tablename__ = "signals"
    __table_args__ = (
        UniqueConstraint("party", "ref", "version", name="uq_signals_party_ref_version"),
        # At most one current version per (party, ref): concurrent supersedes cannot both win.
        Index(
            "uq_signals_current",
            "party",
            "ref",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        Index("ix_signals_received_at", "received_at"),
        Index("ix_signals_cluster_id", "cluster_id"),
        Index("ix_signals_sealed_kid", "sealed_kid"),
    )

    id: int | None = Field(default=None, sa_column=Column(_ID, primary_key=True))
    party: str = Field(max_length=64)
    ref: str = Field(max_length=128)
    version: int
    is_current: bool
    content_sha256: bytes = Field(sa_type=LargeBinary(32))
    observed_at: datetime = Field(sa_type=_utc())
    received_at: datetime = Field(sa_type=_utc())
    municipality: str = Field(max_length=6)
    form: str = Field(max_length=32)
    certainty: str = Field(max_length=16)
    indicators: list[str] = Field(sa_type=_JSON)
    data_classes: list[str] = Field(sa_type=_JSON)
    minor: bool
    consent: bool | None = None
    embargo_until: date | None = None
    source_protected: bool
    sealed: bytes = Field(sa_type=LargeBinary())
    # The release key the envelope names in its header: a key is shredded only when no row names
    # it (docs/sealing.md). None for an envelope without a valid header (stored before 0008).
    sealed_kid: str | None = Field(default=None, max_length=255)
    # The cluster this version belongs to while it is current; None once superseded or expired.
    cluster_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class SubjectRow(_Row, table=True):
    """A subject of a signal: its kind, its role and its pseudonym (never the identifier)."""

    __tablename__ = "signal_subjects"
    __table_args__ = (
        Index("ix_signal_subjects_pseudonym", "pseudonym"),
        Index("ix_signal_subjects_signal_id", "signal_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(_ID, primary_key=True))
    signal_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("signals.id", ondelete="CASCADE"), nullable=False)
    )
    kind: str = Field(max_length=16)
    role: str = Field(max_length=16)
    pseudonym: bytes = Field(sa_type=LargeBinary(64))


class ClusterRow(_Row, table=True):
    """A connected component of current signals. Every current signal's
    ``cluster_id`` names its cluster's row directly (the smaller side is relabelled on a merge),
    so that reading a cluster is one indexed lookup. A cluster absorbed by another keeps its row
    with ``merged_into``; one that split off names its origin in ``split_from``."""

    __tablename__ = "clusters"

    id: int | None = Field(default=None, sa_column=Column(_ID, primary_key=True))
    size: int
    created_at: datetime = Field(sa_type=_utc())
    updated_at: datetime = Field(sa_type=_utc())
    merged_into: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    split_from: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class LinkKeyRow(_Row, table=True):
    """One linking pseudonym: how many current signals carry it and which cluster it ties.
    Past the covenant's hub threshold it stops linking and is flagged (``hub_id`` is the opaque
    name the RIEC sees; the pseudonym itself is never shown)."""

    __tablename__ = "link_keys"
    __table_args__ = (
        Index("ix_link_keys_cluster_id", "cluster_id"),
        # Partial: with a plain unique index SQLite answers "hub_id IS NULL" by walking all
        # non-hub keys (seconds at a million); only hubs have an id to keep unique.
        Index(
            "uq_link_keys_hub_id",
            "hub_id",
            unique=True,
            sqlite_where=text("hub_id IS NOT NULL"),
            postgresql_where=text("hub_id IS NOT NULL"),
        ),
        # SQLite: keyed by the pseudonym itself, one B-tree instead of rowid table + key index.
        {"sqlite_with_rowid": False},
    )

    pseudonym: bytes = Field(sa_column=Column(LargeBinary(64), primary_key=True))
    kind: str = Field(max_length=16)
    signals: int
    cluster_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    hub_id: str | None = Field(default=None, max_length=32)
    hub_since: datetime | None = Field(default=None, sa_type=_utc())
    hub_reason: str | None = Field(default=None, max_length=16)
    """Why it is a hub: ``drempel``, ``structuur``, ``register`` or ``bevestigd``."""


class HitRow(_Row, table=True):
    """A cluster the ``hits`` policy calls a hit. The id is opaque and stable: it follows its
    cluster through merges (the oldest hit carries on) and splits (the part keeping the cluster
    keeps the hit)."""

    __tablename__ = "hits"
    __table_args__ = (
        Index(
            "uq_hits_cluster_open",
            "cluster_id",
            unique=True,
            sqlite_where=text("cluster_id IS NOT NULL"),
            postgresql_where=text("cluster_id IS NOT NULL"),
        ),
        # With the id, newest-first pages need no sort (the list orders by updated_at, id).
        Index("ix_hits_status_updated_at", "status", "updated_at", "id"),
        Index("ix_hits_updated_at", "updated_at", "id"),
    )

    id: str = Field(primary_key=True, max_length=32)
    cluster_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    status: str = Field(max_length=16)
    urgent: bool
    signals: int
    parties: int
    reasons: list[str] = Field(sa_type=_JSON)
    first_seen_at: datetime = Field(sa_type=_utc())
    updated_at: datetime = Field(sa_type=_utc())
    merged_into: str | None = Field(default=None, max_length=32)
    policy_revision: str = Field(max_length=80)


class HitFacetRow(_Row, table=True):
    """What a hit's signals are about, one row per value, so the RIEC can filter the list."""

    __tablename__ = "hit_facets"
    __table_args__ = (Index("ix_hit_facets_facet_value", "facet", "value", "hit_id"),)

    hit_id: str = Field(primary_key=True, max_length=32)
    facet: str = Field(primary_key=True, max_length=16)
    value: str = Field(primary_key=True, max_length=64)


class HitEventRow(_Row, table=True):
    """A hit's history: arose, changed, lapsed, merged, split off; with the policy revision."""

    __tablename__ = "hit_events"
    __table_args__ = (Index("ix_hit_events_hit_id", "hit_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(_ID, primary_key=True))
    hit_id: str = Field(max_length=32)
    at: datetime = Field(sa_type=_utc())
    event: str = Field(max_length=24)
    detail: JsonObject = Field(sa_type=_JSON)


class ReplayRow(_Row, table=True):
    """A consumed token id, kept until its token would have expired anyway."""

    __tablename__ = "jwt_replay"
    __table_args__ = (Index("ix_jwt_replay_expires_at", "expires_at"),)

    issuer: str = Field(primary_key=True, max_length=64)
    jti: str = Field(primary_key=True, max_length=128)
    expires_at: datetime = Field(sa_type=_utc())


class AuditRow(_Row, table=True):
    """One audit entry. ``body`` is the canonical JSON that is hashed; ``recorded_at``, ``event``
    and ``actor_party`` are copies for querying, which ``gateway audit verify`` checks against the
    body (``gateway.audit.chain.verify``). ``chain_hash`` links each entry to all before it."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_event", "event"),
        Index("ix_audit_log_recorded_at", "recorded_at"),
    )

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    recorded_at: datetime = Field(sa_type=_utc())
    event: str = Field(max_length=64)
    actor_party: str | None = Field(default=None, max_length=64)
    body: str = Field(sa_type=Text())
    leaf_hash: bytes = Field(sa_type=LargeBinary(32))
    chain_hash: bytes = Field(sa_type=LargeBinary(32))


class AuditNodeRow(_Row, table=True):
    """A complete subtree of the audit log's Merkle tree (RFC 9162), level 1 and up, under
    ``key = level << 48 | index``: it covers entries ``index * 2**level + 1 .. (index + 1) *
    2**level``. Level 0 are the entries' ``leaf_hash``. Written once, when an append completes the
    subtree; a root or proof reads O(log n) of them by key (``gateway.audit.merkle``)."""

    __tablename__ = "audit_nodes"

    key: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_type=LargeBinary(32))


class AuditHeadRow(_Row, table=True):
    """The single row holding the log's head; appends lock it, which orders concurrent writers."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    chain_hash: bytes = Field(sa_type=LargeBinary(32))


class AuditCheckpointRow(_Row, table=True):
    """A signed checkpoint the gateway made (``gateway.audit.checkpointing``): the C2SP signed
    note over the first ``size`` entries. ``note`` is the signed text; ``size`` is a copy for
    ordering that ``gateway audit verify`` checks against it, with the root against the log."""

    __tablename__ = "audit_checkpoints"

    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    note: str = Field(sa_type=Text())


class DecisionRow(_Row, table=True):
    """A policy decision as made, so that ``policy simulate`` can replay it against a changed
    policy. The input holds codes, ids and pseudonymous references only; people's ``sub`` values
    are replaced by per-decision aliases before storing (see ``gateway.policy.records``)."""

    __tablename__ = "policy_decisions"
    __table_args__ = (Index("ix_policy_decisions_point_decided_at", "point", "decided_at"),)

    id: int | None = Field(default=None, sa_column=Column(_ID, primary_key=True))
    decided_at: datetime = Field(sa_type=_utc())
    point: str = Field(max_length=32)
    revision: str = Field(max_length=80)
    allow: bool
    reasons: list[JsonObject] = Field(sa_type=_JSON)
    input: JsonObject = Field(sa_type=_JSON)


class StatsCountRow(_Row, table=True):
    """Incremental counts for the regional monitor (``GET /v1/stats``), kept in the ingest
    transaction by ``gateway.storage.stats.on_ingest``: counting a million signals per request is
    too slow. One row per combination of a rollup shape's axes (and facet value); axes a shape
    does not keep hold 0 or "". Only codes and counts: no ref, pseudonym or sealed data."""

    __tablename__ = "stats_counts"
    # SQLite: the primary key is the table's order, so one shape's rows are read as one range.
    __table_args__ = {"sqlite_with_rowid": False}

    shape: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    facet: str = Field(primary_key=True, max_length=16)
    value: str = Field(primary_key=True, max_length=64)
    month: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    municipality: str = Field(primary_key=True, max_length=6)
    form: str = Field(primary_key=True, max_length=32)
    certainty: str = Field(primary_key=True, max_length=16)
    party: str = Field(primary_key=True, max_length=64)
    minor: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    n: int = Field(sa_column=Column(BigInteger, nullable=False))


class StatsProgressRow(_Row, table=True):
    """How far the rollup has counted: every signal id up to ``applied_signal_id`` is in it."""

    __tablename__ = "stats_progress"

    id: int = Field(primary_key=True)
    applied_signal_id: int = Field(sa_column=Column(BigInteger, nullable=False))


class StatsRetiredRow(_Row, table=True):
    """A version that stopped being current and is not yet subtracted from the rollup."""

    __tablename__ = "stats_retired"

    signal_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))


class CaseRow(_Row, table=True):
    """A case opened by the RIEC from a hit: its stage in the chain process, its
    purpose and whether the casusoverleg is split (a part with the care coordinator)."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_hit_id", "hit_id"),)

    id: str = Field(primary_key=True, max_length=32)
    hit_id: str = Field(max_length=32)
    stage: str = Field(max_length=16)
    purpose: str = Field(max_length=64)
    split_meeting: bool
    opened_by: str = Field(max_length=64)
    opened_at: datetime = Field(sa_type=_utc())
    updated_at: datetime = Field(sa_type=_utc())
    handle_key: bytes | None = Field(default=None, sa_type=LargeBinary(32))
    """The key of the case's subject and signal handles (gateway.crypto.handles)."""


class CaseParticipantRow(_Row, table=True):
    """A covenant party taking part in a case."""

    __tablename__ = "case_participants"

    case_id: str = Field(primary_key=True, max_length=32)
    party: str = Field(primary_key=True, max_length=64)


class CaseSignalRow(_Row, table=True):
    """A signal in a case file: chosen by the case director, or added by its own supplier."""

    __tablename__ = "case_signals"
    __table_args__ = (Index("ix_case_signals_signal_id", "signal_id"),)

    case_id: str = Field(primary_key=True, max_length=32)
    signal_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    added_by: str = Field(max_length=64)
    added_at: datetime = Field(sa_type=_utc())
    reason: str | None = Field(default=None, max_length=64)


class CaseSubjectRow(_Row, table=True):
    """A person or other subject the case is about, by pseudonym (never shown; the case
    director picks it by its handle). A release passes on only these subjects' details."""

    __tablename__ = "case_subjects"

    case_id: str = Field(primary_key=True, max_length=32)
    pseudonym: bytes = Field(sa_column=Column(LargeBinary(64), primary_key=True))
    kind: str = Field(max_length=16)
    added_by: str = Field(max_length=64)
    added_at: datetime = Field(sa_type=_utc())
    reason: str = Field(max_length=64)


class CaseEventRow(_Row, table=True):
    """A case's history: opened, stage changed, signals added, approvals, interventions."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_id", "case_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(_ID, primary_key=True))
    case_id: str = Field(max_length=32)
    at: datetime = Field(sa_type=_utc())
    event: str = Field(max_length=32)
    actor_party: str = Field(max_length=64)
    detail: JsonObject = Field(sa_type=_JSON)
    policy_revision: str = Field(max_length=80)


class ApprovalRow(_Row, table=True):
    """One approval of a case's release (four eyes): who (party, employee id), in which role."""

    __tablename__ = "case_approvals"

    case_id: str = Field(primary_key=True, max_length=32)
    role: str = Field(primary_key=True, max_length=32)
    party: str = Field(max_length=64)
    sub: str = Field(max_length=128)
    approved_at: datetime = Field(sa_type=_utc())


class InterventionRow(_Row, table=True):
    """An intervention assigned to a partner in the toewijzing stage, and how it is going."""

    __tablename__ = "case_interventions"
    __table_args__ = (Index("ix_case_interventions_case_id", "case_id"),)

    id: str = Field(primary_key=True, max_length=32)
    case_id: str = Field(max_length=32)
    party: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    status: str = Field(max_length=16)
    assigned_at: datetime = Field(sa_type=_utc())
    updated_at: datetime = Field(sa_type=_utc())


class ReleaseRow(_Row, table=True):
    """One release of a case part: the decision it followed, no content. A part is released
    again when its basis changed; each release has the next ``number`` and names its
    ``predecessor``, and ``basis_digest`` lets a retried request find the release it made."""

    __tablename__ = "releases"
    __table_args__ = (
        UniqueConstraint(
            "case_id", "meeting_part", "number", name="uq_releases_case_part_number"
        ),
    )

    id: str = Field(primary_key=True, max_length=32)
    case_id: str = Field(max_length=32)
    meeting_part: str = Field(max_length=16)
    requested_by: str = Field(max_length=64)
    released_at: datetime = Field(sa_type=_utc())
    policy_revision: str = Field(max_length=80)
    summary: JsonObject = Field(sa_type=_JSON)
    number: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    predecessor: str | None = Field(default=None, max_length=32)
    basis_digest: str | None = Field(default=None, max_length=64)


class PackageRow(_Row, table=True):
    """A release's package for one recipient party, sealed to that party's HPKE key: the
    gateway stores it and cannot read it."""

    __tablename__ = "packages"
    __table_args__ = (
        UniqueConstraint("release_id", "recipient", name="uq_packages_release_recipient"),
    )

    id: str = Field(primary_key=True, max_length=32)
    release_id: str = Field(max_length=32)
    case_id: str = Field(max_length=32)
    recipient: str = Field(max_length=64)
    sealed: bytes = Field(sa_type=LargeBinary())
    released: int
    withheld: int
    created_at: datetime = Field(sa_type=_utc())
    fetched_at: datetime | None = Field(default=None, sa_type=_utc())
    superseded_by: str | None = Field(default=None, max_length=32)
    """The release that replaced this package's release: the recipient works from that one."""
    superseded_at: datetime | None = Field(default=None, sa_type=_utc())


class EmbargoRow(_Row, table=True):
    """An embargo of an investigation (politie, OM) on one subject (by pseudonym, never in
    clear), one signal (party and ref, every version) or a whole case, in force up to and
    including ``until``. Extensions move ``until`` (each one is in the audit log); a lifted
    embargo keeps its row with ``lifted_at`` and ``lifted_by``."""

    __tablename__ = "embargoes"
    __table_args__ = (
        Index("ix_embargoes_pseudonym", "pseudonym"),
        Index("ix_embargoes_signal", "signal_party", "signal_ref"),
        Index("ix_embargoes_case_id", "case_id"),
    )

    id: str = Field(primary_key=True, max_length=32)
    target_kind: str = Field(max_length=16)
    """``subject``, ``signal`` or ``case``: which one of the three target columns is set."""
    pseudonym: bytes | None = Field(default=None, sa_type=LargeBinary(64))
    signal_party: str | None = Field(default=None, max_length=64)
    signal_ref: str | None = Field(default=None, max_length=128)
    case_id: str | None = Field(default=None, max_length=32)
    placed_by: str = Field(max_length=64)
    reason: str = Field(max_length=64)
    until: date
    allowed_types: list[str] = Field(sa_type=_JSON)
    """The recipient types that still receive what it holds, as the embargo decision named them."""
    created_at: datetime = Field(sa_type=_utc())
    updated_at: datetime = Field(sa_type=_utc())
    lifted_at: datetime | None = Field(default=None, sa_type=_utc())
    lifted_by: str | None = Field(default=None, max_length=64)


class HubRegisterRow(_Row, table=True):
    """The register of pseudonyms that never link (a shelter, a briefadres, a hotel, an
    employment agency), kept by privacy officers, and the RIEC's word on a candidate hub
    (confirmed: never links; overruled: links despite its structure). Entered as a pseudonym,
    never in clear; an entry ends at ``expires_at`` or when it is withdrawn (the row stays)."""

    __tablename__ = "hub_register"
    __table_args__ = (Index("ix_hub_register_pseudonym", "pseudonym"),)

    id: str = Field(primary_key=True, max_length=32)
    pseudonym: bytes = Field(sa_type=LargeBinary(64))
    kind: str = Field(max_length=16)
    mark: str = Field(max_length=16)
    """``register`` (never links), ``bevestigd`` (a confirmed candidate), ``verworpen`` (an
    overruled candidate: links)."""
    reason: str = Field(max_length=64)
    registered_by_party: str = Field(max_length=64)
    registered_by: str = Field(max_length=64)
    registered_at: datetime = Field(sa_type=_utc())
    expires_at: datetime | None = Field(default=None, sa_type=_utc())
    withdrawn_at: datetime | None = Field(default=None, sa_type=_utc())
    withdrawn_by_party: str | None = Field(default=None, max_length=64)
