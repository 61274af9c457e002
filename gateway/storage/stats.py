"""SQL side of the regional monitor: the ``stats_counts`` rollup, brought up to date before each
read (:func:`catch_up`), and the grouped reads behind ``GET /v1/stats``.

Why a rollup: a GROUP BY over 1,000,000 current signals takes 3 to 7 s on SQLite (the rows carry
their sealed blobs, and indicators sit in a JSON list), against a budget of 500 ms p95
(docs/architecture.md). The rollup keeps one count per combination of a shape's axes
(``gateway.stats.dimensions``); a request reads one shape, at most some 100,000 narrow rows.
``bench/stats.py`` measures both.

Who keeps it right: ingest notes the versions it retires (:func:`note_retired`, one narrow row
each) and :func:`catch_up` counts everything committed since the last time, before a read;
retention catches up and subtracts what it deletes (:func:`on_ingest` with ``removed_ids``) in
its own transaction. Changing the
indicator catalogue's barriers needs :func:`rebuild` (barriers are counted as at ingest); party
types are looked up when reading, so a party changing type needs nothing. Rows that drop to 0 are
left in place: they are harmless (zero cells are not listed) and deleting them would cost a scan.

Concurrency: upserts add deltas (``n = n + excluded.n``), so concurrent ingests never lose a
count; keys are written in sorted order, so two PostgreSQL transactions lock rows in the same
order and cannot deadlock on the rollup.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from gateway.stats.dimensions import (
    FACET_COLUMN,
    Column,
    Facet,
    Fact,
    Labels,
    RollupKey,
    StatsQuery,
    choose_shape,
    count_facts,
    fact_from_row,
    rollup_keys,
    table,
)
from gateway.storage.tables import SignalRow, StatsCountRow, StatsProgressRow, StatsRetiredRow

_counts = StatsCountRow.__table__
_progress = StatsProgressRow.__table__
_retired = StatsRetiredRow.__table__
_STATS_LOCK_ID = 0x73746174  # "stat": the advisory lock of the rollup on PostgreSQL
_signals = SignalRow.__table__
_KEY_COLUMNS = (
    "shape",
    "facet",
    "value",
    "month",
    "municipality",
    "form",
    "certainty",
    "party",
    "minor",
)
_FACT_COLUMNS = (
    _signals.c.party,
    _signals.c.observed_at,
    _signals.c.municipality,
    _signals.c.form,
    _signals.c.certainty,
    _signals.c.indicators,
    _signals.c.minor,
)
_IN_CHUNK = 500
_UPSERT_CHUNK = 2000


def _deltas(facts: Iterable[Fact], sign: int, into: Counter[RollupKey]) -> None:
    keys = (key for fact in facts for key in rollup_keys(fact))
    if sign > 0:
        into.update(keys)
    else:
        into.subtract(keys)


_COLUMN_LIST = ", ".join(_KEY_COLUMNS)
_UPSERT = (
    f"INSERT INTO {_counts.name} ({_COLUMN_LIST}, n) VALUES ({{marks}}) "
    f"ON CONFLICT ({_COLUMN_LIST}) DO UPDATE SET n = {_counts.name}.n + excluded.n"
)
_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def apply(connection: Connection, deltas: Mapping[RollupKey, int]) -> int:
    """Add ``deltas`` to the rollup (insert, or ``n = n + delta``); returns the rows written.

    One driver-level ``executemany`` of a fixed statement, the same SQL on SQLite and
    PostgreSQL but for the placeholders: this runs in every ingest transaction, and building a
    parameter dict per row costs as much as the database's own work.
    """
    rows = [(*key, n) for key, n in sorted(deltas.items()) if n]
    if not rows:
        return 0
    mark = _MARKS[connection.dialect.paramstyle]
    statement = _UPSERT.format(marks=", ".join([mark] * (len(_KEY_COLUMNS) + 1)))
    for start in range(0, len(rows), _UPSERT_CHUNK):
        connection.exec_driver_sql(statement, rows[start : start + _UPSERT_CHUNK])
    return len(rows)


def _facts_by_id(
    connection: Connection, ids: Sequence[int], barriers: Mapping[str, str]
) -> Iterator[Fact]:
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = list(ids[start : start + _IN_CHUNK])
        for row in connection.execute(select(*_FACT_COLUMNS).where(_signals.c.id.in_(chunk))):
            yield fact_from_row(row._mapping, barriers)


def on_ingest(
    connection: Connection,
    *,
    added_rows: Iterable[Mapping[str, Any]],  # Any: the column values of inserted rows
    removed_ids: Sequence[int],
    barriers: Mapping[str, str],
) -> int:
    """Keep the rollup right for one ingest, in the caller's transaction.

    ``added_rows``: the signal rows just inserted, as the dicts given to the insert (keys
    ``party``, ``observed_at``, ``municipality``, ``form``, ``certainty``, ``indicators``,
    ``minor`` and ``is_current``; rows inserted as not current are skipped). ``removed_ids``: the
    ids of versions that stopped being current in this transaction (superseded, expired); they
    are read back by id, current flag or not. ``barriers``: indicator code to barrier, the
    catalogue's (``{code: b.value for code, b in runtime.catalogue.barriers.items()}``).
    Returns the number of rollup rows written.
    """
    deltas: Counter[RollupKey] = Counter()
    _deltas(
        (fact_from_row(r, barriers) for r in added_rows if r.get("is_current", True)), 1, deltas
    )
    _deltas(_facts_by_id(connection, removed_ids, barriers), -1, deltas)
    return apply(connection, deltas)


def note_retired(connection: Connection, signal_ids: Sequence[int]) -> None:
    """In the ingest transaction: these versions stopped being current. One narrow row each;
    the rollup subtracts them at its next :func:`catch_up`."""
    if signal_ids:
        connection.execute(insert(_retired), [{"signal_id": i} for i in signal_ids])


def catch_up(connection: Connection, *, barriers: Mapping[str, str], batch: int = 10_000) -> int:
    """Bring the rollup up to date with every committed ingest; returns signals counted.

    Ingest does not touch the rollup (that would cost it several times the insert itself); it
    only notes retired versions. Here, under a lock: versions inserted since the watermark that
    are still current are added; retired versions the rollup had counted (at or below the
    watermark) are subtracted; versions both inserted and retired since then never counted.
    Signal ids are handed out under the linkage lock in commit order, so every committed id is
    below any id still in flight: the highest committed id is a safe new watermark.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(_STATS_LOCK_ID)))
    applied = connection.execute(
        select(_progress.c.applied_signal_id).where(_progress.c.id == 1)
    ).scalar_one_or_none()
    if applied is None:  # created by a migration; kept here for a database that lost it
        applied = 0
        connection.execute(insert(_progress).values(id=1, applied_signal_id=0))
    top = connection.execute(select(func.coalesce(func.max(_signals.c.id), 0))).scalar_one()
    retired = list(
        connection.execute(
            select(_retired.c.signal_id).where(_retired.c.signal_id <= top)
        ).scalars()
    )
    if top <= applied and not retired:
        return 0
    deltas: Counter[RollupKey] = Counter()
    added = 0
    query = select(*_FACT_COLUMNS).where(
        _signals.c.id > applied, _signals.c.id <= top, _signals.c.is_current
    )
    for row in connection.execute(query.execution_options(yield_per=batch)):
        deltas.update(rollup_keys(fact_from_row(row._mapping, barriers)))
        added += 1
    _deltas(_facts_by_id(connection, [i for i in retired if i <= applied], barriers), -1, deltas)
    apply(connection, deltas)
    if retired:
        connection.execute(delete(_retired).where(_retired.c.signal_id <= top))
    connection.execute(
        update(_progress).where(_progress.c.id == 1).values(applied_signal_id=max(top, applied))
    )
    return added


def current_facts(
    connection: Connection,
    barriers: Mapping[str, str],
    *,
    gemeente: str | None = None,
    vorm: str | None = None,
    batch: int = 10_000,
) -> Iterator[Fact]:
    """Every current signal as a fact, streamed (bounded memory)."""
    query = select(*_FACT_COLUMNS).where(_signals.c.is_current)
    if gemeente is not None:
        query = query.where(_signals.c.municipality == gemeente)
    if vorm is not None:
        query = query.where(_signals.c.form == vorm)
    # A statement option: on the connection it would also make later statements of the
    # caller's transaction use server-side cursors (PostgreSQL), which cannot executemany.
    for row in connection.execute(query.execution_options(yield_per=batch)):
        yield fact_from_row(row._mapping, barriers)


def rebuild(connection: Connection, *, barriers: Mapping[str, str], batch: int = 10_000) -> int:
    """Recount the whole rollup from the current signals (after a catalogue change, or to
    check it). Signals are streamed; the counts are held in memory until written, which is
    bounded by the rollup's size (the product of the axes' cardinalities), not by the number of
    signals. Returns the number of current signals counted."""
    connection.execute(delete(_counts))
    connection.execute(delete(_retired))
    top = connection.execute(select(func.coalesce(func.max(_signals.c.id), 0))).scalar_one()
    connection.execute(delete(_progress))
    connection.execute(insert(_progress).values(id=1, applied_signal_id=top))
    deltas: Counter[RollupKey] = Counter()
    seen = 0
    for fact in current_facts(connection, barriers, batch=batch):
        deltas.update(rollup_keys(fact))
        seen += 1
    apply(connection, deltas)
    return seen


def counts(connection: Connection, query: StatsQuery, labels: Labels) -> dict[tuple[str, ...], int]:
    """The table's true cells for ``query`` (before suppression), from the smallest rollup
    shape that covers it, or from the signals when none does (a policy allowing more than three
    dimensions: correct, but slow over large data)."""
    shape = choose_shape(query)
    if shape is None:
        facts = current_facts(connection, labels.barriers, gemeente=query.gemeente, vorm=query.vorm)
        return count_facts(query, facts, labels)
    # The facet value first, then the axes in primary-key order: where they are a prefix of the
    # key after (shape, facet), SQLite groups while reading, without sorting.
    columns: list[Column] = list(query.grouped_axes())
    if query.facet is not Facet.NONE:
        columns.insert(0, FACET_COLUMN)
    selected = [_counts.c.value if c == FACET_COLUMN else _counts.c[str(c)] for c in columns]
    statement = select(*selected, func.sum(_counts.c.n)).where(
        _counts.c.shape == shape.id, _counts.c.facet == query.facet.value
    )
    if query.since is not None:
        statement = statement.where(_counts.c.month >= query.since)
    if query.until is not None:
        statement = statement.where(_counts.c.month <= query.until)
    if query.gemeente is not None:
        statement = statement.where(_counts.c.municipality == query.gemeente)
    if query.vorm is not None:
        statement = statement.where(_counts.c.form == query.vorm)
    if selected:
        statement = statement.group_by(*selected)
    return table(query, columns, connection.execute(statement).fetchall(), labels)


def run_catch_up(
    engine: Engine,
    *,
    barriers: Mapping[str, str],
    interval_s: float,
    stop: threading.Event,
    on_error: Callable[[Exception], object],
) -> None:
    """Catch up every ``interval_s`` seconds until ``stop`` (a ``threading.Event``) is set; a
    failure is reported to ``on_error`` and tried again next time, never raised."""
    while not stop.wait(interval_s):
        try:
            with engine.begin() as connection:
                catch_up(connection, barriers=barriers)
        except Exception as exc:  # the loop must outlive a locked or unreachable database
            on_error(exc)
