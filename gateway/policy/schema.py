"""What the policies need from the covenant data (``data.covenant``), checked before they run.

A privacy officer changes a number in ``policies/covenant/data.json`` without touching Rego
; a typo there must surface in ``policy check`` as "data.covenant.small_cell_threshold:
expected a whole number >= 1, found text", not as a silent denial at the casusoverleg. The schema
is deliberately loose where the policies are still growing (new keys are allowed everywhere) and
strict where a wrong type would change a decision (a threshold that is text, a party type that
does not exist). It is written as a few combinators rather than JSON Schema so that every message
names the exact path and reads in Dutch, and it lives here, in one place, next to nothing else.

To change what the policies need, change :data:`COVENANT_SCHEMA`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.vocabulary import DataClass, PartyType, Role, SubjectKind


class Node:
    """A schema node: ``check`` returns one message per problem, each starting with the path."""

    def check(self, value: Any, path: str) -> list[str]:
        raise NotImplementedError

    @property
    def expected(self) -> str:
        raise NotImplementedError


def _found(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "ja/nee-waarde"
    if isinstance(value, int):
        return f"geheel getal {value}"
    if isinstance(value, float):
        return f"getal {value}"
    if isinstance(value, str):
        return "tekst" if value else "lege tekst"
    if isinstance(value, list):
        return "lijst"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _mismatch(path: str, node: Node, value: Any) -> list[str]:
    return [f"{path}: verwacht {node.expected}, gevonden: {_found(value)}"]


@dataclass(frozen=True)
class Text(Node):
    """A non-empty string, optionally one of ``choices``."""

    choices: frozenset[str] | None = None
    choice_name: str = ""

    @property
    def expected(self) -> str:
        return f"een {self.choice_name}" if self.choices else "niet-lege tekst"

    def check(self, value: Any, path: str) -> list[str]:
        if not isinstance(value, str) or not value:
            return _mismatch(path, self, value)
        if self.choices is not None and value not in self.choices:
            known = ", ".join(sorted(self.choices))
            return [f"{path}: onbekende {self.choice_name} {value!r}; bekend: {known}"]
        return []


@dataclass(frozen=True)
class Whole(Node):
    """An integer (not a boolean) at least ``minimum``."""

    minimum: int | None = None

    @property
    def expected(self) -> str:
        return "een geheel getal" + (f" >= {self.minimum}" if self.minimum is not None else "")

    def check(self, value: Any, path: str) -> list[str]:
        if isinstance(value, bool) or not isinstance(value, int):
            return _mismatch(path, self, value)
        if self.minimum is not None and value < self.minimum:
            return _mismatch(path, self, value)
        return []


@dataclass(frozen=True)
class Number(Node):
    """Any JSON number (not a boolean) at least ``minimum``."""

    minimum: float | None = None

    @property
    def expected(self) -> str:
        return "een getal" + (f" >= {self.minimum:g}" if self.minimum is not None else "")

    def check(self, value: Any, path: str) -> list[str]:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _mismatch(path, self, value)
        if self.minimum is not None and value < self.minimum:
            return _mismatch(path, self, value)
        return []


@dataclass(frozen=True)
class Flag(Node):
    """A JSON boolean."""

    @property
    def expected(self) -> str:
        return "true of false"

    def check(self, value: Any, path: str) -> list[str]:
        return [] if isinstance(value, bool) else _mismatch(path, self, value)


@dataclass(frozen=True)
class ListOf(Node):
    """A JSON array whose items all match ``item``."""

    item: Node
    min_items: int = 0

    @property
    def expected(self) -> str:
        least = f" met minstens {self.min_items} element(en)" if self.min_items else ""
        return "een lijst" + least

    def check(self, value: Any, path: str) -> list[str]:
        if not isinstance(value, list) or len(value) < self.min_items:
            return _mismatch(path, self, value)
        return [m for i, v in enumerate(value) for m in self.item.check(v, f"{path}[{i}]")]


@dataclass(frozen=True)
class MapOf(Node):
    """A JSON object with free keys whose values all match ``value``."""

    value: Node
    min_items: int = 0
    keys: Text | None = None

    @property
    def expected(self) -> str:
        least = f" met minstens {self.min_items} sleutel(s)" if self.min_items else ""
        return "een object" + least

    def check(self, value: Any, path: str) -> list[str]:
        if not isinstance(value, dict) or len(value) < self.min_items:
            return _mismatch(path, self, value)
        problems: list[str] = []
        for key, item in value.items():
            if self.keys is not None:
                problems.extend(self.keys.check(key, f"{path}.{key}"))
            problems.extend(self.value.check(item, f"{path}.{key}"))
        return problems


@dataclass(frozen=True)
class Record(Node):
    """A JSON object with ``required`` and ``optional`` keys; other keys are allowed."""

    required: Mapping[str, Node] = field(default_factory=dict)
    optional: Mapping[str, Node] = field(default_factory=dict)

    @property
    def expected(self) -> str:
        return "een object"

    def check(self, value: Any, path: str) -> list[str]:
        if not isinstance(value, dict):
            return _mismatch(path, self, value)
        problems: list[str] = []
        for key, node in self.required.items():
            if key not in value:
                problems.append(f"{path}.{key}: ontbreekt (verwacht {node.expected})")
            else:
                problems.extend(node.check(value[key], f"{path}.{key}"))
        for key, node in self.optional.items():
            if key in value:
                problems.extend(node.check(value[key], f"{path}.{key}"))
        return problems


@dataclass(frozen=True)
class AnyOf(Node):
    """The value matches at least one of ``options``; otherwise the first option's problems."""

    options: tuple[Node, ...]

    @property
    def expected(self) -> str:
        return " of ".join(option.expected for option in self.options)

    def check(self, value: Any, path: str) -> list[str]:
        results = [option.check(value, path) for option in self.options]
        if any(not problems for problems in results):
            return []
        if all(len(problems) == 1 and ": verwacht" in problems[0] for problems in results):
            return _mismatch(path, self, value)
        # The value has the right outer type for some option; its inner problems say more.
        return next(problems for problems in results if ": verwacht" not in problems[0])


class Anything(Node):
    """Any value: the key must be there, its content is the policies' business."""

    @property
    def expected(self) -> str:
        return "een waarde"

    def check(self, value: Any, path: str) -> list[str]:
        return []


def _choices(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


PARTY_TYPE = Text(_choices(PartyType), "partijsoort")
ROLE = Text(_choices(Role), "rol")
DATA_CLASS = Text(_choices(DataClass), "gegevensklasse")
SUBJECT_KIND = Text(_choices(SubjectKind), "soort pseudoniem")
_DAYS = Whole(minimum=0)

COVENANT_SCHEMA = Record(
    required={
        "id": Text(),
        "name": Text(),
        "gateway_id": Text(),
        "pseudonym_domain": Text(),
        "parties": MapOf(
            Record(
                required={
                    "name": Text(),
                    "type": PARTY_TYPE,
                    "signatory": Flag(),
                    "roles": ListOf(ROLE, min_items=1),
                },
                optional={"municipality": Text(), "purposes": ListOf(Text())},
            ),
            min_items=1,
        ),
        # Covenant purposes (purpose binding): code -> name and legal basis.
        "purposes": MapOf(Record(required={"name": Text(), "basis": Text()}), min_items=1),
        # Every data class the vocabulary knows, with the basis cited when it is withheld.
        "data_classes": MapOf(
            Record(required={"basis": Text()}, optional={"name": Text(), "code": Text()}),
            min_items=1,
            keys=DATA_CLASS,
        ),
        # Numbers the hit, urgency and proportionality rules compare against.
        "thresholds": MapOf(AnyOf((Number(minimum=0), MapOf(Anything())))),
        # Retention periods in days (the retention job and the policies read the same numbers).
        "retention": Record(
            optional={
                "unlinked_signal_days": _DAYS,
                "decision_record_days": _DAYS,
                "closed_case_days": _DAYS,
                "max_extension_days": _DAYS,
                "basis": Text(),
            }
        ),
        # Linkage, applied by the gateway on ingest: which pseudonyms link, where a hub begins.
        "linkage": Record(
            required={
                "link_kinds": ListOf(SUBJECT_KIND),
                "hub_threshold": Whole(minimum=2),
            },
            optional={"description": Text(), "basis": Text()},
        ),
        # Statistics: cells with fewer signals than this are suppressed.
        "small_cell_threshold": Whole(minimum=1),
    },
    optional={
        "region": Text(),
        # Per recipient type: purposes, classes it may submit, classes it may receive (basis).
        "party_types": MapOf(
            Record(
                optional={
                    "purposes": ListOf(Text()),
                    "may_submit": ListOf(DATA_CLASS),
                    "may_receive": MapOf(Record(required={"basis": Text()}), keys=DATA_CLASS),
                }
            ),
            keys=PARTY_TYPE,
        ),
        # Which released fields belong to which data class.
        "fields": MapOf(ListOf(Text()), keys=DATA_CLASS),
        "release": Record(
            optional={"required_approvals": ListOf(ROLE, min_items=1), "stages": MapOf(Text())}
        ),
        # The chain process of a case (decision point ``case``): the stages in order, who
        # directs, the purposes a case may have, who approves, the interventions. How the stages
        # and roles named here fit together is tested in policies/gateway/case/case_test.rego.
        "cases": Record(
            required={
                "stages": ListOf(Text(), min_items=2),
                "closed_stage": Text(),
                "director": Record(
                    required={"party_types": ListOf(PARTY_TYPE, min_items=1), "role": ROLE}
                ),
                "purposes": ListOf(Text(), min_items=1),
                "open_from_hit_statuses": ListOf(Text(), min_items=1),
                "approval_stages": ListOf(Text()),
                "stages_requiring_approvals": ListOf(Text()),
                "approvers": MapOf(
                    Record(required={"party_types": ListOf(PARTY_TYPE), "participants": Flag()}),
                    keys=ROLE,
                ),
                "signal_roles": ListOf(ROLE),
                "interventions": Record(
                    required={
                        "kinds": MapOf(
                            Record(
                                required={
                                    "name": Text(),
                                    "party_types": ListOf(PARTY_TYPE, min_items=1),
                                }
                            ),
                            min_items=1,
                        ),
                        "initial_status": Text(),
                        "status_transitions": MapOf(ListOf(Text()), min_items=1),
                        "assign_stages": ListOf(Text()),
                        "update_stages": ListOf(Text()),
                        "update_roles": ListOf(ROLE),
                    }
                ),
            },
            optional={"description": Text()},
        ),
    },
)


def covenant_problems(data: Mapping[str, Any]) -> list[str]:
    """Problems of ``data.covenant`` in the merged policy data, each naming its path.

    Besides the shapes above: every ``purposes`` list anywhere in the covenant must name purposes
    that ``data.covenant.purposes`` defines, because a misspelt purpose silently never matches.
    """
    if "covenant" not in data:
        return ["data.covenant: ontbreekt (policies/covenant/data.json)"]
    covenant = data["covenant"]
    problems = COVENANT_SCHEMA.check(covenant, "data.covenant")
    if isinstance(covenant, dict) and isinstance(covenant.get("purposes"), dict):
        known = frozenset(covenant["purposes"])
        problems.extend(_unknown_purposes(covenant, "data.covenant", known, top=True))
    return problems


def _unknown_purposes(value: Any, path: str, known: frozenset[str], *, top: bool) -> list[str]:
    problems: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "purposes" and not top and isinstance(item, list):
                problems.extend(
                    f"{path}.{key}[{index}]: onbekend doel {name!r}; bekend: "
                    + ", ".join(sorted(known))
                    for index, name in enumerate(item)
                    if isinstance(name, str) and name not in known
                )
            elif not (key == "purposes" and top):
                problems.extend(_unknown_purposes(item, f"{path}.{key}", known, top=False))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems.extend(_unknown_purposes(item, f"{path}[{index}]", known, top=False))
    return problems
