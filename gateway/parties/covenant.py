"""The covenant's parties, from the privacy officers' data file ``policies/covenant/data.json``.

The same file is OPA data (``data.covenant``), so the gateway and the policies read one truth; its
shape is defined once, in :mod:`gateway.policy.covenant_schema`. This module keeps the part the
gateway itself acts on: who takes part, in which roles, under which gateway id.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NoReturn

from pydantic import BaseModel, ConfigDict, Field

from gateway.errors import ConfigurationError
from gateway.jsontypes import Json, JsonObject
from gateway.policy.covenant_schema import ID_PATTERN, covenant_problems, parse
from gateway.vocabulary import PartyType, Role

COVENANT_FILE = Path("covenant") / "data.json"


class Party(BaseModel):
    """One covenant partner: its id is the ``iss`` of every call it signs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    type: PartyType
    signatory: bool
    roles: frozenset[Role]
    municipality: str | None = None

    def may_hold(self, role: Role) -> bool:
        return role in self.roles


class Covenant(BaseModel):
    """The parsed covenant: who takes part, under which gateway id."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    region: str
    gateway_id: str
    pseudonym_domain: str
    parties: dict[str, Party]

    def party(self, party_id: str) -> Party | None:
        return self.parties.get(party_id)


def load_covenant(policies_dir: Path) -> Covenant:
    """Read and check the covenant file; every problem names the file and the JSON path.

    The check is the one ``gateway policy check`` runs (:mod:`gateway.policy.covenant_schema`),
    on the whole document and not only on the parties read here: what the check accepts the
    gateway starts with, and what it refuses the gateway refuses, with the same messages.
    """
    path = policies_dir / COVENANT_FILE

    # As the policy loader reads it (gateway.policy.bundle): a key twice or a NaN is refused
    # there, so it is refused here, rather than read as whichever value came last.
    def refuse_duplicates(pairs: list[tuple[str, Json]]) -> JsonObject:
        keys = [key for key, _ in pairs]
        if len(set(keys)) != len(keys):
            raise ConfigurationError(f"{path}: geen geldige JSON (een sleutel komt twee keer voor)")
        return dict(pairs)

    def refuse_constant(name: str) -> NoReturn:
        raise ConfigurationError(f"{path}: geen geldige JSON ({name} is geen JSON-waarde)")

    try:
        raw = json.loads(
            path.read_bytes(), object_pairs_hook=refuse_duplicates, parse_constant=refuse_constant
        )
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: convenantbestand ontbreekt") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: geen geldige JSON ({exc})") from None
    problems = covenant_problems(raw)
    if problems:
        raise ConfigurationError("\n".join(f"{path}: {problem}" for problem in problems))
    data = parse(raw)
    return Covenant(
        id=data.id,
        name=data.name,
        region=data.region,
        gateway_id=data.gateway_id,
        pseudonym_domain=data.pseudonym_domain,
        parties={
            party_id: Party(
                id=party_id,
                name=party.name,
                type=party.type,
                signatory=party.signatory,
                roles=frozenset(party.roles),
                municipality=party.municipality,
            )
            for party_id, party in data.parties.items()
        },
    )
