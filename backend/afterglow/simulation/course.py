"""A simulated patient's latent PHQ-9 course after each treatment, the true relapses in it, and
the answers drawn from it. Pure and seeded (cohort.stream).

The latent PHQ-9 is straight segments: down to a nadir by the day after the episode's infusion
(across the course for an induction), held, then, for a responder, a climb over a few days back
towards the baseline. A true relapse starts when the latent PHQ-9 first meets the qualifying
rule of CLINICAL.md §3, judged by the relief analysis' own function against the latent baseline
and nadir.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from afterglow.demo.generator import (
    GAD7_ITEM_WEIGHTS,
    PHQ9_MAX_WITHOUT_ITEM9,
    phq9_answers,
    split_total,
)
from afterglow.relief.episodes import qualifies
from afterglow.relief.facts import ReliefThresholds
from afterglow.simulation.cohort import SimPatient, stream
from afterglow.simulation.sources import (
    BOOSTER_RELAPSE_MEDIAN_DAYS,
    BOOSTER_RESPONSE,
    DURABLE_RELAPSE_MEDIAN_DAYS,
    RELAPSE_DAYS_SPREAD,
    TYPICAL_RELAPSE_MEDIAN_DAYS,
)

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
# Ketamine's effect comes within a day of an infusion.
ONSET = DAY
# No climb starts before this many days after an infusion.
EARLIEST_CLIMB_DAYS = 2.0
# Day-to-day ups and downs shared by mood and PHQ-9 (the demo's AR(1): SD about 1 point).
WOBBLE_CARRY, WOBBLE_STEP = 0.8, 0.6
# Measurement noise of one answer.
PHQ9_NOISE, GAD7_NOISE, MOOD_NOISE = 1.5, 1.5, 1.5
# Mood points per PHQ-9 point: the 0-10 slider spans roughly a 0-25 PHQ-9.
MOOD_PER_PHQ9 = 0.36
GAD7_PER_PHQ9 = 0.7


@dataclass
class LatentCourse:
    """The latent PHQ-9 over time: straight segments between (UTC instant, level) points."""

    points: list[tuple[datetime, float]] = field(default_factory=list)

    def at(self, moment: datetime) -> float:
        times = [t for t, _ in self.points]
        i = bisect.bisect_right(times, moment)
        if i == 0:
            return self.points[0][1]
        if i == len(self.points):
            return self.points[-1][1]
        (t0, v0), (t1, v1) = self.points[i - 1], self.points[i]
        return v0 + (v1 - v0) * ((moment - t0) / (t1 - t0))

    def change_from(self, moment: datetime, points: list[tuple[datetime, float]]) -> None:
        """From `moment` on, the course follows `points` (an infusion changed what comes next)."""
        here = self.at(moment) if self.points else points[0][1]
        kept = [p for p in self.points if p[0] < moment]
        self.points = [*kept, (moment, here), *[p for p in points if p[0] > moment]]


@dataclass(frozen=True)
class EpisodeDraw:
    responds: bool
    nadir: float  # the latent level relief reaches
    relapse_day: float  # days after the episode's start when the climb back is half done
    ramp_days: float  # how long the climb takes
    relapse_level: float  # where it ends


@dataclass(frozen=True)
class TrueRelapse:
    """A relapse as the simulation knows it: the episode it ends and when it truly began."""

    ordinal: int  # which episode of the patient: 0 is the induction course
    started_at: datetime  # the episode's start (its infusion)
    at: datetime  # when the latent PHQ-9 first met the qualifying rule


def draw_episode(seed: int, patient: SimPatient, ordinal: int) -> EpisodeDraw:
    """What episode number `ordinal` (0: the induction course, then each booster) holds."""
    rng = stream(seed, patient.number, "episode", ordinal)
    if ordinal == 0:
        responds = patient.induction_responder
        median = DURABLE_RELAPSE_MEDIAN_DAYS if patient.durable else TYPICAL_RELAPSE_MEDIAN_DAYS
    else:
        responds = patient.induction_responder and rng.random() < BOOSTER_RESPONSE
        median = BOOSTER_RELAPSE_MEDIAN_DAYS
        if patient.durable:
            median *= DURABLE_RELAPSE_MEDIAN_DAYS / TYPICAL_RELAPSE_MEDIAN_DAYS
    b = patient.baseline
    return EpisodeDraw(
        responds=responds,
        nadir=b * rng.uniform(0.15, 0.42) if responds else b * rng.uniform(0.6, 0.9),
        relapse_day=max(3.0, median * math.exp(rng.gauss(0.0, RELAPSE_DAYS_SPREAD))),
        ramp_days=rng.uniform(4.0, 8.0),
        relapse_level=b * rng.uniform(0.85, 1.0),
    )


def start_episode(
    course: LatentCourse,
    patient: SimPatient,
    draw: EpisodeDraw,
    ordinal: int,
    first_infusion: datetime,
    last_infusion: datetime,
    limits: ReliefThresholds,
) -> TrueRelapse | None:
    """Lay the episode's course from `first_infusion` on (the course falls to the nadir by the
    day after `last_infusion`, its start), and say when it would truly relapse if no other
    infusion came first."""
    settled = last_infusion + ONSET
    points = [(settled, draw.nadir)]
    if draw.responds:
        climb_days = max(draw.relapse_day - draw.ramp_days / 2, EARLIEST_CLIMB_DAYS)
        climb_from = last_infusion + climb_days * DAY
        climb_to = climb_from + draw.ramp_days * DAY
        points += [(climb_from, draw.nadir), (climb_to, draw.relapse_level)]
    course.change_from(first_infusion, points)
    if not draw.responds:
        return None
    baseline, nadir = round(patient.baseline), round(draw.nadir)
    moment = climb_from
    while moment <= climb_to + HOUR:
        if qualifies(round(course.at(moment)), baseline, nadir, limits):
            return TrueRelapse(ordinal, last_infusion, moment)
        moment += HOUR
    return None


def wobble(seed: int, patient: SimPatient, days: int) -> list[float]:
    """The patient's day-to-day ups and downs, one value per day of the simulation."""
    rng = stream(seed, patient.number, "wobble")
    values, value = [], 0.0
    for _ in range(days + 2):
        value = WOBBLE_CARRY * value + rng.gauss(0.0, WOBBLE_STEP)
        values.append(value)
    return values


def answers(
    instrument: str, level: float, patient: SimPatient, rng: random.Random
) -> list[int] | None:
    """What the patient answers for `instrument` when their PHQ-9 stands at `level` (latent plus
    the day's wobble); None for a check-in the simulated patients leave alone."""
    if instrument == "phq9":
        total = min(PHQ9_MAX_WITHOUT_ITEM9, max(0, round(level + rng.gauss(0.0, PHQ9_NOISE))))
        return list(phq9_answers(rng, total))
    if instrument == "gad7":
        anxious = GAD7_PER_PHQ9 * level + 1.0 + rng.gauss(0.0, GAD7_NOISE)
        return split_total(rng, min(21, max(0, round(anxious))), GAD7_ITEM_WEIGHTS)
    if instrument == "mood":
        mood = patient.mood_anchor - MOOD_PER_PHQ9 * level + rng.gauss(0.0, MOOD_NOISE)
        return [min(10, max(0, round(mood)))]
    return None
