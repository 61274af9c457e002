"""The region being generated: the world, one writer per party, the calendar, and what is planted.

Shared by the pattern and noise modules, so each of them reads as a story ("register the workers,
inspect the house, ...") rather than as bookkeeping.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from gateway.demo_data.identities import Person, Place, World
from gateway.demo_data.writers import (
    ArbeidsinspectieWriter,
    CanonicalWriter,
    GemeenteWriter,
    PolitieWriter,
    Recorder,
    WoningcorporatieWriter,
    Writer,
    ZorgWriter,
)

#: The demo covenant's municipalities with a party of their own (policies/covenant/data.json).
MUNICIPAL_PARTIES = {
    "GM0599": "gemeente-rotterdam",
    "GM0622": "gemeente-vlaardingen",
    "GM0597": "gemeente-ridderkerk",
}
MUNICIPAL_WEIGHTS = {"GM0599": 6, "GM0622": 2, "GM0597": 2}
#: Where Woonstichting Maasoever has its houses.
HOUSING_MUNICIPALITIES = ("GM0599", "GM0622", "GM0597", "GM0606")

#: Party -> (format, file name) of each export the region writes.
EXPORTS: dict[str, tuple[str, str]] = {
    "gemeente-rotterdam": ("gemeente-csv", "gemeente-rotterdam.csv"),
    "gemeente-vlaardingen": ("gemeente-csv", "gemeente-vlaardingen.csv"),
    "gemeente-ridderkerk": ("gemeente-csv", "gemeente-ridderkerk.csv"),
    "politie-rotterdam": ("politie-json", "politie-rotterdam.json"),
    "arbeidsinspectie": ("arbeidsinspectie-csv", "arbeidsinspectie.csv"),
    "zorgcoordinator-rr": ("zorg-csv", "zorgcoordinator-rr.csv"),
    "woningcorporatie-maasoever": ("woningcorporatie-csv", "woningcorporatie-maasoever.csv"),
    "om-rotterdam": ("canonical", "om-rotterdam.jsonl"),
    "belastingdienst": ("canonical", "belastingdienst.jsonl"),
}

#: The period the signals are observed in: fixed, so a seed gives the same files on any day.
FIRST_DAY = date(2025, 1, 6)
LAST_DAY = date(2026, 6, 26)

Record = tuple[str, str]


@dataclass
class PatternTruth:
    """A planted pattern: the records that belong together and the identifiers that tie them."""

    id: str
    kind: str
    form: str
    records: list[Record] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class HubTruth:
    """The shelter: one address shared by many people who have nothing else in common."""

    name: str
    address: Place
    records: list[tuple[str, str, str | None]] = field(default_factory=list)


class Region:
    """Everything one generation run shares."""

    def __init__(self, out_dir: Path, *, seed: int) -> None:
        self.rng = random.Random(seed)
        self.world = World(self.rng, seed)
        self.record = Recorder()
        self.patterns: list[PatternTruth] = []
        self.recent: list[Person] = []  # noise persons that may turn up again, innocently
        out_dir.mkdir(parents=True, exist_ok=True)
        path = {party: out_dir / name for party, (_, name) in EXPORTS.items()}
        self.gemeenten = {
            code: GemeenteWriter(path[party], party, self.record, municipality=code)
            for code, party in MUNICIPAL_PARTIES.items()
        }
        self.politie = PolitieWriter(path["politie-rotterdam"], "politie-rotterdam", self.record)
        self.arbeidsinspectie = ArbeidsinspectieWriter(
            path["arbeidsinspectie"], "arbeidsinspectie", self.record
        )
        self.zorg = ZorgWriter(path["zorgcoordinator-rr"], "zorgcoordinator-rr", self.record)
        self.woningcorporatie = WoningcorporatieWriter(
            path["woningcorporatie-maasoever"], "woningcorporatie-maasoever", self.record
        )
        self.om = CanonicalWriter(path["om-rotterdam"], "om-rotterdam", self.record)
        self.belastingdienst = CanonicalWriter(
            path["belastingdienst"], "belastingdienst", self.record
        )
        shelter = self.world.place("GM0599")
        self.hub = HubTruth(name="Stichting Opvang De Haven (fictief)", address=shelter)

    @property
    def writers(self) -> list[Writer]:
        """Every writer, in the order of :data:`EXPORTS`."""
        return [
            *self.gemeenten.values(),
            self.politie,
            self.arbeidsinspectie,
            self.zorg,
            self.woningcorporatie,
            self.om,
            self.belastingdienst,
        ]

    def close(self) -> None:
        """Finish every file."""
        for writer in self.writers:
            writer.close()

    # -- calendar -------------------------------------------------------------------------------

    def day(self, *, after: date | None = None, within: int | None = None, room: int = 0) -> date:
        """A day in the period: ``after`` + up to ``within`` days, ``room`` days free at the end."""
        first = after or FIRST_DAY
        last = LAST_DAY - timedelta(days=room)
        if within is not None:
            last = min(last, first + timedelta(days=within))
        if last < first:
            return first
        return first + timedelta(days=self.rng.randrange((last - first).days + 1))

    def moment(self, day: date, *, night: bool = False) -> datetime:
        """A time on a day (local, naive): office hours, or evening and night for controls."""
        hour = self.rng.choice((20, 21, 22, 23, 0, 1, 5, 6)) if night else self.rng.randint(8, 17)
        return datetime.combine(
            day, time(hour, self.rng.choice((0, 5, 10, 15, 20, 30, 40, 45, 50)))
        )

    def municipality(self) -> str:
        """A municipality with its own party, by population."""
        return self.rng.choices(list(MUNICIPAL_WEIGHTS), weights=list(MUNICIPAL_WEIGHTS.values()))[
            0
        ]

    def gemeente(self, code: str) -> GemeenteWriter:
        """The writer of a municipality that is a party."""
        return self.gemeenten[code]
