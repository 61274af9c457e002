"""What links, from the policy data: ``data.covenant.linkage`` ("from the policy").

A privacy officer decides which kinds of pseudonym may tie signals together and from how many
signals on one pseudonym it is a hub (a shelter's address, a registration address, a call
centre's number): a hub stops linking, or one shelter would merge every victim it ever housed
into one "network". The gateway applies these numbers itself, because linkage runs inside the
ingest transaction; it reads them from the same policy revision it decides with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeGuard

from gateway.errors import ConfigurationError
from gateway.linkage.components import DisjointSets
from gateway.vocabulary import SubjectKind

# What a privacy officer or the RIEC said of a pseudonym (``hub_register``): it never links
# (registered as a shelter, briefadres, hotel or agency; a candidate the RIEC confirmed), or it
# links although its structure looks like a shelter's (a candidate the RIEC overruled).
MARK_REGISTER = "register"
MARK_CONFIRMED = "bevestigd"
MARK_OVERRULED = "verworpen"
MARKS = (MARK_REGISTER, MARK_CONFIRMED, MARK_OVERRULED)

# Why a pseudonym is a hub, as stored and listed for the RIEC.
REASON_THRESHOLD = "drempel"
REASON_STRUCTURE = "structuur"
REASON_REGISTER = "register"
REASON_CONFIRMED = "bevestigd"
HUB_REASONS = (REASON_THRESHOLD, REASON_STRUCTURE, REASON_REGISTER, REASON_CONFIRMED)


@dataclass(frozen=True, slots=True)
class Other:
    """Another pseudonym on a carrier signal: (pseudonym, kind, whether it is a hub now)."""

    pseudonym: bytes
    kind: str
    hub: bool


@dataclass(frozen=True, slots=True)
class Carrier:
    """A current signal carrying a key, as the structural rule sees it: who reported it, when it
    was observed, and the other pseudonyms it carries (never a value)."""

    signal_id: int
    party: str
    observed_at: datetime
    others: tuple[Other, ...]


@dataclass(frozen=True, slots=True)
class Shape:
    """The structure around a key: its carriers, the partners reporting them, the span of their
    observations, and into how many separate groups they fall without the key."""

    signals: int
    parties: int
    groups: int
    span_days: int


class KeyFacts(Protocol):
    """What the rules know of one linking pseudonym when they decide whether it is a hub.

    The place to add a fact a rule needs (the parties reporting it, its roles, an entry in a
    register of pseudonyms that never link): :meth:`LinkRules.is_hub` is the one function that
    reads it, for ordinary batches and for a rebuild alike. A protocol, so that the linker's own
    record of a key is asked as it is, without a copy per key and batch."""

    @property
    def pseudonym(self) -> bytes: ...

    @property
    def kind(self) -> str: ...

    @property
    def signals(self) -> int:
        """Current signals carrying it, this batch included."""
        ...

    @property
    def mark(self) -> str | None:
        """The register's word on it (:data:`MARKS`), None when it has none."""
        ...

    @property
    def carriers(self) -> Sequence[Carrier] | None:
        """Its current carrier signals, when the linker read them (only for a key
        :meth:`LinkRules.needs_structure` names); None otherwise."""
        ...


@dataclass(frozen=True, slots=True)
class CountedKey:
    """:class:`KeyFacts` as counted over the current signals (a rebuild, a test)."""

    pseudonym: bytes
    kind: str
    signals: int
    mark: str | None = None
    carriers: Sequence[Carrier] | None = None


@dataclass(frozen=True, slots=True)
class Structure:
    """``data.covenant.linkage.structure``: when the carriers of a key behave like the residents
    of a shelter or the users of a briefadres rather than a pattern."""

    min_separate_groups: int
    """Without the key, its carriers fall into at least this many groups sharing nothing."""
    min_parties: int
    """Reported by at least this many partners."""
    min_span_days: int
    """Observed over at least this many days (first to last)."""

    def holds(self, shape: Shape) -> bool:
        return (
            shape.groups >= self.min_separate_groups
            and shape.parties >= self.min_parties
            and shape.span_days >= self.min_span_days
        )


@dataclass(frozen=True, slots=True)
class LinkRules:
    kinds: frozenset[str]
    """Subject kinds whose pseudonyms link signals."""
    hub_threshold: int
    """A pseudonym carried by more current signals than this is a hub and no longer links (the
    default for a kind without its own number in :attr:`thresholds`)."""
    thresholds: Mapping[str, int] = field(default_factory=dict)
    """Per subject kind: its own hub threshold (an address is not a phone number)."""
    structure: Structure | None = None
    """The structural rule (a shelter's shape); None: no such rule."""

    def links(self, kind: str) -> bool:
        """Whether pseudonyms of ``kind`` link at all (others are never a linking key)."""
        return kind in self.kinds

    def threshold(self, kind: str) -> int:
        return self.thresholds.get(kind, self.hub_threshold)

    def needs_structure(self, key: KeyFacts) -> bool:
        """Whether :meth:`hub_reason` would look at ``key``'s carriers: only a key carried by
        enough signals to fall apart into the groups the rule asks for, and no more than its
        kind's threshold (above it, it is a hub anyway); never a marked key."""
        structure = self.structure
        return (
            structure is not None
            and key.mark is None
            and structure.min_separate_groups <= key.signals <= self.threshold(key.kind)
        )

    def hub_reason(self, key: KeyFacts) -> str | None:
        """Why a linking pseudonym is a hub under these rules (:data:`HUB_REASONS`), or None
        while it links. The one hub rule: a hub ties nobody to anybody. In order: the register
        (a privacy officer's entry, the RIEC's confirmation), the threshold of its kind, then the
        structure around it (unless the RIEC overruled that). A batch flags a key the moment
        this holds and the flag stays (a hub links again after a rebuild, or when the register
        changes, which ask this anew)."""
        if key.mark == MARK_REGISTER:
            return REASON_REGISTER
        if key.mark == MARK_CONFIRMED:
            return REASON_CONFIRMED
        if key.signals > self.threshold(key.kind):
            return REASON_THRESHOLD
        carriers = key.carriers
        if carriers is not None and self.structure is not None and self.needs_structure(key):
            if self.structure.holds(shape_of(key.pseudonym, carriers, self)):
                return REASON_STRUCTURE
        return None

    def is_hub(self, key: KeyFacts) -> bool:
        return self.hub_reason(key) is not None


def shape_of(pseudonym: bytes, carriers: Sequence[Carrier], rules: LinkRules) -> Shape:
    """The structure around ``pseudonym``: remove it, and join its carriers through the other
    linking pseudonyms they share that are no hub. Residents of a shelter, each in their own
    signals, fall apart into one group each; workers registered together, or sharing an
    employer or a phone, stay together."""
    sets: DisjointSets[tuple[str, int | bytes]] = DisjointSets()
    for carrier in carriers:
        node: tuple[str, int | bytes] = ("s", carrier.signal_id)
        sets.add(node)
        for other in carrier.others:
            if other.pseudonym != pseudonym and not other.hub and rules.links(other.kind):
                sets.union(node, ("k", other.pseudonym))
    groups = sum(1 for group in sets.groups() if any(t == "s" for t, _ in group))
    times = [c.observed_at for c in carriers]
    span = (max(times) - min(times)).days if times else 0
    return Shape(len(carriers), len({c.party for c in carriers}), groups, span)


def link_rules(data: Mapping[str, Any]) -> LinkRules:  # Any: policy data, checked here
    """The rules in ``data`` (the merged policy data); a wrong value is a configuration error
    naming its path, never a silent default, since it changes who is linked to whom."""
    where = "data.covenant.linkage"
    linkage = data.get("covenant", {}).get("linkage")
    if not isinstance(linkage, Mapping):
        raise ConfigurationError(f"{where}: ontbreekt (welke pseudoniemen koppelen?)")
    kinds = linkage.get("link_kinds")
    known = {k.value for k in SubjectKind}
    if not isinstance(kinds, list) or not all(isinstance(k, str) and k in known for k in kinds):
        raise ConfigurationError(
            f"{where}.link_kinds: verwacht een lijst met soorten uit {sorted(known)}"
        )
    threshold = linkage.get("hub_threshold")
    if not _count(threshold, 2):
        raise ConfigurationError(f"{where}.hub_threshold: verwacht een geheel getal >= 2")
    per_kind = linkage.get("hub_thresholds", {})
    if not isinstance(per_kind, Mapping):
        raise ConfigurationError(f"{where}.hub_thresholds: verwacht een object {{soort: aantal}}")
    thresholds: dict[str, int] = {}
    for kind, number in per_kind.items():
        if kind not in known:
            raise ConfigurationError(
                f"{where}.hub_thresholds: onbekende soort; toegestaan: {sorted(known)}"
            )
        if not _count(number, 2):
            raise ConfigurationError(
                f"{where}.hub_thresholds.{kind}: verwacht een geheel getal >= 2"
            )
        thresholds[kind] = number
    return LinkRules(frozenset(kinds), threshold, thresholds, _structure(linkage, where))


def _count(value: object, least: int) -> TypeGuard[int]:
    return not isinstance(value, bool) and isinstance(value, int) and value >= least


def _structure(
    linkage: Mapping[str, Any],  # Any: policy data, checked here
    where: str,
) -> Structure | None:
    structure = linkage.get("structure")
    if structure is None:
        return None
    if not isinstance(structure, Mapping):
        raise ConfigurationError(f"{where}.structure: verwacht een object")
    least = {"min_separate_groups": 2, "min_parties": 1, "min_span_days": 0}
    values: dict[str, int] = {}
    for name, minimum in least.items():
        value = structure.get(name)
        if not _count(value, minimum):
            raise ConfigurationError(
                f"{where}.structure.{name}: verwacht een geheel getal >= {minimum}"
            )
        values[name] = value
    return Structure(**values)
