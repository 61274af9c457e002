"""The covenant data (``policies/covenant/data.json``, OPA's ``data.covenant``), defined once.

The same document is read by the Rego policies, by ``gateway policy check`` and by the gateway at
start-up (the parties and their keys). They used to validate it three ways and disagreed: a key
the check let through made start-up fail, and a misspelt key (``source_restriction`` for
``source_restrictions``) passed everywhere while the rule that reads the right name silently did
nothing. Here it is one set of pydantic models, closed everywhere (``extra="forbid"``: an unknown
or misspelt key is an error, never a key that is quietly ignored), with the ranges the rules
need (the coherence tests in ``policies/gateway/lib/covenant_test.rego`` and
``policies/gateway/case/case_test.rego`` ask the same: retention periods of at least one day,
thresholds of at least two partners, four eyes). After the shapes come the cross-references a
model cannot express on its own (a purpose, partner type, data class, stage or article named in
one place must exist where it is defined), because a name that exists nowhere never matches and
so switches a rule off as quietly as a misspelt key.

:func:`covenant_problems` is what both callers use: ``policy check`` through
:mod:`gateway.policy.testing` and the start-up loader :func:`gateway.parties.covenant.
load_covenant`. Each problem is a JSON path and a Dutch message; the callers put the file in
front. A message never repeats the offending value (a privacy officer may have pasted personal
data into the wrong field); it may name what is allowed. :func:`covenant_json_schema` is the JSON
Schema of the same models, for the privacy officers' editors (``gateway policy schema``).

To change what the covenant data may hold, change the models here and regenerate
``docs/covenant.schema.json`` with ``gateway policy schema``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import ErrorDetails, core_schema

from gateway.jsontypes import Json, JsonObject
from gateway.signals.reference import validate_municipality
from gateway.validation import location
from gateway.vocabulary import DataClass, Form, PartyType, Role, SubjectKind

ROOT = "data.covenant"
ID_PATTERN = r"^[a-z0-9][a-z0-9.-]{1,62}[a-z0-9]$"


class _Closed(BaseModel):
    """Every object of the document: no unknown keys, no type coercion ("5" is not 5)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Text = Annotated[str, Field(min_length=1)]
Basis = Annotated[str, Field(min_length=1, description="Wettelijke grondslag en convenantartikel")]
Id = Annotated[str, Field(pattern=ID_PATTERN)]
# Codes the rules compare: purposes, stages, statuses, field and dimension names.
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Number = Annotated[str, Field(pattern=r"^[1-9][0-9]*$")]
Days = Annotated[int, Field(ge=1, description="Aantal dagen (een geheel getal, minstens 1)")]


def _municipality(code: str) -> str:
    validate_municipality(code)
    return code


Municipality = Annotated[str, Field(pattern=r"^GM[0-9]{4}$"), AfterValidator(_municipality)]


# -- partners -----------------------------------------------------------------------------------


class Party(_Closed):
    """A covenant partner; its key under ``parties`` is the ``iss`` of every call it signs."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    type: PartyType
    signatory: bool = Field(description="Heeft het convenant ondertekend")
    roles: list[Role] = Field(min_length=1)
    municipality: Municipality | None = Field(
        default=None, description="CBS-gemeentecode (GMxxxx), alleen voor een gemeente"
    )


class Article(_Closed):
    title: Text
    leden: dict[Number, Text] = Field(min_length=1)


class Purpose(_Closed):
    name: Text
    basis: Basis
    description: Text | None = None


class DataClassInfo(_Closed):
    name: Text
    basis: Basis


class Grant(_Closed):
    basis: Basis
    purposes: list[Code] = Field(
        min_length=1,
        description=(
            "De doelen die deze grondslag dient (doelen van het partnertype); voor een casus met "
            "een ander doel krijgt het type deze gegevensklasse niet"
        ),
    )


class PartyTypeRules(_Closed):
    """What a partner type may: its purposes, what it submits, what it receives (with basis)."""

    purposes: list[Code]
    may_submit: list[DataClass]
    may_receive: dict[DataClass, Grant]
    need_to_know_fields: list[Code] | None = Field(
        default=None, description="Alleen deze velden worden aan dit partnertype verstrekt"
    )


class SourceProtection(_Closed):
    reporter_fields: list[Code] = Field(min_length=1)
    party_identity_fields: list[Code]
    basis: Basis


class NeverReleased(_Closed):
    basis: Basis
    reason: Text


class Forms(_Closed):
    in_scope: list[Form] = Field(min_length=1)
    related: list[Form]
    out_of_scope: list[Form]


# -- thresholds ---------------------------------------------------------------------------------


class HitThresholds(_Closed):
    min_parties: int = Field(ge=2, description="Zoveel verschillende partners maken een hit")
    window_days: Days


class UrgencyRule(_Closed):
    """Matches when every condition it names holds; it must name at least one."""

    id: Text
    description: Text | None = None
    forms: list[Form] | None = None
    flags: list[Code] | None = None
    indicators: list[Text] | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> UrgencyRule:
        if not (self.forms or self.flags or self.indicators):
            # A rule without a condition matches nothing (lib/covenant.rego): it does nothing.
            raise ValueError("de regel noemt geen voorwaarde (forms, flags of indicators)")
        return self


class Urgency(_Closed):
    rules: list[UrgencyRule]


class Proportionality(_Closed):
    min_independent_parties: int = Field(ge=2)
    not_independent_types: list[PartyType]


class Thresholds(_Closed):
    hits: HitThresholds
    urgency: Urgency
    proportionality: Proportionality


class HubStructure(_Closed):
    """The structural rule (``gateway.linkage.rules.Structure``): a key whose carriers, without
    it, fall apart into many separate groups reported by several partners over time behaves like
    a shelter or a briefadres and stops linking."""

    description: Text | None = None
    min_separate_groups: int = Field(
        ge=2, description="Zonder het pseudoniem vallen de signalen in minstens zoveel groepen"
    )
    min_parties: int = Field(ge=1, description="Gemeld door minstens zoveel partners")
    min_span_days: int = Field(ge=0, description="Waargenomen over minstens zoveel dagen")


class HubRegister(_Closed):
    """The register of pseudonyms that never link, kept by privacy officers."""

    description: Text | None = None
    roles: list[Role] = Field(min_length=1)
    reasons: dict[Code, Text] = Field(min_length=1)
    max_days: Days


class HubReview(_Closed):
    """The RIEC's word on a candidate hub: confirmed (stays a hub) or overruled (links)."""

    description: Text | None = None
    roles: list[Role] = Field(min_length=1)
    reasons: dict[Code, Text] = Field(min_length=1)


class Linkage(_Closed):
    description: Text | None = None
    link_kinds: list[SubjectKind]
    hub_threshold: int = Field(
        ge=2, description="Vanaf meer signalen dan dit is een pseudoniem een knooppunt"
    )
    hub_thresholds: dict[SubjectKind, Annotated[int, Field(ge=2)]] | None = Field(
        default=None,
        description="Per soort een eigen drempel; een soort die hier niet staat: hub_threshold",
    )
    structure: HubStructure | None = None
    registry: HubRegister | None = None
    review: HubReview | None = None
    basis: Basis | None = None


# -- who may ask --------------------------------------------------------------------------------


class RolesAccess(_Closed):
    roles: list[Role] = Field(min_length=1)


class TypesAndRolesAccess(_Closed):
    party_types: list[PartyType] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)


class TypesAndRoleAccess(_Closed):
    party_types: list[PartyType] = Field(min_length=1)
    role: Role


class RoleAccess(_Closed):
    role: Role


class Access(_Closed):
    ingest: RolesAccess
    hits: TypesAndRolesAccess
    release: TypesAndRoleAccess
    stats: RolesAccess
    subject_access: RoleAccess


class Release(_Closed):
    stages: dict[Code, Literal["metadata", "details", "interventie", "geen"]] = Field(
        min_length=1,
        description=(
            "Per fase wat wordt verstrekt: metadata, details (need-to-know), interventie (alleen "
            "wat de toegewezen interventie nodig heeft) of geen"
        ),
    )
    required_approvals: list[Role] = Field(min_length=2)
    approvals_by_different_persons: Literal[True] = Field(
        description="Vier ogen: altijd true (Convenant art. 14 lid 1)"
    )

    @field_validator("required_approvals")
    @classmethod
    def _four_eyes(cls, value: list[Role]) -> list[Role]:
        if len(set(value)) < 2:
            raise ValueError("vier ogen: minstens twee verschillende rollen")
        return value


class InvestigationEmbargo(_Closed):
    """The embargo of an investigation (decision point ``embargo``, Convenant art. 11 lid 3)."""

    description: Text | None = None
    placed_by_types: list[PartyType] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    change_any_types: list[PartyType] = Field(
        description="Partnertypen die ook een embargo van een andere partij verlengen of opheffen"
    )
    allowed_recipient_types: list[PartyType] = Field(min_length=1)
    details_visible_to_types: list[PartyType]
    max_days: Days
    marker_text: Text
    reasons: dict[Code, Text] = Field(min_length=1)


class Embargo(_Closed):
    may_set_types: list[PartyType]
    exempt_recipient_types: list[PartyType]
    investigation: InvestigationEmbargo


class CareData(_Closed):
    classes: list[DataClass]
    source_types: list[PartyType]
    source_classes: list[DataClass]
    recipient_types: list[PartyType]


class Minors(_Closed):
    purposes: list[Code] = Field(min_length=1)
    recipient_types: list[PartyType]
    required_approval: Role


class Retention(_Closed):
    unlinked_signal_days: Days
    decision_record_days: Days
    closed_case_days: Days
    max_extension_days: Days
    basis: Basis
    note: Text | None = None


class Dimension(_Closed):
    signatory_only: bool
    description: Text


class Stats(_Closed):
    max_dimensions: int = Field(ge=1)
    max_cells: int = Field(ge=1)
    dimensions: dict[Code, Dimension] = Field(min_length=1)


class SubjectAccess(_Closed):
    lookup_kinds: list[SubjectKind] = Field(min_length=1)
    scope: list[Code] = Field(min_length=1)
    excluded: list[Code]


# -- the chain process of a case ----------------------------------------------------------------


class Director(_Closed):
    party_types: list[PartyType] = Field(min_length=1)
    role: Role


class Approver(_Closed):
    party_types: list[PartyType]
    participants: bool = Field(description="Ook deelnemers aan de casus (die tekenden) keuren goed")


class InterventionKind(_Closed):
    name: Text
    party_types: list[PartyType] = Field(min_length=1)
    needed_fields: list[Code] = Field(
        min_length=1,
        description="De velden die deze interventie nodig heeft (na het casusoverleg)",
    )


class Interventions(_Closed):
    kinds: dict[Code, InterventionKind] = Field(min_length=1)
    initial_status: Code
    status_transitions: dict[Code, list[Code]] = Field(min_length=1)
    release_statuses: list[Code] = Field(
        description="Statussen waarin een interventie na het casusoverleg nog gegevens krijgt"
    )
    assign_stages: list[Code]
    update_stages: list[Code]
    update_roles: list[Role]


class CaseFile(_Closed):
    """How the case director builds a case file, and why a hit may get a second open case."""

    description: Text | None = None
    edit_stages: list[Code] = Field(min_length=1)
    reasons: dict[Code, Text] = Field(min_length=1)
    second_case_reasons: dict[Code, Text]


class Cases(_Closed):
    description: Text | None = None
    stages: list[Code] = Field(min_length=2)
    closed_stage: Code
    director: Director
    purposes: list[Code] = Field(min_length=1)
    open_from_hit_statuses: list[Code] = Field(min_length=1)
    approval_stages: list[Code]
    stages_requiring_approvals: list[Code]
    approvers: dict[Role, Approver]
    signal_roles: list[Role]
    interventions: Interventions
    case_file: CaseFile


class SourceRestriction(_Closed):
    recipient_types: list[PartyType] = Field(min_length=1)
    basis: Basis


class CovenantData(_Closed):
    """``policies/covenant/data.json``: partners, articles, purposes, bases, thresholds, terms."""

    model_config = ConfigDict(title="Convenantgegevens (data.covenant)")

    id: Id
    name: Text
    region: Text
    gateway_id: Id
    pseudonym_domain: Id
    parties: dict[Annotated[str, Field(pattern=ID_PATTERN)], Party] = Field(min_length=1)
    articles: dict[Number, Article] = Field(min_length=1)
    purposes: dict[Code, Purpose] = Field(min_length=1)
    data_classes: dict[DataClass, DataClassInfo] = Field(min_length=1)
    party_types: dict[PartyType, PartyTypeRules] = Field(min_length=1)
    fields: dict[DataClass, list[Code]]
    source_protection: SourceProtection
    never_released_fields: dict[Code, NeverReleased]
    forms: Forms
    thresholds: Thresholds
    linkage: Linkage
    access: Access
    release: Release
    embargo: Embargo
    care_data: CareData
    minors: Minors
    retention: Retention
    stats: Stats
    small_cell_threshold: int = Field(
        ge=2, description="Cellen met minder waarnemingen worden onderdrukt"
    )
    subject_access: SubjectAccess
    cases: Cases
    source_restrictions: dict[PartyType, SourceRestriction] | None = Field(
        default=None,
        description="Signalen van deze partnertypen gaan alleen naar de genoemde ontvangers",
    )


# -- validation ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem: where (``data.covenant.parties.x.type``) and what, in Dutch, value-free."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


_MESSAGES = {
    "missing": "verplicht veld ontbreekt",
    "extra_forbidden": "onbekend veld",
    "string_type": "verwacht tekst",
    "string_too_short": "mag niet leeg zijn",
    "string_too_long": "te lang",
    "string_pattern_mismatch": "voldoet niet aan het verwachte formaat",
    "int_type": "verwacht een geheel getal",
    "int_from_float": "verwacht een geheel getal",
    "int_parsing": "verwacht een geheel getal",
    "bool_type": "verwacht true of false",
    "list_type": "verwacht een lijst",
    "dict_type": "verwacht een object",
    "model_type": "verwacht een object",
    "model_attributes_type": "verwacht een object",
}


def _message(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind in ("enum", "literal_error"):
        return f"onbekende waarde; toegestaan: {_allowed(ctx)}"
    if kind == "greater_than_equal":
        return f"te klein; minstens {ctx.get('ge')}"
    if kind == "too_short":
        return f"te weinig elementen; minstens {ctx.get('min_length')}"
    if kind == "none_required" or kind.endswith("_type") and kind not in _MESSAGES:
        return "verkeerd type"
    # Never pydantic's own text as a fallback: some of its messages quote the input.
    return _MESSAGES.get(kind, f"ongeldige waarde ({kind})")


def _allowed(ctx: Mapping[str, object]) -> str:
    """pydantic's ``'a', 'b' or 'c'`` (the allowed values, never the input) in Dutch."""
    return str(ctx.get("expected", "")).replace("' or '", "' of '")


def _path(loc: tuple[int | str, ...]) -> str:
    where = location(loc)
    return ROOT if where == "body" else f"{ROOT}.{where}"


def _schema_problem(error: ErrorDetails) -> Problem:
    loc = tuple(error["loc"])
    if loc and loc[-1] == "[key]":
        # A map key that is not allowed (a party id, a data class, a partner type...).
        loc = loc[:-1]
        if loc[:1] == ("parties",) and len(loc) == 2:
            what = "ongeldige partij-id (kleine letters, cijfers, '.' en '-'; 3 tot 64 tekens)"
        elif error["type"] in ("enum", "literal_error"):
            what = f"onbekende sleutel; toegestaan: {_allowed(error.get('ctx') or {})}"
        else:
            what = "ongeldige sleutel (kleine letters, cijfers en '_')"
        return Problem(_path(loc), what)
    return Problem(_path(loc), _message(error))


def covenant_problems(document: Json) -> list[Problem]:
    """Every problem of the covenant data (the content of ``covenant/data.json``).

    First anything that does not fit the models (all of it, not just the first); only when the
    shapes fit, the cross-references, which need the shapes to be read at all.
    """
    if document is None:
        return [Problem(ROOT, "ontbreekt")]
    nulls = [Problem(path, "null is hier niet toegestaan") for path in _nulls(document, ROOT)]
    try:
        covenant = parse(document)
    except ValidationError as exc:
        at_null = {n.path for n in nulls}
        found: list[Problem] = []
        for problem in map(_schema_problem, exc.errors()):
            if problem not in found and problem.path not in at_null:
                found.append(problem)
        return nulls + found
    return nulls + list(_references(covenant))


def parse(document: Json) -> CovenantData:
    """The models over ``document``; raises pydantic's :class:`ValidationError`.

    Validated as JSON (strict JSON types: a number in quotes is text, 5.0 is not a whole number),
    which is what the file is and what OPA reads.
    """
    return CovenantData.model_validate_json(json.dumps(document, ensure_ascii=False))


def _nulls(value: object, path: str) -> Iterator[str]:
    """JSON null anywhere: no key of the covenant takes null (leave an optional key out)."""
    if value is None:
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nulls(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nulls(item, f"{path}[{index}]")


Named = Iterable[tuple[str, str]]  # (JSON path, the name found there)


def _items(path: str, names: Iterable[str]) -> Named:
    return [(f"{path}[{index}]", str(name)) for index, name in enumerate(names)]


def _keys(path: str, names: Iterable[str]) -> Named:
    return [(f"{path}.{name}", str(name)) for name in names]


# What a name must be, and where such names are defined.
_PURPOSE = ("onbekend doel", "purposes")
_TYPE = ("onbekend partnertype", "party_types")
_CLASS = ("onbekende gegevensklasse", "data_classes")
_STAGE = ("onbekende fase", "release.stages")
_CASE_STAGE = ("onbekende fase", "cases.stages")
_STATUS = ("onbekende status", "cases.interventions.status_transitions")
_APPROVER = ("rol zonder goedkeurders", "cases.approvers")
_FIELD = ("onbekend veld", "fields")


def _unknown(named: Named, known: Iterable[str], kind: tuple[str, str]) -> Iterator[Problem]:
    known_set = frozenset(str(k) for k in known)
    listed = ", ".join(sorted(known_set)) or "(geen)"
    what, home = kind
    for path, name in named:
        if name not in known_set:
            yield Problem(path, f"{what}: staat niet in {ROOT}.{home}; bekend: {listed}")


_CITATION = re.compile(r"Convenant art\. (\d+)(?: lid (\d+))?")


def _references(c: CovenantData) -> Iterator[Problem]:
    """Names that must exist where they are defined (see the module docstring)."""
    r = ROOT
    types, classes = c.party_types, c.data_classes
    purposes: list[tuple[str, str]] = [
        *_items(f"{r}.cases.purposes", c.cases.purposes),
        *_items(f"{r}.minors.purposes", c.minors.purposes),
    ]
    class_refs: list[tuple[str, str]] = [
        *_keys(f"{r}.fields", c.fields),
        *_items(f"{r}.care_data.classes", c.care_data.classes),
        *_items(f"{r}.care_data.source_classes", c.care_data.source_classes),
    ]
    for t, rules in types.items():
        purposes += _items(f"{r}.party_types.{t}.purposes", rules.purposes)
        class_refs += _items(f"{r}.party_types.{t}.may_submit", rules.may_submit)
        class_refs += _keys(f"{r}.party_types.{t}.may_receive", rules.may_receive)
        for data_class, grant in rules.may_receive.items():
            path = f"{r}.party_types.{t}.may_receive.{data_class}.purposes"
            purposes += _items(path, grant.purposes)
            own = (f"geen doel van partnertype {t}", f"party_types.{t}.purposes")
            yield from _unknown(_items(path, grant.purposes), rules.purposes, own)
    yield from _unknown(purposes, c.purposes, _PURPOSE)
    yield from _unknown(class_refs, classes, _CLASS)

    type_refs: list[tuple[str, str]] = [
        (f"{r}.parties.{party_id}.type", party.type) for party_id, party in c.parties.items()
    ]
    for where, named in {
        "thresholds.proportionality.not_independent_types": (
            c.thresholds.proportionality.not_independent_types
        ),
        "embargo.may_set_types": c.embargo.may_set_types,
        "embargo.exempt_recipient_types": c.embargo.exempt_recipient_types,
        "embargo.investigation.placed_by_types": c.embargo.investigation.placed_by_types,
        "embargo.investigation.change_any_types": c.embargo.investigation.change_any_types,
        "embargo.investigation.allowed_recipient_types": (
            c.embargo.investigation.allowed_recipient_types
        ),
        "embargo.investigation.details_visible_to_types": (
            c.embargo.investigation.details_visible_to_types
        ),
        "care_data.source_types": c.care_data.source_types,
        "care_data.recipient_types": c.care_data.recipient_types,
        "minors.recipient_types": c.minors.recipient_types,
        "access.hits.party_types": c.access.hits.party_types,
        "access.release.party_types": c.access.release.party_types,
        "cases.director.party_types": c.cases.director.party_types,
    }.items():
        type_refs += _items(f"{r}.{where}", named)
    for role, approver in c.cases.approvers.items():
        type_refs += _items(f"{r}.cases.approvers.{role}.party_types", approver.party_types)
    for kind, intervention in c.cases.interventions.kinds.items():
        path = f"{r}.cases.interventions.kinds.{kind}.party_types"
        type_refs += _items(path, intervention.party_types)
    for source, restriction in (c.source_restrictions or {}).items():
        type_refs += _keys(f"{r}.source_restrictions", [source])
        path = f"{r}.source_restrictions.{source}.recipient_types"
        type_refs += _items(path, restriction.recipient_types)
    yield from _unknown(type_refs, types, _TYPE)

    # Fields: a need-to-know list names released fields; reporter and never-released fields
    # belong to no class (otherwise a class would release them).
    class_fields = {f for fields in c.fields.values() for f in fields}
    for t, rules in types.items():
        path = f"{r}.party_types.{t}.need_to_know_fields"
        yield from _unknown(_items(path, rules.need_to_know_fields or []), class_fields, _FIELD)
    for kind, intervention in c.cases.interventions.kinds.items():
        path = f"{r}.cases.interventions.kinds.{kind}.needed_fields"
        yield from _unknown(_items(path, intervention.needed_fields), class_fields, _FIELD)
    for path, field in _items(
        f"{r}.source_protection.reporter_fields", c.source_protection.reporter_fields
    ):
        if field in class_fields:
            yield Problem(path, "een meldersveld mag bij geen gegevensklasse (fields) horen")
    for path, field in _keys(f"{r}.never_released_fields", c.never_released_fields):
        if field in class_fields:
            yield Problem(
                path,
                "een veld dat nooit wordt verstrekt mag bij geen gegevensklasse (fields) horen",
            )

    yield from _case_references(c)
    yield from _citations(c)


def _case_references(c: CovenantData) -> Iterator[Problem]:
    """What ``case_test.rego`` asks of ``cases``: its stages, approvers, director, statuses."""
    r, cases, interventions = ROOT, c.cases, c.cases.interventions
    yield from _unknown(_items(f"{r}.cases.stages", cases.stages), c.release.stages, _STAGE)
    if cases.stages[-1] != cases.closed_stage:
        yield Problem(f"{r}.cases.closed_stage", "moet de laatste fase van cases.stages zijn")
    stage_refs: list[tuple[str, str]] = []
    for where, named in {
        "cases.approval_stages": cases.approval_stages,
        "cases.stages_requiring_approvals": cases.stages_requiring_approvals,
        "cases.interventions.assign_stages": interventions.assign_stages,
        "cases.interventions.update_stages": interventions.update_stages,
        "cases.case_file.edit_stages": cases.case_file.edit_stages,
    }.items():
        stage_refs += _items(f"{r}.{where}", named)
    yield from _unknown(stage_refs, cases.stages, _CASE_STAGE)
    approvals = _items(f"{r}.release.required_approvals", c.release.required_approvals)
    yield from _unknown(approvals, cases.approvers, _APPROVER)
    if not any(
        p.signatory and p.type in cases.director.party_types and cases.director.role in p.roles
        for p in c.parties.values()
    ):
        yield Problem(
            f"{r}.cases.director",
            "geen ondertekenaar van dit partnertype heeft deze rol; niemand kan een casus openen",
        )
    transitions = interventions.status_transitions
    initial = [
        (f"{r}.cases.interventions.initial_status", interventions.initial_status),
        *_items(f"{r}.cases.interventions.release_statuses", interventions.release_statuses),
    ]
    targets = [
        pair
        for status, following in transitions.items()
        for pair in _items(f"{r}.cases.interventions.status_transitions.{status}", following)
    ]
    yield from _unknown([*initial, *targets], transitions, _STATUS)


def _citations(c: CovenantData) -> Iterator[Problem]:
    """Every "Convenant art. N lid M" names an article and member that exist in ``articles``."""

    def walk(value: object, path: str) -> Iterator[tuple[str, str]]:
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, f"{path}[{index}]")

    for path, text in walk(c.model_dump(mode="json", exclude_none=True), ROOT):
        for article, member in _CITATION.findall(text):
            cited = c.articles.get(article)
            if cited is None or (member and member not in cited.leden):
                yield Problem(path, "noemt een convenantartikel of lid dat niet in articles staat")


# -- JSON Schema for editors --------------------------------------------------------------------


class _EditorSchema(GenerateJsonSchema):
    """Optional keys are left out, never null: the schema says so (no ``null`` alternatives)."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        if schema.get("default", ...) is None:
            return self.generate_inner(schema["schema"])
        return super().default_schema(schema)


def covenant_json_schema() -> JsonObject:
    """The JSON Schema (draft 2020-12) of ``covenant/data.json``, from the models above."""
    schema = CovenantData.model_json_schema(schema_generator=_EditorSchema)
    # The models' docstrings are written for developers; an editor shows the Dutch field
    # descriptions and this one line.
    for definition in schema.get("$defs", {}).values():
        definition.pop("description", None)
    schema["description"] = (
        "De convenantgegevens (policies/covenant/data.json, in het beleid data.covenant). "
        "Onbekende sleutels worden geweigerd. Gegenereerd met `gateway policy schema`."
    )
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def covenant_json_schema_text() -> str:
    """The schema as the committed ``docs/covenant.schema.json`` holds it (stable, UTF-8)."""
    return json.dumps(covenant_json_schema(), indent=2, ensure_ascii=False) + "\n"
