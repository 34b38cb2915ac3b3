"""The simulated clinic's patients: who they are, how they answer, when they travel. Pure.

Everything is drawn from streams of its own (`stream`), keyed by the seed and what is drawn, so
that one draw never shifts another: two runs of the same seed, one with adaptive check-ins and
one without, meet the same patients, courses and answering habits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from afterglow.demo.generator import TIME_ZONES
from afterglow.simulation.sources import (
    ANSWER_RATE_SPREAD,
    ANSWER_RATES,
    DURABLE_SHARE,
    INDUCTION_RESPONSE,
    Adherence,
)

Policy = Literal["scheduled", "symptom_triggered"]
ClinicPolicy = Literal["mixed", "scheduled", "symptom_triggered"]

# The demo clinic's follow-up shares of responders (demo/generator.py), without "none".
SCHEDULED_SHARE = 0.35 / 0.80
TRAVEL_ZONES = (
    "Europe/London",
    "Europe/Madrid",
    "Asia/Tokyo",
    "America/Los_Angeles",
    "America/New_York",
    "Pacific/Honolulu",
)
INDUCTION_INFUSIONS = 6
# Days off the app: in about one week in seven, a spell of 2 to 5 days with no answers at all.
AWAY_WEEKLY_CHANCE = 1 / 7
AWAY_DAYS = (2.0, 5.0)
# The share of days away, so that the rates cited (answers to all reminders sent, days away
# included) are what the patients give overall.
AWAY_SHARE = AWAY_WEEKLY_CHANCE * sum(AWAY_DAYS) / 2 / 7
VISIT_AT = time(10, 0)
ENROL_WITHIN_DAYS = 28


def stream(seed: int, *parts: object) -> random.Random:
    """A random stream of its own for one thing drawn (seeded on purpose: not for security)."""
    return random.Random("afterglow-sim/" + "/".join(str(p) for p in (seed, *parts)))  # noqa: S311


@dataclass(frozen=True)
class Trip:
    leave: datetime
    back: datetime
    timezone: str


@dataclass(frozen=True)
class SimPatient:
    """One synthetic patient. Times are UTC; `timezone` is home."""

    number: int
    timezone: str
    induction: tuple[datetime, ...]  # the six infusions of the induction course
    baseline: float  # latent PHQ-9 before treatment
    induction_responder: bool
    durable: bool  # relief that lasts weeks rather than days
    policy: Policy  # how the clinic times this patient's boosters
    answers_mood: float  # chance of answering a daily mood reminder
    answers_questionnaire: float  # ... a PHQ-9 or GAD-7 reminder
    mood_anchor: (
        float  # the mood this patient rates when free of symptoms (people use scales apart)
    )
    trips: tuple[Trip, ...]
    away: tuple[tuple[datetime, datetime], ...]  # spells with no answers at all

    @property
    def label(self) -> str:
        return f"Simulated patient {self.number:03d}"

    def zone_at(self, moment: datetime) -> str:
        for trip in self.trips:
            if trip.leave <= moment < trip.back:
                return trip.timezone
        return self.timezone

    def is_away(self, moment: datetime) -> bool:
        return any(start <= moment < end for start, end in self.away)


def draw_cohort(
    seed: int,
    patients: int,
    days: int,
    start: datetime,
    adherence: Adherence,
    policy: ClinicPolicy,
) -> list[SimPatient]:
    return [
        draw_patient(seed, number, days, start, adherence, policy)
        for number in range(1, patients + 1)
    ]


def draw_patient(
    seed: int,
    number: int,
    days: int,
    start: datetime,
    adherence: Adherence,
    policy: ClinicPolicy,
) -> SimPatient:
    rng = stream(seed, number, "patient")
    zone = rng.choices([z for z, _ in TIME_ZONES], weights=[w for _, w in TIME_ZONES])[0]
    tz = ZoneInfo(zone)
    # Intake in the first four weeks (the first quarter of a short run).
    within = max(1, min(ENROL_WITHIN_DAYS, days // 4))
    enrol_on = _weekday_on_or_after(start.astimezone(tz).date() + timedelta(rng.randrange(within)))
    rates = ANSWER_RATES[adherence]
    chosen: Policy
    if policy == "mixed":
        chosen = "scheduled" if rng.random() < SCHEDULED_SHARE else "symptom_triggered"
    else:
        chosen = policy
    end = start + timedelta(days=days)
    return SimPatient(
        number=number,
        timezone=zone,
        induction=_induction(enrol_on, tz),
        baseline=rng.uniform(15.0, 24.0),
        induction_responder=rng.random() < INDUCTION_RESPONSE,
        durable=rng.random() < DURABLE_SHARE,
        policy=chosen,
        answers_mood=_rate(rng, rates["mood"]),
        answers_questionnaire=_rate(rng, rates["questionnaire"]),
        mood_anchor=rng.gauss(9.0, 1.5),
        trips=_trips(stream(seed, number, "trips"), zone, start, end),
        away=_away_spells(stream(seed, number, "away"), start, end),
    )


def _rate(rng: random.Random, mean: float) -> float:
    """A patient's chance of answering a reminder on a day they are not away."""
    return min(0.98, max(0.05, rng.gauss(mean, ANSWER_RATE_SPREAD) / (1 - AWAY_SHARE)))


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _induction(first: date, tz: ZoneInfo) -> tuple[datetime, ...]:
    """Six infusions over about two weeks: the first on the day of intake, then every Monday,
    Wednesday and Friday."""
    days = [first]
    day = first
    while len(days) < INDUCTION_INFUSIONS:
        day += timedelta(days=1)
        if day.weekday() in (0, 2, 4):
            days.append(day)
    return tuple(datetime.combine(d, VISIT_AT, tz).astimezone(UTC) for d in days)


def _trips(rng: random.Random, home: str, start: datetime, end: datetime) -> tuple[Trip, ...]:
    """A quarter of the patients travel once, a few twice: 4 to 12 days, to another zone."""
    count = 2 if rng.random() < 0.05 else 1 if rng.random() < 0.25 else 0
    trips: list[Trip] = []
    earliest = start + timedelta(days=ENROL_WITHIN_DAYS + 21)
    for _ in range(count):
        span = (end - earliest).total_seconds()
        if span <= 0:
            break
        leave = earliest + timedelta(seconds=rng.uniform(0, span))
        back = leave + timedelta(days=rng.uniform(4, 12))
        zone = rng.choice([z for z in TRAVEL_ZONES if z != home])
        if back < end and all(back < t.leave or leave > t.back for t in trips):
            trips.append(Trip(leave, back, zone))
    return tuple(sorted(trips, key=lambda t: t.leave))


def _away_spells(
    rng: random.Random, start: datetime, end: datetime
) -> tuple[tuple[datetime, datetime], ...]:
    """Days off the app (AWAY_WEEKLY_CHANCE, AWAY_DAYS)."""
    spells = []
    week = start
    while week < end:
        if rng.random() < AWAY_WEEKLY_CHANCE:
            begin = week + timedelta(hours=rng.uniform(0, 7 * 24))
            spells.append((begin, begin + timedelta(days=rng.uniform(*AWAY_DAYS))))
        week += timedelta(days=7)
    return tuple(spells)
