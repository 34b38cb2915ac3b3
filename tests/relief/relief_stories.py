"""Hand-built patient histories for the relief tests, dated in decimal days from one infusion."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count

from afterglow.relief import (
    Episode,
    EventFact,
    InfusionFact,
    Phq9Fact,
    ReliefThresholds,
    relief_episodes,
)

DAY_0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)  # a Monday, 10:00 UTC
_ids = count(1)


def at(day: float) -> datetime:
    return DAY_0 + timedelta(days=day)


@dataclass
class Story:
    """One synthetic patient's infusions, PHQ-9s and clinical events, built fluently."""

    infusions: list[InfusionFact] = field(default_factory=list)
    phq9s: list[Phq9Fact] = field(default_factory=list)
    events: list[EventFact] = field(default_factory=list)

    def infusion(self, day: float, kind: str = "induction", route: str = "iv") -> Story:
        self.infusions.append(InfusionFact(next(_ids), at(day), route, kind))
        return self

    def phq9(self, day: float, score: int, item9: int = 0) -> Story:
        self.phq9s.append(Phq9Fact(next(_ids), at(day), score, item9))
        return self

    def scores(self, *pairs: tuple[float, int]) -> Story:
        for day, score in pairs:
            self.phq9(day, score)
        return self

    def event(self, day: float, kind: str) -> Story:
        self.events.append(EventFact(next(_ids), at(day), kind))
        return self

    def episodes(self, now: float, thresholds: ReliefThresholds | None = None) -> list[Episode]:
        return relief_episodes(self.infusions, self.phq9s, self.events, at(now), thresholds)

    def only_episode(self, now: float) -> Episode:
        (episode,) = self.episodes(now)
        return episode


def responder() -> Story:
    """Baseline 20 the day before one IV infusion, nadir 6 on day 7: a clear response.

    With B0 = 20 and N = 6, a PHQ-9 qualifies for relapse from 11 up (> 10, >= 10, >= N + 5).
    """
    return Story().phq9(-1, 20).infusion(0).phq9(7, 6)
