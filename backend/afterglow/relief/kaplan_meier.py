"""Kaplan-Meier estimate of how long relief lasts, with Greenwood 95% bands, the way lifelines computes it.

Small on purpose; tests/relief/test_kaplan_meier.py checks it against lifelines' KaplanMeierFitter.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

Z_95 = NormalDist().inv_cdf(0.975)
# Survival is a running product of floats: a step that is exactly one half in arithmetic can land a
# hair above 0.5, which would move the median by a whole step.
_HALF_TOLERANCE = 1e-9


@dataclass(frozen=True)
class KaplanMeierStep:
    """The estimate just after `day`, and what happened at that day."""

    day: float
    at_risk: int  # still followed just before `day`
    events: int  # relapses at `day`
    censored: int  # episodes whose follow-up ended at `day` without relapse
    survival: float  # share still in relief just after `day`
    lower: float  # 95% interval of `survival` (exponential Greenwood)
    upper: float


@dataclass(frozen=True)
class Landmark:
    """Survival and its 95% interval at a fixed day (14, 28, 56 by default).

    None when no episode was followed that long while some were still in relief: the estimate says
    nothing there, and carrying the last value forward would overstate what is known.
    """

    day: float
    survival: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class KaplanMeierEstimate:
    """Kaplan-Meier over relief episodes: steps, median with its 95% interval, and landmarks.

    `median` is the first day with survival <= 0.5 (None when not reached). `median_lower` and
    `median_upper` are where the lower and upper 95% bands cross 0.5 (lifelines'
    `median_survival_times(confidence_interval_)`); None when a band never does. `median_shown` is
    True only with at least `min_events_for_median` relapses and a reached median; otherwise show
    "at least `at_least_days` days": the last observed day on which survival was still above one
    half, a lower bound that holds whether the median is unreached or only unreliable.
    """

    n: int
    events: int
    steps: tuple[KaplanMeierStep, ...]
    median: float | None
    median_lower: float | None
    median_upper: float | None
    median_shown: bool
    at_least_days: float | None
    landmarks: tuple[Landmark, ...]
    min_events_for_median: int

    @property
    def timeline(self) -> tuple[float, ...]:
        return tuple(step.day for step in self.steps)

    @property
    def survival(self) -> tuple[float, ...]:
        return tuple(step.survival for step in self.steps)

    def survival_at(self, day: float) -> float:
        """S(day) as a step function: 1 before the first step, the last value after the last."""
        step = self._step_at(day)
        return step.survival if step else 1.0

    def summary(self) -> str:
        """One line a clinician can read: the median, or "at least X days" and why."""
        if self.median_shown and self.median is not None:
            upper = f"{self.median_upper:.0f}" if self.median_upper is not None else "not reached"
            lower = f"{self.median_lower:.0f}" if self.median_lower is not None else "?"
            return f"median {self.median:.0f} days (95% interval {lower} to {upper})"
        if self.median is None:
            why = "median not reached"
        else:
            relapses = "1 relapse" if self.events == 1 else f"{self.events} relapses"
            why = f"{relapses} so far; a median needs {self.min_events_for_median}"
        if not self.at_least_days:
            return f"no estimate yet ({why})"
        return f"at least {math.floor(self.at_least_days)} days ({why})"

    def _step_at(self, day: float) -> KaplanMeierStep | None:
        earlier = [step for step in self.steps if step.day <= day]
        return earlier[-1] if earlier else None


def kaplan_meier(
    durations: Sequence[float],
    events: Sequence[bool],
    *,
    min_events_for_median: int = 3,
    landmark_days: Sequence[float] = (14, 28, 56),
) -> KaplanMeierEstimate:
    """Kaplan-Meier estimate from durations (days) and event flags (True = relapse observed).

    At a day with both relapses and censorings, the censored episodes still count as at risk for
    those relapses (events before censorings, as in lifelines). The timeline starts at day 0.
    """
    if len(durations) != len(events):
        raise ValueError(f"got {len(durations)} durations but {len(events)} event flags")
    for duration in durations:
        if not math.isfinite(duration) or duration < 0:
            raise ValueError(f"durations must be finite and >= 0, got {duration!r}")
    steps = _steps([float(d) for d in durations], events)
    median = _first_day_at_or_below_half(steps, lambda s: s.survival)
    event_count = sum(bool(e) for e in events)
    median_shown = median is not None and event_count >= min_events_for_median
    return KaplanMeierEstimate(
        n=len(durations),
        events=event_count,
        steps=steps,
        median=median,
        median_lower=_first_day_at_or_below_half(steps, lambda s: s.lower),
        median_upper=_first_day_at_or_below_half(steps, lambda s: s.upper),
        median_shown=median_shown,
        at_least_days=None if median_shown else _last_day_above_half(steps),
        landmarks=tuple(_landmark(steps, day) for day in landmark_days),
        min_events_for_median=min_events_for_median,
    )


def _steps(durations: Sequence[float], events: Sequence[bool]) -> tuple[KaplanMeierStep, ...]:
    relapses = Counter(d for d, e in zip(durations, events, strict=True) if e)
    censorings = Counter(d for d, e in zip(durations, events, strict=True) if not e)
    at_risk = len(durations)
    survival, greenwood = 1.0, 0.0
    steps = []
    for day in sorted({0.0, *durations}):
        d, c = relapses[day], censorings[day]
        if d:
            survival *= 1 - d / at_risk
            # When every episode still followed relapses, survival is 0 and its band collapses
            # to 0 (lifelines drops the infinite Greenwood term the same way).
            greenwood += d / (at_risk * (at_risk - d)) if at_risk > d else 0.0
        lower, upper = _exponential_greenwood(survival, greenwood)
        steps.append(KaplanMeierStep(day, at_risk, d, c, survival, lower, upper))
        at_risk -= d + c
    return tuple(steps)


def _exponential_greenwood(survival: float, greenwood: float) -> tuple[float, float]:
    """95% interval of S(t) on the log(-log) scale, so it stays inside [0, 1] (lifelines' default)."""
    if survival >= 1.0:
        return 1.0, 1.0
    if survival <= 0.0:
        return 0.0, 0.0
    log_s = math.log(survival)
    spread = Z_95 * math.sqrt(greenwood) / log_s
    lower = math.exp(-math.exp(math.log(-log_s) - spread))
    upper = math.exp(-math.exp(math.log(-log_s) + spread))
    return lower, upper


_StepValue = Callable[[KaplanMeierStep], float]


def _first_day_at_or_below_half(
    steps: Sequence[KaplanMeierStep], value: _StepValue
) -> float | None:
    return next((s.day for s in steps if value(s) <= 0.5 + _HALF_TOLERANCE), None)


def _last_day_above_half(steps: Sequence[KaplanMeierStep]) -> float | None:
    above = [s.day for s in steps if s.survival > 0.5 + _HALF_TOLERANCE and s.day > 0]
    return above[-1] if above else None


def _landmark(steps: Sequence[KaplanMeierStep], day: float) -> Landmark:
    followed_long_enough = bool(steps) and (steps[-1].day >= day or steps[-1].survival == 0.0)
    if not followed_long_enough:
        return Landmark(day, None, None, None)
    step = [s for s in steps if s.day <= day][-1]
    return Landmark(day, step.survival, step.lower, step.upper)
