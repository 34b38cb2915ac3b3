"""The one clock. Routes receive `now` from the app's clock (`Now`), the tick and the CLI are
given theirs; a test or a simulation sets the app's clock and everything follows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


SYSTEM_CLOCK = SystemClock()


@dataclass
class SetClock:
    """Real time until it is set; then it stands where it is set and moves only when told
    (tests, simulations)."""

    at: datetime | None = None

    def now(self) -> datetime:
        return SYSTEM_CLOCK.now() if self.at is None else self.at

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("set the clock to an aware time")
        self.at = at.astimezone(UTC)

    def advance(self, by: timedelta) -> None:
        self.at = self.now() + by


def utcnow() -> datetime:
    """Real time, for what runs outside the app (the CLI, logs, file names). Routes use `Now`."""
    return SYSTEM_CLOCK.now()
