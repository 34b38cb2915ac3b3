"""The one clock. Everything that needs "now" asks here, so tests can pass their own time."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
