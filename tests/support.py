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


# Every placeholder handed out: ``Caller.call`` replaces these by real envelopes (see there).
_placeholders: set[str] = set()


def placeholder_envelope(size: int = 1200, kid: str | None = None) -> str:
    """An envelope header naming a release key, then random bytes. Ingest opens every envelope,
    so this does not pass as is: ``Caller.call`` (and :func:`seal_placeholders`) replace it by a
    real envelope for its signal when it names the called gateway's release key."""
    envelope = b64u(sealing.header(kid or _release_kid) + secrets.token_bytes(size))
    _placeholders.add(envelope)
    return envelope


def is_placeholder(envelope: object) -> bool:
    return isinstance(envelope, str) and envelope in _placeholders


# Stand-ins for the clear value of each subject kind (what its pseudonym would be computed from).
_CLEAR_VALUES: dict[str, Any] = {
    "persoon": {
        "family_name": "Testpersoon",
        "prefix": "",
        "given_names": "Alex",
        "birth_date": "1990-01-01",
    },
    "adres": {"postcode": "1234AB", "number": "1", "addition": "", "bag_id": ""},
}


def content_for(document: dict[str, Any]) -> dict[str, Any]:
    """Sealable content lined up with a wire signal's subjects (kind and role at each place)."""
    return {
        "v": 1,
        "subjects": [
            {
                "kind": s.get("kind"),
                "role": s.get("role"),
                "value": _CLEAR_VALUES.get(str(s.get("kind")), f"waarde-{i}"),
            }
            for i, s in enumerate(document.get("subjects") or [])
            if isinstance(s, dict)
        ],
        "details": {"toelichting": "testsignaal"},
    }


def real_envelope(
    release_key: dict[str, Any],
    party: str,
    document: dict[str, Any],
    content: dict[str, Any] | None = None,
    *,
    ref: str | None = None,
    version: int | None = None,
) -> str:
    """A real envelope for a wire signal, as an adapter seals it (``content`` defaults to
    :func:`content_for`); ``ref``/``version`` seal it for another context on purpose."""
    blob = sealing.seal(
        json.dumps(content if content is not None else content_for(document)).encode(),
        recipient=release_key,
        context=sealing.SealContext(
            party=party,
            ref=ref if ref is not None else str(document.get("ref")),
            version=version if version is not None else int(document.get("version") or 1),
        ),
    )
    return b64u(blob)


def seal_placeholders(body: bytes, party: str, release_key: dict[str, Any]) -> bytes:
    """``body`` with every placeholder envelope that names ``release_key`` replaced by a real one
    for its signal; any other body (not JSON, no placeholders) unchanged."""
    try:
        document = json.loads(body)
    except ValueError:
        return body
    signals = document.get("signals") if isinstance(document, dict) else None
    if not isinstance(signals, list):
        return body
    replaced = False
    for item in signals:
        if not isinstance(item, dict) or not is_placeholder(item.get("sealed")):
            continue
        blob = base64.urlsafe_b64decode(item["sealed"] + "=" * (-len(item["sealed"]) % 4))
        if sealing.named_kid(blob) != release_key.get("kid"):
            continue  # a placeholder for another key is meant to stay one
        try:
            item["sealed"] = real_envelope(release_key, party, item)
        except (sealing.SealError, ValueError, TypeError):
            continue  # a signal broken on purpose (no ref, a bad version): left as sent
        replaced = True
    return json.dumps(document).encode() if replaced else body


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
    _release_key: dict[str, Any] | None = None

    def release_key(self) -> dict[str, Any]:
        """The called gateway's current release key (``GET /v1/gateway``), fetched once."""
        if self._release_key is None:
            info = httpx.get(self.base_url + "/v1/gateway", timeout=30).json()
            self._release_key = dict(info["release_key"])
        return self._release_key

    def sealed(self, party: str, body: bytes) -> bytes:
        """``body`` with its placeholder envelopes sealed for real by ``party`` (for a test that
        signs the body itself)."""
        return seal_placeholders(body, party, self.release_key())

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
        if token is None and method == "POST" and target.startswith("/v1/signals") and body:
            # Ingest opens every envelope: the placeholders become real ones, signed as sent.
            body = self.sealed(party, body)
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
