"""Streaming reading of partner files: physical lines, CSV records, headers, and the CSV base class.

Files can be large (a year of BRP signals of a big city), so nothing here reads a whole file:
lines are read one at a time with a byte cap, decoded one at a time, and CSV records are built
from them by the standard ``csv`` module. Problems become ``LineError`` and reading goes on:

* a line that is not UTF-8 is decoded with ``surrogateescape`` so its record can still be split
  into fields; the field holding the bad bytes is named and the record is not used;
* a line longer than :data:`MAX_LINE_BYTES` is skipped (it is never held in memory as a whole);
* a quoted field that is never closed would swallow the rest of the file; a record that runs past
  :data:`MAX_RECORD_LINES` lines or to the end of the file is reported at its first line, and
  reading restarts on the line after it, so the good lines that follow are still read;
* a header that does not contain the expected columns (wrong delimiter, renamed or missing
  column) is one error at line 1 naming the missing columns; nothing else can then be read.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from adapters.base import AdapterError, CanonicalSignal, LineError, ParsedLine
from adapters.fields import FieldReader, has_undecodable, key
from gateway.vocabulary import PartyType

MAX_LINE_BYTES = 64 * 1024
MAX_RECORD_LINES = 50
BOM = b"\xef\xbb\xbf"
WHOLE_LINE = "(regel)"
HEADER = "(kopregel)"


@dataclass(frozen=True, slots=True)
class PhysicalLine:
    """One line of the file: ``text`` always ends in a newline; None when the line was too long."""

    number: int
    text: str | None
    bad_encoding: bool = False


def open_export(path: Path) -> BinaryIO:
    """Open a partner file for reading, or raise ``AdapterError`` (the only reason to raise)."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise AdapterError(f"bestand {path.name} is niet te openen ({exc.strerror})") from None
    if not path.is_file():
        handle.close()
        raise AdapterError(f"{path.name} is geen bestand")
    return handle


def physical_lines(handle: BinaryIO, *, max_bytes: int = MAX_LINE_BYTES) -> Iterator[PhysicalLine]:
    """Lines decoded one by one; a UTF-8 byte-order mark on line 1 is dropped (Excel writes one)."""
    number = 0
    while True:
        raw = handle.readline(max_bytes + 1)
        if not raw:
            return
        number += 1
        if len(raw) > max_bytes and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of the line, chunk by chunk
                raw = handle.readline(max_bytes + 1)
            yield PhysicalLine(number, None)
            continue
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]
        if not raw.endswith(b"\n"):
            raw += b"\n"  # the last line: a complete record never asks the csv module for more
        try:
            yield PhysicalLine(number, raw.decode("utf-8"))
        except UnicodeDecodeError:
            yield PhysicalLine(number, raw.decode("utf-8", "surrogateescape"), bad_encoding=True)


class _LineTooLong(Exception):
    def __init__(self, line: PhysicalLine) -> None:
        self.line = line


class _RecordTooLong(Exception):
    pass


class _Feed:
    """Feeds lines to ``csv.reader`` and remembers which lines the current record took."""

    def __init__(self, source: Iterator[PhysicalLine], max_record_lines: int) -> None:
        self.source = source
        self.pending: deque[PhysicalLine] = deque()
        self.taken: list[PhysicalLine] = []
        self.ran_out = False
        self.max_record_lines = max_record_lines

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        line = self.pending.popleft() if self.pending else next(self.source, None)
        if line is None:
            # Every line ends in a newline, so the csv module asks for more only inside a
            # quoted field: running out with lines taken means the quote was never closed.
            self.ran_out = bool(self.taken)
            raise StopIteration
        if line.text is None:
            raise _LineTooLong(line)
        self.taken.append(line)
        if len(self.taken) > self.max_record_lines:
            raise _RecordTooLong
        return line.text

    def push_back(self, lines: Sequence[PhysicalLine]) -> None:
        self.pending.extendleft(reversed(lines))


@dataclass(frozen=True, slots=True)
class CsvRecord:
    """The cells of one record and the line it starts on."""

    line: int
    cells: list[str]
    bad_encoding: bool


def csv_records(
    lines: Iterator[PhysicalLine],
    *,
    delimiter: str,
    max_bytes: int = MAX_LINE_BYTES,
    max_record_lines: int = MAX_RECORD_LINES,
) -> Iterator[CsvRecord | LineError]:
    """CSV records (blank lines skipped) and the structural problems between them, in file order."""
    feed = _Feed(lines, max_record_lines)

    def fresh() -> Iterator[list[str]]:
        return csv.reader(feed, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)

    reader = fresh()
    while True:
        feed.taken = []
        feed.ran_out = False
        try:
            cells = next(reader)
        except StopIteration:
            return
        except _LineTooLong as exc:
            if feed.taken:  # inside an open quote: report that record, re-read what followed it
                yield LineError(feed.taken[0].number, WHOLE_LINE, "aanhalingsteken niet afgesloten")
                feed.push_back([*feed.taken[1:], exc.line])
            else:
                yield LineError(
                    exc.line.number, WHOLE_LINE, f"regel is langer dan {max_bytes} bytes"
                )
            reader = fresh()
            continue
        except (_RecordTooLong, csv.Error):
            yield LineError(feed.taken[0].number, WHOLE_LINE, "aanhalingsteken niet afgesloten")
            feed.push_back(feed.taken[1:])
            reader = fresh()
            continue
        if feed.ran_out:
            yield LineError(feed.taken[0].number, WHOLE_LINE, "aanhalingsteken niet afgesloten")
            feed.push_back(feed.taken[1:])
            reader = fresh()
            continue
        if not any(cell.strip() for cell in cells):
            continue  # blank line, or a spreadsheet's empty row ";;;;"
        yield CsvRecord(feed.taken[0].number, cells, any(line.bad_encoding for line in feed.taken))


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a partner's CSV export, by the name its back office writes in the header.

    ``required`` columns must be in the header (their cells may still be empty where the format
    allows): a renamed or dropped column would otherwise lose its data silently on every row.
    """

    name: str
    max_length: int = 200
    required: bool = True


@dataclass(frozen=True, slots=True)
class CsvRow:
    """A data row with its values by column name, and the problems found in its cells."""

    line: int
    values: dict[str, str]
    reported: frozenset[str]
    errors: list[LineError] = field(default_factory=list)


def read_csv(
    path: Path,
    *,
    delimiter: str,
    columns: Sequence[Column],
    max_bytes: int = MAX_LINE_BYTES,
) -> Iterator[CsvRow | LineError]:
    """Rows of a partner CSV by column name, header matched spelling-insensitively (:func:`key`).

    Columns not in ``columns`` are ignored (back offices add their own); the order is free.
    """
    with open_export(path) as handle:
        records = csv_records(
            physical_lines(handle, max_bytes=max_bytes), delimiter=delimiter, max_bytes=max_bytes
        )
        positions: dict[int, Column] | None = None
        width = 0
        for item in records:
            if isinstance(item, LineError):
                yield item
                if positions is None and item.line == 1:
                    return  # no header, nothing to read against
                continue
            if positions is None:
                positions, problem = _match_header(item, columns, delimiter)
                if problem is not None:
                    yield problem
                    return
                width = len(item.cells)
                continue
            yield _row(item, positions, width)
        if positions is None:
            yield LineError(1, HEADER, "bestand is leeg: geen kopregel gevonden")


def _match_header(
    header: CsvRecord, columns: Sequence[Column], delimiter: str
) -> tuple[dict[int, Column], LineError | None]:
    by_key = {key(c.name): c for c in columns}
    positions: dict[int, Column] = {}
    seen: set[str] = set()
    for index, cell in enumerate(header.cells):
        column = by_key.get(key(cell))
        if column is not None and column.name not in seen:
            positions[index] = column
            seen.add(column.name)
    missing = [c.name for c in columns if c.required and c.name not in seen]
    if not missing:
        return positions, None
    message = "kolommen ontbreken in de kopregel: " + ", ".join(missing)
    wanted = {key(c.name) for c in columns}
    text = delimiter.join(header.cells)
    for other in (",", ";", "\t", "|"):
        if other != delimiter and len(wanted & {key(p) for p in text.split(other)}) > len(seen):
            shown = "tab" if other == "\t" else f"'{other}'"
            message += f" (het scheidingsteken lijkt {shown} te zijn; verwacht '{delimiter}')"
            break
    # One or a few missing columns are named as the field; many (wrong delimiter, wrong file)
    # would make an unreadable field, so then the field is the header itself.
    where = ", ".join(missing) if len(missing) <= 3 else HEADER
    return positions, LineError(header.line, where, message)


def _row(record: CsvRecord, positions: dict[int, Column], width: int) -> CsvRow:
    cells = record.cells
    errors: list[LineError] = []
    if len(cells) > width and any(cell.strip() for cell in cells[width:]):
        errors.append(
            LineError(
                record.line, WHOLE_LINE, f"regel heeft {len(cells)} velden, de kopregel {width}"
            )
        )
        return CsvRow(record.line, {}, frozenset(), errors)
    if len(cells) < width:
        absent = [positions[i].name for i in sorted(positions) if i >= len(cells)]
        errors.append(
            LineError(
                record.line,
                ", ".join(absent) or WHOLE_LINE,
                f"regel heeft {len(cells)} velden, de kopregel {width}: kolommen ontbreken",
            )
        )
        return CsvRow(record.line, {}, frozenset(), errors)
    values: dict[str, str] = {}
    reported: set[str] = set()
    for index, column in positions.items():
        cell = cells[index].strip()
        if has_undecodable(cell):
            errors.append(LineError(record.line, column.name, "bevat tekens die geen UTF-8 zijn"))
            reported.add(column.name)
        elif len(cell) > column.max_length:
            errors.append(
                LineError(record.line, column.name, f"langer dan {column.max_length} tekens")
            )
            reported.add(column.name)
        else:
            values[column.name] = cell
    if record.bad_encoding and not reported:
        errors.append(LineError(record.line, WHOLE_LINE, "bevat tekens die geen UTF-8 zijn"))
    return CsvRow(record.line, values, frozenset(reported), errors)


class CsvAdapter:
    """Base for partner formats that are one CSV record per signal.

    A subclass sets ``format``, ``party_types``, ``delimiter`` and ``columns`` and implements
    :meth:`convert`, which reads fields through the :class:`FieldReader` and returns
    :meth:`FieldReader.build`'s result.
    """

    format: str
    party_types: frozenset[PartyType]
    delimiter: str
    columns: tuple[Column, ...]

    def read(self, path: Path) -> Iterator[ParsedLine | LineError]:
        """Yield every record or problem in file order; never raise on bad content."""
        for item in read_csv(path, delimiter=self.delimiter, columns=self.columns):
            if isinstance(item, LineError):
                yield item
                continue
            if not item.values and item.errors:  # the row could not be split into columns
                yield from item.errors
                continue
            fields = FieldReader(
                item.line, item.values, errors=list(item.errors), reported=item.reported
            )
            signal = self.convert(fields)
            if fields.errors or signal is None:
                yield from sorted(fields.errors, key=self._column_order)
            else:
                yield ParsedLine(item.line, signal)

    def convert(self, fields: FieldReader) -> CanonicalSignal | None:
        """Map one row to a signal (None with the problems in ``fields.errors``)."""
        raise NotImplementedError

    @classmethod
    def column_names(cls) -> list[str]:
        """The header this format expects, in the documented order."""
        return [c.name for c in cls.columns]

    @classmethod
    def _column_order(cls, error: LineError) -> int:
        names = cls.column_names()
        return names.index(error.field) if error.field in names else len(names)
