"""Downsampling a score series for a chart: pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Reading:
    at: datetime
    score: float


@dataclass(frozen=True)
class ChartPoint:
    """One point on the chart: a single reading, or the mean of the readings in a time bucket."""

    at: datetime
    mean: float
    low: float
    high: float
    count: int


def downsample(readings: Sequence[Reading], max_points: int) -> list[ChartPoint]:
    """At most `max_points` points: readings kept as they are when they fit, else equal time buckets.

    Each bucket keeps its lowest and highest score too, so a bad day never disappears into a mean.
    Buckets without readings are left out (a gap in the data stays a gap on the chart).
    """
    ordered = sorted(readings, key=lambda r: r.at)
    if len(ordered) <= max_points:
        return [ChartPoint(r.at, r.score, r.score, r.score, 1) for r in ordered]
    start, end = ordered[0].at, ordered[-1].at
    width = (end - start) / max_points
    buckets: dict[int, list[Reading]] = {}
    for reading in ordered:
        index = min(int((reading.at - start) / width), max_points - 1)
        buckets.setdefault(index, []).append(reading)
    points = []
    for index in sorted(buckets):
        members = buckets[index]
        scores = [r.score for r in members]
        middle = start + width * index + width / 2
        points.append(
            ChartPoint(middle, sum(scores) / len(scores), min(scores), max(scores), len(scores))
        )
    return points
