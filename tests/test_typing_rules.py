"""Typing rules mypy cannot check: every ``Any`` and every ``type: ignore`` says why, on its line.

``Any`` switches type checking off for what passes through it, and ``type: ignore`` silences one
error; either is allowed only with a reason a reader finds where it is used. JSON documents use
``gateway.jsontypes`` (whose ``Any`` carries its reason once) instead of a bare ``Any``.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gateway", "adapters")
# A code in brackets, then a second comment with the reason: ``# type: ignore[misc]  # why``.
_IGNORE_WITH_REASON = re.compile(r"type:\s*ignore\[[^\]]+\]\s*#\s*\S")


def violations(source: str) -> list[tuple[int, str]]:
    """(line, problem) for each ``Any`` outside an import, and each ``type: ignore``, that has no
    comment saying why. Names only: the word "Any" in a string or docstring does not count."""
    found: list[tuple[int, str]] = []
    any_lines: set[int] = set()
    commented: set[int] = set()
    statement: list[tokenize.TokenInfo] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            commented.add(token.start[0])
            if "type: ignore" in token.string and not _IGNORE_WITH_REASON.search(token.string):
                found.append((token.start[0], "type: ignore without [code] and a reason"))
            continue
        if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            is_import = bool(statement) and statement[0].string in ("import", "from")
            if not is_import:
                any_lines.update(t.start[0] for t in statement if t.string == "Any")
            statement = []
            continue
        if token.type == tokenize.NAME or token.type == tokenize.OP:
            statement.append(token)
    found.extend((line, "Any without a reason") for line in any_lines - commented)
    return sorted(found)


def test_every_any_and_type_ignore_has_a_reason() -> None:
    problems = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, problem in violations(path.read_text(encoding="utf-8")):
                problems.append(f"{path.relative_to(ROOT)}:{line}: {problem}")
    assert not problems, "\n".join(problems)


def test_the_rule_itself() -> None:
    source = (
        "from typing import Any\n"
        "def f(x: Any) -> None: ...\n"
        "def g(x: Any) -> None: ...  # Any: a reason\n"
        '"""Any word in a docstring."""\n'
        "y = 1  # type: ignore[misc]\n"
        "z = 1  # type: ignore[misc]  # a reason\n"
        "w = 1  # type: ignore\n"
    )
    assert violations(source) == [
        (2, "Any without a reason"),
        (5, "type: ignore without [code] and a reason"),
        (7, "type: ignore without [code] and a reason"),
    ]
