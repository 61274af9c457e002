"""Who acts in a use case: a covenant party, the person (or system) acting for it, and the roles
proven for this call. A signed call, a logged-in person and the gateway's own jobs all become an
``Actor``, so that every service and every policy sees one shape of requester."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from gateway.parties.covenant import Party
from gateway.vocabulary import Role


class ProvenIdentity(Protocol):
    """Anything that proved a party, a subject and roles (a verified signed call, a session)."""

    @property
    def party(self) -> Party: ...

    @property
    def subject(self) -> str: ...

    @property
    def roles(self) -> frozenset[Role]: ...


@dataclass(frozen=True, slots=True)
class Actor:
    party: Party
    subject: str
    roles: frozenset[Role]

    @classmethod
    def of(cls, identity: ProvenIdentity) -> Actor:
        return cls(party=identity.party, subject=identity.subject, roles=identity.roles)

    @classmethod
    def acting_for(cls, party: Party, subject: str, roles: Iterable[Role] = ()) -> Actor:
        return cls(party=party, subject=subject, roles=frozenset(roles))

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def role_values(self) -> list[str]:
        """The roles as the policies name them, sorted (a stable decision input)."""
        return sorted(r.value for r in self.roles)

    def requester(self) -> dict[str, object]:
        """The requester as most decision inputs describe it."""
        return {
            "party": self.party.id,
            "type": self.party.type.value,
            "roles": self.role_values,
        }
