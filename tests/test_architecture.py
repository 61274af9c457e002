"""The structure the code promises, checked where the import rules (``lint-imports``) cannot look:
routes never open a transaction themselves, and nothing cites a document outside the repository."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUTES = ROOT / "gateway" / "api" / "routes"


def _engine_uses(path: Path) -> list[str]:
    """Every ``<x>.engine`` or ``<x>.unit_of_work`` a module touches, as ``file:line``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in {"engine", "unit_of_work"}:
            found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_route_opens_a_transaction_or_a_connection() -> None:
    found = [use for path in sorted(ROUTES.glob("*.py")) for use in _engine_uses(path)]
    assert found == [], f"routes must call a service instead: {found}"


def test_the_check_sees_a_route_that_opens_a_transaction(tmp_path: Path) -> None:
    route = tmp_path / "bad.py"
    route.write_text("def f(rt):\n    with rt.engine.begin() as c:\n        pass\n")
    assert _engine_uses(route) == ["bad.py:2"]


_OUTSIDE = re.compile(r"DESIGN(\.md)? ?§|DOMAIN\.md|STYLE\.md|shared/(DESIGN|DOMAIN|STYLE)")


def test_nothing_cites_a_document_outside_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    found = [
        f"{name}:{number}"
        for name in tracked
        if name.endswith((".py", ".rego", ".md", ".toml", ".json", ".yml", ".yaml", ".html"))
        and name != "tests/test_architecture.py"
        for number, line in enumerate((ROOT / name).read_text("utf-8").splitlines(), 1)
        if _OUTSIDE.search(line)
    ]
    assert found == []


def test_the_import_rules_hold() -> None:
    """The layer contracts in pyproject.toml, also run by ``make test`` before the suite."""
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_every_module_the_architecture_page_names_exists() -> None:
    """docs/architecture.md names modules and files; a rename must take the page along."""
    text = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    modules = set(re.findall(r"`(gateway(?:\.[a-z_]+)+)`", text))
    paths = set(re.findall(r"`((?:gateway|adapters|policies|docs)/[A-Za-z0-9_./-]+)`", text))
    missing = [m for m in sorted(modules) if not _names_something(m)] + [
        p for p in sorted(paths) if not (ROOT / p).exists()
    ]
    assert modules and paths and missing == []


def _names_something(dotted: str) -> bool:
    """A module or package, or a name defined in one (``gateway.storage.database.outage``)."""
    if (ROOT / (dotted.replace(".", "/") + ".py")).exists():
        return True
    if (ROOT / dotted.replace(".", "/")).is_dir():
        return True
    module, _, name = dotted.rpartition(".")
    try:
        return bool(module) and hasattr(importlib.import_module(module), name)
    except ImportError:
        return False
