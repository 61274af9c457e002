"""Documentation that is executed cannot rot: the README's commands and configuration table,
and the partner guide's example against a real server."""

from __future__ import annotations

import re
import subprocess
import sys

from pydantic import SecretStr

from gateway.settings import Settings
from tests.support import REPO


def test_readme_opens_with_the_two_commands():
    text = (REPO / "README.md").read_text()
    first_block = re.search(r"```sh\n(.*?)```", text, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make run", "make test"]
    ci = (REPO / ".ci/run").read_text()
    assert "make test" in ci  # CI calls the README's test command


def test_readme_configuration_table_matches_the_settings():
    rows = re.findall(
        r"^\| `(GATEWAY_[A-Z_]+)` \| `([^`]*)` \| (.+) \|$", (REPO / "README.md").read_text(), re.M
    )
    documented = {name: (default, meaning) for name, default, meaning in rows}
    expected = {}
    for field_name, field in Settings.model_fields.items():
        default = (
            field.default.get_secret_value()
            if isinstance(field.default, SecretStr)
            else field.default
        )
        shown = "unset" if default is None else str(default)
        expected[f"GATEWAY_{field_name.upper()}"] = (shown, field.description)
    assert documented == expected


def test_partner_guide_example_runs_against_a_real_server(caller, server, keys):
    url, _ = server
    code = re.search(
        r"```python\n(.*?)```", (REPO / "docs/partners-api.md").read_text(), re.S
    ).group(1)
    env = {"GATEWAY_URL": url, "GATEWAY_PRIVATE_KEYS_DIR": str(keys[1]), "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "brp-2026-000123"]
