"""``gateway adapter push`` as a partner runs it: check mode, bad files refused whole, the
summary, resuming after an interruption, and retries on transient errors."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, Response
from sqlalchemy import func, select

from adapters import push
from adapters.registry import get
from gateway.parties.keys import load_signing_key
from gateway.storage.tables import SignalRow
from tests.support import REPO, env_without_gateway

FIXTURES = REPO / "adapters/fixtures"
PARTY = "arbeidsinspectie"


def gateway_cli(*args: str, keys_dir: Path | None = None, url: str | None = None):
    env = env_without_gateway() | {"PYTHONPATH": str(REPO), "COLUMNS": "200"}
    if url:
        env["GATEWAY_URL"] = url
    extra = ["--keys", str(keys_dir)] if keys_dir else []
    return subprocess.run(
        [sys.executable, "-m", "gateway", "adapter", "push", *args, *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def stored(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(SignalRow.__table__)
        ).scalar_one()


def broken_copy(tmp_path: Path) -> Path:
    lines = (FIXTURES / "arbeidsinspectie.csv").read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].replace(b"999815908", b"999815907")  # fails the 11-check
    lines[3] = lines[3].replace(b"2026-", b"2026/", 1)  # unparseable date
    lines[4] = lines[4][:40] + b"\xff\xfe" + lines[4][40:]  # not UTF-8
    path = tmp_path / "nla.csv"
    path.write_bytes(b"".join(lines))
    return path


def test_check_reports_every_bad_line_and_sends_nothing(tmp_path, server, keys):
    url, rt = server
    result = gateway_cli(
        "--party",
        PARTY,
        "--format",
        "arbeidsinspectie-csv",
        str(broken_copy(tmp_path)),
        keys_dir=keys[1],
        url=url,
    )
    assert result.returncode == 1
    fails = [line for line in result.stderr.splitlines() if line.startswith("FAIL: nla.csv")]
    assert [f.split(",")[0] for f in fails] == [
        "FAIL: nla.csv: regel 3",
        "FAIL: nla.csv: regel 4",
        "FAIL: nla.csv: regel 5",
    ]
    assert "werknemer_bsn" in fails[0] or "bsn" in fails[0]
    assert "999815907" not in result.stderr
    assert "er is niets verstuurd" in result.stderr
    assert stored(rt.engine) == 0


def test_check_mode_validates_a_good_file_without_sending(server, keys):
    url, rt = server
    result = gateway_cli(
        "--party",
        PARTY,
        "--format",
        "arbeidsinspectie-csv",
        "--check",
        str(FIXTURES / "arbeidsinspectie.csv"),
        keys_dir=keys[1],
        url=url,
    )
    assert result.returncode == 0, result.stderr
    assert "OK: 6 records zonder fouten" in result.stderr
    assert stored(rt.engine) == 0


def test_push_prints_a_summary_and_a_second_push_only_finds_duplicates(tmp_path, server, keys):
    url, rt = server
    export = tmp_path / "nla.csv"
    export.write_bytes((FIXTURES / "arbeidsinspectie.csv").read_bytes())
    first = gateway_cli(
        "--party", PARTY, "--format", "arbeidsinspectie-csv", str(export), keys_dir=keys[1], url=url
    )
    assert first.returncode == 0, first.stderr
    assert "OK: export verwerkt" in first.stderr and stored(rt.engine) == 6
    (tmp_path / "nla.csv.push-state.json").unlink()  # a new run, not a resume
    second = gateway_cli(
        "--party", PARTY, "--format", "arbeidsinspectie-csv", str(export), keys_dir=keys[1], url=url
    )
    assert second.returncode == 0
    summary = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in second.stderr.splitlines()
        if line.count("│") == 3
    }
    assert summary["opgeslagen"] == "0" and summary["al ontvangen"] == "6"
    assert stored(rt.engine) == 6


def test_unknown_format_and_missing_key_fail_early(tmp_path, server, keys):
    url, _ = server
    export = FIXTURES / "arbeidsinspectie.csv"
    unknown = gateway_cli(
        "--party", PARTY, "--format", "excel", str(export), keys_dir=keys[1], url=url
    )
    assert unknown.returncode == 2 and "arbeidsinspectie-csv" in unknown.stderr
    no_key = gateway_cli(
        "--party",
        PARTY,
        "--format",
        "arbeidsinspectie-csv",
        str(export),
        keys_dir=tmp_path,
        url=url,
    )
    assert no_key.returncode == 2 and "privésleutel ontbreekt" in no_key.stderr


class Interrupted(Exception):
    pass


class DiesAfter(push.GatewayClient):
    """A client whose connection drops after ``n`` acknowledged batches."""

    def __init__(self, n: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.left = n

    def submit(self, signals):
        if self.left == 0:
            raise Interrupted
        self.left -= 1
        return super().submit(signals)


def test_an_interrupted_push_resumes_where_it_stopped(tmp_path, server, keys):
    url, rt = server
    export = tmp_path / "politie.json"
    export.write_bytes((FIXTURES / "politie.json").read_bytes())
    state = tmp_path / "state.json"
    adapter = get("politie-json")
    key = load_signing_key(keys[1], "politie-rotterdam")
    dying = DiesAfter(2, base_url=url, key=key)
    with pytest.raises(Interrupted):
        push.push(
            client=dying,
            adapter=adapter,
            path=export,
            party="politie-rotterdam",
            batch_size=2,
            state_path=state,
        )
    assert stored(rt.engine) == 4
    resumed = push.push(
        client=push.GatewayClient(base_url=url, key=key),
        adapter=adapter,
        path=export,
        party="politie-rotterdam",
        batch_size=2,
        state_path=state,
    )
    assert resumed.skipped_batches == 2
    assert resumed.stored == 1 and resumed.duplicates == 0
    assert stored(rt.engine) == 5
    export.write_bytes(export.read_bytes() + b"\n")  # another file: the state does not apply
    again = push.push(
        client=push.GatewayClient(base_url=url, key=key),
        adapter=adapter,
        path=export,
        party="politie-rotterdam",
        batch_size=2,
        state_path=state,
    )
    assert again.skipped_batches == 0 and again.duplicates == 5


@pytest.fixture
def flaky_gateway(server) -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server in front of nothing: answers 503 twice, then accepts. It stands in for a
    gateway behind a load balancer that is restarting."""
    url, rt = server
    app = FastAPI()
    seen: list[str] = []
    info = {
        "gateway_id": rt.covenant.gateway_id,
        "release_key": rt.release_key(),
        "pseudonym_domains": ["rr-demo"],
        "limits": {"max_oprf_batch": 10_000},
    }

    @app.get("/v1/gateway")
    def gateway() -> dict:
        return info

    @app.post("/v1/signals")
    def signals() -> Response:
        seen.append("signals")
        if len(seen) <= 2:
            return Response(status_code=503, headers={"Retry-After": "0"})
        return Response(
            '{"stored": 1, "duplicates": 0, "receipts": []}', media_type="application/json"
        )

    server_ = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off")
    )
    thread = threading.Thread(target=server_.run, daemon=True)
    thread.start()
    while not server_.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{server_.servers[0].sockets[0].getsockname()[1]}", seen
    server_.should_exit = True
    thread.join(5)


def test_transient_errors_are_retried_with_backoff(flaky_gateway, keys):
    url, seen = flaky_gateway
    sleeps: list[float] = []
    client = push.GatewayClient(
        base_url=url, key=load_signing_key(keys[1], PARTY), sleep=sleeps.append
    )
    assert client.submit([{"ref": "x"}])["stored"] == 1
    assert seen == ["signals"] * 3
    assert sleeps == [0.5, 1.0] and client.retries == 2


def test_refusals_are_not_retried(server, keys):
    url, _ = server
    client = push.GatewayClient(
        base_url=url, key=load_signing_key(keys[1], PARTY), sleep=lambda s: None
    )
    with pytest.raises(push.PushRefused) as refused:
        client.submit([{"ref": "missing-fields"}])
    assert refused.value.status == 422 and client.retries == 0
