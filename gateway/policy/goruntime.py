"""The Go runtime inside the embedded engine, and its one tuning knob that matters: ``GOGC``.

OPA's evaluator allocates a great deal (every comprehension builds a fresh set or object), and
with Go's default ``GOGC=100`` a collection starts every few release decisions; one that overlaps
a decision slows it down by about half. ``GOGC=400`` lets the heap grow to five times the live
data before collecting: measured with ``bench/policy.py`` (a 50-signal release decision), the p99
fell from about 24 ms to about 18 ms and the p50 by about 0.5 ms, for some 30 MB more resident
memory (see the README's benchmark section).

Go reads ``GOGC`` once, when the shared library is loaded, from the environment the *process*
was started with (the strings after ``argv`` on the initial stack): ``os.environ`` changed at run
time does not reach it. So it must be set by whoever starts the process: the Makefile's ``run``
and the Dockerfile set it; ``gateway serve`` only reports what it got.
"""

from __future__ import annotations

import os
import sys

#: What ``make run`` and the production image start the gateway with.
RECOMMENDED_GOGC = "400"

#: Go's own default when ``GOGC`` is not set.
GO_DEFAULT_GOGC = "100"


def effective_gogc() -> str:
    """The ``GOGC`` the Go runtime of this process uses (it was read at process start)."""
    return os.environ.get("GOGC", GO_DEFAULT_GOGC)


def restart_with_gogc(value: str) -> None:
    """Re-execute this Python program with ``GOGC=value`` unless it already runs with it.

    For benchmarks, which must measure the configuration that ships; a server does not re-exec
    itself (its supervisor sets the environment). ``os.execv`` keeps the process id.
    """
    if os.environ.get("GOGC") == value:
        return
    os.environ["GOGC"] = value
    os.execv(sys.executable, [sys.executable, *sys.argv])
