"""The audit log: the pure hash chain, and its SQL store on SQLite and PostgreSQL.

The chain must make every change visible: a modified, reordered, deleted or re-serialised entry, a
cut-off tail, a changed hash or head. ``AuditChainBroken.seq`` must name the first entry that fails.
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, text

from gateway.audit import chain, store
from gateway.audit.chain import GENESIS, AuditChainBroken, AuditEvent

NOW = datetime(2026, 11, 22, 12, 30, 15, 123456, tzinfo=UTC)

# The only members chain.seal writes; anything else in a body would be a leak or a bug.
SEALED_FIELDS = {"v", "seq", "recorded_at", "event", "actor", "object", "detail", "policy_revision"}

Row = tuple[int, str, bytes, bytes]


def _event(i: int) -> AuditEvent:
    return AuditEvent(
        event="signal.ingested",
        actor_party="gemeente-rotterdam",
        actor_sub="medewerker-0042",
        object={"signal_id": 1000 + i, "ref": f"sig-{i:04d}"},
        detail={"count": i, "batch_sha256": hashlib.sha256(str(i).encode()).hexdigest()},
        policy_revision="rev-2026.1",
    )


def _sealed(n: int) -> tuple[list[Row], tuple[int, bytes]]:
    entries = chain.seal([_event(i) for i in range(n)], after_seq=0, after_hash=GENESIS, now=NOW)
    rows = [(e.seq, e.body, e.leaf_hash, e.chain_hash) for e in entries]
    return rows, (rows[-1][0], rows[-1][3])


def _rechain(rows: list[Row]) -> tuple[list[Row], tuple[int, bytes]]:
    """Recompute every leaf and chain hash over the bodies as given: a forger's best effort."""
    out, previous = [], GENESIS
    for seq, body, _leaf, _chain in rows:
        leaf = hashlib.sha256(b"\x00" + body.encode("utf-8")).digest()
        previous = hashlib.sha256(previous + leaf).digest()
        out.append((seq, body, leaf, previous))
    return out, (out[-1][0] if out else 0, previous)


def _broken_at(rows: list[Row], head: tuple[int, bytes]) -> int:
    with pytest.raises(AuditChainBroken) as caught:
        chain.verify(rows, head=head)
    assert str(caught.value).startswith(f"audit entry {caught.value.seq}: ")
    return caught.value.seq


def _flip(data: bytes, index: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


# --------------------------------------------------------------------------------------------
# chain: sealing


def test_seal_then_verify_returns_the_count() -> None:
    rows, head = _sealed(6)
    assert chain.verify(rows, head=head) == 6
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5, 6]


def test_seal_computes_rfc9162_leaves_and_the_chain() -> None:
    rows, head = _sealed(4)
    previous = bytes(32)
    for seq, body, leaf, chained in rows:
        assert leaf == hashlib.sha256(b"\x00" + body.encode("utf-8")).digest()
        previous = hashlib.sha256(previous + leaf).digest()
        assert chained == previous
        document = json.loads(body)
        assert document["seq"] == seq
        canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert canonical == body
    assert head == (4, previous)


def test_seal_writes_only_the_entry_fields() -> None:
    event = AuditEvent(
        event="auth.refused",
        actor_party="politie-rotterdam",
        actor_sub=None,
        object={"jti_sha256": "ab" * 32},
        detail={"reason_code": "bad-signature"},
        policy_revision=None,
    )
    (entry,) = chain.seal([event], after_seq=41, after_hash=GENESIS, now=NOW)
    document = json.loads(entry.body)
    assert set(document) == SEALED_FIELDS
    assert document == {
        "v": chain.ENTRY_VERSION,
        "seq": 42,
        "recorded_at": NOW.isoformat(),
        "event": "auth.refused",
        "actor": {"party": "politie-rotterdam", "sub": None},
        "object": {"jti_sha256": "ab" * 32},
        "detail": {"reason_code": "bad-signature"},
        "policy_revision": None,
    }
    assert (entry.seq, entry.event, entry.actor_party, entry.recorded_at) == (
        42,
        "auth.refused",
        "politie-rotterdam",
        NOW,
    )


def test_seal_continues_after_the_head() -> None:
    first = chain.seal([_event(i) for i in range(3)], after_seq=0, after_hash=GENESIS, now=NOW)
    second = chain.seal(
        [_event(i) for i in range(3, 5)], after_seq=3, after_hash=first[-1].chain_hash, now=NOW
    )
    rows = [(e.seq, e.body, e.leaf_hash, e.chain_hash) for e in first + second]
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert chain.verify(rows, head=(5, second[-1].chain_hash)) == 5
    # The same events sealed in one go give the same chain.
    together = chain.seal([_event(i) for i in range(5)], after_seq=0, after_hash=GENESIS, now=NOW)
    assert [e.chain_hash for e in together] == [r[3] for r in rows]


def test_empty_log_verifies_only_against_the_genesis_head() -> None:
    assert chain.verify([], head=(0, GENESIS)) == 0
    assert _broken_at([], (1, GENESIS)) == 1
    assert _broken_at([], (0, b"\x01" * 32)) == 1


# --------------------------------------------------------------------------------------------
# chain: every kind of tampering is found at the right entry


@pytest.mark.parametrize("replacement", ["x", " ", "0", '"', "}", "\\", "é"])
def test_modifying_any_byte_of_any_body_is_found(replacement: str) -> None:
    rows, head = _sealed(3)
    for k, (seq, body, leaf, chained) in enumerate(rows):
        for position in range(len(body)):
            if body[position] == replacement:
                continue
            tampered = body[:position] + replacement + body[position + 1 :]
            mutated = rows[:k] + [(seq, tampered, leaf, chained)] + rows[k + 1 :]
            assert _broken_at(mutated, head) == seq, (seq, position)


def test_modifying_a_body_is_found_even_with_recomputed_hashes_of_that_entry() -> None:
    rows, head = _sealed(4)
    seq, body, _, _ = rows[1]
    tampered = body.replace('"count":1', '"count":9')
    assert tampered != body
    leaf = chain.leaf_hash(tampered)
    mutated = rows[:1] + [(seq, tampered, leaf, chain.chain_hash(rows[0][3], leaf))] + rows[2:]
    # Entry 2 is self-consistent now; entry 3 no longer chains onto it.
    assert _broken_at(mutated, head) == 3


def test_swapping_two_entries_is_found() -> None:
    rows, head = _sealed(5)
    for i in range(5):
        for j in range(i + 1, 5):
            mutated = list(rows)
            mutated[i], mutated[j] = mutated[j], mutated[i]
            assert _broken_at(mutated, head) == i + 1


def test_swapping_two_bodies_under_their_seq_numbers_is_found() -> None:
    rows, head = _sealed(5)
    mutated = list(rows)
    mutated[1] = (2, rows[3][1], rows[3][2], rows[3][3])
    mutated[3] = (4, rows[1][1], rows[1][2], rows[1][3])
    assert _broken_at(mutated, head) == 2


def test_deleting_any_entry_is_found() -> None:
    rows, head = _sealed(5)
    for k in range(5):
        assert _broken_at(rows[:k] + rows[k + 1 :], head) == k + 1


def test_deleting_an_entry_and_renumbering_is_found() -> None:
    rows, head = _sealed(5)
    renumbered = [
        (n, body, leaf, chained)
        for n, (_, body, leaf, chained) in enumerate(rows[:2] + rows[3:], start=1)
    ]
    assert _broken_at(renumbered, head) == 3


def test_truncating_the_tail_is_found() -> None:
    rows, head = _sealed(5)
    for keep in range(5):
        assert _broken_at(rows[:keep], head) == keep + 1


def test_truncating_the_tail_and_moving_the_head_back_verifies() -> None:
    """The chain alone cannot see a consistent rollback; only signed checkpoints will.
    Pinned here so that a later checkpoint test knows what it adds."""
    rows, _ = _sealed(5)
    assert chain.verify(rows[:3], head=(3, rows[2][3])) == 3


def test_changing_a_leaf_hash_is_found() -> None:
    rows, head = _sealed(4)
    for k, (seq, body, leaf, chained) in enumerate(rows):
        for index in (0, 31):
            mutated = rows[:k] + [(seq, body, _flip(leaf, index), chained)] + rows[k + 1 :]
            with pytest.raises(AuditChainBroken, match="leaf hash") as caught:
                chain.verify(mutated, head=head)
            assert caught.value.seq == seq


def test_changing_a_chain_hash_is_found() -> None:
    rows, head = _sealed(4)
    for k, (seq, body, leaf, chained) in enumerate(rows[:-1]):
        mutated = rows[:k] + [(seq, body, leaf, _flip(chained, 31))] + rows[k + 1 :]
        with pytest.raises(AuditChainBroken, match="chain hash") as caught:
            chain.verify(mutated, head=head)
        assert caught.value.seq == seq
    # The last one: its stored hash and the head disagree with the recomputed chain.
    seq, body, leaf, chained = rows[-1]
    assert _broken_at(rows[:-1] + [(seq, body, leaf, _flip(chained))], head) == seq


def test_changing_the_head_is_found() -> None:
    rows, (seq, chained) = _sealed(4)
    assert _broken_at(rows, (seq, _flip(chained))) == 5
    assert _broken_at(rows, (seq + 1, chained)) == 5
    assert _broken_at(rows, (seq - 1, chained)) == 5


def test_appended_entry_without_head_update_is_found() -> None:
    """A well-chained entry the head does not cover is refused. Like every head fault it is
    reported one past the last entry read (``verify`` checks the head after the entries)."""
    rows, head = _sealed(4)
    extra = chain.seal([_event(99)], after_seq=4, after_hash=head[1], now=NOW)[0]
    rows.append((extra.seq, extra.body, extra.leaf_hash, extra.chain_hash))
    with pytest.raises(AuditChainBroken, match="head") as caught:
        chain.verify(rows, head=head)
    assert caught.value.seq == 6


@pytest.mark.parametrize(
    "reformat",
    [
        lambda d: json.dumps(d, sort_keys=True),  # spaces after separators
        lambda d: json.dumps(d, sort_keys=True, indent=1),
        lambda d: json.dumps(dict(reversed(list(d.items()))), separators=(",", ":")),  # key order
        lambda d: json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=True),
        lambda d: json.dumps(d, sort_keys=True, separators=(",", ":")) + "\n",
        lambda d: " " + json.dumps(d, sort_keys=True, separators=(",", ":")),
        lambda d: json.dumps(d, sort_keys=True, separators=(",", ":")).replace(
            '"seq":',
            '"seq":1,"seq":',  # duplicate key, same meaning to json.loads
        ),
    ],
    ids=[
        "spaces",
        "indent",
        "key-order",
        "ascii-escapes",
        "trailing-newline",
        "leading-space",
        "duplicate-key",
    ],
)
def test_non_canonical_body_with_the_same_meaning_is_found(reformat) -> None:
    """Even when the forger recomputes every hash and the head, a second serialisation of the
    same document is refused: one entry has exactly one byte string."""
    rows, _ = _sealed(4)
    seq, body, _, _ = rows[2]
    document = json.loads(body)
    document["detail"]["note_code"] = "sluis-é"  # a non-ASCII code point, so ensure_ascii differs
    canonical = chain.canonical_json(document)
    # The forged entry means the same document as a canonical one would; only bytes differ.
    forged_body = reformat(document)
    assert forged_body != canonical and json.loads(forged_body) == json.loads(canonical)
    forged, head = _rechain(rows[:2] + [(seq, forged_body, b"", b"")] + rows[3:])
    with pytest.raises(AuditChainBroken, match="canonical") as caught:
        chain.verify(forged, head=head)
    assert caught.value.seq == seq


def test_body_claiming_another_seq_is_found_even_when_rehashed() -> None:
    rows, _ = _sealed(3)
    document = json.loads(rows[1][1])
    document["seq"] = 7
    forged, head = _rechain(rows[:1] + [(2, chain.canonical_json(document), b"", b"")] + rows[2:])
    assert _broken_at(forged, head) == 2


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not json",
        '{"seq":2',
        "[]",
        "null",
        "2",
        '"text"',
        '[{"seq":2}]',
        '{"seq":2,"n":' + "9" * 5000 + "}",  # json.loads raises a plain ValueError
        "[" * 100_000 + "]" * 100_000,  # json.loads raises RecursionError
    ],
    ids=[
        "empty",
        "text",
        "cut-off",
        "array",
        "null",
        "number",
        "string",
        "array-of-object",
        "huge-int",
        "deep-nesting",
    ],
)
def test_any_unparsable_or_non_object_body_is_reported_as_broken(body: str) -> None:
    """Whatever a tamperer writes into ``body``, verify reports the entry, never crashes."""
    rows, head = _sealed(3)
    seq, _, leaf, chained = rows[1]
    assert _broken_at(rows[:1] + [(seq, body, leaf, chained)] + rows[2:], head) == 2


# --------------------------------------------------------------------------------------------
# chain: property — any single mutation of a random log is detected at the right entry

_ids = st.text("abcdefghijklmnopqrstuvwxyz0123456789.-", min_size=1, max_size=20)
_codes = st.text("abcdefghijklmnopqrstuvwxyz.", min_size=1, max_size=24)
_ints = st.integers(min_value=-(2**63), max_value=2**63)
_values = st.one_of(_ints, _ids, st.none(), st.booleans(), st.lists(_ints, max_size=3))
_events = st.builds(
    AuditEvent,
    event=_codes,
    actor_party=st.none() | _ids,
    actor_sub=st.none() | _ids,
    object=st.dictionaries(_ids, _values, max_size=4),
    detail=st.dictionaries(_ids, _values, max_size=4),
    policy_revision=st.none() | _ids,
)
_MUTATIONS = ["body", "swap", "delete", "truncate", "leaf", "chain", "head-seq", "head-hash"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=st.lists(_events, min_size=1, max_size=12),
    after=st.integers(min_value=0, max_value=3),
    kind=st.sampled_from(_MUTATIONS),
    data=st.data(),
)
def test_property_any_single_mutation_is_detected(
    events: list[AuditEvent], after: int, kind: str, data: st.DataObject
) -> None:
    # Optionally start from a non-empty prefix so that the mutated entries need not start at 1.
    prefix = chain.seal([AuditEvent(event="x")] * after, after_seq=0, after_hash=GENESIS, now=NOW)
    previous = prefix[-1].chain_hash if prefix else GENESIS
    sealed = prefix + chain.seal(events, after_seq=after, after_hash=previous, now=NOW)
    rows = [(e.seq, e.body, e.leaf_hash, e.chain_hash) for e in sealed]
    head = (rows[-1][0], rows[-1][3])
    n = len(rows)
    assert chain.verify(rows, head=head) == n

    mutated = list(rows)
    k = data.draw(st.integers(min_value=0, max_value=n - 1), label="entry")
    seq, body, leaf, chained = rows[k]
    if kind == "body":
        position = data.draw(st.integers(min_value=0, max_value=len(body) - 1), label="position")
        char = data.draw(
            st.characters(exclude_categories=("Cs",)).filter(lambda c: c != body[position]),
            label="char",
        )
        mutated[k] = (seq, body[:position] + char + body[position + 1 :], leaf, chained)
        expected = seq
    elif kind == "swap":
        if n < 2:
            mutated, expected = mutated[:-1], n  # degenerate: fall back to losing the only entry
        else:
            others = st.integers(min_value=0, max_value=n - 1).filter(lambda j: j != k)
            j = data.draw(others, label="other")
            mutated[k], mutated[j] = mutated[j], mutated[k]
            expected = min(k, j) + 1
    elif kind == "delete":
        del mutated[k]
        expected = seq
    elif kind == "truncate":
        mutated = mutated[:k]
        expected = k + 1
    elif kind == "leaf":
        index = data.draw(st.integers(min_value=0, max_value=31), label="byte")
        mutated[k] = (seq, body, _flip(leaf, index), chained)
        expected = seq
    elif kind == "chain":
        index = data.draw(st.integers(min_value=0, max_value=31), label="byte")
        mutated[k] = (seq, body, leaf, _flip(chained, index))
        expected = seq
    elif kind == "head-seq":
        deltas = st.integers(min_value=-n, max_value=5).filter(lambda d: d != 0)
        delta = data.draw(deltas, label="delta")
        head = (head[0] + delta, head[1])
        expected = n + 1
    else:
        index = data.draw(st.integers(min_value=0, max_value=31), label="byte")
        head = (head[0], _flip(head[1], index))
        expected = n + 1
    assert _broken_at(mutated, head) == expected


# --------------------------------------------------------------------------------------------
# store: on SQLite and PostgreSQL


def _head(engine: Engine) -> tuple[int, bytes]:
    with engine.connect() as connection:
        row = connection.execute(text("SELECT seq, chain_hash FROM audit_head WHERE id = 1")).one()
    return row.seq, bytes(row.chain_hash)


def _rows(engine: Engine) -> list[Row]:
    with engine.connect() as connection:
        result = connection.execute(
            text("SELECT seq, body, leaf_hash, chain_hash FROM audit_log ORDER BY seq")
        )
        return [(r.seq, r.body, bytes(r.leaf_hash), bytes(r.chain_hash)) for r in result]


def _append(engine: Engine, events: list[AuditEvent], now: datetime = NOW) -> list[int]:
    with engine.begin() as connection:
        return store.append(connection, events, now=now)


def _verify(engine: Engine) -> int:
    with engine.connect() as connection:
        return store.verify(connection)


def _store_broken_at(engine: Engine) -> int:
    with pytest.raises(AuditChainBroken) as caught:
        _verify(engine)
    return caught.value.seq


def test_store_empty_log_verifies(engine: Engine) -> None:
    assert _head(engine) == (0, bytes(32))
    assert _verify(engine) == 0


def test_store_appends_batches_contiguously_and_moves_the_head(engine: Engine) -> None:
    expected_seq = 0
    for batch_number, size in enumerate([1, 3, 7, 2, 1]):
        events = [_event(100 * batch_number + i) for i in range(size)]
        seqs = _append(engine, events, now=NOW + timedelta(seconds=batch_number))
        assert seqs == list(range(expected_seq + 1, expected_seq + size + 1))
        expected_seq += size
        rows = _rows(engine)
        assert [r[0] for r in rows] == list(range(1, expected_seq + 1))
        assert _head(engine) == (expected_seq, rows[-1][3])
        assert _verify(engine) == expected_seq
    # The stored chain is exactly what sealing the same events in one go would give: the store
    # links each batch onto the previous head, it does not start a new chain.
    rows = _rows(engine)
    assert chain.verify(rows, head=_head(engine)) == 14
    for seq, body, leaf, _ in rows:
        assert leaf == hashlib.sha256(b"\x00" + body.encode()).digest()
        assert json.loads(body)["seq"] == seq


def test_store_append_of_nothing_is_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        with pytest.raises(ValueError):
            store.append(connection, [], now=NOW)
    assert _rows(engine) == []
    assert _head(engine) == (0, bytes(32))


def test_store_append_rolls_back_with_the_callers_transaction(engine: Engine) -> None:
    """The audit write shares the effect's transaction: if the effect fails, no entry remains."""
    _append(engine, [_event(0)])
    head = _head(engine)

    class EffectFailed(Exception):
        pass

    with pytest.raises(EffectFailed):
        with engine.begin() as connection:
            store.append(connection, [_event(1), _event(2)], now=NOW)
            raise EffectFailed
    assert [r[0] for r in _rows(engine)] == [1]
    assert _head(engine) == head
    assert _append(engine, [_event(3)]) == [2]
    assert _verify(engine) == 2


def test_store_entries_carry_only_the_sealed_fields(engine: Engine) -> None:
    events = [
        _event(1),
        AuditEvent(event="auth.refused", actor_party=None, detail={"reason_code": "expired"}),
        AuditEvent(event="signal.ingested", actor_party="om-rotterdam", object={"count": 3}),
    ]
    _append(engine, events)
    with engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("audit_log")}
        raw = connection.execute(
            text("SELECT seq, event, actor_party, body FROM audit_log ORDER BY seq")
        ).all()
    # No column besides the hashed body and its indexed copies.
    assert columns == {
        "seq",
        "recorded_at",
        "event",
        "actor_party",
        "body",
        "leaf_hash",
        "chain_hash",
    }
    documents = []
    for row, event in zip(raw, events, strict=True):
        document = json.loads(row.body)
        documents.append(document)
        assert chain.canonical_json(document) == row.body
        assert set(document) == SEALED_FIELDS
        assert set(document["actor"]) == {"party", "sub"}
        assert document["seq"] == row.seq
        assert document["v"] == chain.ENTRY_VERSION
        assert document["recorded_at"] == NOW.isoformat()
        # The query columns are copies of the body, not extra information.
        assert (row.event, row.actor_party) == (document["event"], document["actor"]["party"])
        assert (
            document["event"],
            document["actor"]["party"],
            document["actor"]["sub"],
            document["object"],
            document["detail"],
            document["policy_revision"],
        ) == (
            event.event,
            event.actor_party,
            event.actor_sub,
            event.object,
            event.detail,
            event.policy_revision,
        )
    with engine.connect() as connection:
        assert store.entries(connection) == documents
        assert store.entries(connection, event="signal.ingested") == [documents[0], documents[2]]
        assert store.entries(connection, event="nothing") == []


_TAMPERING = {
    "body-value": (
        "UPDATE audit_log SET body = REPLACE(body, :count_2, :count_5) WHERE seq = 3",
        3,
    ),
    "body-non-canonical": ("UPDATE audit_log SET body = body || ' ' WHERE seq = 3", 3),
    "body-not-json": ("UPDATE audit_log SET body = 'gewist' WHERE seq = 3", 3),
    "body-not-object": ("UPDATE audit_log SET body = '[]' WHERE seq = 3", 3),
    "delete-middle": ("DELETE FROM audit_log WHERE seq = 3", 3),
    "delete-first": ("DELETE FROM audit_log WHERE seq = 1", 1),
    "delete-last": ("DELETE FROM audit_log WHERE seq = 5", 5),
    "truncate-tail": ("DELETE FROM audit_log WHERE seq >= 4", 4),
    "leaf-hash": ("UPDATE audit_log SET leaf_hash = :zero WHERE seq = 3", 3),
    "chain-hash": ("UPDATE audit_log SET chain_hash = :zero WHERE seq = 3", 3),
    "swap-seq": (
        "UPDATE audit_log SET seq = -4 WHERE seq = 4;"
        "UPDATE audit_log SET seq = 4 WHERE seq = 2;"
        "UPDATE audit_log SET seq = 2 WHERE seq = -4",
        2,
    ),
    "head-seq": ("UPDATE audit_head SET seq = 4", 6),
    "head-hash": ("UPDATE audit_head SET chain_hash = :zero", 6),
    "head-reset": ("UPDATE audit_head SET seq = 0, chain_hash = :zero", 6),
    "head-deleted": ("DELETE FROM audit_head", 6),
}


@pytest.mark.parametrize("tamper", list(_TAMPERING))
def test_store_verify_finds_tampering_in_sql(engine: Engine, tamper: str) -> None:
    _append(engine, [_event(i) for i in range(2)])
    _append(engine, [_event(i) for i in range(2, 5)])
    assert _verify(engine) == 5
    statement, expected = _TAMPERING[tamper]
    parameters = {"zero": bytes(32), "count_2": '"count":2}', "count_5": '"count":5}'}
    before = (_rows(engine), _head(engine))
    try:
        with engine.begin() as connection:
            for single in statement.split(";"):
                assert connection.execute(text(single), parameters).rowcount >= 1
        if tamper != "head-deleted":
            assert (_rows(engine), _head(engine)) != before
        assert _store_broken_at(engine) == expected
    finally:
        # The engine fixture resets the head row but cannot recreate it.
        with engine.begin() as connection:
            if connection.execute(text("SELECT COUNT(*) FROM audit_head")).scalar_one() == 0:
                connection.execute(
                    text("INSERT INTO audit_head (id, seq, chain_hash) VALUES (1, 0, :zero)"),
                    {"zero": bytes(32)},
                )


def test_store_verify_streams_in_batches(engine: Engine) -> None:
    _append(engine, [_event(i) for i in range(25)])
    with engine.connect() as connection:
        assert store.verify(connection, batch=4) == 25
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_log SET leaf_hash = :zero WHERE seq = 22"), {"zero": bytes(32)}
        )
    with engine.connect() as connection, pytest.raises(AuditChainBroken) as caught:
        store.verify(connection, batch=4)
    assert caught.value.seq == 22


@pytest.mark.parametrize("mode", ["transaction-per-append", "one-transaction-per-thread"])
def test_store_concurrent_appends_form_one_chain(engine: Engine, mode: str) -> None:
    """8 writers × 25 events: the head lock (FOR UPDATE / BEGIN IMMEDIATE) gives one total order;
    without it two writers read the same head and collide on ``seq`` or fork the chain."""
    threads, per_thread = 8, 25
    start = threading.Barrier(threads)
    results: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def writer(t: int) -> None:
        try:
            start.wait(timeout=30)
            seqs: list[int] = []
            if mode == "transaction-per-append":
                for i in range(per_thread):
                    with engine.begin() as connection:
                        event = AuditEvent(event="test.concurrent", object={"thread": t, "i": i})
                        seqs += store.append(connection, [event], now=NOW)
            else:
                with engine.begin() as connection:
                    for i in range(per_thread):
                        event = AuditEvent(event="test.concurrent", object={"thread": t, "i": i})
                        seqs += store.append(connection, [event], now=NOW)
            results[t] = seqs
        except BaseException as exc:  # reported below, with the thread's failure
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers), "a writer hung"
    assert errors == []

    total = threads * per_thread
    assert sorted(seq for seqs in results.values() for seq in seqs) == list(range(1, total + 1))
    for seqs in results.values():
        assert seqs == sorted(seqs)  # each writer's own entries stay in its order
    rows = _rows(engine)
    assert [r[0] for r in rows] == list(range(1, total + 1))
    assert _head(engine) == (total, rows[-1][3])
    assert _verify(engine) == total
    with engine.connect() as connection:
        # The Merkle nodes each append completed agree with the one order the head lock gave.
        assert store.verify_tree(connection) == total - bin(total).count("1")
        written = {(d["object"]["thread"], d["object"]["i"]) for d in store.entries(connection)}
    assert written == {(t, i) for t in range(threads) for i in range(per_thread)}


def test_store_verify_during_concurrent_appends_sees_a_consistent_log(engine: Engine) -> None:
    """``gateway audit verify`` on a live database: appends committing while verify runs must not
    be mistaken for tampering (the head and the entries must come from one consistent state)."""
    _append(engine, [_event(i) for i in range(50)])
    stop, writing = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            i = 0
            while not stop.is_set() and i < 2000:
                _append(engine, [_event(i % 7)])
                writing.set()
                i += 1
        except BaseException as exc:
            errors.append(exc)
        finally:
            writing.set()

    thread = threading.Thread(target=writer)
    thread.start()
    assert writing.wait(timeout=30)
    counts = []
    try:
        for _ in range(40):
            counts.append(_verify(engine))
    finally:
        stop.set()
        thread.join(timeout=60)
    assert errors == []
    assert counts == sorted(counts) and counts[0] > 50
    assert _verify(engine) == _head(engine)[0]
