"""The gateway's release keys: one HPKE key pair per period, so that expired signals can be made
unreadable everywhere, database backups included, by deleting a private key (crypto-shredding,
docs/sealing.md). No web, no database: files only.

- Each key pair is one file in the private key store,
  ``<private_keys_dir>/<gateway>/release/<kid>.json`` (mode 0600): the private parts, the public
  parts and ``not_before``, the moment from which adapters seal to it. One file per key makes
  shredding one atomic step (deleting that file), and keeps the published list and the keys that
  can open envelopes from ever disagreeing. A key written before rotation existed lives in
  ``<gateway>/hpke.json`` without ``not_before``, and counts as current since the beginning.
- The key with the latest ``not_before`` that has passed is *current*; a key is *retired* from the
  moment the next one becomes current.
- **Accepted at ingest**: the current key, and a key retired less than ``grace`` ago (an adapter
  that read ``GET /v1/gateway`` just before a rotation).
- **Shredding** (by the retention run, which first checks that no stored signal is sealed to the
  key) deletes the file.

Readers re-list the directory when its modification time changes, so a running gateway sees a
rotation or a shredding done by ``gateway retention run`` in another process.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway import sealing
from gateway.errors import ConfigurationError
from gateway.jsontypes import JsonObject

BEGINNING = datetime.min.replace(tzinfo=UTC)
_LEGACY = "hpke.json"
# The members of a key record that are private; everything else may be published.
_PRIVATE_MEMBERS = frozenset({"x25519_private", "mlkem_seed"})


@dataclass(frozen=True, slots=True)
class ReleaseKey:
    """A release key: its public half, the moment adapters start sealing to it, and its file."""

    kid: str
    not_before: datetime
    public: JsonObject
    path: Path


@dataclass(frozen=True, slots=True)
class KeyState:
    """A release key as the retention run sees it: when it was retired (None while current)."""

    key: ReleaseKey
    retired_at: datetime | None


class ReleaseKeys:
    """The gateway's release key pairs in the private key store; see the module docstring."""

    def __init__(self, private_keys_dir: Path, gateway_id: str) -> None:
        self.owner_dir = private_keys_dir / gateway_id
        self.directory = self.owner_dir / "release"
        self._cache: tuple[tuple[tuple[str, ...], int], list[ReleaseKey]] | None = None

    # -- reading -----------------------------------------------------------------------------

    def keys(self) -> list[ReleaseKey]:
        """Every release key in the store, oldest first (listed again when the store changed)."""
        # Key files are created once and deleted, never changed: their names say it all.
        stamp = (_names(self.directory), _mtime(self.owner_dir / _LEGACY))
        if self._cache is None or self._cache[0] != stamp:
            self._cache = (stamp, self._load())
        return list(self._cache[1])

    def _load(self) -> list[ReleaseKey]:
        paths = [self.owner_dir / _LEGACY]
        if self.directory.is_dir():
            paths += sorted(self.directory.glob("*.json"))
        found = []
        for path in paths:
            record = _read_record(path)
            if record is None:
                continue
            raw = record.get("not_before")
            try:
                not_before = BEGINNING if raw is None else _utc(datetime.fromisoformat(raw))
            except (TypeError, ValueError):
                raise ConfigurationError(
                    f"{path}: not_before: verwacht een ISO 8601-tijdstip met tijdzone"
                ) from None
            public = {k: v for k, v in record.items() if k not in _PRIVATE_MEMBERS}
            found.append(ReleaseKey(record["kid"], not_before, public, path))
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
                f"{self.directory}: geen vrijgavesleutel die nu geldt; "
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

    def private_records(self) -> dict[str, JsonObject]:
        """Every release key's full record by kid (for opening envelopes at release)."""
        records = {}
        for key in self.keys():
            record = _read_record(key.path)
            if record is not None:
                records[record["kid"]] = record
        return records

    # -- changing ----------------------------------------------------------------------------

    def rotate(
        self, now: datetime, pair: tuple[JsonObject, JsonObject] | None = None
    ) -> ReleaseKey:
        """A new key pair (``pair``, or a fresh one), current from ``now``."""
        private, public = pair or sealing.new_key_pair()
        not_before = _utc(now)
        path = self.directory / f"{public['kid']}.json"
        public = {**public, "not_before": not_before.isoformat()}
        write_private(path, {**private, **public})
        return ReleaseKey(public["kid"], not_before, public, path)

    def shred(self, kid: str) -> None:
        """Delete the key pair: every envelope sealed to it, wherever it is, stays closed."""
        for key in self.keys():
            if key.kid == kid:
                key.path.unlink(missing_ok=True)
                _fsync_dir(key.path.parent)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC)


def _names(directory: Path) -> tuple[str, ...]:
    try:
        return tuple(sorted(os.listdir(directory)))
    except FileNotFoundError:
        return ()


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return -1


def _read_record(path: Path) -> JsonObject | None:
    try:
        record = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except ValueError:
        # Name the file, never its content.
        raise ConfigurationError(f"{path}: geen geldige sleutel (JSON)") from None
    if not isinstance(record, dict) or not isinstance(record.get("kid"), str):
        raise ConfigurationError(f"{path}: geen HPKE-sleutel")
    return record


def write_private(path: Path, document: JsonObject) -> None:
    """Create a private key file: mode 0600 in a 0700 directory, never over an existing file,
    durable before this returns."""
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
