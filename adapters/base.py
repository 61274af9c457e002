"""The adapter contract: one Protocol for "read this partner's export", one canonical record.

A reader never raises on bad content: it yields a ``LineError`` per problem (line number, field,
message without the offending value) and goes on, so that ``adapter push --check`` can report
every bad line at once. Only a file that cannot be opened at all raises ``AdapterError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Protocol, runtime_checkable

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from gateway.vocabulary import Certainty, DataClass, Form, PartyType, SubjectKind, SubjectRole


class AdapterError(Exception):
    """The export cannot be read at all (missing file, unknown format)."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PersonName(_Record):
    """What the ``persoon`` pseudonym is computed from."""

    family_name: Annotated[str, Field(min_length=1, max_length=200)]
    prefix: Annotated[str, Field(max_length=40)] = ""  # tussenvoegsel, e.g. "van der"
    given_names: Annotated[str, Field(min_length=1, max_length=200)]
    birth_date: date


class Address(_Record):
    """What the ``adres`` pseudonym is computed from: postcode + number + addition, or a BAG id."""

    postcode: Annotated[str, Field(max_length=16)] = ""
    # Room for how exports really write them: "00040 - 2e etage", "40 hs".
    number: Annotated[str, Field(max_length=40)] = ""
    addition: Annotated[str, Field(max_length=40)] = ""
    bag_id: Annotated[str, Field(max_length=16)] = ""


class SubjectRecord(_Record):
    """A subject with its identifier in clear. Never leaves the partner's network as such."""

    kind: SubjectKind
    role: SubjectRole
    value: str | PersonName | Address


class CanonicalSignal(_Record):
    """One signal as the partner knows it; the canonical JSONL export has one per line.

    ``details`` is the free text and reporter information: it only travels sealed.
    """

    ref: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")]
    version: Annotated[int, Field(ge=1)] = 1
    supersedes: int | None = None
    observed_at: AwareDatetime
    municipality: Annotated[str, Field(pattern=r"^GM\d{4}$")]
    form: Form
    indicators: list[str] = []
    data_classes: Annotated[list[DataClass], Field(min_length=1)]
    certainty: Certainty
    minor: bool = False
    consent: bool | None = None
    embargo_until: date | None = None
    source_protected: bool = False
    subjects: Annotated[list[SubjectRecord], Field(min_length=1, max_length=50)]
    details: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class LineError:
    """One problem in one record. ``line`` is 1-based: the file line for CSV and JSONL (the CSV
    header is line 1), the registration's position for a JSON document export (``politie-json``),
    whose ``field`` is then a JSON path such as ``registraties[3].personen[0].bsn``."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"regel {self.line}, veld {self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class ParsedLine:
    """A record read without problems, with the line it came from."""

    line: int
    signal: CanonicalSignal


@runtime_checkable
class PartnerAdapter(Protocol):
    """Reads one partner's native export. ``format`` is the name used on the command line."""

    format: str
    party_types: frozenset[PartyType]

    def read(self, path: Path) -> Iterator[ParsedLine | LineError]:
        """Yield every record or problem in file order; never raise on bad content."""
        ...


def observed(value: datetime) -> datetime:
    """Helper for adapters: exports without a zone are in Dutch local time."""
    from zoneinfo import ZoneInfo

    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("Europe/Amsterdam"))
