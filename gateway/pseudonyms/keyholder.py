"""The key holder: holds one OPRF key per pseudonym domain, sees only blinded elements.

Keys are derived with RFC 9497 DeriveKeyPair from one master seed, ``info`` naming the domain, so
that different covenants get unlinkable pseudonyms and no per-domain key needs to be stored. The
holder runs in the gateway process by default (``LocalKeyHolder``) or as its own process
(``gateway keyholder serve``), reached through ``RemoteKeyHolder``; either way it holds no signal
data and logs only counts.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import httpx

from gateway.crypto import b64u, unb64u
from gateway.errors import ConfigurationError, FieldError, InvalidInput, Unavailable
from gateway.jsontypes import JsonObject
from gateway.pseudonyms import oprf

SEED_FILE = "oprf-seed.json"
_DOMAIN_INFO = b"gateway-pseudonym-domain:"


class KeyHolder(Protocol):
    """Evaluates blinded elements under a domain's key."""

    def evaluate(self, *, domain: str, elements: Sequence[bytes]) -> list[bytes]: ...

    def domains(self) -> list[str]: ...


def ensure_master_seed(directory: Path) -> bool:
    """Create the 32-byte master seed (mode 0600) if missing; True when it was created."""
    path = directory / SEED_FILE
    if path.exists():
        return False
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"v": 1, "seed": b64u(secrets.token_bytes(32))}, handle)
    return True


def load_master_seed(directory: Path) -> bytes:
    path = directory / SEED_FILE
    try:
        seed = unb64u(json.loads(path.read_text("utf-8"))["seed"])
    except FileNotFoundError:
        raise ConfigurationError(
            f"{path}: OPRF-hoofdsleutel ontbreekt (draai `gateway init`)"
        ) from None
    except (ValueError, KeyError, TypeError):
        raise ConfigurationError(f"{path}: OPRF-hoofdsleutel is onleesbaar") from None
    if len(seed) != 32 or seed == bytes(32):
        raise ConfigurationError(f"{path}: OPRF-hoofdsleutel moet 32 willekeurige bytes zijn")
    return seed


def _refused(index: int | None) -> InvalidInput:
    return InvalidInput(
        "ongeldig geblindeerd element; er is niets geëvalueerd",
        [FieldError(f"elements[{index}]", "geen geldig ristretto255-element", "invalid-element")],
    )


class LocalKeyHolder:
    """In-process key holder."""

    def __init__(self, *, seed: bytes, domains: Iterable[str]) -> None:
        self._keys = {
            domain: oprf.derive_key_pair(seed, _DOMAIN_INFO + domain.encode("utf-8"))[0]
            for domain in domains
        }
        if not self._keys:
            raise ConfigurationError("geen pseudoniemdomeinen geconfigureerd")

    def domains(self) -> list[str]:
        return sorted(self._keys)

    def evaluate(self, *, domain: str, elements: Sequence[bytes]) -> list[bytes]:
        key = self._keys.get(domain)
        if key is None:
            raise InvalidInput(
                "onbekend pseudoniemdomein",
                [FieldError("domain", "onbekend pseudoniemdomein", "unknown-domain")],
            )
        try:
            return oprf.blind_evaluate_batch(key, elements)
        except oprf.InvalidElement as exc:
            raise _refused(exc.index) from None


class RemoteKeyHolder:
    """The key holder as its own process, over HTTP with a shared bearer secret (loopback or a
    private network; the secret comes from configuration, never from the caller)."""

    def __init__(self, *, url: str, token: str, timeout_s: float = 10.0) -> None:
        self._client = httpx.Client(
            base_url=url, timeout=timeout_s, headers={"Authorization": f"Bearer {token}"}
        )

    def domains(self) -> list[str]:
        return list(self._request("GET", "/domains")["domains"])

    def evaluate(self, *, domain: str, elements: Sequence[bytes]) -> list[bytes]:
        answer = self._request(
            "POST", "/evaluate", {"domain": domain, "elements": [b64u(e) for e in elements]}
        )
        if "refused_index" in answer:
            raise _refused(int(answer["refused_index"]))
        if "unknown_domain" in answer:
            raise InvalidInput(
                "onbekend pseudoniemdomein",
                [FieldError("domain", "onbekend pseudoniemdomein", "unknown-domain")],
            )
        return [unb64u(e) for e in answer["evaluated"]]

    def _request(self, method: str, path: str, body: object = None) -> JsonObject:
        try:
            response = self._client.request(method, path, json=body)
            response.raise_for_status()
            answer: JsonObject = response.json()
            return answer
        except (httpx.HTTPError, ValueError) as exc:
            raise Unavailable(f"sleutelhouder niet bereikbaar ({exc.__class__.__name__})") from None
