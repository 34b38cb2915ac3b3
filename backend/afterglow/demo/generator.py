"""Synthetic patient histories for the demo clinic: pure and deterministic, no database, no clock.

Every name and number is invented; the course of each patient follows the reference figures of
CLINICAL.md §3 (about 70% respond to an induction course, relief lasts a median of about 18 days).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Shares across the clinic, dealt like cards so that a 24-patient demo hits them closely.
RESPONDER_SHARE = 0.70  # Murrough 2013: 71% after six IV infusions
DURABLE_SHARE = 0.25  # responders whose relief lasts weeks rather than days
PAIN_SHARE = 0.25
AT_RISK_SHARE = 0.12  # patients who sometimes answer PHQ-9 item 9 with 1 or 2
HOSPITALISED_SHARE = 0.04
MEDICATION_CHANGE_SHARE = 0.20
RESPONDER_FOLLOW_UP = {"scheduled": 0.35, "as_needed": 0.45, "none": 0.20}
NON_RESPONDER_FOLLOW_UP = {"stopped": 0.50, "continued": 0.50}

# Median relief after the last induction infusion, in days (Murrough 2013: about 18).
TYPICAL_RELIEF_DAYS = 13.5
DURABLE_RELIEF_DAYS = 45.0

TIME_ZONES = (
    ("America/New_York", 0.34),
    ("America/Chicago", 0.24),
    ("America/Denver", 0.10),
    ("America/Los_Angeles", 0.20),
    ("America/Phoenix", 0.05),
    ("Europe/London", 0.07),
)
BOOSTER_ROUTES = (("iv", 0.70), ("im", 0.12), ("intranasal", 0.12), ("oral", 0.06))

# Invented, deliberately generic first names; the "(demo NN)" suffix makes the data obviously synthetic.
FIRST_NAMES = (
    "Arden", "Avery", "Blake", "Briar", "Casey", "Dakota", "Ellis", "Emerson", "Finley", "Harper",
    "Hayden", "Jordan", "Kendall", "Linden", "Logan", "Marlowe", "Morgan", "Noel", "Oakley",
    "Parker", "Quinn", "Reese", "Riley", "Rowan", "Sage", "Sasha", "Sawyer", "Skyler", "Tatum",
    "Wren",
)  # fmt: skip
INITIALS = "ABCDEFGHJKLMNPRSTVW"

# Relative weight of each PHQ-9 item 1-8 and GAD-7 item when spreading a total over the items:
# low mood, anhedonia and fatigue carry most of a depression score; psychomotor change the least.
PHQ9_ITEM_WEIGHTS = (1.3, 1.4, 1.1, 1.3, 0.9, 1.0, 1.0, 0.5)
GAD7_ITEM_WEIGHTS = (1.3, 1.2, 1.2, 1.0, 0.6, 1.0, 0.8)
# Highest PHQ-9 total without item 9: 8 items x 3.
PHQ9_MAX_WITHOUT_ITEM9 = 24

# Side effects (dissociation, nausea, headache, dizziness, drowsiness, other), chances of 0-3.
AFTER_2H_WEIGHTS = (
    (0.15, 0.40, 0.35, 0.10),
    (0.60, 0.30, 0.08, 0.02),
    (0.65, 0.28, 0.07, 0.00),
    (0.45, 0.40, 0.13, 0.02),
    (0.25, 0.45, 0.25, 0.05),
    (0.90, 0.08, 0.02, 0.00),
)
AFTER_24H_WEIGHTS = (
    (0.90, 0.10, 0.00, 0.00),
    (0.92, 0.08, 0.00, 0.00),
    (0.75, 0.22, 0.03, 0.00),
    (0.90, 0.10, 0.00, 0.00),
    (0.60, 0.35, 0.05, 0.00),
    (0.95, 0.05, 0.00, 0.00),
)
AFTER_OTHER_NOTES = (
    "Felt emotional in the evening.",
    "Blurred vision for about an hour.",
    "Very vivid dreams last night.",
    "Mild anxiety on the way home.",
    "Numb lips for a while.",
)
INFUSION_NOTES = (
    "Tolerated well.",
    "Tolerated well; rested 20 minutes before discharge.",
    "Mild transient nausea; ondansetron 4 mg given.",
    "Music and eye mask helped with dissociation.",
    "Came with partner, who drove home.",
    "Reports feeling calmer since the last visit.",
)
MEDICATION_CHANGES = (
    "Sertraline increased from 50 mg to 100 mg daily.",
    "Bupropion XL 150 mg daily started.",
    "Escitalopram reduced from 20 mg to 10 mg daily.",
    "Quetiapine 50 mg at night stopped.",
    "Lamotrigine started at 25 mg daily, titrating.",
    "Lorazepam as needed stopped before infusions.",
)


@dataclass(frozen=True, slots=True)
class PatientProfile:
    number: int  # 1-based position in the demo clinic; the login is patientNN
    display_name: str
    timezone: str
    locale: str
    pain_enabled: bool
    enrolled_at: datetime
    weight_kg: float
    clinician: int  # 0 or 1: which of the two demo clinicians follows this patient
    # The invented story behind the numbers, in plain words ("responder, boosters as needed").
    scenario: str


@dataclass(frozen=True, slots=True)
class InfusionRecord:
    given_at: datetime
    route: str  # iv | im | intranasal | oral
    kind: str  # induction | scheduled_booster | symptom_triggered_booster
    drug: str  # esketamine (the nasal spray) | racemic_ketamine
    dose_mg_per_kg: float | None
    dose_mg: float | None
    bp_systolic_before: int
    bp_diastolic_before: int
    bp_systolic_40min: int
    bp_diastolic_40min: int
    bp_systolic_discharge: int
    bp_diastolic_discharge: int
    notes: str | None = None


# Not frozen: a 5000-patient clinic makes millions of these and frozen init is three times slower.
@dataclass(slots=True)
class CheckInRecord:
    instrument: str  # phq9 | gad7 | mood | pain | after
    answers: tuple[int, ...]
    taken_at: datetime
    note: str | None = None
    # A recent item-9 answer that no clinician has acknowledged yet (its alert stays open).
    awaiting_review: bool = False


@dataclass(frozen=True, slots=True)
class ClinicalEventRecord:
    kind: str  # medication_change | hospitalisation
    occurred_at: datetime
    notes: str


@dataclass(frozen=True, slots=True)
class PatientHistory:
    profile: PatientProfile
    infusions: tuple[InfusionRecord, ...]
    checkins: tuple[CheckInRecord, ...]  # in the order taken
    events: tuple[ClinicalEventRecord, ...]


@dataclass(frozen=True, slots=True)
class PatientPlan:
    """The course one synthetic patient will follow, decided for the whole clinic at once."""

    responder: bool
    durable: bool
    follow_up: str  # scheduled | as_needed | none (responders); stopped | continued (others)
    pain_enabled: bool
    at_risk: bool
    open_crisis: bool
    hospitalised: bool
    medication_change: bool


def number_width(patients: int) -> int:
    """Digits in patient numbers: 01..24, or 0001..5000 for a big clinic."""
    return max(2, len(str(patients)))


def split_total(rng: random.Random, total: int, weights: Sequence[float]) -> list[int]:
    """Answers of 0-3, one per weight, that add up to `total` (0 <= total <= 3 * len(weights))."""
    n_items = len(weights)
    if not 0 <= total <= 3 * n_items:
        raise ValueError(f"{total} cannot be spread over {n_items} items scored 0-3")
    base, extra = divmod(total, n_items)
    answers = [base] * n_items
    if extra:
        # Weighted draw without replacement: the heavier items get the extra points more often.
        keys = [rng.random() ** (1.0 / w) for w in weights]
        for index in sorted(range(n_items), key=keys.__getitem__, reverse=True)[:extra]:
            answers[index] += 1
    # Two random moves of one point so that answers are not always this flat.
    for _ in range(2):
        give, take = rng.randrange(n_items), rng.randrange(n_items)
        if give != take and answers[give] > 0 and answers[take] < 3:
            answers[give] -= 1
            answers[take] += 1
    return answers


def phq9_answers(rng: random.Random, total: int, item9: int = 0) -> tuple[int, ...]:
    """Ten PHQ-9 answers: items 1-9 adding up to `total` with item 9 as given, then difficulty."""
    if not 0 <= item9 <= 3 or not item9 <= total <= PHQ9_MAX_WITHOUT_ITEM9 + item9:
        raise ValueError(f"no PHQ-9 has total {total} with item 9 = {item9}")
    items = split_total(rng, total - item9, PHQ9_ITEM_WEIGHTS)
    items.append(item9)
    if total == 0:
        difficulty = 0
    else:
        usual = 0 if total < 5 else 1 if total < 10 else 2 if total < 20 else 3
        difficulty = min(3, max(0, usual + rng.choice((-1, 0, 0, 1))))
    items.append(difficulty)
    return tuple(items)


def plan_clinic(seed: int, patients: int) -> list[PatientPlan]:
    """Who responds, who gets boosters, who is at risk: dealt across the clinic, not drawn per patient."""
    # Seeded on purpose: the demo must come out the same every time (not a security use).
    rng = random.Random(f"afterglow-demo/{seed}/clinic")  # noqa: S311
    responder = _deal(rng, patients, RESPONDER_SHARE)
    durable = [False] * patients
    follow_up = [""] * patients
    responders = [i for i in range(patients) if responder[i]]
    others = [i for i in range(patients) if not responder[i]]
    for index, flag in zip(responders, _deal(rng, len(responders), DURABLE_SHARE), strict=True):
        durable[index] = flag
    for group, shares in ((responders, RESPONDER_FOLLOW_UP), (others, NON_RESPONDER_FOLLOW_UP)):
        for index, choice in zip(group, _deal_choices(rng, len(group), shares), strict=True):
            follow_up[index] = choice
    pain = _deal(rng, patients, PAIN_SHARE)
    medication = _deal(rng, patients, MEDICATION_CHANGE_SHARE)

    # At-risk patients; one to three of them answered item 9 in the last days and are still
    # waiting for a clinician, preferably ones who stay unwell and in treatment until today.
    n_at_risk = min(patients, max(1, round(patients * AT_RISK_SHARE)))
    n_open = min(n_at_risk, 3, max(1, round(patients / 16)))
    still_unwell = [i for i in others if follow_up[i] == "continued"]
    in_treatment = [i for i in responders if follow_up[i] in ("scheduled", "as_needed")]
    rng.shuffle(still_unwell)
    rng.shuffle(in_treatment)
    preferred = set(still_unwell) | set(in_treatment)
    rest = [i for i in range(patients) if i not in preferred]
    rng.shuffle(rest)
    open_crisis = set((still_unwell + in_treatment + rest)[:n_open])
    remaining = [i for i in range(patients) if i not in open_crisis]
    at_risk = open_crisis | set(rng.sample(remaining, n_at_risk - n_open))
    # Hospitalisations follow an item-9 answer, so they are dealt among at-risk patients.
    n_hospitalised = min(len(at_risk), round(patients * HOSPITALISED_SHARE))
    hospitalised = set(rng.sample(sorted(at_risk - open_crisis) or sorted(at_risk), n_hospitalised))
    return [
        PatientPlan(
            responder=responder[i],
            durable=durable[i],
            follow_up=follow_up[i],
            pain_enabled=pain[i],
            at_risk=i in at_risk,
            open_crisis=i in open_crisis,
            hospitalised=i in hospitalised,
            medication_change=medication[i],
        )
        for i in range(patients)
    ]


def generate_clinic(
    *, seed: int, patients: int, days: int, end: datetime
) -> Iterator[PatientHistory]:
    """Histories of `patients` synthetic patients over the `days` days up to `end` (aware), one by one.

    Yields patient after patient so that a 5000-patient clinic never sits in memory at once.
    Everything is strictly before `end`; the same arguments always give the same histories.
    """
    if end.tzinfo is None or end.utcoffset() is None:
        raise ValueError("end must be an aware datetime")
    if patients < 0 or days < 1:
        raise ValueError("need patients >= 0 and days >= 1")
    end = end.astimezone(UTC)
    calendar = DemoCalendar(end, days)
    width = number_width(patients)
    for index, plan in enumerate(plan_clinic(seed, patients)):
        yield generate_patient(
            seed=seed, number=index + 1, plan=plan, calendar=calendar, width=width
        )


def generate_patient(
    *, seed: int, number: int, plan: PatientPlan, calendar: DemoCalendar, width: int = 2
) -> PatientHistory:
    """One patient's history; it depends only on the seed, the number, the plan and the calendar."""
    rng = random.Random(f"afterglow-demo/{seed}/patient/{number}")  # noqa: S311
    return _PatientStory(rng, number, plan, calendar, width).tell()


class DemoCalendar:
    """The demo's days (the last one is the UTC date of `end`) and local times turned into UTC."""

    def __init__(self, end: datetime, days: int) -> None:
        self.end = end.astimezone(UTC)
        self.days = days
        self.first_date = self.end.date() - timedelta(days=days - 1)
        self._midnights: dict[str, list[datetime]] = {}

    def weekday(self, day: int) -> int:
        return (self.first_date + timedelta(days=day)).weekday()

    def midnights(self, zone_name: str) -> list[datetime]:
        """Each day's local midnight as a UTC instant; add minutes to it for a local clock time.

        One UTC offset per day (the one at noon) keeps this cheap for millions of check-ins; it
        is exact except in the small hours of a daylight-saving change, when no demo patient is
        checking in.
        """
        if zone_name not in self._midnights:
            zone = ZoneInfo(zone_name)
            result = []
            for day in range(self.days):
                local_date = self.first_date + timedelta(days=day)
                offset = datetime.combine(local_date, time(12), tzinfo=zone).utcoffset()
                assert offset is not None
                result.append(datetime.combine(local_date, time(0), tzinfo=UTC) - offset)
            self._midnights[zone_name] = result
        return self._midnights[zone_name]


@dataclass(slots=True)
class _Visit:
    day: int
    minute: int  # local minutes after midnight
    kind: str
    route: str


class _PatientStory:
    """Simulates one patient day by day: an underlying PHQ-9 level, treatments, then check-ins."""

    def __init__(
        self, rng: random.Random, number: int, plan: PatientPlan, calendar: DemoCalendar, width: int
    ) -> None:
        self.rng = rng
        self.number = number
        self.plan = plan
        self.calendar = calendar
        self.days = calendar.days
        self.end = calendar.end
        self.width = width
        self.zone = _weighted(rng, TIME_ZONES)
        self.midnight = calendar.midnights(self.zone)
        self.visits: list[_Visit] = []
        self.last_active_day = self.days - 1

    def at(self, day: int, minute: int) -> datetime:
        return self.midnight[day] + timedelta(minutes=minute)

    def clinic_day(self, day: int) -> int:
        """The same day, or the Monday after when it falls on a weekend (the clinic is closed)."""
        weekday = self.calendar.weekday(day)
        return day + (7 - weekday if weekday >= 5 else 0)

    def tell(self) -> PatientHistory:
        rng, plan = self.rng, self.plan
        first = FIRST_NAMES[rng.randrange(len(FIRST_NAMES))]
        initial = INITIALS[rng.randrange(len(INITIALS))]
        display_name = f"{first} {initial}. (demo {self.number:0{self.width}d})"
        weight_kg = round(rng.uniform(52.0, 110.0), 1)

        # Enrolments are spread over the window, leaving most patients two months of follow-up.
        latest = self.days - 75 if self.days >= 100 else self.days // 4
        self.enrol_day = min(self.days - 1, self.clinic_day(rng.randint(0, max(0, latest))))
        self.enrolled_at = min(
            self.at(self.enrol_day, rng.randint(9 * 60, 15 * 60)), self.end - timedelta(hours=1)
        )
        self.baseline = rng.randint(14, 24)  # moderate to severe: ketamine clinics see TRD
        self.level = [float(self.baseline)] * self.days
        scenario = self.plan_treatment()
        if plan.open_crisis:
            self.recent_dip()
        wobble = self.day_to_day_wobble()
        checkins, item9_at = self.checkins(wobble)
        infusions = self.infusions(weight_kg)
        events = self.events(item9_at)
        profile = PatientProfile(
            number=self.number,
            display_name=display_name,
            timezone=self.zone,
            locale="en-US",
            pain_enabled=plan.pain_enabled,
            enrolled_at=self.enrolled_at,
            weight_kg=weight_kg,
            clinician=(self.number - 1) % 2,
            scenario=scenario,
        )
        return PatientHistory(profile, tuple(infusions), tuple(checkins), tuple(events))

    # --- Treatment course and the underlying PHQ-9 level ---------------------------------------

    def plan_treatment(self) -> str:
        rng, plan, b0 = self.rng, self.plan, self.baseline
        # Induction: six IV infusions two to four days apart, over two to three weeks.
        day = self.clinic_day(self.enrol_day + rng.randint(3, 10))
        course = [day]
        for _ in range(5):
            day = self.clinic_day(day + rng.choice((2, 3, 3, 4)))
            course.append(day)
        if plan.responder:
            nadir = min(b0 * rng.uniform(0.12, 0.38), b0 - 7.0)
        elif rng.random() < 0.4:
            nadir = b0 * rng.uniform(0.62, 0.85)  # partial benefit, short of a response
        else:
            nadir = b0 - rng.uniform(0.0, 4.0)
        previous = course[0]
        for count, day in enumerate(course[1:], start=1):
            # Each infusion brings the level closer to the nadir; most of the change comes early.
            value = b0 - (b0 - nadir) * (1.0 - 0.6**count)
            self.set_level(previous, day, value)
            previous = day
        for day in course:
            self.add_visit(day, "induction", "iv")

        if plan.responder:
            typical = DURABLE_RELIEF_DAYS if plan.durable else TYPICAL_RELIEF_DAYS
            own_median = typical * math.exp(rng.gauss(0.0, 0.35))
            story = "durable responder" if plan.durable else "responder"
        else:
            own_median = rng.uniform(5.0, 12.0)
            story = "partial benefit, no response" if nadir < b0 - 4 else "no response"
        booster_route = _weighted(rng, BOOSTER_ROUTES)
        booster_every = rng.randint(21, 35)
        start, episode = course[-1], 0
        while True:
            if plan.responder:
                # Relief shorter than about a week would look like no response on weekly PHQ-9s.
                factor, shortest = (1.0, 8.0) if episode == 0 else (0.85, 5.0)
                relief = max(shortest, own_median * math.exp(rng.gauss(0.0, 0.3)) * factor)
                relapse_level = max(min(b0 - rng.uniform(0.0, 3.0), 24.0), nadir + 8.0, 12.0)
            else:
                relief = own_median
                relapse_level = b0 - rng.uniform(0.0, 2.0)
            ramp = rng.randint(4, 9)
            next_day, kind = self.next_treatment(start, relief, booster_every)
            stop = min(next_day if next_day is not None else self.days - 1, self.days - 1)
            self.episode(start, stop, nadir, relief, ramp, relapse_level)
            if next_day is None or next_day >= self.days:
                break
            self.add_visit(next_day, kind, booster_route)
            start, episode = next_day, episode + 1
            if plan.responder:
                nadir = max(0.0, nadir + rng.uniform(-1.0, 2.5))
            else:
                nadir = relapse_level - rng.uniform(2.0, 5.0)
        follow_up = {
            "scheduled": f"{booster_route} boosters every {booster_every} days or so",
            "as_needed": f"{booster_route} boosters when symptoms return",
            "none": "no boosters, stopped checking in later",
            "stopped": "stopped treatment after induction",
            "continued": f"continued {booster_route} boosters",
        }[plan.follow_up]
        return f"{story}; {follow_up}"

    def next_treatment(
        self, start: int, relief: float, booster_every: int
    ) -> tuple[int | None, str]:
        """When the next booster happens after an infusion on `start`, and of which kind."""
        rng, follow_up = self.rng, self.plan.follow_up
        relapse_noticed = start + math.ceil(relief) + rng.randint(3, 10)
        if follow_up == "scheduled":
            scheduled = self.clinic_day(start + booster_every + rng.randint(-2, 2))
            if relapse_noticed + 7 < scheduled:
                # Relief ran out well before the planned booster: the clinic brings it forward.
                return self.clinic_day(relapse_noticed), "symptom_triggered_booster"
            return scheduled, "scheduled_booster"
        if follow_up == "as_needed":
            return self.clinic_day(relapse_noticed), "symptom_triggered_booster"
        if follow_up == "continued":
            return self.clinic_day(start + rng.randint(28, 42)), "scheduled_booster"
        # No more treatment: the patient keeps checking in for a while, then stops.
        if self.plan.open_crisis:
            pass  # still checking in: the last days hold the item-9 answer awaiting review
        elif follow_up == "none":
            self.last_active_day = min(
                self.days - 1, start + math.ceil(relief) + rng.randint(14, 45)
            )
        else:
            self.last_active_day = min(self.days - 1, start + rng.randint(14, 42))
        return None, ""

    def set_level(self, after_day: int, through_day: int, value: float) -> None:
        for day in range(after_day + 1, min(through_day, self.days - 1) + 1):
            self.level[day] = value

    def episode(
        self, start: int, stop: int, nadir: float, relief: float, ramp: int, relapse_level: float
    ) -> None:
        """Level after an infusion on `start` until `stop`: hold at the nadir, then climb back.

        The climb is centred on day `relief`, so that is about when the PHQ-9 crosses back over
        the relapse threshold.
        """
        # A short relief does not start climbing in its first days.
        climb_from = max(relief - ramp / 2, relief * 0.6)
        climb_to = 2 * relief - climb_from
        ramp_days = climb_to - climb_from
        for day in range(start + 1, stop + 1):
            t = day - start
            if t <= climb_from:
                self.level[day] = nadir
            elif t >= climb_to:
                self.level[day] = relapse_level
            else:
                self.level[day] = nadir + (relapse_level - nadir) * (t - climb_from) / ramp_days

    def recent_dip(self) -> None:
        """A bad spell in the last days: the falling mood prompts the PHQ-9 with item 9 (§4, §5)."""
        low = self.rng.uniform(16.0, 20.0)
        for day in range(max(self.enrol_day, self.days - 4), self.days):
            self.level[day] = max(self.level[day], low)

    def day_to_day_wobble(self) -> list[float]:
        """Shared ups and downs (AR(1), SD about 1 point) so that mood and PHQ-9 move together."""
        gauss = self.rng.gauss
        wobble = [0.0] * self.days
        value = 0.0
        for day in range(self.enrol_day, self.days):
            value = 0.8 * value + gauss(0.0, 0.6)
            wobble[day] = value
        return wobble

    def add_visit(self, day: int, kind: str, route: str) -> None:
        minute = self.rng.randint(8 * 60 + 30, 15 * 60 + 30)
        # An infusion counts once it is over and recorded, about an hour and a half later.
        if day < self.days and self.at(day, minute) + timedelta(minutes=90) < self.end:
            self.visits.append(_Visit(day, minute, kind, route))

    # --- Check-ins ------------------------------------------------------------------------------

    def checkins(self, wobble: list[float]) -> tuple[list[CheckInRecord], list[datetime]]:
        rng, plan, end = self.rng, self.plan, self.end
        random_, gauss = rng.random, rng.gauss
        level = self.level
        out: list[CheckInRecord] = []
        phq9: list[tuple[datetime, int]] = []
        gad7: list[tuple[datetime, int]] = []
        anxiety_ratio = rng.uniform(0.55, 0.85)
        anxiety_offset = rng.uniform(-1.0, 2.0)

        def phq9_score(day: int) -> int:
            return min(
                PHQ9_MAX_WITHOUT_ITEM9, max(0, round(level[day] + wobble[day] + gauss(0.0, 1.2)))
            )

        def gad7_score(day: int) -> int:
            value = (level[day] + wobble[day]) * anxiety_ratio + anxiety_offset + gauss(0.0, 1.5)
            return min(21, max(0, round(value)))

        # Intake: the baseline PHQ-9 and GAD-7, filled in at the clinic.
        intake = self.enrolled_at + timedelta(minutes=rng.randint(10, 25))
        phq9.append((intake, phq9_score(self.enrol_day)))
        gad7.append((intake + timedelta(minutes=3), gad7_score(self.enrol_day)))

        # A PHQ-9 in the waiting room before every infusion.
        visit_days = set()
        for visit in self.visits:
            taken = self.at(visit.day, visit.minute - rng.randint(10, 40))
            phq9.append((taken, phq9_score(visit.day)))
            visit_days.add(visit.day)

        # At home: mood every evening, pain with it when switched on, PHQ-9 and GAD-7 weekly.
        missing = rng.uniform(0.08, 0.22)  # about 15% of days skipped at random
        mood_minute = rng.randint(18 * 60, 21 * 60 + 30)
        weekly_day = rng.randrange(7)
        weekly_minute = rng.randint(17 * 60, 21 * 60)
        pain_base = rng.uniform(2.5, 6.5)
        gap_left = 0
        first_weekday = self.calendar.weekday(0)
        for day in range(self.enrol_day, self.last_active_day + 1):
            if gap_left:
                gap_left -= 1
                continue
            if random_() < 0.01:  # a trip, an illness, a lost phone: several days with nothing
                gap_left = rng.randint(3, 10) - 1
                continue
            felt = level[day] + wobble[day]
            if random_() >= missing:
                taken = self.at(day, mood_minute + int(random_() * 91) - 45)
                if self.enrolled_at < taken < end:
                    mood = min(10, max(0, round(10.0 - felt * 0.33 + gauss(0.0, 0.8))))
                    out.append(CheckInRecord("mood", (mood,), taken))
                    if plan.pain_enabled and random_() < 0.9:
                        pain = round(pain_base + felt * 0.08 + gauss(0.0, 1.0))
                        pain_at = taken + timedelta(minutes=1 + int(random_() * 3))
                        if pain_at < end:
                            out.append(CheckInRecord("pain", (min(10, max(0, pain)),), pain_at))
            if (
                (first_weekday + day) % 7 == weekly_day
                and day > self.enrol_day + 2
                and not visit_days & {day, day - 1}  # just answered one at a visit
                and random_() >= 0.05
            ):
                taken = self.at(day, weekly_minute + int(random_() * 61) - 30)
                if taken + timedelta(minutes=5) < end:
                    phq9.append((taken, phq9_score(day)))
                    gad7.append(
                        (taken + timedelta(minutes=2 + int(random_() * 3)), gad7_score(day))
                    )

        out.extend(self.side_effect_checks())
        item9_at = self.phq9_records(phq9, wobble, out)
        for taken, score in gad7:
            out.append(
                CheckInRecord("gad7", tuple(split_total(rng, score, GAD7_ITEM_WEIGHTS)), taken)
            )
        # Nothing from the future, whatever the edge cases of a very short demo window.
        out = [checkin for checkin in out if checkin.taken_at < end]
        out.sort(key=lambda checkin: checkin.taken_at)
        return out, item9_at

    def phq9_records(
        self, phq9: list[tuple[datetime, int]], wobble: list[float], out: list[CheckInRecord]
    ) -> list[datetime]:
        """PHQ-9 check-ins, with item 9 answered 1 or 2 on a few high scores of at-risk patients."""
        rng, plan, end = self.rng, self.plan, self.end
        item9: dict[int, int] = {}
        if plan.at_risk:
            # Older ones only: every alert from before the last few days has been acknowledged.
            settled = end - timedelta(days=4)
            high = [i for i, (t, s) in enumerate(phq9) if s >= 15 and t < settled]
            high = high or [i for i, (t, s) in enumerate(phq9) if s >= 12 and t < settled]
            wanted = rng.randint(0, 1) if plan.open_crisis else rng.randint(1, 2)
            for index in rng.sample(high, min(wanted, len(high))):
                item9[index] = 2 if rng.random() < 0.3 else 1
        for index, (taken, score) in enumerate(phq9):
            answers = phq9_answers(rng, score, item9.get(index, 0))
            out.append(CheckInRecord("phq9", answers, taken))
        item9_at = sorted(phq9[i][0] for i in item9)
        if plan.open_crisis:
            crisis_at = self.crisis_time()
            if crisis_at is not None:
                day = min(self.days - 1, (crisis_at - self.midnight[0]).days)
                score = max(round(self.level[day] + wobble[day]), rng.randint(15, 19))
                answers = phq9_answers(rng, min(score, 24), rng.choice((1, 2)))
                out.append(CheckInRecord("phq9", answers, crisis_at, awaiting_review=True))
        return item9_at

    def crisis_time(self) -> datetime | None:
        """An evening in the last three days, at least five hours ago so its alert has escalated."""
        for day in range(self.days - 1, max(self.enrol_day, self.days - 4), -1):
            taken = self.at(day, self.rng.randint(19 * 60, 21 * 60 + 30))
            if taken < self.end - timedelta(hours=5) and taken > self.enrolled_at:
                return taken
        return None

    def side_effect_checks(self) -> list[CheckInRecord]:
        """The side-effect checklist about 2 hours and 24 hours after each infusion."""
        rng, out = self.rng, []
        for visit in self.visits:
            given_at = self.at(visit.day, visit.minute)
            for delay, weights, skip in (
                (timedelta(hours=2), AFTER_2H_WEIGHTS, 0.10),
                (timedelta(hours=24), AFTER_24H_WEIGHTS, 0.20),
            ):
                taken = given_at + delay + timedelta(minutes=rng.randint(-20, 90))
                if taken >= self.end or rng.random() < skip:
                    continue
                answers = tuple(rng.choices(range(4), weights=w)[0] for w in weights)
                note = rng.choice(AFTER_OTHER_NOTES) if answers[5] else None
                out.append(CheckInRecord("after", answers, taken, note))
        return out

    # --- Infusions and clinical events ----------------------------------------------------------

    def infusions(self, weight_kg: float) -> list[InfusionRecord]:
        rng = self.rng
        systolic, diastolic = rng.randint(108, 138), rng.randint(68, 86)
        dose = rng.choice((0.5, 0.5, 0.55, 0.6))
        out = []
        for number, visit in enumerate(self.visits):
            per_kg: float | None
            if visit.route == "iv":
                # Induction often titrates up from 0.5 mg/kg, never above 1.0.
                per_kg = min(1.0, round(dose + 0.05 * min(number, 4) * rng.choice((0, 1)), 2))
                mg: float | None = round(per_kg * weight_kg, 1)
            elif visit.route == "im":
                per_kg = rng.choice((0.5, 0.6, 0.75))
                mg = round(per_kg * weight_kg, 1)
            elif visit.route == "intranasal":
                per_kg, mg = None, float(rng.choice((56, 84, 84)))
            else:
                per_kg, mg = None, float(rng.choice((150, 200, 250, 300)))
            before_sys = systolic + rng.randint(-8, 8)
            before_dia = diastolic + rng.randint(-5, 5)
            # Ketamine raises blood pressure for a while: highest around 40 minutes, most of the
            # way back by discharge.
            rise_sys, rise_dia = rng.randint(4, 24), rng.randint(2, 12)
            out.append(
                InfusionRecord(
                    given_at=self.at(visit.day, visit.minute),
                    route=visit.route,
                    kind=visit.kind,
                    drug="esketamine" if visit.route == "intranasal" else "racemic_ketamine",
                    dose_mg_per_kg=per_kg,
                    dose_mg=mg,
                    bp_systolic_before=before_sys,
                    bp_diastolic_before=before_dia,
                    bp_systolic_40min=before_sys + rise_sys,
                    bp_diastolic_40min=before_dia + rise_dia,
                    bp_systolic_discharge=before_sys + rise_sys // 4,
                    bp_diastolic_discharge=before_dia + rise_dia // 4,
                    notes=rng.choice(INFUSION_NOTES) if rng.random() < 0.2 else None,
                )
            )
        return out

    def events(self, item9_at: list[datetime]) -> list[ClinicalEventRecord]:
        rng, plan, out = self.rng, self.plan, []
        if plan.medication_change and self.last_active_day > self.enrol_day + 14:
            day = rng.randint(self.enrol_day + 14, self.last_active_day)
            occurred = self.at(day, rng.randint(9 * 60, 17 * 60))
            if occurred + timedelta(hours=2) < self.end:
                out.append(
                    ClinicalEventRecord(
                        "medication_change", occurred, rng.choice(MEDICATION_CHANGES)
                    )
                )
        if plan.hospitalised and item9_at:
            occurred = item9_at[0] + timedelta(days=rng.randint(1, 3), hours=rng.randint(1, 6))
            if occurred + timedelta(hours=2) < self.end:
                stay = rng.randint(3, 7)
                out.append(
                    ClinicalEventRecord(
                        "hospitalisation",
                        occurred,
                        f"Voluntary inpatient admission after a phone review; discharged after "
                        f"{stay} days with an updated safety plan.",
                    )
                )
        out.sort(key=lambda event: event.occurred_at)
        return out


def _weighted(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    return rng.choices([name for name, _ in options], weights=[w for _, w in options])[0]


def _deal(rng: random.Random, count: int, share: float) -> list[bool]:
    """`count` flags with round(count * share) of them set, in random order."""
    chosen = round(count * share)
    flags = [True] * chosen + [False] * (count - chosen)
    rng.shuffle(flags)
    return flags


def _deal_choices(rng: random.Random, count: int, shares: dict[str, float]) -> list[str]:
    """`count` choices in the given proportions (largest remainder), in random order."""
    exact = {name: count * share for name, share in shares.items()}
    counts = {name: math.floor(value) for name, value in exact.items()}
    by_remainder = sorted(exact, key=lambda name: exact[name] - counts[name], reverse=True)
    for name in by_remainder[: count - sum(counts.values())]:
        counts[name] += 1
    dealt = [name for name, n in counts.items() for _ in range(n)]
    rng.shuffle(dealt)
    return dealt
