"""Per-party rate limit on OPRF evaluations: a token bucket counted in elements.

The limit is what stands between a stolen adapter key and a dictionary of all ~10^8 valid BSNs:
at the default 100,000 elements a minute, enumerating them would take about two and a half
months of continuous, audited querying.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from gateway.errors import RateLimited


class ElementBudget:
    """``per_minute`` elements per party, refilled continuously, burst up to one minute's worth."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self._rate = per_minute / 60.0
        self._capacity = float(per_minute)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, party: str, count: int) -> None:
        """Spend ``count`` elements or raise ``RateLimited`` with the seconds to wait."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(party, (self._capacity, now))
            tokens = min(self._capacity, tokens + (now - last) * self._rate)
            if count > tokens:
                self._buckets[party] = (tokens, now)
                wait = math.ceil((count - tokens) / self._rate) if count <= self._capacity else 60
                raise RateLimited(
                    "te veel pseudoniemevaluaties; probeer later opnieuw",
                    retry_after_s=max(1, wait),
                )
            self._buckets[party] = (tokens - count, now)
