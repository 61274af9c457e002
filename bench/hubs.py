"""Ingest with the new hub rule against today's, at 20,000 stored signals (issue 13, item 2).

Two fresh SQLite databases are filled with the same generated region (people at home addresses,
shelters and briefadressen with many unrelated residents, workplaces with crews sharing an
employer or a phone), batch by batch through ingest's own store step
(``gateway.signals.service.ingest`` with the ``SqlLinker``), one under today's rule (one
``hub_threshold`` for every kind) and one under the covenant's rules now (thresholds per kind and
the structural rule, which reads a key's carriers for keys within their kind's threshold). Then
the same further batches of 500 are timed on top of each, in the same run; printed: signals/s for
both, the ratio, and the hubs each rule flagged by reason.

    .venv/bin/python bench/hubs.py --signals 20000 --batch 500 --reps 5
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway import sealing  # noqa: E402
from gateway.crypto import b64u  # noqa: E402
from gateway.linkage.rules import LinkRules, link_rules  # noqa: E402
from gateway.signals import service  # noqa: E402
from gateway.signals.models import Limits, SignalIn  # noqa: E402
from gateway.signals.reference import load_catalogue  # noqa: E402
from gateway.storage.database import create_db_engine, migrate  # noqa: E402
from gateway.storage.linkage import SqlLinker  # noqa: E402
from gateway.storage.signals import SqlSignalStore  # noqa: E402
from gateway.storage.tables import LinkKeyRow  # noqa: E402

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
PARTIES = [
    "gemeente-rotterdam",
    "politie-rotterdam",
    "arbeidsinspectie",
    "zorgcoordinator-rr",
    "gemeente-vlaardingen",
    "belastingdienst",
]
LIMITS = Limits(
    catalogue=load_catalogue(ROOT / "policies"),
    max_sealed_bytes=16384,
    max_batch_signals=1000,
    now=NOW,
    clock_skew=timedelta(seconds=30),
)
_SEALED = b64u(sealing.header("placeholder") + secrets.token_bytes(600))


def pseudonym(kind: str, number: int) -> str:
    return b64u(f"{kind}-{number}".encode().ljust(64, b"."))


class Region:
    """A generator of signals: most people at a home address of a few, about one in forty at a
    shelter or briefadres, one in ten at a workplace with a crew that shares an employer or a
    phone."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.people = 0

    def subjects(self) -> list[dict[str, str]]:
        rng = self.rng
        self.people += 1
        person = rng.randrange(max(1, int(self.people * 0.8)) + 1)  # some people come back
        subjects = [("persoon", person)]
        roll = rng.random()
        if roll < 0.025:
            subjects.append(("adres", 10_000_000 + rng.randrange(40)))  # shelters, briefadressen
        elif roll < 0.125:
            crew = rng.randrange(400)
            subjects.append(("adres", 20_000_000 + crew))
            subjects.append(rng.choice([("kvk", crew), ("telefoon", 30_000_000 + crew)]))
        else:
            subjects.append(("adres", person // 3))
            if rng.random() < 0.3:
                subjects.append(("telefoon", person))
        return [
            {"kind": kind, "role": "betrokkene", "pseudonym": pseudonym(kind, number)}
            for kind, number in subjects
        ]

    def batch(self, size: int) -> list[SignalIn]:
        return [
            SignalIn.model_validate(
                {
                    "ref": f"sig-{secrets.token_hex(8)}",
                    "version": 1,
                    "observed_at": (NOW - timedelta(days=self.rng.randrange(365))).isoformat(),
                    "municipality": "GM0599",
                    "form": "arbeidsuitbuiting",
                    "indicators": ["ARB-ONDERBETALING"],
                    "data_classes": ["gewoon"],
                    "certainty": "vermoeden",
                    "flags": {
                        "minor": False,
                        "consent": None,
                        "embargo_until": None,
                        "source_protected": False,
                    },
                    "subjects": self.subjects(),
                    "sealed": _SEALED,
                },
                context={"limits": LIMITS},
            )
            for _ in range(size)
        ]


def ingest(engine: Engine, rules: LinkRules, signals: list[SignalIn], party: str) -> float:
    started = time.perf_counter()
    with engine.begin() as connection:
        service.ingest(
            SqlSignalStore(connection),
            party=party,
            signals=signals,
            now=NOW,
            linker=SqlLinker(connection, rules, now=NOW),
        )
    return time.perf_counter() - started


def run(rules: LinkRules, args: argparse.Namespace, directory: Path, name: str) -> Result:
    engine = create_db_engine(f"sqlite:///{directory / name}.db")
    migrate(engine)
    region = Region(args.seed)
    parties = random.Random(args.seed + 1)
    for _ in range(args.signals // args.batch):
        ingest(engine, rules, region.batch(args.batch), parties.choice(PARTIES))
    timings = [
        ingest(engine, rules, region.batch(args.batch), parties.choice(PARTIES))
        for _ in range(args.reps)
    ]
    keys = LinkKeyRow.__table__
    with engine.connect() as connection:
        reasons = Counter(
            connection.execute(
                select(keys.c.hub_reason).where(keys.c.hub_id.is_not(None))
            ).scalars()
        )
    engine.dispose()
    median = statistics.median(timings)
    hubs = {str(k): v for k, v in sorted(reasons.items(), key=lambda kv: str(kv[0]))}
    return Result(median, args.batch / median, hubs)


@dataclass(frozen=True)
class Result:
    median_s: float
    signals_per_s: float
    hubs: dict[str, int]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=20_000, help="stored before timing")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--reps", type=int, default=5, help="timed batches on top")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    data = json.loads((ROOT / "policies" / "covenant" / "data.json").read_text("utf-8"))
    new = link_rules({"covenant": data})
    today = LinkRules(new.kinds, new.hub_threshold)
    with tempfile.TemporaryDirectory() as directory:
        before = run(today, args, Path(directory), "today")
        after = run(new, args, Path(directory), "new")
    print(f"ingest at {args.signals} stored signals, batches of {args.batch}, {args.reps} timed")
    for label, result in (("today's rule (one threshold)", before), ("new hub rule", after)):
        print(
            f"  {label:30s} {result.signals_per_s:8.0f} signals/s "
            f"(median batch {result.median_s * 1000:.0f} ms); hubs {result.hubs}"
        )
    ratio = after.median_s / before.median_s
    print(f"  ratio new/today (batch time): {ratio:.2f}x")


if __name__ == "__main__":
    main()
