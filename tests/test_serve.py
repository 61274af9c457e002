"""``gateway serve`` as a real process: it logs where it listens, and a busy port is one readable
Dutch line naming host and port, with a non-zero exit code and no traceback."""

from __future__ import annotations

import json
import queue
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.test_cli import GATEWAY, _env, free_port, run


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("serve")
    result = run(directory, "init")
    assert result.returncode == 0, result.stderr
    return directory


def test_a_busy_port_is_one_readable_line(workdir: Path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        # COLUMNS narrow: the line must not be wrapped by the terminal width either.
        result = run(workdir, "serve", env=_env(GATEWAY_PORT=str(port), COLUMNS="60"))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("FAIL:")]
    assert f"poort {port} op 127.0.0.1 is al in gebruik" in line and "GATEWAY_PORT" in line
    assert "gateway.starting" not in result.stderr  # refused before any other work


def test_serve_logs_its_listening_address(workdir: Path):
    port = free_port()
    server = subprocess.Popen(
        [*GATEWAY, "serve"],
        cwd=workdir,
        env=_env(GATEWAY_PORT=str(port), GATEWAY_POLICY_RELOAD_S="0"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    # A reader thread, so that a line that never comes fails the test at the deadline instead of
    # blocking on readline.
    received: queue.Queue[str] = queue.Queue()
    assert server.stderr is not None
    threading.Thread(
        target=lambda: [received.put(text) for text in server.stderr], daemon=True
    ).start()
    lines: list[dict] = []
    try:
        deadline = time.monotonic() + 60
        # Both lines: the listening line comes when the socket is bound, uvicorn's own startup line
        # a moment later; terminating in between would lose the second.
        while not (
            any(line.get("event") == "gateway.listening" for line in lines)
            and any(line.get("message") == "Application startup complete." for line in lines)
        ):
            remaining = deadline - time.monotonic()
            assert remaining > 0 and server.poll() is None, f"no listening line: {lines}"
            try:
                text = received.get(timeout=min(remaining, 1))
            except queue.Empty:
                continue
            if text.startswith("{"):
                lines.append(json.loads(text))
        # Listening means it: a connection is accepted now.
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    finally:
        server.terminate()
        server.wait(timeout=30)
    time.sleep(0.5)  # the reader thread drains what the process wrote before it ended
    while not received.empty():
        text = received.get()
        if text.startswith("{"):
            lines.append(json.loads(text))
    listening = next(line for line in lines if line["event"] == "gateway.listening")
    assert listening["host"] == "127.0.0.1" and listening["port"] == port
    assert listening["url"] == f"http://127.0.0.1:{port}"
    # uvicorn's own lines come through, scrubbed rather than dropped.
    messages = [line.get("message") for line in lines if line["event"] == "stdlib.uvicorn.error"]
    assert "Application startup complete." in messages
    assert "Shutting down" in messages
