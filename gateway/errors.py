"""One error tree for the whole gateway, mapped to RFC 9457 problems at the HTTP edge.

    GatewayError                      base; never raised itself
    ├── AuthenticationFailed          a signed call could not be verified (one bare 401, any cause)
    ├── Forbidden                     authenticated, but the party or role may not do this (403)
    │   └── PolicyRefused             the covenant policy said no; reasons with legal basis (403)
    ├── InvalidInput                  a body or file failed validation; lists every field (422)
    ├── PayloadTooLarge               the body exceeds the configured size (413)
    ├── NotFound                      the resource does not exist for this caller (404)
    ├── Conflict                      the request contradicts stored state, e.g. a ref reused (409)
    ├── Unavailable                   a dependency (database, keys) is down; retry later (503)
    │   └── RateLimited               the party used up its budget; retry after a while (429)
    └── ConfigurationError            covenant data, keys or settings are unusable (start-up)

Messages are Dutch (the users' language), name fields and ids, and never carry personal data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem at one place: ``location`` like ``signals[3].municipality``."""

    location: str
    message: str
    code: str
    basis: str | None = None  # the article a policy reason cites

    def as_dict(self) -> dict[str, str]:
        found = {"location": self.location, "message": self.message, "code": self.code}
        if self.basis:
            found["basis"] = self.basis
        return found


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""

    status: int = 500
    code: str = "internal-error"
    title: str = "Interne fout"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class AuthenticationFailed(GatewayError):
    """Raised for every failed check of a signed call; the cause goes to the audit log only."""

    status = 401
    code = "unauthenticated"
    title = "Niet geauthenticeerd"

    def __init__(self, reason: str) -> None:
        super().__init__("Het verzoek kon niet worden geauthenticeerd.")
        # The precise reason is for the audit log and the server log, never for the caller:
        # telling an attacker which check failed turns the gateway into an oracle.
        self.reason = reason


class Forbidden(GatewayError):
    status = 403
    code = "forbidden"
    title = "Niet toegestaan"


class PolicyRefused(Forbidden):
    code = "policy-refused"
    title = "Geweigerd door het convenantbeleid"

    def __init__(self, detail: str, errors: list[FieldError], *, revision: str) -> None:
        super().__init__(detail)
        self.errors = errors
        self.revision = revision


class InvalidInput(GatewayError):
    status = 422
    code = "invalid-input"
    title = "Ongeldige invoer"

    def __init__(self, detail: str, errors: list[FieldError]) -> None:
        super().__init__(detail)
        self.errors = errors


class PayloadTooLarge(GatewayError):
    status = 413
    code = "payload-too-large"
    title = "Verzoek te groot"


class NotFound(GatewayError):
    status = 404
    code = "not-found"
    title = "Niet gevonden"


class Conflict(GatewayError):
    status = 409
    code = "conflict"
    title = "Conflict met opgeslagen gegevens"

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []


class Unavailable(GatewayError):
    status = 503
    code = "unavailable"
    title = "Tijdelijk niet beschikbaar"

    def __init__(self, detail: str, *, retry_after_s: int = 5) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class RateLimited(Unavailable):
    status = 429
    code = "rate-limited"
    title = "Te veel verzoeken"


class ConfigurationError(GatewayError):
    code = "configuration-error"
    title = "Configuratiefout"
