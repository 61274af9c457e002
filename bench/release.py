"""Release benchmark (issue 6): a case of 50 signals released end to end in memory, i.e. what
``POST /v1/cases/{id}/release`` does before it commits: open the 50 sealed signals (HPKE),
build the input, one ``release`` decision (embedded OPA), keep per recipient the allowed fields,
seal one package per recipient (HPKE). Reports p50/p99 of the whole, and of the decision alone
on the same input as the baseline, in the same run.

The case: six participants (police, OM, municipality, labour inspectorate, care coordinator, a
non-signatory municipality), 50 signals from six partners with mixed data classes, minors,
an embargo, consent, source protection, free text and reporter fields. It is a case file: each
signal names a person, a BSN, an address and a phone number, and the file holds the people of
every other signal and all addresses, so the release also leaves out the subjects outside it.

    .venv/bin/python bench/release.py [--calls 200]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.harness import add_gogc_option, apply_gogc, dev_keys, percentile  # noqa: E402
from gateway import sealing  # noqa: E402
from gateway.cases.model import Approval, CaseState, HitFacts, Stage  # noqa: E402
from gateway.release.service import FileScope, prepare  # noqa: E402
from gateway.runtime import Runtime  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from gateway.storage.database import create_db_engine, migrate  # noqa: E402

PARTICIPANTS = (
    "politie-rotterdam",
    "om-rotterdam",
    "gemeente-rotterdam",
    "arbeidsinspectie",
    "zorgcoordinator-rr",
    "gemeente-alblasserdam",
)
SOURCES = {
    "politie-rotterdam": ["politiegegevens"],
    "gemeente-rotterdam": ["gewoon"],
    "arbeidsinspectie": ["gewoon", "strafrechtelijk"],
    "zorgcoordinator-rr": ["zorg_beroepsgeheim", "gezondheid"],
    "belastingdienst": ["fiscaal"],
    "woningcorporatie-maasoever": ["gewoon"],
}
DETAILS = {
    "politie-rotterdam": {"omschrijving": "Controle pand, 9 personen aangetroffen"},
    "gemeente-rotterdam": {"toelichting": "Overbewoning gemeld", "melder_naam": "P. de Vries"},
    "arbeidsinspectie": {"toelichting": "Onderbetaling", "handelsnaam": "Voorbeeld B.V."},
    "zorgcoordinator-rr": {"zorgtraject": "Opvang gestart", "verwijzer": "Huisarts"},
    "belastingdienst": {"fiscale_bevinding": "Geen loonaangifte"},
    "woningcorporatie-maasoever": {"vhe": "VHE-1", "betaler_wijkt_af": "ja"},
}


def make_rows(rt: Runtime, rng: random.Random) -> list[SimpleNamespace]:
    rows = []
    for number in range(50):
        party = list(SOURCES)[number % len(SOURCES)]
        ref = f"B-{number:04d}"
        content = {
            "v": 1,
            "subjects": [
                {
                    "kind": "persoon",
                    "role": "slachtoffer",
                    "value": {
                        "family_name": f"Naam{number}",
                        "given_names": "Voornaam",
                        "birth_date": "1990-01-01",
                    },
                },
                {"kind": "bsn", "role": "slachtoffer", "value": "111222333"},
                {
                    "kind": "adres",
                    "role": "verblijfplaats",
                    "value": {"postcode": "3000AA", "number": str(number)},
                },
                {"kind": "telefoon", "role": "contactmiddel", "value": "+31612345678"},
            ],
            "details": DETAILS[party],
        }
        blob = sealing.seal(
            json.dumps(content).encode(),
            recipient=rt.release_key(),
            context=sealing.SealContext(party=party, ref=ref, version=1),
        )
        embargo = date.today() + timedelta(days=20) if number % 17 == 0 else None
        rows.append(
            SimpleNamespace(
                id=number + 1,
                party=party,
                ref=ref,
                version=1,
                sealed=blob,
                observed_at=datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=number),
                form=rng.choice(["arbeidsuitbuiting", "seksuele_uitbuiting"]),
                indicators=["HUIS-OVERBEWONING"],
                data_classes=SOURCES[party],
                minor=number % 11 == 0,
                consent=True if party == "zorgcoordinator-rr" else None,
                embargo_until=embargo,
                source_protected=number % 13 == 0,
            )
        )
    return rows


KINDS = ("persoon", "bsn", "adres", "telefoon")


def make_scope(rows: list[SimpleNamespace]) -> FileScope:
    """Each row's subjects as stored (in the order sealed) and the case file's subjects."""
    stored = {row.id: [(f"{kind}-{row.id}".encode(), kind) for kind in KINDS] for row in rows}
    chosen = {f"persoon-{row.id}".encode() for row in rows if row.id % 2 == 0}
    chosen |= {f"adres-{row.id}".encode() for row in rows}
    return FileScope(frozenset(chosen), stored)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    add_gogc_option(parser)
    args = parser.parse_args()
    apply_gogc(args)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _, public, private = dev_keys(work)
        url = f"sqlite:///{work / 'g.db'}"
        engine = create_db_engine(url)
        migrate(engine)
        rt = Runtime.build(
            Settings(database_url=url, keys_dir=public, private_keys_dir=private), engine=engine
        )
        rows = make_rows(rt, random.Random(7))
        scope = make_scope(rows)
        now = datetime.now(UTC)
        case = CaseState(
            id="case-0000000000000001",
            hit=HitFacts("hit-0000000000000001", "open", False, 50, 6, ("politie", "gemeente")),
            stage=Stage.CASUSOVERLEG,
            purpose="ketenaanpak",
            split_meeting=False,
            participants=PARTICIPANTS,
            approvals=(
                Approval("casusregisseur", "riec-rr", "regisseur-01", now),
                Approval("privacy_officer", "riec-rr", "privacy-07", now),
            ),
        )
        requester = {
            "party": "riec-rr",
            "type": "riec",
            "roles": ["casusregisseur"],
            "sub": "regisseur-01",
        }

        def once() -> object:
            return prepare(
                rt,
                case,
                rows,
                requester=requester,
                meeting_part=None,
                acute_danger=False,
                now=now,
                scope=scope,
            )

        first = once()
        assert first.decision.allow, first.decision.reasons
        document = first.document
        for _ in range(10):
            once()
        whole, decision_only = [], []
        for _ in range(args.calls):
            started = time.perf_counter()
            rt.policy.decide("release", document)
            decision_only.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            once()
            whole.append((time.perf_counter() - started) * 1000)
        print(
            f"release of a 50-signal case file, {len(PARTICIPANTS)} participants, "
            f"{first.counts['packages']} packages, {first.counts['records']} records, "
            f"{first.counts['withheld']} withheld, "
            f"{first.counts['subjects_outside_file']} subjects outside the case file; "
            f"{args.calls} calls"
        )
        print(
            f"decision alone (baseline)  p50 {statistics.median(decision_only):6.1f} ms"
            f"   p99 {percentile(decision_only, 0.99):6.1f} ms"
        )
        print(
            f"end to end                 p50 {statistics.median(whole):6.1f} ms"
            f"   p99 {percentile(whole, 0.99):6.1f} ms"
            f"   ratio p50 {statistics.median(whole) / statistics.median(decision_only):.2f}x"
        )
        input_kib = len(json.dumps(document)) / 1024
        print(
            f"decision input {input_kib:.1f} KiB; "
            f"packages {sum(len(p['sealed']) for p in first.packages) / 1024:.1f} KiB sealed"
        )
        rt.policy.close()


if __name__ == "__main__":
    main()
