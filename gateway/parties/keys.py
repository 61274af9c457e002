"""Public keys of the covenant parties (JWKS files) and the dev key store that ``init`` fills.

``keys/<party>.jwks.json`` holds a party's public keys: ``use: sig`` keys verify its signed calls
(algorithm pinned per key: EdDSA or ES256), a ``use: enc`` record is its HPKE key for release
packages. Rotation is adding a key with a new ``kid``; removing one revokes it. Private keys are
never read from this folder: a JWKS with a private member is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import jwt

from gateway import crypto
from gateway.errors import ConfigurationError
from gateway.jsontypes import Json, JsonObject
from gateway.parties.covenant import Covenant
from gateway.parties.release_keys import ReleaseKeys, write_private

if TYPE_CHECKING:
    from jwt.algorithms import AllowedPrivateKeys, AllowedPublicKeys

_SIGNING_ALGS = {"EdDSA": ("OKP", "Ed25519"), "ES256": ("EC", "P-256")}
_PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "mlkem_seed", "x25519_private"}


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A party's public signing key; ``alg`` is pinned, the token header must agree."""

    party_id: str
    kid: str
    alg: str
    key: AllowedPublicKeys  # the cryptography public key object PyJWT verifies with


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private signing key, as an adapter or test client holds it. Never in the server."""

    party_id: str
    kid: str
    alg: str
    key: AllowedPrivateKeys

    def __repr__(self) -> str:
        return f"SigningKey(party_id={self.party_id!r}, kid={self.kid!r}, alg={self.alg!r})"


class KeyRing:
    """All parties' public keys, looked up by (party, kid): a key of another party never fits."""

    def __init__(
        self,
        verification: dict[tuple[str, str], VerificationKey],
        encryption: dict[str, list[JsonObject]],
    ) -> None:
        self._verification = verification
        self._encryption = encryption

    def verification_key(self, party_id: str, kid: str) -> VerificationKey | None:
        return self._verification.get((party_id, kid))

    def encryption_keys(self, party_id: str) -> list[JsonObject]:
        return list(self._encryption.get(party_id, []))

    @property
    def parties(self) -> set[str]:
        return {party for party, _ in self._verification}


def _parse_signing_jwk(
    path: Path, index: int, jwk: JsonObject, party_id: str
) -> VerificationKey:
    where = f"{path}: keys[{index}]"
    alg = jwk.get("alg")
    kid = jwk.get("kid")
    if alg not in _SIGNING_ALGS:
        raise ConfigurationError(f"{where}.alg: verwacht EdDSA of ES256")
    if not isinstance(kid, str) or not kid:
        raise ConfigurationError(f"{where}.kid: ontbreekt")
    if (jwk.get("kty"), jwk.get("crv")) != _SIGNING_ALGS[alg]:
        raise ConfigurationError(f"{where}: kty/crv passen niet bij alg {alg}")
    try:
        key = jwt.PyJWK(jwk, algorithm=alg).key
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
        raise ConfigurationError(f"{where}: sleutel is onbruikbaar") from None
    return VerificationKey(party_id=party_id, kid=kid, alg=alg, key=key)


def _read_json(path: Path) -> Json:
    # Name the place but never echo file content: this also reads private keys.
    try:
        return json.loads(path.read_bytes())
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"{path}: geen geldige JSON op regel {exc.lineno}, kolom {exc.colno} ({exc.msg})"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigurationError(
            f"{path}: geen geldige JSON (geen UTF-8 bij byte {exc.start})"
        ) from None


def load_keyring(keys_dir: Path, covenant: Covenant) -> KeyRing:
    """Load every ``<party>.jwks.json``; a file for a non-party or with private parts is refused."""
    verification: dict[tuple[str, str], VerificationKey] = {}
    encryption: dict[str, list[JsonObject]] = {}
    if not keys_dir.is_dir():
        raise ConfigurationError(f"{keys_dir}: sleutelmap ontbreekt (draai eerst `gateway init`)")
    for path in sorted(keys_dir.glob("*.jwks.json")):
        party_id = path.name.removesuffix(".jwks.json")
        if party_id == covenant.gateway_id:
            continue  # the gateway's own published keys, not a caller's
        if covenant.party(party_id) is None:
            raise ConfigurationError(f"{path}: '{party_id}' is geen partij van het convenant")
        data = _read_json(path)
        keys = data.get("keys") if isinstance(data, dict) else None
        if not isinstance(keys, list) or not keys:
            raise ConfigurationError(f"{path}: verwacht een JWKS met een niet-lege 'keys'-lijst")
        for index, jwk in enumerate(keys):
            if not isinstance(jwk, dict):
                raise ConfigurationError(f"{path}: keys[{index}]: verwacht een object")
            if _PRIVATE_MEMBERS & jwk.keys():
                raise ConfigurationError(f"{path}: keys[{index}]: bevat een privésleutel")
            if jwk.get("use") == "enc":
                encryption.setdefault(party_id, []).append(jwk)
                continue
            key = _parse_signing_jwk(path, index, jwk, party_id)
            if (party_id, key.kid) in verification:
                raise ConfigurationError(f"{path}: keys[{index}].kid: komt twee keer voor")
            verification[(party_id, key.kid)] = key
    return KeyRing(verification, encryption)


def write_dev_keys(
    *, covenant: Covenant, keys_dir: Path, private_keys_dir: Path, overwrite: bool = False
) -> list[str]:
    """Generate an Ed25519 signing key and an HPKE key pair for every party and the gateway.

    Returns the ids that got new keys; ids whose keys exist are left alone unless ``overwrite``.
    """
    created: list[str] = []
    keys_dir.mkdir(parents=True, exist_ok=True)
    private_keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_keys_dir.chmod(0o700)
    for owner in [covenant.gateway_id, *covenant.parties]:
        public_path = keys_dir / f"{owner}.jwks.json"
        private_dir = private_keys_dir / owner
        if public_path.exists() and not overwrite:
            continue
        stale = [private_dir / "signing.jwk.json", private_dir / "hpke.json"]
        stale += (private_dir / "release").glob("*.json")
        for path in stale:
            path.unlink(missing_ok=True)
        signing_private, signing_public = crypto.new_ed25519_jwk()
        write_private(private_dir / "signing.jwk.json", signing_private)
        if owner == covenant.gateway_id:
            # The gateway's release keys rotate per period and live, public halves included, in
            # its key store (gateway/parties/release_keys.py): the first one.
            public_path.write_text(
                json.dumps({"keys": [signing_public]}, indent=2) + "\n", encoding="utf-8"
            )
            ReleaseKeys(private_keys_dir, owner).rotate(datetime.now(UTC))
        else:
            hpke_private, hpke_public = crypto.new_hpke_keypair()
            write_private(private_dir / "hpke.json", hpke_private)
            public_path.write_text(
                json.dumps({"keys": [signing_public, hpke_public]}, indent=2) + "\n",
                encoding="utf-8",
            )
        created.append(owner)
    return created


def load_signing_key(private_keys_dir: Path, party_id: str) -> SigningKey:
    """Read a party's private signing JWK as ``init`` wrote it."""
    path = private_keys_dir / party_id / "signing.jwk.json"
    try:
        jwk = _read_json(path)
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: privésleutel ontbreekt") from None
    try:
        key = jwt.PyJWK(jwk, algorithm=jwk["alg"]).key
    except (KeyError, jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
        raise ConfigurationError(f"{path}: privésleutel is onbruikbaar") from None
    return SigningKey(party_id=party_id, kid=jwk["kid"], alg=jwk["alg"], key=key)


def load_hpke_private(private_keys_dir: Path, owner: str) -> dict[str, JsonObject]:
    """A party's private HPKE key records by kid, as ``init`` wrote them (``hpke.json``); the
    gateway's own release keys are in :class:`~gateway.parties.release_keys.ReleaseKeys`."""
    path = private_keys_dir / owner / "hpke.json"
    try:
        record = _read_json(path)
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: privésleutel voor ontsleutelen ontbreekt") from None
    if not isinstance(record, dict) or not isinstance(record.get("kid"), str):
        raise ConfigurationError(f"{path}: geen HPKE-sleutel")
    return {record["kid"]: record}
