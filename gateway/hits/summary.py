"""What the hit rules and the RIEC's list see of a cluster: metadata, never pseudonyms or refs.

The ``hits`` input is compact (issue 5): alike signals of a cluster are sent once with a
``count``, and observation times are cut to the day, because OPA's cost grows with the input
and the rules only ask "which parties, within which window, any urgent signal".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any


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


def cluster_input(cluster_id: int, facts: Iterable[SignalFacts]) -> dict[str, Any]:
    """One cluster of the ``hits`` input, alike signals grouped under ``count``."""
    groups: dict[tuple[Any, ...], int] = {}
    for f in facts:
        key = (
            f.party,
            f.party_type,
            f.form,
            tuple(sorted(set(f.indicators))),
            f.minor,
            f.certainty,
            f.observed_at.date().isoformat(),
        )
        groups[key] = groups.get(key, 0) + 1
    return {
        "id": str(cluster_id),
        "signals": [
            {
                "party": party,
                "party_type": party_type,
                "form": form,
                "indicators": list(indicators),
                "minor": minor,
                "certainty": certainty,
                "observed_at": f"{day}T00:00:00Z",
                "count": count,
            }
            for (party, party_type, form, indicators, minor, certainty, day), count in sorted(
                groups.items()
            )
        ],
    }


def evaluation_input(
    clusters: Mapping[int, Sequence[SignalFacts]], *, now: datetime
) -> dict[str, Any]:
    """The whole ``hits`` input for the clusters one batch changed: one evaluation, not one per
    cluster."""
    return {
        "action": "evaluate",
        "now": now.isoformat(),
        "clusters": [cluster_input(cid, facts) for cid, facts in sorted(clusters.items())],
    }


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
