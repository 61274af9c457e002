"""Configuration files: every loader refuses bad input with a ConfigurationError that
names the file and the place; the shipped demo files load and hold what the covenant names."""

from __future__ import annotations

import copy
import json
import re
import stat
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from gateway import crypto
from gateway.errors import ConfigurationError
from gateway.parties.covenant import COVENANT_FILE, Covenant, load_covenant
from gateway.parties.keys import load_keyring, load_signing_key, write_dev_keys
from gateway.signals.reference import (
    CATALOGUE_FILE,
    load_catalogue,
    municipalities,
    validate_municipality,
)
from gateway.vocabulary import Barrier, PartyType, Role

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
# Written out here rather than imported, so that shrinking the gateway's list fails a test.
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "oth", "mlkem_seed", "x25519_private"}
DOMAIN_INDICATORS = [
    "IDENT-MEERDERE-INSCHRIJVINGEN",
    "IDENT-BEGELEIDER",
    "IDENT-DOCUMENTEN-INGEHOUDEN",
    "HUIS-OVERBEWONING",
    "HUIS-ONDERVERHUUR",
    "HUIS-WOONT-OP-WERKPLEK",
    "ARB-ONDERBETALING",
    "ARB-SCHULD-AAN-WERKGEVER",
    "ARB-ILLEGALE-TEWERKSTELLING",
    "SEKS-MINDERJARIG",
    "SEKS-ONVERGUNDE-EXPLOITATIE",
    "SEKS-ADVERTENTIE-FREQUENT",
    "SEKS-AFDRACHT-VERDIENSTEN",
    "WERV-LOVERBOY",
    "FIN-GEEN-BESCHIKKING-LOON",
    "ENTREE-BEGELEIDE-INREIS",
]


def _raises(call: Any, *where: str) -> str:
    """Call, expect a ConfigurationError, check it names every ``where``; return the message."""
    with pytest.raises(ConfigurationError) as caught:
        call()
    message = str(caught.value)
    assert message == caught.value.detail
    for fragment in where:
        assert fragment in message, (fragment, message)
    return message


# --------------------------------------------------------------------------------------------
# covenant


def _real_covenant_data() -> dict[str, Any]:
    """The demo covenant under its data path (``{"covenant": ...}``), as the cases below edit it."""
    return {"covenant": json.loads((POLICIES / COVENANT_FILE).read_text("utf-8"))}


def _policies_with(tmp_path: Path, data: dict[str, Any] | str | bytes) -> Path:
    path = tmp_path / "policies" / COVENANT_FILE
    path.parent.mkdir(parents=True)
    if isinstance(data, dict):
        # The file holds what OPA places at data.covenant: the cases build it under that key.
        data = data.get("covenant", data)
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    elif isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return tmp_path / "policies"


def _covenant_file(policies: Path) -> str:
    return str(policies / COVENANT_FILE)


def test_real_covenant_loads_with_every_kind_of_partner() -> None:
    covenant = load_covenant(POLICIES)
    parties = covenant.parties
    assert len(parties) >= 10
    types = {p.type for p in parties.values()}
    assert {
        PartyType.RIEC,
        PartyType.GEMEENTE,
        PartyType.POLITIE,
        PartyType.OM,
        PartyType.ARBEIDSINSPECTIE,
        PartyType.ZORG,
        PartyType.WONINGCORPORATIE,
        PartyType.BELASTINGDIENST,
    } <= types
    municipal = [p for p in parties.values() if p.type == PartyType.GEMEENTE]
    assert len([p for p in municipal if p.signatory]) == 3
    assert any(not p.signatory for p in parties.values())
    for party_id, party in parties.items():
        assert party.id == party_id
        assert party.roles and all(isinstance(r, Role) for r in party.roles)
        if party.type == PartyType.GEMEENTE:
            assert party.municipality is not None
            assert validate_municipality(party.municipality) == party.municipality
    assert covenant.party("gemeente-rotterdam").municipality == "GM0599"
    assert covenant.party("nobody") is None
    assert covenant.gateway_id not in parties


def test_covenant_file_missing(tmp_path: Path) -> None:
    _raises(lambda: load_covenant(tmp_path), str(tmp_path / COVENANT_FILE), "ontbreekt")


def test_covenant_invalid_json_names_the_line(tmp_path: Path) -> None:
    policies = _policies_with(tmp_path, '{\n  "covenant": {\n    "id": "rr-demo",,\n  }\n}\n')
    _raises(lambda: load_covenant(policies), _covenant_file(policies), "JSON", "line 3")


def test_covenant_not_utf8(tmp_path: Path) -> None:
    policies = _policies_with(tmp_path, b'{"covenant": "\xff"}')
    _raises(lambda: load_covenant(policies), _covenant_file(policies), "JSON")


def _with_party_change(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(_real_covenant_data())
    change(data["covenant"]["parties"])
    return data


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda p: p["riec-rr"].update(type="kinderopvang"), "covenant.parties.riec-rr.type"),
        (lambda p: p["riec-rr"].pop("roles"), "covenant.parties.riec-rr.roles"),
        (lambda p: p["riec-rr"].update(roles=[]), "covenant.parties.riec-rr.roles"),
        (lambda p: p["riec-rr"].update(roles=["beheerder"]), "covenant.parties.riec-rr.roles"),
        (lambda p: p["riec-rr"].pop("signatory"), "covenant.parties.riec-rr.signatory"),
        (lambda p: p["riec-rr"].update(extra="x"), "covenant.parties.riec-rr.extra"),
        (
            lambda p: p["gemeente-rotterdam"].update(municipality="GM9999"),
            "covenant.parties.gemeente-rotterdam.municipality",
        ),
        (
            lambda p: p["gemeente-rotterdam"].update(municipality="GM0501"),  # Brielle, merged 2023
            "covenant.parties.gemeente-rotterdam.municipality",
        ),
        (
            lambda p: p["gemeente-rotterdam"].update(municipality="0599"),
            "covenant.parties.gemeente-rotterdam.municipality",
        ),
        (lambda p: p.clear(), "covenant.parties"),
    ],
    ids=[
        "unknown-type",
        "missing-roles",
        "empty-roles",
        "unknown-role",
        "missing-signatory",
        "unknown-field",
        "municipality-GM9999",
        "municipality-merged",
        "municipality-no-prefix",
        "no-parties",
    ],
)
def test_covenant_bad_party_names_the_party_and_field(
    tmp_path: Path, change: Any, where: str
) -> None:
    policies = _policies_with(tmp_path, _with_party_change(change))
    _raises(lambda: load_covenant(policies), _covenant_file(policies), where)


@pytest.mark.parametrize(
    "party_id",
    [
        "Gemeente-Rotterdam",
        "gemeente_rotterdam",
        "../../etc",
        "x",
        "-gemeente",
        "a/b",
        "gemeente rotterdam",
        "g" * 65,
    ],
)
def test_covenant_bad_party_id(tmp_path: Path, party_id: str) -> None:
    policies = _policies_with(
        tmp_path, _with_party_change(lambda p: p.update({party_id: p.pop("politie-rotterdam")}))
    )
    message = _raises(
        lambda: load_covenant(policies), _covenant_file(policies), f"covenant.parties.{party_id}"
    )
    assert "partij-id" in message


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda c: c.pop("gateway_id"), "covenant.gateway_id"),
        (lambda c: c.update(id="RR Demo"), "covenant.id"),
        (lambda c: c.update(pseudonym_domain=""), "covenant.pseudonym_domain"),
    ],
    ids=["missing-gateway-id", "bad-id", "empty-domain"],
)
def test_covenant_bad_header_field(tmp_path: Path, change: Any, where: str) -> None:
    data = copy.deepcopy(_real_covenant_data())
    change(data["covenant"])
    policies = _policies_with(tmp_path, data)
    _raises(lambda: load_covenant(policies), _covenant_file(policies), where)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda c: c.update(source_restriction={}), "data.covenant.source_restriction"),
        (lambda c: c["retention"].update(unlinked_signal_days=0), "retention.unlinked_signal_days"),
        (lambda c: c.pop("cases"), "data.covenant.cases"),
        (lambda c: c["stats"].update(max_cells="10000"), "data.covenant.stats.max_cells"),
    ],
    ids=["unknown-top-level-key", "retention-0", "missing-section", "number-as-text"],
)
def test_covenant_is_checked_whole_not_only_its_parties(
    tmp_path: Path, change: Any, where: str
) -> None:
    """The gateway starts only on covenant data ``policy check`` accepts: the whole document."""
    data = copy.deepcopy(_real_covenant_data())
    change(data["covenant"])
    policies = _policies_with(tmp_path, data)
    _raises(lambda: load_covenant(policies), _covenant_file(policies), where)


@pytest.mark.parametrize(
    "text",
    ['{"id": "a", "id": "b"}', '{"small_cell_threshold": NaN}'],
    ids=["duplicate-key", "nan"],
)
def test_covenant_json_is_read_as_the_policy_loader_reads_it(tmp_path: Path, text: str) -> None:
    policies = _policies_with(tmp_path, text)
    _raises(lambda: load_covenant(policies), _covenant_file(policies), "geen geldige JSON")


def test_covenant_without_covenant_key(tmp_path: Path) -> None:
    policies = _policies_with(tmp_path, {"parties": {}})
    _raises(lambda: load_covenant(policies), _covenant_file(policies), "covenant")


# --------------------------------------------------------------------------------------------
# municipalities


def test_municipality_list() -> None:
    codes = municipalities()
    assert len(codes) == 342
    assert all(re.fullmatch(r"GM\d{4}", code) for code in codes)
    assert all(name.strip() for name in codes.values())
    assert codes["GM0599"] == "Rotterdam"
    assert validate_municipality("GM0599") == "GM0599"
    for refused in ["GM0501", "GM9999", "gm0599", "0599", "GM599", "", "GM0599 "]:
        with pytest.raises(ValueError):
            validate_municipality(refused)


# --------------------------------------------------------------------------------------------
# key ring


@pytest.fixture(scope="module")
def covenant() -> Covenant:
    return load_covenant(POLICIES)


def _ed25519() -> tuple[dict[str, Any], dict[str, Any]]:
    return crypto.new_ed25519_jwk()


def _es256(kid: str = "es-1") -> tuple[ec.EllipticCurvePrivateKey, dict[str, Any]]:
    private = ec.generate_private_key(ec.SECP256R1())
    public = jwt.algorithms.ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return private, {**public, "kid": kid, "alg": "ES256", "use": "sig"}


def _keys_dir(tmp_path: Path, files: dict[str, Any]) -> Path:
    keys = tmp_path / "keys"
    keys.mkdir()
    for party, document in files.items():
        path = keys / f"{party}.jwks.json"
        if isinstance(document, str):
            path.write_text(document, encoding="utf-8")
        else:
            path.write_text(json.dumps(document), encoding="utf-8")
    return keys


def _verifies(vk: Any, private_key: Any) -> bool:
    token = jwt.encode({"iss": vk.party_id}, private_key, algorithm=vk.alg, headers={"kid": vk.kid})
    try:
        jwt.decode(token, vk.key, algorithms=[vk.alg])
    except jwt.InvalidSignatureError:
        return False
    return True


def test_keyring_accepts_es256_and_rotated_ed25519_keys(tmp_path: Path, covenant: Covenant) -> None:
    es_private, es_public = _es256()
    old_private, old_public = _ed25519()
    new_private, new_public = _ed25519()
    assert old_public["kid"] != new_public["kid"]
    _, hpke_public = crypto.new_hpke_keypair()
    keys = _keys_dir(
        tmp_path,
        {
            "politie-rotterdam": {"keys": [es_public]},
            "gemeente-rotterdam": {"keys": [old_public, new_public, hpke_public]},
        },
    )
    ring = load_keyring(keys, covenant)
    assert ring.parties == {"politie-rotterdam", "gemeente-rotterdam"}

    es = ring.verification_key("politie-rotterdam", "es-1")
    assert es is not None and es.alg == "ES256" and es.party_id == "politie-rotterdam"
    assert _verifies(es, es_private)

    old = ring.verification_key("gemeente-rotterdam", old_public["kid"])
    new = ring.verification_key("gemeente-rotterdam", new_public["kid"])
    assert old is not None and new is not None and old.alg == new.alg == "EdDSA"
    old_key = jwt.PyJWK(old_private, algorithm="EdDSA").key
    new_key = jwt.PyJWK(new_private, algorithm="EdDSA").key
    assert _verifies(old, old_key) and _verifies(new, new_key)
    assert not _verifies(old, new_key) and not _verifies(new, old_key)

    # Keys are found per (party, kid) only: another party's kid never fits.
    assert ring.verification_key("politie-rotterdam", old_public["kid"]) is None
    assert ring.verification_key("gemeente-rotterdam", "es-1") is None
    assert ring.encryption_keys("gemeente-rotterdam") == [hpke_public]
    assert ring.encryption_keys("politie-rotterdam") == []


def test_keyring_skips_the_gateways_own_file(tmp_path: Path, covenant: Covenant) -> None:
    _, public = _ed25519()
    keys = _keys_dir(tmp_path, {covenant.gateway_id: {"keys": [public]}})
    assert load_keyring(keys, covenant).parties == set()


def test_keyring_missing_directory(tmp_path: Path, covenant: Covenant) -> None:
    _raises(lambda: load_keyring(tmp_path / "nope", covenant), str(tmp_path / "nope"))


def _one_key_file(tmp_path: Path, document: Any) -> Path:
    return _keys_dir(tmp_path, {"om-rotterdam": document})


def _with(jwk: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**jwk, **changes}


@pytest.mark.parametrize(
    ("make", "where"),
    [
        (lambda: {"keys": [_ed25519()[0]]}, "keys[0]"),  # the private JWK, with "d"
        (lambda: {"keys": [_ed25519()[1], _with(_es256()[1], d="AAAA")]}, "keys[1]"),
        (lambda: {"keys": [crypto.new_hpke_keypair()[0]]}, "keys[0]"),  # private HPKE record
        (
            lambda: {"keys": [{"kty": "oct", "k": "c2VjcmV0", "alg": "HS256", "kid": "h"}]},
            "keys[0]",
        ),
        (lambda: {"keys": [_with(_ed25519()[1], alg="HS256")]}, "keys[0].alg"),
        (lambda: {"keys": [_with(_ed25519()[1], alg="none")]}, "keys[0].alg"),
        (lambda: {"keys": [_with(_ed25519()[1], alg="RS256")]}, "keys[0].alg"),
        (lambda: {"keys": [{k: v for k, v in _ed25519()[1].items() if k != "alg"}]}, "keys[0].alg"),
        (lambda: {"keys": [_with(_ed25519()[1], alg="ES256")]}, "keys[0]"),  # OKP key, EC alg
        (lambda: {"keys": [_with(_es256()[1], alg="EdDSA")]}, "keys[0]"),  # EC key, OKP alg
        (lambda: {"keys": [_with(_es256()[1], crv="P-384")]}, "keys[0]"),
        (lambda: {"keys": [_with(_ed25519()[1], x="AAAA")]}, "keys[0]"),  # unusable point
        (lambda: {"keys": [{k: v for k, v in _ed25519()[1].items() if k != "kid"}]}, "keys[0].kid"),
        (lambda: {"keys": [_with(_ed25519()[1], kid="")]}, "keys[0].kid"),
        (
            lambda: {"keys": [_with(_ed25519()[1], kid="k1"), _with(_es256()[1], kid="k1")]},
            "keys[1].kid",
        ),
        (lambda: {"keys": []}, "keys"),
        (lambda: {"keys": {}}, "keys"),
        (lambda: {}, "keys"),
        (lambda: [_ed25519()[1]], "keys"),
        (lambda: {"keys": ["not an object"]}, "keys[0]"),
    ],
    ids=[
        "private-d",
        "private-d-second",
        "private-hpke",
        "hs256-secret",
        "alg-hs256",
        "alg-none",
        "alg-rs256",
        "alg-missing",
        "okp-as-es256",
        "ec-as-eddsa",
        "wrong-curve",
        "bad-point",
        "kid-missing",
        "kid-empty",
        "duplicate-kid",
        "empty-keys",
        "keys-not-list",
        "no-keys",
        "not-a-jwks",
        "key-not-object",
    ],
)
def test_keyring_refuses(tmp_path: Path, covenant: Covenant, make: Any, where: str) -> None:
    keys = _one_key_file(tmp_path, make())
    _raises(lambda: load_keyring(keys, covenant), str(keys / "om-rotterdam.jwks.json"), where)


def test_keyring_refuses_a_file_for_a_non_party(tmp_path: Path, covenant: Covenant) -> None:
    keys = _keys_dir(
        tmp_path,
        {
            "om-rotterdam": {"keys": [_ed25519()[1]]},
            "gemeente-nergenshuizen": {"keys": [_ed25519()[1]]},
        },
    )
    _raises(
        lambda: load_keyring(keys, covenant),
        str(keys / "gemeente-nergenshuizen.jwks.json"),
        "gemeente-nergenshuizen",
    )


def test_keyring_invalid_json_names_the_line(tmp_path: Path, covenant: Covenant) -> None:
    keys = _one_key_file(tmp_path, '{\n  "keys": [\n    {"kty": "OKP",}\n  ]\n}\n')
    _raises(
        lambda: load_keyring(keys, covenant),
        str(keys / "om-rotterdam.jwks.json"),
        "JSON",
        "regel 3",
    )


def test_keyring_not_utf8(tmp_path: Path, covenant: Covenant) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "om-rotterdam.jwks.json").write_bytes(b'{"keys": ["\xff\xfe"]}')
    message = _raises(
        lambda: load_keyring(keys, covenant), str(keys / "om-rotterdam.jwks.json"), "JSON"
    )
    assert "0xff" not in message  # a key file's bytes are never echoed


def test_private_key_errors_never_echo_key_bytes(tmp_path: Path) -> None:
    private = tmp_path / "om-rotterdam" / "signing.jwk.json"
    private.parent.mkdir()
    private.write_bytes(b"\x9a\xbc secret material")
    message = _raises(lambda: load_signing_key(tmp_path, "om-rotterdam"), str(private))
    assert "0x9a" not in message and "secret" not in message
    _raises(
        lambda: load_signing_key(tmp_path, "politie-rotterdam"), "politie-rotterdam", "ontbreekt"
    )


# --------------------------------------------------------------------------------------------
# dev keys


def _snapshot(*roots: Path) -> dict[str, bytes]:
    """Key files by path; a release key file by its directory, since its name is its kid."""
    return {
        str(p.parent / "<kid>.json" if p.parent.name == "release" else p): p.read_bytes()
        for root in roots
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def test_write_dev_keys_writes_private_files_0600_and_public_jwks_only(
    tmp_path: Path, covenant: Covenant
) -> None:
    public, private = tmp_path / "public", tmp_path / "private"
    created = write_dev_keys(covenant=covenant, keys_dir=public, private_keys_dir=private)
    owners = [covenant.gateway_id, *covenant.parties]
    assert created == owners

    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    for owner in owners:
        owner_dir = private / owner
        assert stat.S_IMODE(owner_dir.stat().st_mode) & 0o077 == 0
        files = sorted(str(p.relative_to(owner_dir)) for p in owner_dir.rglob("*.json"))
        if owner == covenant.gateway_id:
            # The gateway's release keys rotate: one file per key, named by its kid.
            assert files[1:] == ["signing.jwk.json"] and files[0].startswith("release/")
        else:
            assert files == ["hpke.json", "signing.jwk.json"]
        for name in files:
            assert stat.S_IMODE((owner_dir / name).stat().st_mode) == 0o600, (owner, name)

        document = json.loads((public / f"{owner}.jwks.json").read_text("utf-8"))
        # The gateway publishes its release keys from its key store, where they rotate.
        assert len(document["keys"]) == (1 if owner == covenant.gateway_id else 2)
        for jwk in document["keys"]:
            assert not PRIVATE_MEMBERS & jwk.keys(), (owner, jwk.keys())
        signing = [k for k in document["keys"] if k.get("use") == "sig"]
        assert [(k["kty"], k["crv"], k["alg"]) for k in signing] == [("OKP", "Ed25519", "EdDSA")]
        enc = [k["use"] for k in document["keys"]].count("enc")
        assert enc == (0 if owner == covenant.gateway_id else 1)
    assert sorted(p.name for p in public.iterdir()) == sorted(f"{o}.jwks.json" for o in owners)

    # What was written loads, and every party's private key matches its published key.
    ring = load_keyring(public, covenant)
    assert ring.parties == set(covenant.parties)
    for party in covenant.parties:
        signing_key = load_signing_key(private, party)
        vk = ring.verification_key(party, signing_key.kid)
        assert vk is not None and vk.alg == signing_key.alg == "EdDSA"
        assert _verifies(vk, signing_key.key)
        assert "key=" not in repr(signing_key)  # the private key never shows in a repr
        assert ring.encryption_keys(party)


def test_write_dev_keys_never_overwrites_without_overwrite(
    tmp_path: Path, covenant: Covenant
) -> None:
    public, private = tmp_path / "public", tmp_path / "private"
    write_dev_keys(covenant=covenant, keys_dir=public, private_keys_dir=private)
    before = _snapshot(public, private)

    assert write_dev_keys(covenant=covenant, keys_dir=public, private_keys_dir=private) == []
    assert _snapshot(public, private) == before

    # A party whose public file is gone gets new keys; nobody else is touched.
    (public / "om-rotterdam.jwks.json").unlink()
    assert write_dev_keys(covenant=covenant, keys_dir=public, private_keys_dir=private) == [
        "om-rotterdam"
    ]
    after = _snapshot(public, private)
    changed = {path for path in before if before[path] != after.get(path)}
    assert changed and all("om-rotterdam" in path for path in changed)

    # overwrite=True replaces every key, and the files stay private.
    before = after
    assert write_dev_keys(
        covenant=covenant, keys_dir=public, private_keys_dir=private, overwrite=True
    ) == [covenant.gateway_id, *covenant.parties]
    after = _snapshot(public, private)
    assert after.keys() == before.keys()
    assert all(after[path] != before[path] for path in before)
    for path in private.rglob("*.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    load_keyring(public, covenant)


def test_write_dev_keys_tightens_an_existing_private_directory(
    tmp_path: Path, covenant: Covenant
) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o755)
    private.chmod(0o755)
    write_dev_keys(covenant=covenant, keys_dir=tmp_path / "public", private_keys_dir=private)
    assert stat.S_IMODE(private.stat().st_mode) == 0o700


# --------------------------------------------------------------------------------------------
# indicator catalogue


def _catalogue_dir(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "policies" / CATALOGUE_FILE
    path.parent.mkdir(parents=True)
    if isinstance(content, dict):  # the file holds what OPA places at data.catalogue
        content = json.dumps(content.get("catalogue", content))
    path.write_text(content, encoding="utf-8")
    return tmp_path / "policies"


def test_real_catalogue_has_every_domain_indicator() -> None:
    catalogue = load_catalogue(POLICIES)
    assert catalogue.version
    missing = [code for code in DOMAIN_INDICATORS if code not in catalogue]
    assert missing == []
    assert all(isinstance(b, Barrier) for b in catalogue.barriers.values())
    assert catalogue.barriers["ENTREE-BEGELEIDE-INREIS"] == Barrier.ENTREE
    assert catalogue.barriers["HUIS-OVERBEWONING"] == Barrier.HUISVESTING
    assert "ONBEKEND-INDICATOR" not in catalogue


def test_catalogue_missing(tmp_path: Path) -> None:
    _raises(lambda: load_catalogue(tmp_path), str(tmp_path / CATALOGUE_FILE), "ontbreekt")


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ('{"catalogue": {\n "version": "1",\n "indicators": {,}}}', "line 3"),
        ({"indicators": {}}, "catalogue"),
        ({"catalogue": {"indicators": {"A": {"barrier": "arbeid"}}}}, "version"),
        ({"catalogue": {"version": "1"}}, "indicators"),
        ({"catalogue": {"version": "1", "indicators": {}}}, "catalogue.indicators"),
        (
            {"catalogue": {"version": "", "indicators": {"A": {"barrier": "arbeid"}}}},
            "catalogue.version",
        ),
        ({"catalogue": {"version": "1", "indicators": ["A"]}}, "catalogue.indicators"),
        (
            {"catalogue": {"version": "1", "indicators": {"ARB-X": {"barrier": "werk"}}}},
            "catalogue.indicators.ARB-X.barrier",
        ),
        (
            {"catalogue": {"version": "1", "indicators": {"ARB-X": {"label": "x"}}}},
            "catalogue.indicators.ARB-X.barrier",
        ),
        (
            {"catalogue": {"version": "1", "indicators": {"ARB-X": "arbeid"}}},
            "catalogue.indicators.ARB-X.barrier",
        ),
    ],
    ids=[
        "invalid-json",
        "no-catalogue",
        "no-version",
        "no-indicators",
        "empty",
        "empty-version",
        "indicators-list",
        "bad-barrier",
        "missing-barrier",
        "entry-not-object",
    ],
)
def test_catalogue_refuses(tmp_path: Path, content: Any, where: str) -> None:
    policies = _catalogue_dir(tmp_path, content)
    _raises(lambda: load_catalogue(policies), str(policies / CATALOGUE_FILE), where)
