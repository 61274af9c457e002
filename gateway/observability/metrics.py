"""Prometheus metrics, one registry per app instance (no import-time globals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Histogram(
            "gateway_http_request_duration_seconds",
            "HTTP requests by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.signals = Counter(
            "gateway_signals_total",
            "Signals in accepted batches, by party type and outcome (stored or duplicate).",
            ["party_type", "outcome"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "gateway_refusals_total",
            "Refused requests by problem type.",
            ["problem"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
