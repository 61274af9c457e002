"""A lexical outline of Rego modules: the package and the top-level rule heads with their lines.

OPA's Go engine has no parser call in the Python bindings, yet three tools need to know which rules
a module defines: ``policy test`` (which rules are ``test_`` rules), the coverage report (which
rule a line belongs to) and ``policy check`` (does each decision point define ``decision``). This
module answers that from the source text alone, conservatively: a statement starts only at column 1
(the layout ``opa fmt`` writes), outside every bracket, string, raw string and comment, so a line
inside a multi-line object, a comprehension or a back-quoted string is never taken for a rule.
OPA itself remains the judge of whether a module is valid; the outline is only asked about
modules that OPA has already parsed and compiled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_REF_SEGMENT = rf"(?:\.{_IDENT}|\[\s*\"[^\"]*\"\s*\])"
_HEAD = re.compile(rf"^(?P<default>default\s+)?(?P<name>{_IDENT}{_REF_SEGMENT}*)\s*(?P<next>.?)")
_PACKAGE = re.compile(rf"^package\s+(?P<path>{_IDENT}{_REF_SEGMENT}*)")
_QUOTED_SEGMENT = re.compile(r"\[\s*\"([^\"]*)\"\s*\]")
# Keywords that can open a line at column 1 without starting a rule.
_NOT_RULES = frozenset({"package", "import", "else"})


@dataclass(frozen=True, slots=True)
class RuleHead:
    """One top-level rule definition: ``name`` as written (``allow``, ``a.b`` for ref heads).

    ``line`` is the 1-based line of the head; ``end_line`` the last line of its body.
    """

    name: str
    line: int
    end_line: int
    is_function: bool
    is_default: bool


@dataclass(frozen=True, slots=True)
class ModuleOutline:
    """Package (normalised to dots, ``None`` if not found) and rule heads in source order."""

    package: str | None
    rules: tuple[RuleHead, ...]

    def rule_names(self) -> frozenset[str]:
        return frozenset(rule.name for rule in self.rules)


def normalise_ref(ref: str) -> str:
    """``gateway["release"]`` and ``gateway.release`` name the same path; return the dotted form."""
    return _QUOTED_SEGMENT.sub(lambda match: "." + match.group(1), ref.replace(" ", ""))


def outline(source: str) -> ModuleOutline:
    """Scan ``source`` and return its package and top-level rule heads (see the module doc)."""
    lines = source.splitlines()
    starts = _statement_starts(lines)
    package: str | None = None
    heads: list[tuple[int, str, bool, bool]] = []
    for index in starts:
        text = lines[index]
        word = re.match(_IDENT, text)
        if word is None or word.group(0) in _NOT_RULES:
            if word is not None and word.group(0) == "package" and package is None:
                found = _PACKAGE.match(text)
                package = normalise_ref(found.group("path")) if found else None
            continue
        head = _HEAD.match(text)
        if head is None:
            continue
        heads.append(
            (
                index,
                head.group("name").replace(" ", ""),
                head.group("next") == "(",
                head.group("default") is not None,
            )
        )
    rules: list[RuleHead] = []
    statement_lines = sorted(starts)
    for index, name, is_function, is_default in heads:
        following = [start for start in statement_lines if start > index]
        end = (following[0] if following else len(lines)) - 1
        while end > index and _is_blank_or_comment(lines[end]):
            end -= 1
        rules.append(RuleHead(name, index + 1, end + 1, is_function, is_default))
    return ModuleOutline(package, tuple(rules))


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _statement_starts(lines: list[str]) -> list[int]:
    """Indexes of lines that open a statement: column 1, depth 0, not in a string or comment."""
    starts: list[int] = []
    depth = 0
    in_raw = False
    for index, line in enumerate(lines):
        if depth == 0 and not in_raw and line[:1] and (line[0].isalpha() or line[0] == "_"):
            starts.append(index)
        depth, in_raw = _scan_line(line, depth, in_raw)
    return starts


def _scan_line(line: str, depth: int, in_raw: bool) -> tuple[int, bool]:
    """Advance bracket depth and raw-string state over one line (strings and comments skipped)."""
    position = 0
    length = len(line)
    while position < length:
        char = line[position]
        if in_raw:
            if char == "`":
                in_raw = False
        elif char == "`":
            in_raw = True
        elif char == "#":
            break
        elif char == '"':
            # A double-quoted string cannot span lines in Rego; skip to its closing quote.
            position += 1
            while position < length and line[position] != '"':
                position += 2 if line[position] == "\\" else 1
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        position += 1
    return depth, in_raw
