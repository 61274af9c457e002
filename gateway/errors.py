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
    description: str = (
        "Er ging onverwacht iets mis in de gateway. De fout is gelogd; meld het tijdstip en het "
        "pad aan de beheerder van de gateway."
    )

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class AuthenticationFailed(GatewayError):
    """Raised for every failed check of a signed call; the cause goes to the audit log only."""

    status = 401
    code = "unauthenticated"
    title = "Niet geauthenticeerd"
    description = (
        "De ondertekende aanroep kon niet worden geverifieerd: het token ontbreekt, is verlopen of "
        "al eerder gebruikt, is niet met een sleutel van de genoemde partij ondertekend, of hoort "
        "niet bij deze methode, dit pad of deze body. De precieze oorzaak staat alleen in het "
        "auditlog, zodat de gateway geen orakel is."
    )

    def __init__(self, reason: str) -> None:
        super().__init__("Het verzoek kon niet worden geauthenticeerd.")
        # The precise reason is for the audit log and the server log, never for the caller:
        # telling an attacker which check failed turns the gateway into an oracle.
        self.reason = reason


class Forbidden(GatewayError):
    status = 403
    code = "forbidden"
    title = "Niet toegestaan"
    description = (
        "De aanroep is geverifieerd, maar de partij of de rol in het token mag deze bewerking niet "
        "uitvoeren."
    )


class PolicyRefused(Forbidden):
    code = "policy-refused"
    title = "Geweigerd door het convenantbeleid"
    description = (
        "Het convenantbeleid staat deze bewerking niet toe; er is niets opgeslagen. errors[] noemt "
        "elke reden met haar plaats en wettelijke grondslag (basis), policy_revision de "
        "beleidsrevisie waarop is beslist."
    )

    def __init__(self, detail: str, errors: list[FieldError], *, revision: str) -> None:
        super().__init__(detail)
        self.errors = errors
        self.revision = revision


class InvalidInput(GatewayError):
    status = 422
    code = "invalid-input"
    title = "Ongeldige invoer"
    description = (
        "De body of een parameter voldoet niet aan het contract. errors[] noemt elke fout met haar "
        "plaats, bijvoorbeeld signals[3].municipality; ingestuurde waarden worden nooit herhaald."
    )

    def __init__(self, detail: str, errors: list[FieldError]) -> None:
        super().__init__(detail)
        self.errors = errors


class PayloadTooLarge(GatewayError):
    status = 413
    code = "payload-too-large"
    title = "Verzoek te groot"
    description = (
        "De body is groter dan de gateway aanneemt (GATEWAY_MAX_BODY_BYTES); de limieten staan op "
        "/v1/gateway. Stuur kleinere batches."
    )


class NotFound(GatewayError):
    status = 404
    code = "not-found"
    title = "Niet gevonden"
    description = (
        "De bron bestaat niet, of niet voor deze partij: de gateway maakt daar geen onderscheid "
        "tussen, zodat het antwoord niets verraadt over gegevens van anderen."
    )


class Conflict(GatewayError):
    status = 409
    code = "conflict"
    title = "Conflict met opgeslagen gegevens"
    description = (
        "Het verzoek spreekt opgeslagen gegevens tegen, bijvoorbeeld een ref die al met andere "
        "inhoud is gebruikt of een zaak die intussen is gewijzigd. Lees de actuele stand en "
        "probeer het opnieuw."
    )

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []


class Unavailable(GatewayError):
    status = 503
    code = "unavailable"
    title = "Tijdelijk niet beschikbaar"
    description = (
        "Een onderdeel waarvan de gateway afhangt (database, beleidsengine, sleutels) is tijdelijk "
        "niet beschikbaar. Probeer het opnieuw na het aantal seconden in de header Retry-After."
    )

    def __init__(self, detail: str, *, retry_after_s: int = 5) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class RateLimited(Unavailable):
    status = 429
    code = "rate-limited"
    title = "Te veel verzoeken"
    description = (
        "De partij heeft haar budget voor deze bewerking opgebruikt, bijvoorbeeld het aantal "
        "pseudoniemevaluaties per minuut. Probeer het opnieuw na het aantal seconden in de header "
        "Retry-After."
    )


class ConfigurationError(GatewayError):
    code = "configuration-error"
    title = "Configuratiefout"
    description = (
        "Convenantgegevens, sleutels of instellingen van de gateway zijn onbruikbaar, bijvoorbeeld "
        "omdat er geen geldige vrijgavesleutel is. De beheerder van de gateway moet de "
        "configuratie herstellen."
    )
