"""The gateway's release keys: one HPKE key pair per period, so that expired signals can be made
unreadable everywhere, database backups included, by deleting a private key (crypto-shredding,
DESIGN §5; docs/sealing.md). No web, no database: files only.

- **Public halves** are in the gateway's JWKS (``<keys_dir>/<gateway>.jwks.json``, ``use: enc``),
  each with ``not_before``: the moment from which adapters seal to it. The key with the latest
  ``not_before`` that is not in the future is *current*; a key is *retired* from the moment the
  next one becomes current. A key without ``not_before`` (written before rotation existed) counts
  as current since the beginning of time.
- **Private halves** are one file per key, ``<private_keys_dir>/<gateway>/release/<kid>.json``
  (a key written before rotation existed lives in ``<gateway>/hpke.json``), so that shredding one
  period deletes exactly one file.
- **Accepted at ingest**: the current key, and a key retired less than ``grace`` ago (an adapter
  that read ``GET /v1/gateway`` just before a rotation).
- **Shredding** (by the retention run, which also checks that no stored signal is sealed to the
  key): the private file goes first, then the public half leaves the JWKS. A run that dies in
  between leaves a public key without a private one, which the next run shreds again.

The JWKS is rewritten atomically (a temporary file and ``os.replace``) under an exclusive lock,
because a running gateway reads it while a retention run rotates or shreds.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gateway import sealing
from gateway.errors import ConfigurationError

BEGINNING = datetime.min.replace(tzinfo=UTC)
_LEGACY_PRIVATE = "hpke.json"


@dataclass(frozen=True, slots=True)
class ReleaseKey:
    """A release key's public half and the moment adapters start sealing to it."""

    kid: str
    not_before: datetime
    public: dict[str, Any]


@dataclass(frozen=True, slots=True)
class KeyState:
    """A release key as the retention run sees it: when it was retired (None while current)."""

    key: ReleaseKey
    retired_at: datetime | None


class ReleaseKeys:
    """The gateway's release key pairs on disk; see the module docstring."""

    def __init__(self, keys_dir: Path, private_keys_dir: Path, gateway_id: str) -> None:
        self.jwks_path = keys_dir / f"{gateway_id}.jwks.json"
        self.owner_dir = private_keys_dir / gateway_id
        self.private_dir = self.owner_dir / "release"
        self._cache: tuple[tuple[int, int], list[ReleaseKey]] | None = None

    # -- reading -----------------------------------------------------------------------------

    def keys(self) -> list[ReleaseKey]:
        """Every published release key, oldest first; re-read when the JWKS file changed."""
        try:
            stat = self.jwks_path.stat()
        except OSError:
            raise ConfigurationError(
                f"{self.jwks_path}: publieke sleutels van de gateway ontbreken"
            ) from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if self._cache is None or self._cache[0] != stamp:
            self._cache = (stamp, self._parse(self._read_jwks()))
        return list(self._cache[1])

    def _read_jwks(self) -> dict[str, Any]:
        try:
            document = json.loads(self.jwks_path.read_text("utf-8"))
        except (OSError, ValueError):
            raise ConfigurationError(
                f"{self.jwks_path}: publieke sleutels van de gateway ontbreken of zijn geen JSON"
            ) from None
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ConfigurationError(f"{self.jwks_path}: verwacht een JWKS met een 'keys'-lijst")
        return document

    def _parse(self, document: dict[str, Any]) -> list[ReleaseKey]:
        found = []
        for index, jwk in enumerate(document["keys"]):
            if not isinstance(jwk, dict) or jwk.get("use") != "enc":
                continue
            kid = jwk.get("kid")
            if not isinstance(kid, str) or not kid:
                raise ConfigurationError(f"{self.jwks_path}: keys[{index}].kid: ontbreekt")
            raw = jwk.get("not_before")
            try:
                not_before = BEGINNING if raw is None else _utc(datetime.fromisoformat(raw))
            except (TypeError, ValueError):
                raise ConfigurationError(
                    f"{self.jwks_path}: keys[{index}].not_before: verwacht een ISO 8601-tijdstip"
                ) from None
            found.append(ReleaseKey(kid, not_before, dict(jwk)))
        return sorted(found, key=lambda k: (k.not_before, k.kid))

    def states(self, now: datetime) -> list[KeyState]:
        """Every key that has started, with the moment it was retired (None for the current)."""
        started = [k for k in self.keys() if k.not_before <= now]
        return [
            KeyState(key, started[i + 1].not_before if i + 1 < len(started) else None)
            for i, key in enumerate(started)
        ]

    def current(self, now: datetime) -> ReleaseKey:
        """The key adapters seal to now."""
        states = self.states(now)
        if not states:
            raise ConfigurationError(
                f"{self.jwks_path}: geen vrijgavesleutel (use: enc) die nu geldt; "
                "draai `gateway init` of `gateway keys rotate`"
            )
        return states[-1].key

    def accepted_kids(self, now: datetime, grace: timedelta) -> frozenset[str]:
        """The keys an envelope may be sealed to at ingest: current, or retired within grace."""
        return frozenset(
            state.key.kid
            for state in self.states(now)
            if state.retired_at is None or now - state.retired_at < grace
        )

    def private_records(self) -> dict[str, dict[str, Any]]:
        """Every private release key by kid (for opening envelopes at release)."""
        records: dict[str, dict[str, Any]] = {}
        paths = [self.owner_dir / _LEGACY_PRIVATE]
        if self.private_dir.is_dir():
            paths += sorted(self.private_dir.glob("*.json"))
        for path in paths:
            record = _read_private(path)
            if record is not None:
                records[record["kid"]] = record
        return records

    # -- changing ----------------------------------------------------------------------------

    def rotate(
        self, now: datetime, pair: tuple[dict[str, Any], dict[str, Any]] | None = None
    ) -> ReleaseKey:
        """A new key pair (``pair``, or a fresh one), current from ``now``: private file first,
        then the public half."""
        private, public = pair or sealing.new_key_pair()
        public = {**public, "not_before": _utc(now).isoformat()}
        with self._locked():
            _write_private(self.private_dir / f"{public['kid']}.json", {**private, **public})
            document = self._read_jwks() if self.jwks_path.exists() else {"keys": []}
            document["keys"].append(public)
            self._write_jwks(document)
        return ReleaseKey(public["kid"], _utc(now), public)

    def shred(self, kid: str) -> None:
        """Delete the private key (then the public half): envelopes sealed to it are lost."""
        with self._locked():
            for path in (self.private_dir / f"{kid}.json", self.owner_dir / _LEGACY_PRIVATE):
                record = _read_private(path)
                if record is not None and record["kid"] == kid:
                    path.unlink()
                    _fsync_dir(path.parent)
            document = self._read_jwks()
            document["keys"] = [
                k for k in document["keys"] if not (k.get("use") == "enc" and k.get("kid") == kid)
            ]
            self._write_jwks(document)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.private_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.private_dir / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write_jwks(self, document: dict[str, Any]) -> None:
        self.jwks_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.jwks_path.with_name(self.jwks_path.name + ".tmp")
        temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, self.jwks_path)
        self._cache = None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC)


def _read_private(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except ValueError:
        # Name the file, never its content.
        raise ConfigurationError(f"{path}: geen geldige privésleutel (JSON)") from None
    if not isinstance(record, dict) or not isinstance(record.get("kid"), str):
        raise ConfigurationError(f"{path}: geen HPKE-sleutel")
    return record


def _write_private(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make a created or deleted directory entry durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
