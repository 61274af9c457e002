"""Properties of batch planning (pure domain logic, no database): idempotency, atomic conflicts,
and exactly one version in force per ref whatever order versions arrive in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import Conflict
from gateway.signals.models import Limits, SignalIn
from gateway.signals.reference import load_catalogue
from gateway.signals.service import StoredVersion, plan_batch
from tests.support import REPO, signal

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LIMITS = Limits(
    catalogue=load_catalogue(REPO / "policies"),
    max_sealed_bytes=16384,
    max_batch_signals=1000,
    now=NOW,
    clock_skew=timedelta(seconds=30),
)
FORMS = ["arbeidsuitbuiting", "seksuele_uitbuiting", "criminele_uitbuiting", "onbekend"]


def make(
    ref: str, version: int = 1, supersedes: int | None = None, form: str = FORMS[0]
) -> SignalIn:
    document = signal(ref, version=version, supersedes=supersedes, form=form)
    # Fixed subjects and blob so that equal arguments mean equal content.
    document["subjects"] = [{"kind": "bsn", "role": "slachtoffer", "pseudonym": "A" * 86}]
    document["sealed"] = "B" * 40
    return SignalIn.model_validate(document, context={"limits": LIMITS})


def stored_after(plan, previous: list[StoredVersion], start_id: int = 1) -> list[StoredVersion]:
    """What the store holds after applying ``plan`` (retire, then insert)."""
    retired = set(plan.retire_ids)
    result = [
        StoredVersion(
            v.id,
            v.ref,
            v.version,
            v.content_sha256,
            v.received_at,
            v.is_current and v.id not in retired,
        )
        for v in previous
    ]
    next_id = max([v.id for v in previous], default=start_id - 1) + 1
    for offset, row in enumerate(plan.inserts):
        result.append(
            StoredVersion(
                next_id + offset,
                row.signal.ref,
                row.signal.version,
                row.content_sha256,
                row.received_at,
                row.is_current,
            )
        )
    return result


batches = st.lists(
    st.tuples(st.sampled_from(["r1", "r2", "r3", "r4"]), st.sampled_from(FORMS)),
    min_size=1,
    max_size=12,
)


@given(batches)
@settings(max_examples=200)
def test_replaying_any_accepted_batch_is_a_pure_duplicate(spec):
    signals = [make(ref, form=form) for ref, form in spec]
    try:
        first = plan_batch(signals, stored=[], now=NOW)
    except Conflict as conflict:
        # Only a ref repeated with other content conflicts; the error names a repeat.
        refs = [ref for ref, _ in spec]
        assert any(refs.count(r) > 1 for r in refs)
        assert all(e.location.startswith("signals[") for e in conflict.errors)
        return
    stored = stored_after(first, [])
    again = plan_batch(signals, stored=stored, now=NOW + timedelta(hours=1))
    assert again.inserts == [] and again.retire_ids == []
    assert again.duplicates == len(signals)
    assert again.receipts == first.receipts  # same receipts, same received_at


@given(st.lists(st.tuples(st.sampled_from(["r1", "r2"]), st.booleans()), min_size=1, max_size=10))
@settings(max_examples=200)
def test_exactly_one_version_in_force_per_ref(steps):
    """Successive versions, sent alone or several in one batch, leave only the newest current."""
    stored: list[StoredVersion] = []
    latest: dict[str, int] = {}
    pending: list[SignalIn] = []
    for ref, end_batch in [*steps, ("r1", True)]:
        version = latest.get(ref, 0) + 1
        pending.append(make(ref, version=version, supersedes=latest.get(ref)))
        latest[ref] = version
        if end_batch:
            stored = stored_after(plan_batch(pending, stored=stored, now=NOW), stored)
            pending = []
    for ref in latest:
        current = [v.version for v in stored if v.ref == ref and v.is_current]
        assert current == [latest[ref]]
    assert len(stored) == sum(latest.values())


def test_conflicts_are_all_listed_and_nothing_is_planned():
    stored = stored_after(plan_batch([make("a"), make("b")], stored=[], now=NOW), [])
    with pytest.raises(Conflict) as raised:
        plan_batch(
            [make("c"), make("a", form=FORMS[1]), make("b", version=2), make("d", 2, 1)],
            stored=stored,
            now=NOW,
        )
    assert [(e.location, e.code) for e in raised.value.errors] == [
        ("signals[1].version", "content-differs"),
        ("signals[2].supersedes", "version-in-force"),
        ("signals[3].supersedes", "nothing-to-supersede"),
    ]


def test_in_batch_successor_leaves_only_the_last_version_current():
    plan = plan_batch([make("a"), make("a", 2, 1), make("a", 3, 2)], stored=[], now=NOW)
    assert [(r.signal.version, r.is_current) for r in plan.inserts] == [
        (1, False),
        (2, False),
        (3, True),
    ]
