"""Small-cell suppression (gateway.stats.suppression): property tests over random tables.

The checker below is written independently of the module: it rebuilds the table's lines from the
published result and asks, per line, whether some suppressed value could be moved by one while
every other entry stays within what its mark says. If not, that line pins it.
"""

from __future__ import annotations

import random
from itertools import product

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.stats.suppression import Entry, Status, SuppressedTable, suppress

INF = float("inf")


@st.composite
def tables(draw: st.DrawFn) -> tuple[dict[tuple[str, ...], int], int, int]:
    dimensions = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 4)) for _ in range(dimensions)]
    keys = list(product(*[[f"{chr(97 + d)}{i}" for i in range(n)] for d, n in enumerate(sizes)]))
    # Mostly small counts, so that suppression has work to do; zeros too.
    counts = draw(st.lists(st.integers(0, 14), min_size=len(keys), max_size=len(keys)))
    threshold = draw(st.integers(3, 6))
    return dict(zip(keys, counts, strict=True)), dimensions, threshold


def published_lines(table: SuppressedTable) -> list[tuple[Entry, list[Entry]]]:
    """(total, members) of every line, rebuilt from the published table."""
    found: list[tuple[Entry, list[Entry]]] = []
    if table.dimensions >= 2:
        for d, marginal in enumerate(table.marginals):
            for value, total in marginal.items():
                found.append((total, [e for k, e in table.cells.items() if k[d] == value]))
            found.append((table.total, list(marginal.values())))
    found.append((table.total, list(table.cells.values())))
    return found


def bounds(entry: Entry, threshold: int) -> tuple[float, float]:
    """What a reader knows of an entry from what is shown."""
    shown = entry.shown(threshold)
    if isinstance(shown, int):
        return shown, shown
    if shown == f"<{threshold}":
        return 1, threshold - 1
    assert shown == "x"
    return threshold, INF


def movable(index: int, terms: list[tuple[Entry, int]], threshold: int) -> bool:
    """Can suppressed term ``index`` change by one, some other suppressed term compensating?"""
    entry, sign = terms[index]
    lo, hi = bounds(entry, threshold)
    for step in (1, -1):
        if not lo <= entry.count + step <= hi:
            continue
        for j, (other, other_sign) in enumerate(terms):
            if j == index or isinstance(other.shown(threshold), int):
                continue
            # sign*step + other_sign*delta == 0
            delta = -sign * step * other_sign
            olo, ohi = bounds(other, threshold)
            if olo <= other.count + delta <= ohi:
                return True
    return False


def disclosed(table: SuppressedTable) -> list[str]:
    """Every suppressed entry that one line pins to its value by subtraction."""
    problems = []
    for total, members in published_lines(table):
        terms = [(total, 1)] + [(m, -1) for m in members]
        hidden = [i for i, (e, _) in enumerate(terms) if e.status is not Status.PUBLISHED]
        if len(hidden) == 1:
            problems.append(f"line with total {total.count}: exactly one suppressed entry")
            continue
        if total.status is not Status.PUBLISHED:
            continue  # no subtraction possible: the sum of the hidden members is not known
        for i in hidden:
            if not movable(i, terms, table.threshold):
                problems.append(f"line with total {total.count}: entry {terms[i][0]} pinned")
    return problems


def check_published_values(
    table: SuppressedTable, cells: dict[tuple[str, ...], int], threshold: int
) -> None:
    true_cells = {k: n for k, n in cells.items() if n}
    assert set(table.cells) == set(true_cells)  # zeros are not listed, nothing else is dropped
    entries = [*table.cells.items(), ("total", table.total)]
    for d, marginal in enumerate(table.marginals):
        expected = {}
        for k, n in true_cells.items():
            expected[k[d]] = expected.get(k[d], 0) + n
        assert {v: e.count for v, e in marginal.items()} == expected
        entries += list(marginal.items())
    assert table.total.count == sum(true_cells.values())
    for key, entry in entries:
        if key != "total" and isinstance(key, tuple):
            assert entry.count == true_cells[key]
        shown = entry.shown(threshold)
        if isinstance(shown, int):
            assert shown == entry.count  # published means exact
            assert shown == 0 or shown >= threshold  # nothing small is published
        elif entry.status is Status.PRIMARY:
            assert 0 < entry.count < threshold and shown == f"<{threshold}"
        else:
            assert entry.count >= threshold and shown == "x"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_no_suppressed_value_follows_from_one_line(case) -> None:
    cells, dimensions, threshold = case
    table = suppress(cells, dimensions=dimensions, threshold=threshold)
    assert disclosed(table) == []


@settings(max_examples=300, deadline=None)
@given(tables())
def test_published_values_are_the_true_counts_and_never_small(case) -> None:
    cells, dimensions, threshold = case
    table = suppress(cells, dimensions=dimensions, threshold=threshold)
    check_published_values(table, cells, threshold)


@settings(max_examples=150, deadline=None)
@given(tables(), st.randoms(use_true_random=False))
def test_suppression_is_deterministic_whatever_the_input_order(case, rnd: random.Random) -> None:
    cells, dimensions, threshold = case
    items = list(cells.items())
    rnd.shuffle(items)
    first = suppress(cells, dimensions=dimensions, threshold=threshold)
    second = suppress(dict(items), dimensions=dimensions, threshold=threshold)
    assert first == second
    assert list(first.cells) == sorted(first.cells)


def test_the_checker_catches_primary_suppression_alone() -> None:
    """Guards the checker: hiding only the small cell of a row leaves it computable."""
    cells = {("a", "p"): 10, ("a", "q"): 3, ("b", "p"): 7, ("b", "q"): 8}
    naive = SuppressedTable(
        dimensions=2,
        threshold=5,
        cells={
            k: Entry(n, Status.PRIMARY if n < 5 else Status.PUBLISHED) for k, n in cells.items()
        },
        marginals=(
            {"a": Entry(13, Status.PUBLISHED), "b": Entry(15, Status.PUBLISHED)},
            {"p": Entry(17, Status.PUBLISHED), "q": Entry(11, Status.PUBLISHED)},
        ),
        total=Entry(28, Status.PUBLISHED),
    )
    assert disclosed(naive)


def test_the_checker_catches_two_small_cells_that_must_both_be_one() -> None:
    """Two hidden cells are not enough when their marks leave one possibility."""
    naive = SuppressedTable(
        dimensions=1,
        threshold=5,
        cells={
            ("a",): Entry(1, Status.PRIMARY),
            ("b",): Entry(1, Status.PRIMARY),
            ("c",): Entry(8, Status.PUBLISHED),
        },
        marginals=(),
        total=Entry(10, Status.PUBLISHED),
    )
    assert disclosed(naive)
    table = suppress({("a",): 1, ("b",): 1, ("c",): 8}, dimensions=1, threshold=5)
    assert disclosed(table) == []
    assert table.cells[("c",)].status is Status.COMPLEMENTARY


def test_a_two_by_two_table_with_one_small_cell_hides_all_four_cells() -> None:
    table = suppress(
        {("a", "p"): 10, ("a", "q"): 3, ("b", "p"): 7, ("b", "q"): 8}, dimensions=2, threshold=5
    )
    assert {k: e.shown(5) for k, e in table.cells.items()} == {
        ("a", "p"): "x",
        ("a", "q"): "<5",
        ("b", "p"): "x",
        ("b", "q"): "x",
    }
    # The marginals and the total are not small and protect nothing more: published.
    assert [{v: e.shown(5) for v, e in m.items()} for m in table.marginals] == [
        {"a": 13, "b": 15},
        {"p": 17, "q": 11},
    ]
    assert table.total.shown(5) == 28


def test_the_smallest_other_cell_is_hidden_first() -> None:
    table = suppress({("a",): 2, ("b",): 30, ("c",): 6, ("d",): 9}, dimensions=1, threshold=5)
    assert {k[0]: e.shown(5) for k, e in table.cells.items()} == {
        "a": "<5",
        "b": 30,
        "c": "x",
        "d": 9,
    }


def test_a_small_marginal_is_suppressed_too() -> None:
    table = suppress(
        {("a", "p"): 2, ("a", "q"): 1, ("b", "p"): 20, ("b", "q"): 30}, dimensions=2, threshold=5
    )
    assert table.marginals[0]["a"].shown(5) == "<5"
    assert disclosed(table) == []


def test_zeros_are_not_listed() -> None:
    table = suppress({("a",): 0, ("b",): 7, ("c",): 9}, dimensions=1, threshold=5)
    assert list(table.cells) == [("b",), ("c",)]
    assert table.total.shown(5) == 16


def test_an_empty_table_has_a_total_of_zero() -> None:
    table = suppress({}, dimensions=2, threshold=5)
    assert table.cells == {} and table.total.shown(5) == 0


@pytest.mark.parametrize(
    ("cells", "dimensions", "threshold"),
    [({("a",): 1}, 1, 1), ({("a", "b"): 1}, 1, 5), ({("a",): -1}, 1, 5)],
)
def test_bad_input_is_refused(cells, dimensions, threshold) -> None:
    with pytest.raises(ValueError):
        suppress(cells, dimensions=dimensions, threshold=threshold)
