"""The covenant's parties, from the privacy officers' data file ``policies/covenant/data.json``.

The same file is OPA data (``data.covenant``), so the gateway and the policies read one truth.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.errors import ConfigurationError
from gateway.signals.reference import validate_municipality
from gateway.vocabulary import PartyType, Role

COVENANT_FILE = Path("covenant") / "data.json"
_ID_PATTERN = r"^[a-z0-9][a-z0-9.-]{1,62}[a-z0-9]$"


class Party(BaseModel):
    """One covenant partner: its id is the ``iss`` of every call it signs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    type: PartyType
    signatory: bool
    roles: frozenset[Role]
    municipality: str | None = None

    def may_hold(self, role: Role) -> bool:
        return role in self.roles


class _PartyData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    type: PartyType
    signatory: bool
    roles: list[Role] = Field(min_length=1)
    municipality: str | None = None


class _CovenantData(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(pattern=_ID_PATTERN)
    name: str = Field(min_length=1)
    region: str = Field(min_length=1)
    gateway_id: str = Field(pattern=_ID_PATTERN)
    pseudonym_domain: str = Field(pattern=_ID_PATTERN)
    parties: dict[str, _PartyData] = Field(min_length=1)


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
    """Read and check the covenant file; every problem names the file and the JSON path."""
    path = policies_dir / COVENANT_FILE
    try:
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: convenantbestand ontbreekt") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: geen geldige JSON ({exc})") from None
    try:
        data = _CovenantData.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        # Named by its OPA data path: the file at covenant/data.json is data.covenant.
        where = ".".join(["covenant", *(str(p) for p in first["loc"])])
        raise ConfigurationError(f"{path}: {where}: {first['msg']}") from None
    parties: dict[str, Party] = {}
    for party_id, pd in data.parties.items():
        where = f"{path}: covenant.parties.{party_id}"
        if pd.municipality is not None:
            try:
                validate_municipality(pd.municipality)
            except ValueError as exc:
                raise ConfigurationError(f"{where}.municipality: {exc}") from None
        try:
            parties[party_id] = Party(
                id=party_id,
                name=pd.name,
                type=pd.type,
                signatory=pd.signatory,
                roles=frozenset(pd.roles),
                municipality=pd.municipality,
            )
        except ValidationError:
            raise ConfigurationError(f"{where}: ongeldige partij-id") from None
    return Covenant(
        id=data.id,
        name=data.name,
        region=data.region,
        gateway_id=data.gateway_id,
        pseudonym_domain=data.pseudonym_domain,
        parties=parties,
    )
