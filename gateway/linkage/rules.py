"""What links, from the policy data: ``data.covenant.linkage`` ("from the policy").

A privacy officer decides which kinds of pseudonym may tie signals together and from how many
signals on one pseudonym it is a hub (a shelter's address, a registration address, a call
centre's number): a hub stops linking, or one shelter would merge every victim it ever housed
into one "network". The gateway applies these numbers itself, because linkage runs inside the
ingest transaction; it reads them from the same policy revision it decides with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.errors import ConfigurationError
from gateway.vocabulary import SubjectKind


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


@dataclass(frozen=True, slots=True)
class CountedKey:
    """:class:`KeyFacts` as counted over the current signals (a rebuild, a test)."""

    pseudonym: bytes
    kind: str
    signals: int


@dataclass(frozen=True, slots=True)
class LinkRules:
    kinds: frozenset[str]
    """Subject kinds whose pseudonyms link signals."""
    hub_threshold: int
    """A pseudonym carried by more current signals than this is a hub and no longer links."""

    def links(self, kind: str) -> bool:
        """Whether pseudonyms of ``kind`` link at all (others are never a linking key)."""
        return kind in self.kinds

    def is_hub(self, key: KeyFacts) -> bool:
        """Whether a linking pseudonym is a hub under these rules: it then ties nobody to
        anybody. A batch flags a key the moment this holds and the flag stays (a thinned-out hub
        links again only after a rebuild, which asks this of every key anew)."""
        return key.signals > self.hub_threshold


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
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 2:
        raise ConfigurationError(f"{where}.hub_threshold: verwacht een geheel getal >= 2")
    return LinkRules(frozenset(kinds), threshold)
