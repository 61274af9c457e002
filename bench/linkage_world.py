"""The linkage bench's world: the policy data it runs on, and the weights it draws signals from.

The policy data is one object, :data:`POLICY`, reloaded in place by :func:`use_policies`
(``--policies DIR``), so every module of the bench sees the same directory.
"""

from __future__ import annotations

import base64
import bisect
import json
import random
import resource
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import REPO
from gateway.hits.summary import SignalFacts
from gateway.signals.reference import load_catalogue, municipalities
from gateway.vocabulary import Form

URGENT_INDICATOR = "SEKS-MINDERJARIG"


@dataclass
class PolicyData:
    """What the bench reads from a policy directory (covenant data and the catalogue)."""

    directory: Path
    data: dict[str, Any] = field(init=False)
    catalogue: Any = field(init=False)
    hub_threshold: int = field(init=False)
    party_types: dict[str, str] = field(init=False)
    barriers: dict[str, str] = field(init=False)
    all_indicators: list[str] = field(init=False)
    min_parties: int = field(init=False)
    out_of_scope: frozenset[str] = field(init=False)
    urgency_rules: list[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.load(self.directory)

    def load(self, directory: Path) -> None:
        self.directory = directory
        self.data = json.loads((directory / "covenant" / "data.json").read_text("utf-8"))
        self.catalogue = load_catalogue(directory)
        self.hub_threshold = self.data["linkage"]["hub_threshold"]
        self.party_types = {pid: p["type"] for pid, p in self.data["parties"].items()}
        self.barriers = {code: b.value for code, b in self.catalogue.barriers.items()}
        self.all_indicators = sorted(i for i in self.catalogue.barriers if i != URGENT_INDICATOR)
        self.min_parties = self.data["thresholds"]["hits"]["min_parties"]
        self.out_of_scope = frozenset(self.data["forms"]["out_of_scope"])
        self.urgency_rules = self.data["thresholds"]["urgency"]["rules"]
        _PREFERRED.clear()

    def barrier_of(self, indicator: str) -> str | None:
        barrier = self.catalogue.barriers.get(indicator)
        return None if barrier is None else barrier.value


_PREFERRED: dict[str, list[str]] = {}
POLICY = PolicyData(REPO / "policies")


def use_policies(directory: Path) -> None:
    """Another policy directory (``--policies``) for everything in this run: the fill, the
    runtime and the server (an experiment with a changed rule, or a snapshot)."""
    POLICY.load(directory)


# Who reports how much (adapter parties of the demo covenant; the police and the big city most).
PARTY_WEIGHTS = {
    "politie-rotterdam": 25,
    "gemeente-rotterdam": 20,
    "arbeidsinspectie": 12,
    "zorgcoordinator-rr": 10,
    "woningcorporatie-maasoever": 7,
    "gemeente-vlaardingen": 6,
    "om-rotterdam": 6,
    "belastingdienst": 5,
    "riec-rr": 5,
    "gemeente-ridderkerk": 4,
}
ADAPTER_PARTIES = sorted(PARTY_WEIGHTS)
# Rijnmond municipalities (CBS codes) take 83% of signals; the rest spread over the country.
REGION = {
    "GM0599": 40,
    "GM0606": 6,
    "GM0622": 6,
    "GM0502": 5,
    "GM1930": 5,
    "GM0597": 4,
    "GM1621": 4,
    "GM0489": 3,
    "GM0556": 3,
    "GM1992": 3,
    "GM0542": 2,
    "GM0613": 2,
}
FORM_WEIGHTS = {
    Form.ARBEIDSUITBUITING.value: 35,
    Form.SEKSUELE_UITBUITING.value: 28,
    Form.CRIMINELE_UITBUITING.value: 12,
    Form.ONBEKEND.value: 8,
    Form.ILLEGALE_PROSTITUTIE.value: 6,
    Form.MENSENSMOKKEL.value: 6,
    Form.GEDWONGEN_DIENSTVERLENING.value: 4.8,
    Form.ORGAANVERWIJDERING.value: 0.2,
}
assert set(FORM_WEIGHTS) == {f.value for f in Form}
CERTAINTY_WEIGHTS = {"vermoeden": 60, "aannemelijk": 30, "vastgesteld": 10}
INDICATOR_BIAS = {
    "seksuele_uitbuiting": ("SEKS-", "WERV-", "FIN-"),
    "illegale_prostitutie": ("SEKS-", "WERV-"),
    "arbeidsuitbuiting": ("ARB-", "HUIS-", "ENTREE-"),
    "criminele_uitbuiting": ("CRIM-", "FIN-", "VERV-"),
    "gedwongen_dienstverlening": ("DIENST-", "HUIS-"),
}
# Pseudonyms several signals share: (kind, role, weight). Hubs are addresses (a shelter).
SHARED_KINDS = [
    ("bsn", "slachtoffer", 30),
    ("adres", "verblijfplaats", 25),
    ("kvk", "werkgever", 15),
    ("persoon", "verdachte", 15),
    ("telefoon", "contactmiddel", 10),
    ("url", "advertentie", 5),
]
EXTRA_KINDS = [  # a signal's own further subjects: (kind, role, probability)
    ("telefoon", "contactmiddel", 0.40),
    ("iban", "rekening", 0.15),
    ("kenteken", "voertuig", 0.10),
]
START = datetime(2025, 1, 1, tzinfo=UTC)


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rss_mb(usage: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(usage).ru_maxrss / 1024  # Linux: KiB


class Chooser:
    """Weighted choice by bisect over cumulative weights (``random.choices`` per call is slow)."""

    def __init__(self, weights: dict[Any, float]) -> None:
        self.values = list(weights)
        total, self.cumulative = 0.0, []
        for w in weights.values():
            total += w
            self.cumulative.append(total)
        self.total = total

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect(self.cumulative, rng.random() * self.total)]


PARTY = Chooser(PARTY_WEIGHTS)
FORM = Chooser(FORM_WEIGHTS)
CERTAINTY = Chooser(CERTAINTY_WEIGHTS)
SHARED = Chooser({(k, r): w for k, r, w in SHARED_KINDS})


def municipality_chooser() -> Chooser:
    codes = municipalities()
    missing = set(REGION) - set(codes)
    if missing:
        raise SystemExit(f"not CBS codes: {sorted(missing)}")
    others = [c for c in codes if c not in REGION]
    weights: dict[str, float] = dict(REGION)
    for code in others:
        weights[code] = 17 / len(others)
    return Chooser(weights)


def indicators_for(rng: random.Random, form: str) -> list[str]:
    preferred = _PREFERRED.get(form)
    if preferred is None:
        prefixes = INDICATOR_BIAS.get(form)
        preferred = [i for i in POLICY.all_indicators if prefixes and i.startswith(prefixes)]
        _PREFERRED[form] = preferred
    chosen: list[str] = []
    for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 3, 4))):
        pool = preferred if preferred and rng.random() < 0.6 else POLICY.all_indicators
        code = rng.choice(pool)
        if code not in chosen:
            chosen.append(code)
    if form in ("seksuele_uitbuiting", "illegale_prostitutie") and rng.random() < 0.003:
        chosen.append(URGENT_INDICATOR)
    return chosen


def may_be_urgent(f: SignalFacts) -> bool:
    """Whether any urgency rule of the policy data *could* match this signal: it meets at least
    one condition of some rule (its form, a flag it has, an indicator). Not the rule itself (that
    is the ``hits`` policy's call) but a superset of it: a rule matches only when all of its
    conditions hold, and has at least one. Lets the fill skip clusters the policy cannot call a
    hit (tests/test_bench_hits_rule.py checks that against the policy)."""
    flags = {"minor": f.minor}
    for rule in POLICY.urgency_rules:
        if f.form in rule.get("forms", []):
            return True
        if any(flags.get(flag, False) for flag in rule.get("flags", [])):
            return True
        if set(rule.get("indicators", [])) & set(f.indicators):
            return True
    return False


def may_be_hit(facts: list[SignalFacts]) -> bool:
    """Whether the ``hits`` policy could call this cluster a hit: enough parties, or a signal
    an urgency rule could match (see :func:`may_be_urgent`). Clusters failing this are not
    judged by the fill (70% are single signals: judging them all would triple its policy time)."""
    return len({f.party for f in facts}) >= POLICY.min_parties or any(map(may_be_urgent, facts))
