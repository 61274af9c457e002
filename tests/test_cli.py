"""The ``gateway`` command as a newcomer runs it: init, serve (a real process on loopback), and
audit verify, on the embedded defaults (SQLite under var/, dev keys generated)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support import REPO, Caller, batch, env_without_gateway, placeholder_envelope, signal

GATEWAY = [sys.executable, "-m", "gateway"]


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GATEWAY, *args], cwd=cwd, env=env or _env(), capture_output=True, text=True, timeout=120
    )


def _env(**extra: str) -> dict[str, str]:
    env = env_without_gateway()
    env["GATEWAY_POLICIES_DIR"] = str(REPO / "policies")
    env["PYTHONPATH"] = str(REPO)
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    result = run(tmp_path, "init")
    assert result.returncode == 0, result.stderr
    return tmp_path


def test_init_creates_keys_for_every_party_and_the_database(workdir: Path):
    covenant = json.loads((REPO / "policies/covenant/data.json").read_text())
    expected = {covenant["gateway_id"], *covenant["parties"]}
    public = {p.name.removesuffix(".jwks.json") for p in (workdir / "keys/dev").glob("*.jwks.json")}
    assert public == expected
    for owner in expected:
        private = workdir / "var/dev-keys" / owner
        # Parties have one HPKE key; the gateway's release keys rotate, one file per key.
        hpke = (
            ["hpke.json"]
            if owner != covenant["gateway_id"]
            else sorted(str(p.relative_to(private)) for p in (private / "release").glob("*.json"))
        )
        assert len(hpke) == 1
        for name in ("signing.jwk.json", *hpke):
            path = private / name
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        jwks = json.loads((workdir / "keys/dev" / f"{owner}.jwks.json").read_text())
        # The gateway's release keys (enc) rotate in its key store, not in the published JWKS.
        uses = {"sig"} if owner == covenant["gateway_id"] else {"sig", "enc"}
        assert {k["use"] for k in jwks["keys"]} == uses
        assert not any("d" in k or "mlkem_seed" in k for k in jwks["keys"])
    assert stat.S_IMODE((workdir / "var/dev-keys").stat().st_mode) == 0o700
    with sqlite3.connect(workdir / "var/gateway.db") as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"signals", "signal_subjects", "jwt_replay", "audit_log", "audit_head"} <= tables


def test_init_again_keeps_existing_keys(workdir: Path):
    before = (workdir / "keys/dev/riec-rr.jwks.json").read_text()
    result = run(workdir, "init")
    assert result.returncode == 0
    assert "nieuw" not in result.stderr and "bestaand" in result.stderr
    assert (workdir / "keys/dev/riec-rr.jwks.json").read_text() == before


def test_init_names_the_broken_file(tmp_path: Path):
    policies = tmp_path / "policies"
    (policies / "covenant").mkdir(parents=True)
    (policies / "covenant/data.json").write_text('{"covenant": {"id": "x"')
    result = run(tmp_path, "init", env=_env(GATEWAY_POLICIES_DIR=str(policies)))
    assert result.returncode == 2
    assert "covenant/data.json" in result.stderr and "geen geldige JSON" in result.stderr


def test_bad_setting_is_refused_before_any_work(tmp_path: Path):
    result = run(tmp_path, "init", env=_env(GATEWAY_DATABASE_URL="mysql://x"))
    assert result.returncode == 2
    assert "database_url" in result.stderr
    assert not (tmp_path / "var").exists()


def test_serve_answers_signed_calls_and_the_audit_log_verifies(workdir: Path):
    port = free_port()
    server = subprocess.Popen(
        [*GATEWAY, "serve"],
        cwd=workdir,
        env=_env(GATEWAY_PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "server did not start"
            time.sleep(0.1)
        caller = Caller(url, "gateway.rr-demo", workdir / "var/dev-keys")
        # This gateway has its own keys: seal (a placeholder) to the release key it publishes.
        kid = httpx.get(url + "/v1/gateway").json()["release_key"]["kid"]
        document = signal("nla-1", sealed=placeholder_envelope(kid=kid))
        response = caller.call("arbeidsinspectie", "POST", "/v1/signals", batch(document))
        assert response.status_code == 200, response.text
        assert caller.call("arbeidsinspectie", "GET", "/v1/signals/nla-1/status").status_code == 200
    finally:
        server.terminate()
        _, logs = server.communicate(timeout=30)
    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    events = [line["event"] for line in lines]
    assert "gateway.starting" in events and "signals.ingested" in events
    starting = next(line for line in lines if line["event"] == "gateway.starting")
    assert starting["policy_engine"] == "embedded"
    assert starting["gogc"] == os.environ.get("GOGC", "100")
    # Started without the recommended GOGC (unless the test run itself has it): said, once.
    warned = [line for line in lines if line["event"] == "gateway.gogc_not_recommended"]
    assert len(warned) == (0 if os.environ.get("GOGC") == "400" else 1)
    assert any(e.get("route") == "/v1/signals/{ref}/status" for e in lines)
    assert "nla-1" not in logs  # raw paths are not logged, only route templates

    verified = run(workdir, "audit", "verify")
    assert verified.returncode == 0 and "OK: 1 auditregels" in verified.stderr

    with sqlite3.connect(workdir / "var/gateway.db") as db:
        db.execute(
            "UPDATE audit_log SET body = replace(body, 'arbeidsinspectie', 'politie') WHERE seq = 1"
        )
    tampered = run(workdir, "audit", "verify")
    assert tampered.returncode == 1 and "FAIL: auditregel 1" in tampered.stderr


def test_module_and_console_script_agree():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "gateway"), "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0
    for command in ("init", "serve", "audit"):
        assert command in result.stdout


def test_audit_checkpoint_is_signed_and_verify_holds_the_log_to_it(workdir: Path):
    """An operator publishes ``gateway audit checkpoint``; later ``audit verify --checkpoint``
    says whether the log still has that history. Rewriting it, even with every hash recomputed
    (the chain, the Merkle nodes, the head), no longer matches the signed root."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    from gateway.audit import store
    from gateway.audit.chain import AuditEvent, canonical_json, chain_hash, leaf_hash
    from gateway.storage.database import create_db_engine

    engine = create_db_engine(f"sqlite:///{workdir / 'var/gateway.db'}")
    now = datetime(2026, 11, 23, tzinfo=UTC)
    for i in range(5):
        with engine.begin() as connection:
            store.append(connection, [AuditEvent(event="test.cli", object={"i": i})], now=now)
    published = run(workdir, "audit", "checkpoint")
    assert published.returncode == 0, published.stderr
    assert published.stdout.startswith("gateway.rr-demo/audit\n5\n")
    assert "\n\n— gateway.rr-demo/audit " in published.stdout
    saved = workdir / "checkpoint.txt"
    saved.write_text(published.stdout)

    with engine.begin() as connection:  # the log grows: the old checkpoint still holds
        store.append(connection, [AuditEvent(event="test.cli", object={"i": 5})], now=now)
    ok = run(workdir, "audit", "verify", "--checkpoint", str(saved))
    assert ok.returncode == 0, ok.stderr
    assert "OK: 6 auditregels" in ok.stderr and "checkpoint" in ok.stderr

    forged = workdir / "forged.txt"
    forged.write_text(published.stdout.replace("\n5\n", "\n4\n", 1))
    refused = run(workdir, "audit", "verify", "--checkpoint", str(forged))
    assert refused.returncode == 1 and "handtekening klopt niet" in refused.stderr

    # A forger rewrites entry 2 and recomputes everything the gateway stores.
    with engine.begin() as connection:
        rows = connection.execute(text("SELECT seq, body FROM audit_log ORDER BY seq")).all()
        previous, leaves = bytes(32), []
        for seq, body in rows:
            if seq == 2:
                document = json.loads(body)
                document["object"] = {"i": 99}
                body = canonical_json(document)
            leaf = leaf_hash(body)
            previous = chain_hash(previous, leaf)
            leaves.append(leaf)
            connection.execute(
                text("UPDATE audit_log SET body=:b, leaf_hash=:l, chain_hash=:c WHERE seq=:s"),
                {"b": body, "l": leaf, "c": previous, "s": seq},
            )
        connection.execute(text("UPDATE audit_head SET chain_hash=:c"), {"c": previous})
        connection.execute(text("DELETE FROM audit_nodes"))
        from gateway.audit import merkle

        for level, idx, h in merkle.completed_nodes(0, leaves, {}):
            connection.execute(
                text("INSERT INTO audit_nodes (key, hash) VALUES (:k, :h)"),
                {"k": merkle.node_key(level, idx), "h": h},
            )
    assert run(workdir, "audit", "verify").returncode == 0  # self-consistent again...
    rewritten = run(workdir, "audit", "verify", "--checkpoint", str(saved))
    assert rewritten.returncode == 1 and "geschiedenis herschreven" in rewritten.stderr


def test_keys_list_and_rotate_and_retention_reports_the_keys(workdir: Path) -> None:
    listed = run(workdir, "keys", "list")
    assert listed.returncode == 0, listed.stderr
    store = workdir / "var/dev-keys/gateway.rr-demo/release"
    (first,) = [p.stem for p in store.glob("*.json")]
    # The CLI's messages and tables go to standard error, as its other commands' do.
    assert first in listed.stderr and "huidig" in listed.stderr

    rotated = run(workdir, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    (second,) = [p.stem for p in store.glob("*.json") if p.stem != first]
    kids = [first, second]
    assert second in rotated.stderr
    listed = run(workdir, "keys", "list")
    assert "uitgediend" in listed.stderr and kids[1] in listed.stderr

    # Within the grace period the retired key is neither shredded nor reported as kept.
    report = run(workdir, "retention", "run", "--dry-run")
    assert report.returncode == 0, report.stderr
    assert "vrijgavesleutel" not in report.stderr
    verified = run(workdir, "audit", "verify")
    assert verified.returncode == 0, verified.stderr


def test_linkage_rebuild_reports_what_it_would_change(workdir: Path) -> None:
    dry = run(workdir, "linkage", "rebuild", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "OK: 0 clusters zouden veranderen" in dry.stderr
    done = run(workdir, "linkage", "rebuild")
    assert done.returncode == 0 and "OK: 0 clusters veranderd" in done.stderr
    verified = run(workdir, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
