"""What the hit rules and the RIEC's list see of a cluster: metadata, never pseudonyms or refs.

The ``hits`` input is compact (issue 5): it carries only what the rules read (partner, form,
indicators, the minor flag, the day), alike signals of a cluster are sent once with a ``count``,
and observation times are cut to the day, because OPA's cost grows with the input (converting it
was a quarter of a batch's ``hits`` decision) and the rules only ask "which parties, within
which window, any urgent signal". A rule that needs more (the certainty, say) adds it here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeAlias

from gateway.jsontypes import JsonObject

if TYPE_CHECKING:
    from gateway.signals.service import NewSignal


@dataclass(frozen=True, slots=True)
class SignalFacts:
    """One current signal as the hit rules and the hits list read it."""

    cluster_id: int
    party: str
    party_type: str
    form: str
    indicators: tuple[str, ...]
    minor: bool
    certainty: str
    observed_at: datetime
    municipality: str


# Alike signals: (party, form, sorted indicators, minor, day), and how many of them.
_Alike: TypeAlias = tuple[str, str, tuple[str, ...], bool, str]
_Grouped: TypeAlias = tuple[tuple[_Alike, int], ...]


def _grouped(facts: Iterable[SignalFacts]) -> _Grouped:
    """Alike signals of a cluster, counted: hashable, so alike clusters are found cheaply."""
    groups: dict[_Alike, int] = {}
    for f in facts:
        key: _Alike = (
            f.party,
            f.form,
            tuple(sorted(set(f.indicators))),
            f.minor,
            f.observed_at.date().isoformat(),
        )
        groups[key] = groups.get(key, 0) + 1
    return tuple(sorted(groups.items()))


def _signals(grouped: _Grouped) -> list[JsonObject]:
    return [
        {
            "party": party,
            "form": form,
            "indicators": list(indicators),
            "minor": minor,
            "observed_at": f"{day}T00:00:00Z",
            "count": count,
        }
        for (party, form, indicators, minor, day), count in grouped
    ]


def cluster_input(cluster_id: int, facts: Iterable[SignalFacts]) -> JsonObject:
    """One cluster of the ``hits`` input, alike signals grouped under ``count``."""
    return {"id": str(cluster_id), "signals": _signals(_grouped(facts))}


@dataclass(frozen=True, slots=True)
class EvaluationInput:
    """The ``hits`` input, and which real clusters each of its entries stands for."""

    document: JsonObject
    clusters: dict[str, list[int]]


def evaluation_input(
    clusters: Mapping[int, Sequence[SignalFacts]], *, now: datetime
) -> EvaluationInput:
    """The whole ``hits`` input for the clusters one batch changed: one evaluation, not one per
    cluster. Clusters that look alike to the rules (most often: new single signals of one kind)
    are sent once; the rules judge a cluster by what is in it, never by which one it is."""
    entries: dict[_Grouped, JsonObject] = {}
    members: dict[str, list[int]] = {}
    for cid, facts in sorted(clusters.items()):
        key = _grouped(facts)
        if key not in entries:
            entry_id = str(len(entries))
            entries[key] = {"id": entry_id, "signals": _signals(key)}
            members[entry_id] = []
        members[entries[key]["id"]].append(cid)
    return EvaluationInput(
        {"action": "evaluate", "now": now.isoformat(), "clusters": list(entries.values())},
        members,
    )


def batch_facts(
    rows: Sequence[NewSignal],
    positions: Sequence[int],
    *,
    cluster_id: int,
    party: str,
    party_type: str,
) -> list[SignalFacts]:
    """Facts of a cluster made of this batch's rows alone (``NewSignal``), without a read."""
    return [
        SignalFacts(
            cluster_id=cluster_id,
            party=party,
            party_type=party_type,
            form=rows[i].signal.form.value,
            indicators=tuple(rows[i].signal.indicators),
            minor=rows[i].signal.flags.minor,
            certainty=rows[i].signal.certainty.value,
            observed_at=rows[i].signal.observed_at.astimezone(UTC),
            municipality=rows[i].signal.municipality,
        )
        for i in positions
    ]


FACETS = ("gemeente", "vorm", "barriere", "partijtype")


def facets(
    facts: Iterable[SignalFacts], barrier_of: Callable[[str], str | None]
) -> set[tuple[str, str]]:
    """The (facet, value) pairs the RIEC filters hits on."""
    found: set[tuple[str, str]] = set()
    for f in facts:
        found.add(("gemeente", f.municipality))
        found.add(("vorm", f.form))
        found.add(("partijtype", f.party_type))
        for indicator in f.indicators:
            barrier = barrier_of(indicator)
            if barrier is not None:
                found.add(("barriere", barrier))
    return found
