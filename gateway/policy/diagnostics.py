"""OPA's error messages, split into one diagnostic per error and printed the way OPA prints them.

The Go engine reports problems as one string, e.g. ``1 error occurred: bad.rego:3:
rego_parse_error: unexpected } token`` followed by the offending source line and a caret, or
``bundle activation failed: 2 errors occurred:`` and one line per error. Privacy officers should
see exactly those lines (OPA's readable errors), one per problem, with file and line;
the OPA REST API reports the same errors as objects with a location. Both shapes come from here so
that the embedded engine, ``policy check`` and the OPA-compatible test server agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ERROR_LINE = re.compile(
    r"^(?P<file>[^\s:][^:\n]*):(?P<row>\d+): (?P<code>(?:rego|eval)_[a-z_]+): (?P<message>.*)$"
)
_PREFIXES = (
    re.compile(r"^(?:parse_error|prepare_error|eval_error|compile_error):\s*"),
    re.compile(r"^bundle activation failed:\s*"),
    re.compile(r"^\d+ errors? occurred:\s*"),
)


@dataclass(frozen=True, slots=True)
class OpaDiagnostic:
    """One OPA error: where (file, 1-based row and column) and what (OPA's code and message)."""

    file: str
    row: int
    col: int
    code: str
    message: str
    # The source line and caret OPA prints under parse errors, tab-indented as OPA prints them.
    details: tuple[str, ...] = ()

    def __str__(self) -> str:
        head = (
            f"{self.file}:{self.row}: {self.code}: {self.message}"
            if self.file
            else (f"{self.code}: {self.message}")
        )
        return "\n".join((head, *self.details))

    def as_rest_error(self) -> dict[str, object]:
        """The error object of OPA's REST API (``errors[]`` of a 400 response)."""
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self.file:
            error["location"] = {"file": self.file, "row": self.row, "col": self.col}
        return error


def parse_opa_message(text: str) -> list[OpaDiagnostic]:
    """Split an OPA error string into diagnostics; text without a location becomes one entry.

    Never loses text: a message in a shape this function does not know is kept whole, with the
    code ``opa_error``, so that nothing OPA said is hidden from the privacy officer.
    """
    body = text.strip()
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            stripped = prefix.sub("", body, count=1)
            if stripped != body:
                body, changed = stripped, True
    diagnostics: list[OpaDiagnostic] = []
    current: dict[str, object] | None = None
    details: list[str] = []
    leftovers: list[str] = []

    def flush() -> None:
        if current is not None:
            diagnostics.append(_diagnostic(current, details))

    for line in body.splitlines():
        match = _ERROR_LINE.match(line)
        if match:
            flush()
            current = dict(match.groupdict())
            details = []
        elif current is not None and line.startswith("\t"):
            details.append(line)
        elif line.strip():
            leftovers.append(line.strip())
    flush()
    if leftovers and not diagnostics:
        return [OpaDiagnostic("", 0, 0, "opa_error", " ".join(leftovers))]
    return diagnostics


def _diagnostic(fields: dict[str, object], details: list[str]) -> OpaDiagnostic:
    col = 1
    # OPA prints the source line and, under it, a caret at the column of the problem.
    if len(details) >= 2 and details[-1].strip() == "^":
        col = details[-1].lstrip("\t").index("^") + 1
    return OpaDiagnostic(
        file=str(fields["file"]),
        row=int(str(fields["row"])),
        col=col,
        code=str(fields["code"]),
        message=str(fields["message"]),
        details=tuple(details),
    )
