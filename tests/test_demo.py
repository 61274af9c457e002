"""``gateway demo`` from nothing (issue 6, item 7), and what it leaves at rest: plain personal
data appears only inside the opened package it prints, never in the database or the logs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support import REPO, env_without_gateway


def test_the_demo_runs_the_whole_flow_and_leaves_no_personal_data_at_rest(tmp_path: Path):
    workdir = tmp_path / "demo"
    env = env_without_gateway() | {"PYTHONPATH": str(REPO), "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "demo", "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    out = result.stdout
    for step in (
        "1. Opzetten",
        "2b. Een bekende opvang registreren",
        "de geregistreerde opvang staat in",
        "3. Aanleveren",
        "4. Hits",
        "6. Vier ogen",
        "6b. Een embargo van het OM",
        "7. Verstrekken",
        "nieuw: verstrekking 2",
        "(embargo-gewijzigd)",
        "8. Een pakket openen",
        "keten in orde",
    ):
        assert step in out, step
    truth = json.loads((workdir / "regio" / "ground_truth.json").read_text("utf-8"))
    values = {str(v) for group in truth["identifiers"].values() for v in group}
    needles = sorted(v for v in values if len(v) >= 6)
    # The opened package shows real names: the demo did release something.
    assert any(n in out for n in needles)
    at_rest = {
        "database": b"".join(p.read_bytes() for p in workdir.glob("gateway.db*")).decode("latin-1"),
        "logs": (workdir / "gateway.log").read_text("utf-8"),
    }
    assert "case.released" in at_rest["logs"] or "signals.ingested" in at_rest["logs"]
    leaks = {where: [n for n in needles if n in text] for where, text in at_rest.items()}
    assert leaks == {"database": [], "logs": []}
