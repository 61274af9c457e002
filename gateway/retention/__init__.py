"""Retention (the covenant's retention terms): the retention run deletes what is past its term,
re-judges what that changes, and keeps the release keys (rotation, re-sealing, shredding)."""

from gateway.retention.run import (
    KeyUpkeep,
    RetentionReport,
    release_key_upkeep,
    retention_days,
    rotate_release_key,
    run_retention,
)

__all__ = [
    "KeyUpkeep",
    "RetentionReport",
    "release_key_upkeep",
    "retention_days",
    "rotate_release_key",
    "run_retention",
]
