"""What a stats request asks for, and how a signal counts in it. Pure: no web, no database.

**Dimensions** are the names of the covenant's ``stats.dimensions`` (the ``stats`` policy decides
which a requester gets). A signal counts once in every table, except in ``indicator`` and
``barriere``: there it counts once per distinct indicator (or barrier) it carries, so that the
totals of such a table are (signal, indicator) pairs, not signals; :class:`Unit` says which.

**Months** are calendar months in Dutch time (Europe/Amsterdam) of ``observed_at``: a signal seen
at 00:30 on 1 October counts in October, as the reporter would say.

**Filters count as dimensions.** A filter on ``gemeente`` or ``vorm`` is that dimension restricted
to one value, and a window (``since``/``until``, whole months) is a slice of time: a table of
three dimensions filtered to one municipality is a four-dimensional table in disguise, and two
windows a month apart give that month by subtraction. So the policy is asked about the requested
dimensions *plus* those the filters imply (:meth:`StatsQuery.implied_dimensions`), and its
``max_dimensions`` and ``signatory_only`` rules apply to them too.

**Rollup shapes.** Counting a million signals per request is too slow (measured: 3 to 7 s on
SQLite), so counts are kept incrementally in rollup rows (``gateway.storage.stats``), one per
combination of *axes* of a *shape*. Every request needs at most three axes besides the facet
(``max_dimensions`` is 3), and the shapes below cover every such combination; a request that
needs more (a policy that allows more dimensions) is answered from the signals directly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from sqlalchemy import RowMapping

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class Dimension(StrEnum):
    """The covenant's stats dimensions (``policies/covenant/data.json``, ``stats.dimensions``)."""

    VORM = "vorm"
    BARRIERE = "barriere"
    JAAR = "jaar"
    KWARTAAL = "kwartaal"
    MAAND = "maand"
    GEMEENTE = "gemeente"
    ZEKERHEID = "zekerheid"
    INDICATOR = "indicator"
    PARTIJTYPE = "partijtype"
    MINDERJARIG = "minderjarig"


class Axis(StrEnum):
    """A column of the rollup: what a signal is counted by."""

    MONTH = "month"
    MUNICIPALITY = "municipality"
    FORM = "form"
    CERTAINTY = "certainty"
    PARTY = "party"
    MINOR = "minor"


class Facet(StrEnum):
    """Values a signal has several of; it counts once per distinct value."""

    NONE = ""
    INDICATOR = "indicator"
    BARRIERE = "barriere"


class Unit(StrEnum):
    """What one count in a table is."""

    SIGNALEN = "signalen"
    SIGNAAL_INDICATOR = "signaal-indicatorparen"
    SIGNAAL_BARRIERE = "signaal-barrièreparen"


_AXIS_OF: dict[Dimension, Axis] = {
    Dimension.VORM: Axis.FORM,
    Dimension.JAAR: Axis.MONTH,
    Dimension.KWARTAAL: Axis.MONTH,
    Dimension.MAAND: Axis.MONTH,
    Dimension.GEMEENTE: Axis.MUNICIPALITY,
    Dimension.ZEKERHEID: Axis.CERTAINTY,
    Dimension.PARTIJTYPE: Axis.PARTY,
    Dimension.MINDERJARIG: Axis.MINOR,
}
# Coarse to fine: a window needs a time dimension at least as fine as its own grain.
_TIME_GRAIN = (Dimension.JAAR, Dimension.KWARTAAL, Dimension.MAAND)


# --- Months and windows --------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_of(observed_at: datetime) -> int:
    """``YYYYMM`` of the Dutch calendar month; a naive value is UTC (as SQLite returns it)."""
    aware = observed_at if observed_at.tzinfo else observed_at.replace(tzinfo=UTC)
    local = aware.astimezone(AMSTERDAM)
    return local.year * 100 + local.month


def parse_month(text: str) -> int:
    """``2025-03`` to ``202503``; ValueError with a Dutch message otherwise."""
    found = _MONTH.match(text)
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1900:
        raise ValueError("verwacht een maand als JJJJ-MM, bijvoorbeeld 2025-03")
    return int(found.group(1)) * 100 + int(found.group(2))


def month_text(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"


def _grain(since: int | None, until: int | None) -> Dimension | None:
    """The time dimension a window slices at: the coarsest both its ends fall on."""
    if since is None and until is None:
        return None
    start = 1 if since is None else since % 100
    end = 12 if until is None else until % 100
    if start == 1 and end == 12:
        return Dimension.JAAR
    if start % 3 == 1 and end % 3 == 0:
        return Dimension.KWARTAAL
    return Dimension.MAAND


# --- The request ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatsQuery:
    """One request: dimensions to group by (in the order asked) and optional filters.

    ``since`` and ``until`` are ``YYYYMM`` months, both inclusive.
    """

    dimensions: tuple[Dimension, ...]
    since: int | None = None
    until: int | None = None
    gemeente: str | None = None
    vorm: str | None = None

    def __post_init__(self) -> None:
        if len(set(self.dimensions)) != len(self.dimensions):
            raise ValueError("dimensies komen dubbel voor")
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ValueError("since ligt na until")

    def implied_dimensions(self) -> tuple[Dimension, ...]:
        """The dimensions the filters add (see the module doc), in a fixed order."""
        implied: list[Dimension] = []
        if self.gemeente is not None and Dimension.GEMEENTE not in self.dimensions:
            implied.append(Dimension.GEMEENTE)
        if self.vorm is not None and Dimension.VORM not in self.dimensions:
            implied.append(Dimension.VORM)
        grain = _grain(self.since, self.until)
        if grain is not None:
            finest = max(
                (_TIME_GRAIN.index(d) for d in self.dimensions if d in _TIME_GRAIN), default=-1
            )
            if finest < _TIME_GRAIN.index(grain):
                implied.append(grain)
        return tuple(implied)

    @property
    def facet(self) -> Facet:
        if Dimension.INDICATOR in self.dimensions:
            return Facet.INDICATOR  # barriere, if asked too, follows from the indicator
        if Dimension.BARRIERE in self.dimensions:
            return Facet.BARRIERE
        return Facet.NONE

    @property
    def unit(self) -> Unit:
        return {
            Facet.NONE: Unit.SIGNALEN,
            Facet.INDICATOR: Unit.SIGNAAL_INDICATOR,
            Facet.BARRIERE: Unit.SIGNAAL_BARRIERE,
        }[self.facet]

    def axes(self) -> frozenset[Axis]:
        """The rollup axes this request groups or filters by."""
        needed = {_AXIS_OF[d] for d in self.dimensions if d in _AXIS_OF}
        if self.gemeente is not None:
            needed.add(Axis.MUNICIPALITY)
        if self.vorm is not None:
            needed.add(Axis.FORM)
        if self.since is not None or self.until is not None:
            needed.add(Axis.MONTH)
        return frozenset(needed)

    def grouped_axes(self) -> tuple[Axis, ...]:
        """Axes to group by (filters on a single value need no grouping), in a fixed order."""
        wanted = {_AXIS_OF[d] for d in self.dimensions if d in _AXIS_OF}
        return tuple(a for a in Axis if a in wanted)


# --- Signals as facts ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fact:
    """What the monitor knows of one current signal: no ref, no subjects, nothing sealed."""

    month: int
    municipality: str
    form: str
    certainty: str
    party: str
    minor: bool
    indicators: tuple[str, ...]  # distinct, sorted
    barriers: tuple[str, ...]  # distinct, sorted

    def axis(self, axis: Axis) -> str | int:
        value = getattr(self, axis.value)
        return int(value) if axis is Axis.MINOR else value

    def facet_values(self, facet: Facet) -> Iterable[str]:
        if facet is Facet.INDICATOR:
            return self.indicators
        if facet is Facet.BARRIERE:
            return self.barriers
        return ("",)


def fact_from_row(
    row: RowMapping | Mapping[str, Any],  # Any: column values as the driver returns them
    barriers: Mapping[str, str],
) -> Fact:
    """A fact from a ``signals`` row (or the dict it was inserted from).

    ``barriers`` maps indicator codes to their barrier (the indicator catalogue); an indicator
    the catalogue does not know (it cannot be stored, but a catalogue can shrink) counts under
    barrier ``onbekend``.
    """
    indicators = tuple(sorted(set(row["indicators"] or ())))
    return Fact(
        month=month_of(row["observed_at"]),
        municipality=row["municipality"],
        form=str(row["form"]),
        certainty=str(row["certainty"]),
        party=row["party"],
        minor=bool(row["minor"]),
        indicators=indicators,
        barriers=tuple(sorted({str(barriers.get(i, "onbekend")) for i in indicators})),
    )


# --- Rollup shapes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shape:
    """A rollup grain: the axes kept, for plain signal counts or for a facet."""

    id: int
    axes: frozenset[Axis]
    faceted: bool

    def covers(self, axes: frozenset[Axis], facet: Facet) -> bool:
        return self.faceted == (facet is not Facet.NONE) and axes <= self.axes


_T, _G, _V, _Z, _P, _M = Axis
# In order of preference: the first that covers a request is the smallest that does. Sizes over
# 1,000,000 generated signals (bench/stats.py) are in the comments; they are bounded by the
# product of the axes' cardinalities, not by the number of signals.
SHAPES: tuple[Shape, ...] = (
    Shape(3, frozenset({_T, _Z, _P, _M}), False),  # ~3,000 rows
    Shape(2, frozenset({_T, _G, _V}), False),  # ~6,000
    Shape(4, frozenset({_G, _V, _Z, _P, _M}), False),  # ~5,000
    Shape(1, frozenset(Axis), False),  # everything: ~120,000
    Shape(7, frozenset({_G, _V}), True),  # per facet value: ~4,000
    Shape(6, frozenset({_T, _V}), True),  # ~18,000
    Shape(5, frozenset({_T, _G}), True),  # ~32,000
    Shape(8, frozenset({_T, _Z, _P, _M}), True),  # ~95,000
    Shape(9, frozenset({_G, _V, _Z, _P, _M}), True),  # ~120,000
)


def choose_shape(query: StatsQuery) -> Shape | None:
    """The smallest shape that answers ``query``; None: count from the signals themselves."""
    axes, facet = query.axes(), query.facet
    return next((s for s in SHAPES if s.covers(axes, facet)), None)


# One rollup row's key: shape, facet, facet value, then the six axes (absent ones as 0 / "").
RollupKey = tuple[int, str, str, int, str, str, str, str, int]


_SHAPE_MASKS = tuple(
    (shape.id, shape.faceted, tuple(axis in shape.axes for axis in Axis)) for shape in SHAPES
)


def rollup_keys(fact: Fact) -> Iterator[RollupKey]:
    """Every rollup row one signal counts in (once each)."""
    month, municipality, form = fact.month, fact.municipality, fact.form
    certainty, party, minor = fact.certainty, fact.party, int(fact.minor)
    for shape_id, faceted, (t, g, v, z, p, m) in _SHAPE_MASKS:
        axes = (
            month if t else 0,
            municipality if g else "",
            form if v else "",
            certainty if z else "",
            party if p else "",
            minor if m else 0,
        )
        if not faceted:
            yield (shape_id, "", "", *axes)
            continue
        for value in fact.indicators:
            yield (shape_id, "indicator", value, *axes)
        for value in fact.barriers:
            yield (shape_id, "barriere", value, *axes)


# --- From grouped counts to a table ------------------------------------------------------------


def quarter(month: int) -> str:
    return f"{month // 100}-K{(month % 100 + 2) // 3}"


FACET_COLUMN = "facet"
Column = Axis | str  # an axis, or FACET_COLUMN for the facet value
Raw = str | int  # a raw value in a column (a month, a code, 0/1), or a count


@dataclass(frozen=True, slots=True)
class Labels:
    """How raw values become what the table shows (party types and barriers from policy data)."""

    party_types: Mapping[str, str]
    barriers: Mapping[str, str]

    def labeller(
        self, dimension: Dimension, query: StatsQuery
    ) -> tuple[Column, Callable[[Raw], str]]:
        """The raw column a dimension is read from, and the function that labels its values."""
        if dimension is Dimension.JAAR:
            return Axis.MONTH, lambda month: str(int(month) // 100)
        if dimension is Dimension.KWARTAAL:
            return Axis.MONTH, lambda month: quarter(int(month))
        if dimension is Dimension.MAAND:
            return Axis.MONTH, lambda month: month_text(int(month))
        if dimension is Dimension.PARTIJTYPE:
            return Axis.PARTY, lambda party: self.party_types.get(str(party), "onbekend")
        if dimension is Dimension.MINDERJARIG:
            return Axis.MINOR, lambda minor: "ja" if int(minor) else "nee"
        if dimension is Dimension.BARRIERE and query.facet is Facet.INDICATOR:
            return FACET_COLUMN, lambda code: str(self.barriers.get(str(code), "onbekend"))
        if dimension in (Dimension.INDICATOR, Dimension.BARRIERE):
            return FACET_COLUMN, str
        return _AXIS_OF[dimension], str


def table(
    query: StatsQuery,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Raw]],
    labels: Labels,
) -> dict[tuple[str, ...], int]:
    """Cells keyed by the labels of ``query.dimensions``, from raw rows: the values of
    ``columns`` followed by a count. Several raw rows can land in one cell (months of a year,
    parties of one type); they add up. Labels are computed once per distinct raw value."""
    rows = list(rows)
    count_at = len(columns)
    # Column by column: each distinct raw value is labelled once.
    labelled: list[list[str]] = []
    for dimension in query.dimensions:
        column, label = labels.labeller(dimension, query)
        index = columns.index(column)
        names = {raw: label(raw) for raw in {row[index] for row in rows}}
        labelled.append([names[row[index]] for row in rows])
    keys = zip(*labelled, strict=True) if labelled else (() for _ in rows)
    cells: dict[tuple[str, ...], int] = {}
    for key, row in zip(keys, rows, strict=True):
        n = row[count_at]
        if n:
            cells[key] = cells.get(key, 0) + int(n)
    return cells


def matches(query: StatsQuery, fact: Fact) -> bool:
    """Whether a signal falls inside the query's filters."""
    return (
        (query.since is None or fact.month >= query.since)
        and (query.until is None or fact.month <= query.until)
        and (query.gemeente is None or fact.municipality == query.gemeente)
        and (query.vorm is None or fact.form == query.vorm)
    )


def count_facts(
    query: StatsQuery, facts: Iterable[Fact], labels: Labels
) -> dict[tuple[str, ...], int]:
    """The table counted straight from signals: the definition the rollups must agree with
    (tests compare the two), and the answer for requests no shape covers."""
    columns: list[Column] = [*Axis, FACET_COLUMN]

    def rows() -> Iterator[tuple[Raw, ...]]:
        for fact in facts:
            if not matches(query, fact):
                continue
            base = tuple(fact.axis(a) for a in Axis)
            for value in fact.facet_values(query.facet):
                yield (*base, value, 1)

    return table(query, columns, rows(), labels)
