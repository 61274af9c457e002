"""Test helpers: a real uvicorn server on loopback, a signing client, synthetic signals."""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt

from gateway import sealing
from gateway.api.app import create_app
from gateway.auth.tokens import TOKEN_TYPE, body_digest
from gateway.demo import serving
from gateway.parties.keys import SigningKey, load_signing_key
from gateway.runtime import Runtime

REPO = Path(__file__).resolve().parents[1]


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pseudonym() -> str:
    """A random stand-in for a 64-byte OPRF output."""
    return b64u(secrets.token_bytes(64))


# The kid a placeholder envelope names: conftest's ``keys`` fixture sets the current release key
# of the session's dev keys, so that ingest accepts the header (the body is random bytes).
_release_kid = "placeholder"


def use_release_kid(kid: str) -> None:
    global _release_kid
    _release_kid = kid


def placeholder_envelope(size: int = 1200, kid: str | None = None) -> str:
    """An envelope header naming a release key, then random bytes: ingest stores it as is."""
    return b64u(sealing.header(kid or _release_kid) + secrets.token_bytes(size))


def signal(ref: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid signal document; ``overrides`` replace top-level fields."""
    document: dict[str, Any] = {
        "ref": ref or f"sig-{secrets.token_hex(6)}",
        "version": 1,
        "observed_at": "2026-10-01T09:30:00+02:00",
        "municipality": "GM0599",
        "form": "arbeidsuitbuiting",
        "indicators": ["ARB-ONDERBETALING", "HUIS-OVERBEWONING"],
        "data_classes": ["gewoon"],
        "certainty": "vermoeden",
        "flags": {
            "minor": False,
            "consent": None,
            "embargo_until": None,
            "source_protected": False,
        },
        "subjects": [
            {"kind": "bsn", "role": "slachtoffer", "pseudonym": pseudonym()},
            {"kind": "adres", "role": "verblijfplaats", "pseudonym": pseudonym()},
            {"kind": "kvk", "role": "werkgever", "pseudonym": pseudonym()},
        ],
        "sealed": placeholder_envelope(),
    }
    document.update(overrides)
    return document


def sealed_signal_with(
    rt: Runtime,
    party: str,
    subjects: list[tuple[str, str, str, Any]],
    details: dict[str, str],
    **meta: Any,
) -> dict[str, Any]:
    """A wire signal with (kind, role, pseudonym, clear value) subjects whose sealed part holds
    real clear content, sealed as an adapter seals it: the sealed subjects in the same order as
    the pseudonymised ones."""
    document = signal(
        subjects=[{"kind": k, "role": r, "pseudonym": p} for k, r, p, _ in subjects], **meta
    )
    content = {
        "v": 1,
        "subjects": [{"kind": k, "role": r, "value": v} for k, r, _, v in subjects],
        "details": details,
    }
    blob = sealing.seal(
        json.dumps(content).encode(),
        recipient=rt.release_key(),
        context=sealing.SealContext(party=party, ref=document["ref"], version=1),
    )
    document["sealed"] = b64u(blob)
    return document


def batch(*signals: dict[str, Any]) -> bytes:
    return json.dumps({"signals": list(signals)}).encode()


@dataclass
class Caller:
    """Signs calls as a covenant party, with hooks to break any part of the token."""

    base_url: str
    audience: str
    private_keys_dir: Path
    _keys: dict[str, SigningKey] = field(default_factory=dict)

    def key(self, party: str) -> SigningKey:
        if party not in self._keys:
            self._keys[party] = load_signing_key(self.private_keys_dir, party)
        return self._keys[party]

    def token(
        self,
        party: str,
        method: str,
        target: str,
        body: bytes,
        *,
        roles: list[str] | None = None,
        claims: dict[str, Any] | None = None,
        drop: tuple[str, ...] = (),
        headers: dict[str, Any] | None = None,
        key: Any = None,
        algorithm: str | None = None,
        now: datetime | None = None,
    ) -> str:
        signing = self.key(party)
        issued = int((now or datetime.now(UTC)).timestamp())
        payload: dict[str, Any] = {
            "iss": party,
            "sub": "medewerker-0042",
            "roles": roles or ["adapter"],
            "aud": self.audience,
            "iat": issued,
            "exp": issued + 120,
            "jti": secrets.token_urlsafe(24),
            "htm": method,
            "htu": target,
            "body_sha256": body_digest(body),
        }
        payload.update(claims or {})
        for name in drop:
            payload.pop(name)
        header = {"kid": signing.kid, "typ": TOKEN_TYPE, **(headers or {})}
        return jwt.encode(
            payload,
            key if key is not None else signing.key,
            algorithm=algorithm or signing.alg,
            headers=header,
        )

    def call(
        self,
        party: str,
        method: str,
        target: str,
        body: bytes = b"",
        *,
        token: str | None = None,
        **token_options: Any,
    ) -> httpx.Response:
        token = token or self.token(party, method, target, body, **token_options)
        headers = {"Authorization": f"Bearer {token}"}
        if body:
            headers["Content-Type"] = "application/json"
        return httpx.request(
            method, self.base_url + target, content=body, headers=headers, timeout=30
        )


@contextmanager
def live_server(rt: Runtime) -> Iterator[str]:
    """Serve ``rt`` with uvicorn on a free loopback port in a thread; yields the base URL."""
    with serving(create_app(rt)) as url:
        yield url


def future(seconds: int) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def env_without_gateway() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
