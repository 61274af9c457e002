"""The synthetic region: deterministic, readable by the adapters, and with the planted patterns,
the shelter hub and the list of clear values the ground truth promises."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from adapters import registry
from adapters.base import Address, LineError, ParsedLine, PersonName
from adapters.normalise import normalise
from gateway.demo_data import GroundTruth, generate_region
from gateway.demo_data.generate import GROUND_TRUTH, MANIFEST, scale_of
from gateway.demo_data.region import EXPORTS
from gateway.vocabulary import SubjectKind

SEED = 20260401


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GroundTruth]:
    out = tmp_path_factory.mktemp("region")
    return out, generate_region(out, seed=SEED, size="small")


@pytest.fixture(scope="module")
def parsed(region) -> dict[tuple[str, str], tuple[str, list[bytes], ParsedLine]]:
    """(party, ref) -> (party, normalised identifiers, parsed record), for every record written."""
    out, truth = region
    records = {}
    for item in truth.files:
        for parsed_line in registry.get(item.format).read(out / item.file):
            assert isinstance(parsed_line, ParsedLine), f"{item.file}: {parsed_line}"
            keys = [normalise(s.kind, s.value) for s in parsed_line.signal.subjects]
            records[(item.party, parsed_line.signal.ref)] = (item.party, keys, parsed_line)
    return records


def test_same_seed_gives_byte_identical_files(region, tmp_path):
    out, _ = region
    generate_region(tmp_path, seed=SEED, size="small")
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    assert {GROUND_TRUTH, MANIFEST} <= set(names)
    for name in names:
        assert (out / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_another_seed_gives_another_region(region, tmp_path):
    out, _ = region
    generate_region(tmp_path, seed=SEED + 1, size="small")
    assert (out / "politie-rotterdam.json").read_bytes() != (
        tmp_path / "politie-rotterdam.json"
    ).read_bytes()


def test_one_export_per_party_in_its_native_format(region):
    out, truth = region
    assert {(f.party, f.format, f.file) for f in truth.files} == {
        (p, fmt, name) for p, (fmt, name) in EXPORTS.items()
    }
    assert json.loads((out / MANIFEST).read_text()) == [vars(f) for f in truth.files]
    assert (out / "gemeente-rotterdam.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel's BOM
    assert b"\r\n" in (out / "zorgcoordinator-rr.csv").read_bytes()
    assert b"\r\n" not in (out / "arbeidsinspectie.csv").read_bytes()
    assert GroundTruth.load(out / GROUND_TRUTH) == truth


def test_every_file_parses_with_zero_line_errors(region):
    out, truth = region
    for item in truth.files:
        items = list(registry.get(item.format).read(out / item.file))
        errors = [i for i in items if isinstance(i, LineError)]
        assert errors == [], f"{item.file}: {errors[:3]}"
        assert len(items) == item.records > 0, item.file
        refs = [i.signal.ref for i in items]
        assert len(set(refs)) == len(refs), item.file


def test_every_subject_normalises(parsed):
    # The ``parsed`` fixture normalises every subject; an invalid identifier would have raised.
    assert sum(len(keys) for _, keys, _ in parsed.values()) > 500


def test_planted_patterns_share_identifiers_across_partners(region, parsed):
    _, truth = region
    kinds = {p.kind for p in truth.patterns}
    assert {"arbeidsuitbuiting", "loverboy", "onvergunde_seksinrichting"} <= kinds
    assert kinds & {"criminele_uitbuiting", "gedwongen_bedelarij"}
    for pattern in truth.patterns:
        assert all(record in parsed for record in pattern.records), pattern.id
        parties_by_key: dict[bytes, set[str]] = defaultdict(set)
        for record in pattern.records:
            party, keys, _ = parsed[record]
            for key in keys:
                parties_by_key[key].add(party)
        shared = [key for key, parties in parties_by_key.items() if len(parties) >= 2]
        assert shared, f"{pattern.id}: no identifier shared by two partners"
        assert len({party for party, _ in pattern.records}) >= 2, pattern.id
        # Every record is reachable from every other through shared identifiers.
        assert _components(pattern.records, parsed) == 1, pattern.id
        # The links named in the ground truth are identifiers that really occur in the pattern.
        for kind, value in pattern.links:
            assert _link_key(kind, value) in parties_by_key, (pattern.id, kind)


def test_patterns_by_kind_carry_the_partners_and_flags_they_are_about(region, parsed):
    _, truth = region
    for pattern in truth.patterns:
        parties = {party for party, _ in pattern.records}
        signals = [parsed[r][2].signal for r in pattern.records]
        if pattern.kind == "arbeidsuitbuiting":
            assert {
                "woningcorporatie-maasoever",
                "arbeidsinspectie",
                "politie-rotterdam",
            } <= parties
            assert any(p.startswith("gemeente-") for p in parties)
            indicators = {i for s in signals for i in s.indicators}
            assert {
                "IDENT-MEERDERE-INSCHRIJVINGEN",
                "HUIS-OVERBEWONING",
                "ARB-ONDERBETALING",
            } <= indicators
        if pattern.kind == "loverboy":
            assert {"politie-rotterdam", "zorgcoordinator-rr"} <= parties
            care = [
                s
                for (party, _), s in zip(pattern.records, signals, strict=True)
                if party == "zorgcoordinator-rr"
            ]
            assert care and all(s.minor and s.consent is not None for s in care)
        if pattern.kind == "onvergunde_seksinrichting":
            assert "politie-rotterdam" in parties and any(
                p.startswith("gemeente-") for p in parties
            )
            assert any(
                "SEKS-ONVERGUNDE-EXPLOITATIE" in s.indicators and "seksueel_leven" in s.data_classes
                for s in signals
            )
            assert any(k.kind is SubjectKind.URL for s in signals for k in s.subjects)


def test_shelter_hub_is_shared_by_many_unrelated_records(region, parsed):
    _, truth = region
    hub = truth.hub.address
    hub_key = normalise(
        SubjectKind.ADRES,
        Address(postcode=hub["postcode"], number=hub["number"], addition=hub["addition"]),
    )
    mentioning = {record for record, (_, keys, _) in parsed.items() if hub_key in keys}
    assert mentioning == {(party, ref) for party, ref, _ in truth.hub.records}
    unrelated = [(party, ref) for party, ref, pattern in truth.hub.records if pattern is None]
    assert len(unrelated) >= 10
    assert len({party for party, _ in unrelated}) >= 2
    in_patterns = {record for pattern in truth.patterns for record in pattern.records}
    assert not in_patterns & set(unrelated)
    # Unrelated: apart from the shelter address they share no identifier with each other.
    seen: dict[bytes, tuple[str, str]] = {}
    for record in unrelated:
        for key in set(parsed[record][1]) - {hub_key}:
            assert key not in seen, (record, seen.get(key))
            seen[key] = record


def test_ground_truth_lists_every_generated_identifier(region, parsed):
    out, truth = region
    values = {category: set(items) for category, items in truth.identifiers.items()}
    for _, _, parsed_line in parsed.values():
        signal = parsed_line.signal
        for subject in signal.subjects:
            value = subject.value
            if isinstance(value, PersonName):
                assert value.family_name in values["name"] and value.given_names in values["name"]
            elif isinstance(value, Address):
                assert value.postcode in values["postcode"] or value.bag_id in values["bag_id"]
            else:
                assert value in values[subject.kind.value], subject.kind
        for text in signal.details.values():
            assert text in values["free_text"] or text in _NOT_SECRET, text
    # And the list holds nothing that was not written: every value occurs in some file.
    corpus = "".join((out / f.file).read_text("utf-8-sig") for f in truth.files)
    for category, items in truth.identifiers.items():
        for item in items:
            assert item in corpus or json.dumps(item, ensure_ascii=False)[1:-1] in corpus, (
                category,
                item,
            )


# Values in ``details`` that are codes, not free text.
_NOT_SECRET = {
    "BRP-inschrijving",
    "Woningcontrole",
    "Vergunningcontrole",
    "ja",
    "incident",
    "controle",
    "intake",
    "aangifte",
    "bestuurlijke rapportage",
    "politie",
    "school",
    "Veilig Thuis",
    "jeugdbescherming",
    "reclassering",
    "straatteam",
    "GGD",
    "huisarts",
    "CoMensha",
    "advocaat",
    "art. 273f Sr",
}


def test_sizes(tmp_path):
    assert (
        scale_of("small") == 1
        and scale_of("medium") == 10
        and scale_of("large") == 100
        and scale_of(3) == 3
    )
    for bad in ("huge", 0, -1, True, 1.5):
        with pytest.raises(ValueError):
            scale_of(bad)  # type: ignore[arg-type]
    truth = generate_region(tmp_path, seed=7, size="medium")
    signals = sum(f.records for f in truth.files)
    assert 2_000 <= signals <= 6_000  # "a few thousand"
    assert len(truth.patterns) >= 4 * 8


def _link_key(kind: str, value: str) -> bytes:
    if kind == "adres":
        postcode, number, addition = value.split("|")
        return normalise(
            SubjectKind.ADRES, Address(postcode=postcode, number=number, addition=addition)
        )
    return normalise(SubjectKind(kind), value)


def _components(records, parsed) -> int:
    parent = {record: record for record in records}

    def find(record):
        while parent[record] != record:
            parent[record] = parent[parent[record]]
            record = parent[record]
        return record

    owner: dict[bytes, tuple[str, str]] = {}
    for record in records:
        for key in parsed[record][1]:
            if key in owner:
                parent[find(record)] = find(owner[key])
            else:
                owner[key] = record
    return len({find(record) for record in records})
