"""``generate_region``: a synthetic covenant region with planted trafficking patterns.

Writes one export per party in that party's native format, plus ``manifest.json`` (which file to
push as which party in which format) and ``ground_truth.json`` (what was planted, and every clear
value written, so that an end-to-end test can check that none of it reaches the gateway's database
or logs). Deterministic: the same seed and size give byte-identical files on any machine and day.

Sizes: ``small`` (one unit: about 300 signals), ``medium`` (10 units: about 3,000), ``large``
(100 units: about 30,000), or a number of units. Files are written as they are generated, so the
large region never sits in memory (the ground truth's list of values does).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from gateway.demo_data import noise, patterns
from gateway.demo_data.region import EXPORTS, PatternTruth, Region
from gateway.jsontypes import JsonObject

SIZES = {"small": 1, "medium": 10, "large": 100}
GROUND_TRUTH = "ground_truth.json"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ExportFile:
    """One written export."""

    party: str
    format: str
    file: str
    records: int


@dataclass(frozen=True)
class Pattern:
    """A planted pattern: ``records`` are (party, ref) pairs; ``links`` (kind, value) tie them."""

    id: str
    kind: str
    form: str
    records: tuple[tuple[str, str], ...]
    links: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Hub:
    """The shelter address and every record that mentions it (``pattern`` None: unrelated)."""

    name: str
    address: dict[str, str]
    records: tuple[tuple[str, str, str | None], ...]


@dataclass(frozen=True)
class GroundTruth:
    """What ``generate_region`` planted and every clear value it wrote."""

    seed: int
    scale: int
    files: tuple[ExportFile, ...]
    patterns: tuple[Pattern, ...]
    hub: Hub
    identifiers: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        """The ground truth as written to ``ground_truth.json``."""
        return {
            "version": 1,
            "seed": self.seed,
            "scale": self.scale,
            "files": [vars(f) for f in self.files],
            "patterns": [
                {
                    "id": p.id,
                    "kind": p.kind,
                    "form": p.form,
                    "records": [{"party": party, "ref": ref} for party, ref in p.records],
                    "links": [{"kind": kind, "value": value} for kind, value in p.links],
                }
                for p in self.patterns
            ],
            "hub": {
                "name": self.hub.name,
                "address": self.hub.address,
                "records": [
                    {"party": party, "ref": ref, "pattern": pattern}
                    for party, ref, pattern in self.hub.records
                ],
            },
            "identifiers": self.identifiers,
        }

    @classmethod
    def load(cls, path: Path) -> GroundTruth:
        """Read a ``ground_truth.json`` written by :func:`generate_region`."""
        data = json.loads(path.read_text("utf-8"))
        return cls(
            seed=data["seed"],
            scale=data["scale"],
            files=tuple(ExportFile(**f) for f in data["files"]),
            patterns=tuple(
                Pattern(
                    p["id"],
                    p["kind"],
                    p["form"],
                    tuple((r["party"], r["ref"]) for r in p["records"]),
                    tuple((link["kind"], link["value"]) for link in p["links"]),
                )
                for p in data["patterns"]
            ),
            hub=Hub(
                data["hub"]["name"],
                data["hub"]["address"],
                tuple((r["party"], r["ref"], r["pattern"]) for r in data["hub"]["records"]),
            ),
            identifiers=data["identifiers"],
        )


def scale_of(size: str | int) -> int:
    """Units for a size name or number."""
    if isinstance(size, bool) or not isinstance(size, int | str):
        raise ValueError("size is small, medium, large or a positive number of units")
    if isinstance(size, str):
        if size not in SIZES:
            raise ValueError(f"unknown size; use one of {', '.join(SIZES)} or a number")
        return SIZES[size]
    if size < 1:
        raise ValueError("size must be at least 1 unit")
    return size


def generate_region(out_dir: Path, *, seed: int, size: str | int = "small") -> GroundTruth:
    """Write a synthetic region's partner exports, manifest and ground truth into ``out_dir``."""
    scale = scale_of(size)
    region = Region(out_dir, seed=seed)
    per_kind = max(1, scale * 4 // 5)
    planted: list[PatternTruth] = []
    try:
        # Patterns and shelter records are spread over the units, so that every file mixes them
        # with the background noise.
        schedule = [(index * scale // per_kind, index + 1) for index in range(per_kind)]
        # A shelter registers more people than any planted address holds (the arbeid pattern puts
        # some 15 records on one house), so a hub threshold between the two tells them apart.
        sheltered = min(30 + 3 * scale, 150)
        for unit in range(scale):
            share = sheltered * (unit + 1) // scale - sheltered * unit // scale
            patterns.shelter(region, share, first=sheltered * unit // scale)
            noise.unit(region)
            for when, number in schedule:
                if when == unit:
                    planted.extend(planter(region, number) for planter in patterns.PLANTERS)
    finally:
        region.close()

    files = tuple(
        ExportFile(writer.party, EXPORTS[writer.party][0], EXPORTS[writer.party][1], writer.count)
        for writer in region.writers
    )
    hub_place = region.hub.address
    truth = GroundTruth(
        seed=seed,
        scale=scale,
        files=files,
        patterns=tuple(
            Pattern(p.id, p.kind, p.form, tuple(p.records), tuple(dict.fromkeys(p.links)))
            for p in planted
        ),
        hub=Hub(
            region.hub.name,
            {
                "postcode": hub_place.postcode,
                "number": str(hub_place.number),
                "addition": hub_place.addition,
            },
            tuple(region.hub.records),
        ),
        identifiers=region.record.as_lists(),
    )
    manifest = [
        {"party": f.party, "format": f.format, "file": f.file, "records": f.records} for f in files
    ]
    (out_dir / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (out_dir / GROUND_TRUTH).write_text(
        json.dumps(truth.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return truth
