"""Verification of signed calls. Every failure raises one bare ``AuthenticationFailed``.

The order of checks matters: the key is chosen from the *claimed* issuer's own JWKS by ``kid``, so
a valid key of another party never verifies; the algorithm comes from the key, never from the
token header, which defeats ``alg: none`` and the HS256-with-public-key confusion (RFC 8725 §2.1).
Only after the signature holds are the claims trusted; the ``jti`` is consumed last so that a
forged token cannot burn a legitimate one.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

import jwt

from gateway.auth.tokens import REQUIRED_CLAIMS, TOKEN_TYPE, body_digest
from gateway.errors import AuthenticationFailed
from gateway.jsontypes import JsonObject
from gateway.parties.covenant import Covenant, Party
from gateway.parties.keys import KeyRing
from gateway.vocabulary import Role

if TYPE_CHECKING:
    from jwt.algorithms import AllowedPublicKeys

_ALLOWED_ALGS = frozenset({"EdDSA", "ES256"})
_MAX_TOKEN_BYTES = 8 * 1024


class ReplayGuard(Protocol):
    """Remembers ``(issuer, jti)`` until the token expires; raises ``ReplayDetected`` on reuse."""

    def consume(self, *, issuer: str, jti: str, expires_at: datetime) -> None: ...


class ReplayDetected(Exception):
    """The ``jti`` was seen before for this issuer."""


@dataclass(frozen=True, slots=True)
class VerifiedCall:
    """Who called, as proven by the signature; the only identity the services ever see."""

    party: Party
    subject: str
    roles: frozenset[Role]
    jti: str

    def has_role(self, role: Role) -> bool:
        return role in self.roles


@dataclass(frozen=True, slots=True)
class CallVerifier:
    """Checks tokens against the covenant and key ring; time comes from the injected clock."""

    covenant: Covenant
    keyring: KeyRing
    replay: ReplayGuard
    max_lifetime_s: int
    clock_skew_s: int
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def claimed_party(self, authorization: str | None) -> str | None:
        """The covenant party a token claims to come from, unverified; for audit context only."""
        try:
            claims = jwt.decode(_bearer(authorization), options={"verify_signature": False})
        except AuthenticationFailed:
            return None
        except jwt.PyJWTError:
            return None
        iss = claims.get("iss")
        return iss if isinstance(iss, str) and self.covenant.party(iss) else None

    def verify(
        self, *, authorization: str | None, method: str, target: str, body: bytes
    ) -> VerifiedCall:
        token = _bearer(authorization)
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise AuthenticationFailed("malformed-token") from None
        if header.get("typ") != TOKEN_TYPE:
            raise AuthenticationFailed("wrong-token-type")
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in _ALLOWED_ALGS:  # a list or object is unhashable
            raise AuthenticationFailed("algorithm-not-allowed")
        issuer = unverified.get("iss")
        party = self.covenant.party(issuer) if isinstance(issuer, str) else None
        if party is None:
            raise AuthenticationFailed("unknown-issuer")
        kid = header.get("kid")
        key = self.keyring.verification_key(party.id, kid) if isinstance(kid, str) else None
        if key is None:
            raise AuthenticationFailed("unknown-key")
        if header["alg"] != key.alg:
            raise AuthenticationFailed("algorithm-mismatch")
        claims = self._verified_claims(token, key.key, key.alg, party.id)
        self._check_time(claims)
        if not _same(claims["htm"], method.upper()):
            raise AuthenticationFailed("method-mismatch")
        if not _same(claims["htu"], target):
            raise AuthenticationFailed("target-mismatch")
        if not _same(claims["body_sha256"], body_digest(body)):
            raise AuthenticationFailed("body-mismatch")
        roles = _roles(claims["roles"], party)
        subject = claims["sub"]
        jti = claims["jti"]
        # Printable only: a NUL or lone surrogate passes JSON but breaks the audit entry and
        # the replay table later (a 500 after the jti is spent), so it is refused here.
        if not isinstance(subject, str) or not (0 < len(subject) <= 128 and subject.isprintable()):
            raise AuthenticationFailed("invalid-subject")
        if not isinstance(jti, str) or not (16 <= len(jti) <= 128 and jti.isprintable()):
            raise AuthenticationFailed("invalid-jti")
        try:
            self.replay.consume(
                issuer=party.id, jti=jti, expires_at=datetime.fromtimestamp(claims["exp"], UTC)
            )
        except ReplayDetected:
            raise AuthenticationFailed("replayed-jti") from None
        return VerifiedCall(party=party, subject=subject, roles=roles, jti=jti)

    def _verified_claims(
        self, token: str, key: AllowedPublicKeys, alg: str, issuer: str
    ) -> JsonObject:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.covenant.gateway_id,
                issuer=issuer,
                # Time is checked below against the injected clock, with our own skew and
                # lifetime rules; PyJWT checks signature, audience, issuer and presence.
                options={
                    "require": list(REQUIRED_CLAIMS),
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidAudienceError:
            raise AuthenticationFailed("wrong-audience") from None
        except jwt.MissingRequiredClaimError:
            raise AuthenticationFailed("missing-claim") from None
        except jwt.InvalidSignatureError:
            raise AuthenticationFailed("bad-signature") from None
        except jwt.PyJWTError:
            raise AuthenticationFailed("invalid-token") from None

    def _check_time(self, claims: JsonObject) -> None:
        now = self.clock().timestamp()
        iat, exp = claims["iat"], claims["exp"]
        nbf = claims["nbf"] if "nbf" in claims else iat
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (iat, exp, nbf)):
            raise AuthenticationFailed("invalid-time-claims")
        if exp - iat > self.max_lifetime_s or exp <= iat:
            raise AuthenticationFailed("lifetime-too-long")
        if now > exp + self.clock_skew_s:
            raise AuthenticationFailed("expired")
        if iat > now + self.clock_skew_s or nbf > now + self.clock_skew_s:
            raise AuthenticationFailed("not-yet-valid")


def _same(claimed: object, actual: str) -> bool:
    """Constant-time equality; compared as UTF-8 bytes, since ``compare_digest`` raises
    ``TypeError`` on ``str`` with non-ASCII characters (a 500 instead of a refusal)."""
    return hmac.compare_digest(
        str(claimed).encode("utf-8", "surrogatepass"), actual.encode("utf-8", "surrogatepass")
    )


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthenticationFailed("missing-token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token or len(token) > _MAX_TOKEN_BYTES:
        raise AuthenticationFailed("malformed-authorization")
    return token.strip()


def _roles(value: object, party: Party) -> frozenset[Role]:
    if not isinstance(value, list) or not value or len(value) > 8:
        raise AuthenticationFailed("invalid-roles")
    roles: set[Role] = set()
    for item in value:
        try:
            role = Role(item)
        except ValueError:
            raise AuthenticationFailed("invalid-roles") from None
        if not party.may_hold(role):
            raise AuthenticationFailed("role-not-permitted")
        roles.add(role)
    return frozenset(roles)
