"""First-run set-up shared by ``gateway init``, the tests and the benchmarks."""

from __future__ import annotations

from pathlib import Path

from gateway.parties.covenant import Covenant
from gateway.parties.keys import write_dev_keys
from gateway.pseudonyms.keyholder import ensure_master_seed


def create_dev_keys(
    *, covenant: Covenant, keys_dir: Path, private_keys_dir: Path, overwrite: bool = False
) -> list[str]:
    """Signing and HPKE keys for every party and the gateway, plus the gateway's OPRF seed."""
    created = write_dev_keys(
        covenant=covenant, keys_dir=keys_dir, private_keys_dir=private_keys_dir, overwrite=overwrite
    )
    gateway_dir = private_keys_dir / covenant.gateway_id
    if covenant.gateway_id in created:
        (gateway_dir / "oprf-seed.json").unlink(missing_ok=True)
    ensure_master_seed(gateway_dir)
    return created
