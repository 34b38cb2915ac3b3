"""The clinic's outcome figures that are not relief: booster spacing and check-in completion.

Pure functions over plain rows (no database, no clock): the service reads the rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from statistics import quantiles

from afterglow.clinic.schemas import BoosterSpacing, Completion, Spread

DAY = timedelta(days=1)
BOOSTER_KINDS = ("scheduled_booster", "symptom_triggered_booster")
# A patient "mostly answering" answered daily mood on at least this share of their days.
MOSTLY = 0.8


@dataclass(frozen=True)
class GivenInfusion:
    patient_id: int
    given_at: datetime
    kind: str


@dataclass(frozen=True)
class PatientAnswers:
    """One enrolled patient over the completion window: since when they count, and what they sent."""

    counted_from: datetime  # the window's start, or enrollment when later
    mood_days: int  # distinct days with a daily mood
    phq9_taken: Sequence[datetime]


def spread(days: Sequence[float]) -> Spread:
    if not days:
        return Spread(0, None, None, None)
    ordered = sorted(days)
    if len(ordered) == 1:
        return Spread(1, ordered[0], ordered[0], ordered[0])
    lower, median, upper = quantiles(ordered, n=4, method="inclusive")
    return Spread(len(ordered), median, lower, upper)


def booster_spacing(infusions: Iterable[GivenInfusion]) -> list[BoosterSpacing]:
    """Days from each infusion to the booster that follows it, for all boosters and by kind.

    `infusions` are ordered by patient, then time. An induction after a booster starts a new
    course and is not a booster, so the gap before it is not counted.
    """
    gaps: dict[str, list[float]] = {kind: [] for kind in BOOSTER_KINDS}
    for _, given in groupby(infusions, key=lambda i: i.patient_id):
        previous = None
        for infusion in given:
            if previous is not None and infusion.kind in gaps:
                gaps[infusion.kind].append((infusion.given_at - previous.given_at) / DAY)
            previous = infusion
    every = [gap for kind in BOOSTER_KINDS for gap in gaps[kind]]
    return [
        BoosterSpacing("all", spread(every)),
        *(BoosterSpacing(kind, spread(gaps[kind])) for kind in BOOSTER_KINDS),
    ]


def completion(patients: Iterable[PatientAnswers], now: datetime, days: int) -> Completion:
    """Daily moods answered per day asked, and weeks with a PHQ-9 per week asked (weeks counted
    back from now; a part week at the start counts when at least half of it was in the window)."""
    counted = mood_answered = mood_expected = weeks_answered = weeks_expected = mostly = 0
    for patient in patients:
        span = (now - patient.counted_from) / DAY
        if span <= 0:
            continue
        counted += 1
        expected = max(1, math.ceil(span))
        answered = min(patient.mood_days, expected)
        mood_answered += answered
        mood_expected += expected
        if answered >= MOSTLY * expected:
            mostly += 1
        weeks = max(1, round(span / 7))
        weeks_expected += weeks
        weeks_answered += len(
            {int((now - taken) / (7 * DAY)) for taken in patient.phq9_taken} & set(range(weeks))
        )
    return Completion(
        days=days,
        patients=counted,
        mood_days_answered=mood_answered,
        mood_days_expected=mood_expected,
        mood_rate=mood_answered / mood_expected if mood_expected else None,
        phq9_weeks_answered=weeks_answered,
        phq9_weeks_expected=weeks_expected,
        phq9_rate=weeks_answered / weeks_expected if weeks_expected else None,
        patients_mostly_answering=mostly,
    )
