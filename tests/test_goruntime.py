"""GOGC reaches the embedded engine's Go runtime only through the environment at process start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gateway.policy.goruntime import GO_DEFAULT_GOGC, effective_gogc, restart_with_gogc

ROOT = Path(__file__).resolve().parents[1]

_PROGRAM = """
import os, sys
sys.path.insert(0, {root!r})
from gateway.policy.goruntime import restart_with_gogc
print("start", os.getpid(), os.environ.get("GOGC"), sys.argv[1:], flush=True)
restart_with_gogc("400")
print("running", os.getpid(), os.environ.get("GOGC"), sys.argv[1:], flush=True)
"""


def _run(tmp_path: Path, env: dict[str, str]) -> list[list[str]]:
    program = tmp_path / "program.py"
    program.write_text(_PROGRAM.format(root=str(ROOT)), "utf-8")
    result = subprocess.run(
        [sys.executable, str(program), "--flag", "x"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [line.split(" ", 3) for line in result.stdout.splitlines()]


def test_restart_re_executes_once_with_gogc_and_the_same_arguments(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GOGC"}
    lines = _run(tmp_path, env)
    assert [line[0] for line in lines] == ["start", "start", "running"]
    first, second, running = lines
    assert first[2] == "None" and second[2] == "400" and running[2] == "400"
    # execv keeps the process (same pid) and its arguments.
    assert first[1] == second[1] == running[1]
    assert first[3] == second[3] == running[3] == "['--flag', 'x']"


def test_restart_is_a_no_op_when_gogc_is_already_set(tmp_path: Path) -> None:
    lines = _run(tmp_path, {**os.environ, "GOGC": "400"})
    assert [line[0] for line in lines] == ["start", "running"]


def test_effective_gogc_is_gos_default_when_unset(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("GOGC", raising=False)
    assert effective_gogc() == GO_DEFAULT_GOGC == "100"
    monkeypatch.setenv("GOGC", "250")
    assert effective_gogc() == "250"
    restart_with_gogc("250")  # already set: returns instead of re-executing this test process
