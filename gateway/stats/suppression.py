"""Small-cell suppression of a table of counts (``stats`` policy; AVG overweging 26).

A table has 1 to 3 dimensions (the ``stats`` policy allows at most ``max_dimensions``). It is
published as its non-empty cells, the marginal total of every value of every dimension (for tables
of two or more dimensions) and the grand total. Everything published is an exact count or a mark:

``<5`` (primary suppression)
    the true count is between 1 and ``threshold - 1``: published counts would single people out.
``x`` (complementary suppression)
    the true count is ``threshold`` or more, hidden only so that a ``<5`` elsewhere cannot be
    computed back by subtraction.

**Zeros** are not cells: an empty combination is simply not listed, and a reader may take a
missing cell to be 0. That publishes "nobody" as a fact, as CBS tables do; a zero cannot single
anyone out, and hiding zeros would only make every other mark look like a possible zero. For the
same reason a zero is never chosen as a complementary suppression (it protects nothing, since the
reader knows it is zero).

**What is guaranteed** (and property-tested): every published table satisfies its *lines*, the
equations ``total = sum of members`` (a marginal total and the cells with that value; the grand
total and the marginals of one dimension; the grand total and all cells). No single line lets a
reader compute a suppressed value: a line never has exactly one suppressed entry; and where its
total is published, subtraction gives the sum of its suppressed members, which must leave each of
them more than one possible value given the marks (``<5`` is 1 to 4, ``x`` at least 5). Two
``<5`` cells are not enough when 10 minus the published 8 leaves 2: both must be 1.

Not claimed: combining several lines (linear programming over the whole table) can narrow
suppressed values to intervals; preventing that is the hypercube method's job. The marks alone
also say something: listing only non-empty cells tells how many there are, so a line whose total
is ``<5`` and that lists four ``<5`` cells can only hold four ones. And two requests over
different windows can be subtracted from each other; the stats route limits that by counting
filters and windows as dimensions (``gateway.stats.dimensions``).

The choice of complementary suppressions is deterministic: for each unsafe line, in a fixed order,
the smallest published cell of that line (ties broken by key) is hidden, and the line's total only
when no cell is left to hide. Hiding small cells first loses the least information.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

Key = tuple[str, ...]
COMPLEMENTARY_MARK = "x"


class Status(StrEnum):
    PUBLISHED = "published"
    PRIMARY = "primary"  # 0 < count < threshold
    COMPLEMENTARY = "complementary"  # count >= threshold, hidden to protect a primary one


class Entry(NamedTuple):
    """One published number of the table: a cell, a marginal total or the grand total. (A
    tuple: tables of tens of thousands of cells are built per request.)"""

    count: int  # type: ignore[assignment]  # shadows tuple.count, which nothing calls
    status: Status

    def shown(self, threshold: int) -> int | str:
        """The value as published: the count, ``<threshold`` or ``x``."""
        if self.status is Status.PUBLISHED:
            return self.count
        if self.status is Status.PRIMARY:
            return f"<{threshold}"
        return COMPLEMENTARY_MARK


@dataclass(frozen=True, slots=True)
class SuppressedTable:
    """A table ready to publish. ``marginals[d]`` maps each value of dimension ``d`` to its total
    (empty for a one-dimensional table, whose cells are its marginals)."""

    dimensions: int
    threshold: int
    cells: dict[Key, Entry]
    marginals: tuple[dict[str, Entry], ...]
    total: Entry

    @property
    def primary(self) -> int:
        return sum(1 for e in self._entries() if e.status is Status.PRIMARY)

    @property
    def complementary(self) -> int:
        return sum(1 for e in self._entries() if e.status is Status.COMPLEMENTARY)

    def _entries(self) -> list[Entry]:
        return [*self.cells.values(), *(e for m in self.marginals for e in m.values()), self.total]


# Inside :func:`suppress` every entry is a number: cells first (in key order), then the
# marginals (dimension by dimension, values in order), then the grand total.

_INF = float("inf")
_PUBLISHED, _PRIMARY, _COMPLEMENTARY = Status.PUBLISHED, Status.PRIMARY, Status.COMPLEMENTARY


class _Line:
    """An equation the published table satisfies, ``total == sum(members)``, with running
    tallies of its suppressed members so that checking it costs the same for ten cells or ten
    thousand, however often it is checked."""

    __slots__ = ("total", "members", "primary", "complementary", "published_sum", "_smallest")

    def __init__(self, total: int, members: list[int], values: list[int], status: list[Status]):
        self.total = total
        self.members = members
        self.primary = 0
        self.complementary = 0
        self.published_sum = 0
        for m in members:  # before any complementary suppression: published or primary
            if status[m] is _PRIMARY:
                self.primary += 1
            else:
                self.published_sum += values[m]
        # Published non-empty members, largest first, popped from the end; sorted when first
        # needed (most lines never need a complementary suppression).
        self._smallest: list[tuple[int, int]] | None = None

    def hidden(self, value: int) -> None:
        """A published member became a complementary suppression."""
        self.complementary += 1
        self.published_sum -= value

    def smallest_published(self, values: list[int], status: list[Status]) -> int | None:
        """The smallest published non-empty member (ties: the first in key order)."""
        if self._smallest is None:
            self._smallest = sorted(
                ((values[m], m) for m in self.members if status[m] is _PUBLISHED and values[m]),
                reverse=True,
            )
        while self._smallest and status[self._smallest[-1][1]] is not _PUBLISHED:
            self._smallest.pop()
        return self._smallest[-1][1] if self._smallest else None

    def pinned(self, values: list[int], status: list[Status], threshold: int) -> bool:
        """True if this line alone fixes some suppressed entry of it to a single value.

        One suppressed entry is always disclosed. With a published total, subtraction gives the
        sum of the suppressed members, and each one's range follows from the others' marks
        (``<t``: 1 to t-1; ``x``: t or more); a range of one value discloses it.
        """
        total_hidden = status[self.total] is not _PUBLISHED
        members_hidden = self.primary + self.complementary
        if members_hidden + total_hidden == 0:
            return False
        if members_hidden + total_hidden == 1:
            if total_hidden and status[self.total] is _COMPLEMENTARY:
                return True
            # A lone "<t": disclosed unless its mark says it all already (threshold 2), which
            # hiding more cannot help.
            return threshold > 2 or self.complementary == 1
        if total_hidden:
            return False  # no sum to subtract from: two or more unknowns stay unknown
        target = values[self.total] - self.published_sum  # == sum of the hidden members
        low_sum = self.primary + self.complementary * threshold
        high_finite = self.primary * (threshold - 1)
        kinds: list[tuple[int, float]] = []
        if self.primary:
            kinds.append((1, threshold - 1))
        if self.complementary:
            kinds.append((threshold, _INF))
        for lo, hi in kinds:
            if lo == hi:
                continue
            rest_low = low_sum - lo
            open_rest = self.complementary - (1 if hi == _INF else 0)
            rest_high = _INF if open_rest else high_finite - (0 if hi == _INF else hi)
            if max(lo, target - rest_high) == min(hi, target - rest_low):
                return True
        return False


def suppress(cells: Mapping[Key, int], *, dimensions: int, threshold: int) -> SuppressedTable:
    """Suppress small cells and enough others that no line discloses them (see module doc).

    ``cells`` maps a key (one value per dimension) to its count; zero counts are dropped.
    """
    if dimensions < 1:
        raise ValueError("a table has at least one dimension")
    if threshold < 2:
        raise ValueError("a threshold below 2 would publish single cases")
    counts = {tuple(k): int(n) for k, n in cells.items() if n}
    if any(n < 0 for n in counts.values()):
        raise ValueError("counts cannot be negative")
    if any(len(k) != dimensions for k in counts):
        raise ValueError("every key needs one value per dimension")

    keys = sorted(counts)
    values: list[int] = [counts[k] for k in keys]
    members_of: list[dict[str, list[int]]] = []
    margin_ids: list[dict[str, int]] = []
    if dimensions >= 2:
        for d in range(dimensions):
            by_value: dict[str, list[int]] = {}
            for i, k in enumerate(keys):
                by_value.setdefault(k[d], []).append(i)
            ids: dict[str, int] = {}
            for v in sorted(by_value):
                ids[v] = len(values)
                values.append(sum(values[i] for i in by_value[v]))
            members_of.append(by_value)
            margin_ids.append(ids)
    total_id = len(values)
    values.append(sum(values[: len(keys)]))
    status = [_PRIMARY if 0 < n < threshold else _PUBLISHED for n in values]

    table_lines: list[_Line] = []
    margin_line: list[dict[str, int]] = []  # per dimension: value -> its line
    dimension_line: list[int] = []  # per dimension: the line of the total over its marginals
    margin_of: dict[int, int] = {}  # marginal entry -> its dimension
    for d, (by_value, ids) in enumerate(zip(members_of, margin_ids, strict=True)):
        margin_line.append({})
        for v, item in ids.items():
            margin_line[d][v] = len(table_lines)
            margin_of[item] = d
            table_lines.append(_Line(item, by_value[v], values, status))
        dimension_line.append(len(table_lines))
        table_lines.append(_Line(total_id, list(ids.values()), values, status))
    global_line = len(table_lines)
    table_lines.append(_Line(total_id, list(range(len(keys))), values, status))

    def member_of(item: int) -> list[int]:
        """The lines an entry is a member of (computed, not stored: few entries ever ask)."""
        if item < len(keys):
            key = keys[item]
            return [margin_line[d][key[d]] for d in range(len(margin_line))] + [global_line]
        if item in margin_of:
            return [dimension_line[margin_of[item]]]
        return []

    def total_of(item: int) -> list[int]:
        if item in margin_of:
            d = margin_of[item]
            value = next(v for v, i in margin_ids[d].items() if i == item)
            return [margin_line[d][value]]
        if item == total_id:
            return [*dimension_line, global_line]
        return []

    # A worklist in line order: a line is checked again only when one of its entries changed.
    queue = deque(range(len(table_lines)))
    queued = [True] * len(table_lines)
    while queue:
        index = queue.popleft()
        queued[index] = False
        line = table_lines[index]
        while line.pinned(values, status, threshold):
            hide = line.smallest_published(values, status)
            if hide is None:
                if status[line.total] is not _PUBLISHED or values[line.total] == 0:
                    break  # everything in the line is hidden already: nothing more to hide
                hide = line.total
            status[hide] = _COMPLEMENTARY
            containing = member_of(hide)
            for other in containing:
                table_lines[other].hidden(values[hide])
            for other in (*containing, *total_of(hide)):
                if other != index and not queued[other]:
                    queued[other] = True
                    queue.append(other)

    return SuppressedTable(
        dimensions=dimensions,
        threshold=threshold,
        cells={k: Entry(values[i], status[i]) for i, k in enumerate(keys)},
        marginals=tuple(
            {v: Entry(values[i], status[i]) for v, i in ids.items()} for ids in margin_ids
        ),
        total=Entry(values[total_id], status[total_id]),
    )


__all__ = ["COMPLEMENTARY_MARK", "Entry", "Key", "Status", "SuppressedTable", "suppress"]
