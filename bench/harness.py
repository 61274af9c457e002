"""Shared by the benchmarks: a real ``gateway serve`` process on loopback over a fresh database."""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Connection, insert

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from gateway import sealing  # noqa: E402
from gateway.auth.tokens import mint_call_token  # noqa: E402
from gateway.bootstrap import create_dev_keys  # noqa: E402
from gateway.parties.covenant import Covenant, load_covenant  # noqa: E402
from gateway.parties.keys import SigningKey  # noqa: E402
from gateway.policy.goruntime import (  # noqa: E402
    RECOMMENDED_GOGC,
    effective_gogc,
    restart_with_gogc,
)
from gateway.storage.database import create_db_engine, migrate  # noqa: E402
from gateway.storage.tables import SignalRow, SubjectRow  # noqa: E402


def add_gogc_option(parser: argparse.ArgumentParser) -> None:
    """``--gogc``: the Go runtime setting of the embedded engine to measure with."""
    parser.add_argument(
        "--gogc",
        default=RECOMMENDED_GOGC,
        help=f"GOGC of the embedded engine's Go runtime (default {RECOMMENDED_GOGC}, what make run "
        "and the image ship; 100 is Go's own default); the bench re-executes itself to apply it",
    )


def apply_gogc(args: argparse.Namespace) -> None:
    """Re-execute with the requested GOGC (Go reads it only at process start) and say which."""
    restart_with_gogc(args.gogc)
    print(f"GOGC:       {effective_gogc()}")


def percentile(values: list[float], q: float) -> float:
    """The value below which a fraction ``q`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def core_rows(
    docs: list[dict[str, Any]], party: str, now: datetime
) -> tuple[list[dict[str, Any]], list[list[tuple[str, str, bytes]]]]:
    """The baseline's rows for signal documents as an adapter sends them: ``signals`` rows and,
    per signal, its (kind, role, pseudonym) subjects; no validation, no policy, no linkage."""
    rows = [
        {
            "party": party,
            "ref": d["ref"],
            "version": d.get("version", 1),
            "is_current": True,
            "content_sha256": secrets.token_bytes(32),
            "observed_at": datetime.fromisoformat(d["observed_at"]),
            "received_at": now,
            "municipality": d["municipality"],
            "form": d["form"],
            "certainty": d["certainty"],
            "indicators": d["indicators"],
            "data_classes": d["data_classes"],
            "minor": d["flags"]["minor"],
            "consent": None,
            "embargo_until": None,
            "source_protected": False,
            "sealed": _b64u(d["sealed"]),
        }
        for d in docs
    ]
    subjects = [
        [(s["kind"], s["role"], _b64u(s["pseudonym"])) for s in d["subjects"]] for d in docs
    ]
    return rows, subjects


def core_insert(
    connection: Connection, rows: list[dict[str, Any]], subjects: list[list[tuple[str, str, bytes]]]
) -> None:
    """Insert ``core_rows`` with bare Core: signals with RETURNING, then their subjects."""
    signals, subject_table = SignalRow.__table__, SubjectRow.__table__
    ids = (
        connection.execute(
            insert(signals).returning(signals.c.id, sort_by_parameter_order=True), rows
        )
        .scalars()
        .all()
    )
    connection.execute(
        insert(subject_table),
        [
            {"signal_id": i, "kind": k, "role": r, "pseudonym": p}
            for i, sub in zip(ids, subjects, strict=True)
            for k, r, p in sub
        ],
    )


def _b64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# Stand-in clear values per subject kind (what an adapter seals next to the pseudonyms).
_CLEAR: dict[str, Any] = {
    "persoon": {
        "family_name": "Bench",
        "prefix": "",
        "given_names": "Persoon",
        "birth_date": "1990-01-01",
    },
    "adres": {"postcode": "3011AA", "number": "1", "addition": "", "bag_id": ""},
}


def seal_signals(
    docs: list[dict[str, Any]], party: str, release_key: dict[str, Any], *, detail_chars: int = 0
) -> list[dict[str, Any]]:
    """``docs`` with a real envelope each, as an adapter seals it: content whose subjects line up
    with the signal's (kind and role at each place), sealed to ``release_key`` for (``party``,
    ref, version). Ingest opens every envelope, so stand-in bytes no longer pass; context binds
    the ref, so envelopes cannot be pooled: call this at set-up, outside the timed part."""
    sealed = []
    for d in docs:
        content = {
            "v": 1,
            "subjects": [
                {"kind": s["kind"], "role": s["role"], "value": _CLEAR.get(s["kind"], "000000000")}
                for s in d["subjects"]
            ],
            "details": {"toelichting": "x" * detail_chars},
        }
        blob = sealing.seal(
            json.dumps(content, separators=(",", ":")).encode(),
            recipient=release_key,
            context=sealing.SealContext(party, d["ref"], int(d.get("version", 1))),
        )
        sealed.append({**d, "sealed": base64.urlsafe_b64encode(blob).rstrip(b"=").decode()})
    return sealed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dev_keys(workdir: Path) -> tuple[Covenant, Path, Path]:
    """Demo covenant keys under ``workdir``: (covenant, public dir, private dir)."""
    covenant = load_covenant(REPO / "policies")
    public, private = workdir / "keys", workdir / "private"
    if not public.exists():
        create_dev_keys(covenant=covenant, keys_dir=public, private_keys_dir=private)
    return covenant, public, private


@contextmanager
def gateway_server(
    workdir: Path, database_url: str, *, policies: Path | None = None, **settings: str
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run ``gateway serve`` with the dev keys of ``workdir``; yields the base URL and the
    process (for its peak memory). The database is migrated first (a no-op when it is)."""
    _, public, private = dev_keys(workdir)
    engine = create_db_engine(database_url)
    migrate(engine)
    engine.dispose()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(
        GATEWAY_DATABASE_URL=database_url,
        GATEWAY_KEYS_DIR=str(public),
        GATEWAY_PRIVATE_KEYS_DIR=str(private),
        GATEWAY_POLICIES_DIR=str(policies or REPO / "policies"),
        GATEWAY_PORT=str(port),
        GATEWAY_LOG_LEVEL="WARNING",
        PYTHONPATH=str(REPO),
    )
    env.update({f"GATEWAY_{k.upper()}": v for k, v in settings.items()})
    # The server's own log (warnings and errors) goes to a file in the work directory; when the
    # bench fails, its tail is shown (a 500 says only "de fout is gelogd").
    log_path = workdir / f"gateway-serve-{port}.log"
    log = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("gateway did not start")
            time.sleep(0.1)
        yield base, process
    except BaseException:
        log.flush()
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
        print(f"-- last lines of the gateway's log ({log_path.name}):", file=sys.stderr)
        print("\n".join(tail), file=sys.stderr)
        raise
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@contextmanager
def gateway_process(workdir: Path, database_url: str, **settings: str) -> Iterator[str]:
    """Run ``gateway serve`` with the dev keys of ``workdir``; yields the base URL."""
    with gateway_server(workdir, database_url, **settings) as (base, _):
        yield base


def signed_post(
    client: httpx.Client, *, key: SigningKey, audience: str, target: str, body: bytes
) -> httpx.Response:
    """POST ``body`` as a signed call (token minted right before sending, as an adapter does)."""
    token = mint_call_token(
        key=key,
        subject="bench",
        roles=["adapter"],
        audience=audience,
        method="POST",
        target=target,
        body=body,
        now=datetime.now(UTC),
    )
    return client.post(target, content=body, headers={"Authorization": f"Bearer {token}"})
