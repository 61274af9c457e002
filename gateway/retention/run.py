"""The retention run (Convenant art. 15; ``gateway retention run``): signals observed longer ago
than ``retention.unlinked_signal_days`` are deleted, sealed details and all; their clusters are
re-checked (they may split) and the hits re-judged; recorded policy decisions older than
``retention.decision_record_days`` (the inputs ``policy simulate`` replays) are deleted too. One
audited transaction.

Then the release keys (crypto-shredding, docs/sealing.md): the current key is rotated once it is
``GATEWAY_RELEASE_KEY_ROTATION_DAYS`` old, and a key retired longer than the grace period that no
stored signal is sealed to any more is shredded, so every copy of its envelopes, in every backup,
stays ciphertext without a key. Past a retired key's retention horizon the signals still sealed
to it (in a case) are first re-sealed to the current key. Each rotation, re-sealing and
shredding is its own transaction, after the purge has committed: a key is never deleted while a
rolled-back transaction still needs it.

The periods are policy data: the run reads them from the revision the gateway decides with.
Without ``decision_record_days`` decision records are kept (the covenant data of earlier
versions had no such period).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection

from gateway import sealing
from gateway.audit import store as audit
from gateway.audit.chain import AuditEvent
from gateway.errors import ConfigurationError
from gateway.hits.refresh import refresh_hits
from gateway.jsontypes import Json
from gateway.linkage.rules import link_rules
from gateway.parties.release_keys import BEGINNING, ReleaseKey
from gateway.runtime import Runtime
from gateway.storage import decisions, retention, signals
from gateway.storage.linkage import SqlLinker


@dataclass(frozen=True, slots=True)
class KeyUpkeep:
    """What the run did (or, dry, would do) with the release keys."""

    rotation_due: bool = False
    rotated: str | None = None  # the new current key's kid (None in a dry run)
    shredded: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()  # retired past grace, but stored signals are still sealed to them
    # Versions in a case carried over to the current key before a shredding (0 in a dry run).
    resealed: int = 0


@dataclass(frozen=True, slots=True)
class RetentionReport:
    cutoff: datetime
    due: int
    deleted_rows: int
    clusters_changed: int
    hits_lapsed: int
    dry_run: bool
    decisions_cutoff: datetime | None = None
    decisions: int = 0
    keys: KeyUpkeep = KeyUpkeep()


def _days(rt: Runtime, key: str, *, required: bool) -> int | None:
    days = rt.policy.data.get("covenant", {}).get("retention", {}).get(key)
    if days is None and not required:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ConfigurationError(f"data.covenant.retention.{key}: verwacht een geheel getal >= 1")
    return days


def retention_days(rt: Runtime) -> int:
    days = _days(rt, "unlinked_signal_days", required=True)
    assert days is not None
    return days


def run_retention(rt: Runtime, *, dry_run: bool = False) -> RetentionReport:
    now = rt.clock()
    cutoff = now - timedelta(days=retention_days(rt))
    record_days = _days(rt, "decision_record_days", required=False)
    decisions_cutoff = None if record_days is None else now - timedelta(days=record_days)
    report = _purge(rt, now, cutoff, decisions_cutoff, dry_run=dry_run)
    # Only after the purge has committed: a key is never shredded for rows a rollback restores.
    return replace(report, keys=release_key_upkeep(rt, dry_run=dry_run))


def _purge(
    rt: Runtime,
    now: datetime,
    cutoff: datetime,
    decisions_cutoff: datetime | None,
    *,
    dry_run: bool,
) -> RetentionReport:
    with rt.engine.begin() as connection:
        ids = retention.due(connection, observed_before=cutoff)
        if dry_run:
            old = (
                0
                if decisions_cutoff is None
                else decisions.older_than(connection, decisions_cutoff)
            )
            return RetentionReport(cutoff, len(ids), 0, 0, 0, True, decisions_cutoff, old)
        linker = SqlLinker(connection, link_rules(rt.policy.data), now=now)
        barriers = {code: b.value for code, b in rt.catalogue.barriers.items()}
        deleted = retention.purge(connection, linker, ids, barriers=barriers)
        hits = refresh_hits(
            connection,
            linker.changes,
            rt.policy,
            now=now,
            party_types=rt.party_types,
            barrier_of=rt.barrier_of,
        )
        pruned = 0 if decisions_cutoff is None else decisions.prune(connection, decisions_cutoff)
        audit.append(
            connection,
            [
                AuditEvent(
                    event="retention.purged",
                    object={"observed_before": cutoff.isoformat()},
                    detail={
                        "signals": len(ids),
                        "rows": deleted,
                        "clusters_changed": hits.clusters,
                        "hits_lapsed": hits.lapsed,
                        "decisions": pruned,
                    },
                    policy_revision=rt.policy.revision,
                )
            ],
            now=now,
        )
    return RetentionReport(
        cutoff, len(ids), deleted, hits.clusters, hits.lapsed, False, decisions_cutoff, pruned
    )


def release_key_upkeep(rt: Runtime, *, dry_run: bool) -> KeyUpkeep:
    """Rotate the current release key when it is due; shred retired keys nothing needs."""
    now = rt.clock()
    store = rt.release_keys
    rotated = None
    rotation = timedelta(days=rt.settings.release_key_rotation_days)
    due = now - store.current(now).not_before >= rotation
    if due and not dry_run:
        rotated = rotate_release_key(rt, reason="period").kid
    # Every signal sealed to a key retired this long ago is past its ordinary retention: what is
    # still stored is in a case (or a straggler), and is re-sealed to the current key so that the
    # old key, and with it every expired signal in every backup, can go.
    horizon = timedelta(days=retention_days(rt))
    shredded, kept, resealed = [], [], 0
    for state in store.states(now):
        retired = state.retired_at
        if retired is None or now - retired < rt.release_key_grace:
            continue
        kid = state.key.kid
        target = store.current(now)
        with rt.engine.begin() as connection:
            remaining = signals.sealed_to(connection, kid)
            if remaining and now - retired < horizon:
                kept.append(kid)
                continue
            if dry_run:
                # How many would be re-sealed depends on what the purge deletes first: not told.
                shredded.append(kid)
                continue
            if remaining:
                _reseal(connection, kid, store.private_records(), target.public)
        # The re-sealed envelopes are committed before the key goes: whatever fails from here
        # on, they open under the current key.
        with rt.engine.begin() as connection:
            if signals.sealed_to(connection, kid):  # ingest refuses this key since its grace
                kept.append(kid)
                continue
            audit.append(
                connection,
                [
                    AuditEvent(
                        event="release_key.shredded",
                        object={"kid": kid},
                        detail={
                            "not_before": None
                            if state.key.not_before == BEGINNING
                            else state.key.not_before.isoformat(),
                            "retired_at": retired.isoformat(),
                            "resealed": remaining,
                            "resealed_to": target.kid if remaining else None,
                        },
                    )
                ],
                now=now,
            )
            # After its audit entry, inside the transaction: if deleting fails, no entry.
            store.shred(kid)
        shredded.append(kid)
        resealed += remaining
    return KeyUpkeep(due, rotated, tuple(shredded), tuple(kept), resealed)


def _reseal(
    connection: Connection,
    kid: str,
    private_records: Mapping[str, Mapping[str, Json]],
    target: Mapping[str, Json],
) -> None:
    """Open every version still sealed to ``kid`` and seal it to ``target``, in memory only."""
    opener = sealing.Opener(private_records)
    for row in signals.sealed_rows(connection, kid):
        context = sealing.SealContext(party=row.party, ref=row.ref, version=row.version)
        try:
            plaintext = opener.open(bytes(row.sealed), context=context)
        except sealing.SealError:
            # Never shred a key while something sealed to it cannot be carried over.
            raise ConfigurationError(
                f"signaalversie {row.id} kon niet worden geopend om opnieuw te verzegelen; "
                f"vrijgavesleutel {kid} blijft bewaard"
            ) from None
        sealed = sealing.seal(plaintext, recipient=target, context=context)
        signals.replace_sealed(connection, row.id, sealed, str(target["kid"]))


def rotate_release_key(rt: Runtime, *, reason: str) -> ReleaseKey:
    """A new current release key, audited (``reason``: ``period`` or ``manual``)."""
    now = rt.clock()
    pair = sealing.new_key_pair()
    with rt.engine.begin() as connection:
        audit.append(
            connection,
            [
                AuditEvent(
                    event="release_key.rotated",
                    object={"kid": pair[1]["kid"]},
                    detail={"not_before": now.isoformat(), "reason": reason},
                )
            ],
            now=now,
        )
        # The effect after its audit entry, inside the transaction: if it fails, the entry is
        # rolled back with it.
        return rt.release_keys.rotate(now, pair)
