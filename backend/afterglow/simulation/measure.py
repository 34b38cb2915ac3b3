"""How soon the simulated clinic learned of each true relapse, from what triage showed. Pure.

For each true relapse two delays, sampling triage at every tick: until triage first shows the
patient `waning` or `relapsed` (flag), and until it shows them `relapsed` (confirmed), within
the episode the relapse belongs to. "No recent data" is not a flag.

A false flag is waning or relapsed while no true relapse has begun and none begins within the
next 7 days. Sampled at every tick, it is measured as time: `false_flag_days`, the patient-days
triage showed one. Spells are counted too (`false_flags`; a status that drops out of the flag
for less than a day is one spell, as around a local midnight the 3-day mood mean can lack its
second day for an evening), but a count alone misleads: a false "relapsed" that no later PHQ-9
refutes is one spell that lasts until the next infusion, while the same patient, asked for the
confirming PHQ-9, is refuted and may then be flagged briefly a few more times.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

FLAGGED = frozenset({"waning", "relapsed"})
FALSE_FLAG_LOOKAHEAD = timedelta(days=7)
SPELL_GAP = timedelta(days=1)
MONTH_DAYS = 365.25 / 12


@dataclass(frozen=True)
class RelapseRecord:
    patient: int
    ordinal: int  # the episode it ended: 0 the induction course, then each booster
    started_at: datetime  # the episode's start
    at: datetime
    episode_end: datetime  # the next infusion, or the end of the simulation


@dataclass(frozen=True)
class PatientRecord:
    patient: int
    followed_from: datetime
    followed_until: datetime
    statuses: tuple[tuple[datetime, str], ...]  # triage status at each change
    extra_prompts: int
    relapses: tuple[RelapseRecord, ...]


RelapseKey = tuple[int, int, datetime]


@dataclass(frozen=True)
class RelapseDelays:
    patient: int
    ordinal: int
    started_at: datetime
    flag_days: float | None  # None: never flagged within its episode
    confirmed_days: float | None

    @property
    def key(self) -> RelapseKey:
        return (self.patient, self.ordinal, self.started_at)


@dataclass(frozen=True)
class DetectionMeasure:
    relapses: tuple[RelapseDelays, ...]
    false_flags: int  # spells
    false_flag_days: float  # patient-days triage showed a false flag
    patient_months: float
    extra_prompts: int

    @property
    def median_flag_days(self) -> float | None:
        return _median([r.flag_days for r in self.relapses])

    @property
    def median_confirmed_days(self) -> float | None:
        return _median([r.confirmed_days for r in self.relapses])

    @property
    def never_flagged_share(self) -> float | None:
        if not self.relapses:
            return None
        return sum(r.flag_days is None for r in self.relapses) / len(self.relapses)

    @property
    def never_confirmed_share(self) -> float | None:
        if not self.relapses:
            return None
        return sum(r.confirmed_days is None for r in self.relapses) / len(self.relapses)

    @property
    def extra_prompts_per_month(self) -> float:
        return self.extra_prompts / self.patient_months if self.patient_months else 0.0

    def flagged(self) -> set[RelapseKey]:
        return {r.key for r in self.relapses if r.flag_days is not None}

    def left_unflagged(self, before: DetectionMeasure) -> list[RelapseKey]:
        """True relapses `before` (another run of the same cohort) flagged and this one did
        not. Only the same relapse counts: the same patient's same episode, started at the same
        time (once clinics act on what they saw, later episodes of two runs part ways)."""
        here = {r.key for r in self.relapses}
        return sorted((before.flagged() & here) - self.flagged())


def _median(values: Sequence[float | None]) -> float | None:
    """The median over relapses found; None when none was."""
    found = [v for v in values if v is not None]
    return statistics.median(found) if found else None


def detection_measure(patients: Sequence[PatientRecord]) -> DetectionMeasure:
    delays: list[RelapseDelays] = []
    false_flags = 0
    false_days = 0.0
    months = 0.0
    prompts = 0
    for patient in patients:
        months += (patient.followed_until - patient.followed_from) / timedelta(days=MONTH_DAYS)
        prompts += patient.extra_prompts
        for relapse in patient.relapses:
            delays.append(
                RelapseDelays(
                    patient.patient,
                    relapse.ordinal,
                    relapse.started_at,
                    _days_until(patient.statuses, relapse, FLAGGED),
                    _days_until(patient.statuses, relapse, frozenset({"relapsed"})),
                )
            )
        false_flags += _false_flags(patient)
        false_days += _false_flag_days(patient)
    return DetectionMeasure(tuple(delays), false_flags, false_days, months, prompts)


def _status_at(statuses: Sequence[tuple[datetime, str]], moment: datetime) -> str | None:
    current = None
    for at, status in statuses:
        if at > moment:
            break
        current = status
    return current


def _days_until(
    statuses: Sequence[tuple[datetime, str]], relapse: RelapseRecord, wanted: frozenset[str]
) -> float | None:
    """Days from the relapse until triage first shows one of `wanted`, within its episode."""
    if _status_at(statuses, relapse.at) in wanted:
        return 0.0
    for at, status in statuses:
        if relapse.at < at < relapse.episode_end and status in wanted:
            return (at - relapse.at) / timedelta(days=1)
    return None


def flag_spells(statuses: Sequence[tuple[datetime, str]]) -> list[datetime]:
    """When each spell of flagged statuses began (see the module's note on spells)."""
    starts: list[datetime] = []
    flagged_until: datetime | None = None  # when the last flagged stretch ended
    flagged = False
    for at, status in statuses:
        if status in FLAGGED and not flagged:
            if flagged_until is None or at - flagged_until >= SPELL_GAP:
                starts.append(at)
            flagged = True
        elif status not in FLAGGED and flagged:
            flagged, flagged_until = False, at
    return starts


def _false_flags(patient: PatientRecord) -> int:
    count = 0
    for at in flag_spells(patient.statuses):
        under_way = any(r.at <= at < r.episode_end for r in patient.relapses)
        coming = any(at < r.at <= at + FALSE_FLAG_LOOKAHEAD for r in patient.relapses)
        if not under_way and not coming:
            count += 1
    return count


def _false_flag_days(patient: PatientRecord) -> float:
    """Days flagged outside every relapse's excuse: from 7 days before it began to its
    episode's end."""
    excused = [(r.at - FALSE_FLAG_LOOKAHEAD, r.episode_end) for r in patient.relapses]
    ends = [at for at, _ in patient.statuses[1:]] + [patient.followed_until]
    total = timedelta()
    for (start, status), end in zip(patient.statuses, ends, strict=True):
        if status in FLAGGED and end > start:
            total += _outside(start, end, excused)
    return total / timedelta(days=1)


def _outside(
    start: datetime, end: datetime, windows: Sequence[tuple[datetime, datetime]]
) -> timedelta:
    """How much of [start, end) lies outside every window."""
    covered = timedelta()
    cursor = start
    for low, high in sorted(windows):
        low, high = max(low, cursor), min(high, end)
        if high > low:
            covered += high - low
            cursor = high
    return (end - start) - covered


def describe(measure: DetectionMeasure) -> list[str]:
    def days(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.1f} d"

    def share(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.0%}"

    return [
        f"true relapses: {len(measure.relapses)}",
        f"median flag delay: {days(measure.median_flag_days)}",
        f"median confirmed delay: {days(measure.median_confirmed_days)}",
        f"never flagged: {share(measure.never_flagged_share)}",
        f"never confirmed: {share(measure.never_confirmed_share)}",
        f"false flags: {measure.false_flag_days:.0f} patient-days flagged "
        f"({measure.false_flag_days / measure.patient_months if measure.patient_months else 0:.2f}"
        f" per patient-month), in {measure.false_flags} spells",
        f"extra_prompts_per_month: {measure.extra_prompts_per_month:.2f} "
        f"({measure.extra_prompts} over {measure.patient_months:.0f} patient-months)",
    ]


def _rate(count: int, months: float) -> str:
    return f"{count / months:.2f}" if months else "n/a"


def correlation(pairs: Sequence[tuple[float, float]]) -> float | None:
    """Pearson's r of (x, y) pairs; None for fewer than 3 or no spread."""
    if len(pairs) < 3:
        return None
    xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in pairs)
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)
