"""When each reminder is due in the patient's local time, and whether it is still needed.

Pure functions over plain data: no database, and no clock inside (the caller passes the instants).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DAILY_MOOD_AT = time(20, 0)
POST_INFUSION_MOOD_DAYS = 14
# The journal prompt comes the day after an infusion, this long before the patient's usual
# check-in time, so that it never arrives together with that day's mood reminder.
JOURNAL_PROMPT_LEAD = timedelta(hours=1)

WeeklyAt: TypeAlias = tuple[int, time]
"""(weekday, local time); weekday as in `date.weekday()`: 0 is Monday, 6 is Sunday."""


class ReminderKind(StrEnum):
    DAILY_MOOD = "daily_mood"
    WEEKLY_PHQ9 = "weekly_phq9"
    WEEKLY_GAD7 = "weekly_gad7"
    AFTER_2H = "after_2h"
    AFTER_24H = "after_24h"
    POST_INFUSION_MOOD = "post_infusion_mood"
    PHQ9_DAY7 = "phq9_day7"
    PHQ9_DAY14 = "phq9_day14"
    WANING_PHQ9 = "waning_phq9"
    CONFIRM_PHQ9 = "confirm_phq9"
    NADIR_PHQ9 = "nadir_phq9"
    JOURNAL = "journal"


# The instrument each reminder asks for (ids of the instrument registry).
INSTRUMENT: dict[ReminderKind, str] = {
    ReminderKind.DAILY_MOOD: "mood",
    ReminderKind.POST_INFUSION_MOOD: "mood",
    ReminderKind.WEEKLY_PHQ9: "phq9",
    ReminderKind.PHQ9_DAY7: "phq9",
    ReminderKind.PHQ9_DAY14: "phq9",
    ReminderKind.WANING_PHQ9: "phq9",
    ReminderKind.CONFIRM_PHQ9: "phq9",
    ReminderKind.NADIR_PHQ9: "phq9",
    ReminderKind.WEEKLY_GAD7: "gad7",
    ReminderKind.AFTER_2H: "after",
    ReminderKind.AFTER_24H: "after",
    # Not an instrument: the integration journal, which nothing scores.
    ReminderKind.JOURNAL: "journal",
}

URL: dict[ReminderKind, str] = {
    kind: "/#/journal" if kind is ReminderKind.JOURNAL else f"/#/checkin/{INSTRUMENT[kind]}"
    for kind in ReminderKind
}

# Several reminders can ask for the same instrument on the same local day (weekly PHQ-9 on day 7
# after an infusion, an induction course's day 7 and day 14 coinciding...). The patient gets one:
# the earliest, and at equal times the one with the most specific reason (lowest rank here).
_RANK: dict[ReminderKind, int] = {
    ReminderKind.WANING_PHQ9: 0,
    ReminderKind.CONFIRM_PHQ9: 0,
    ReminderKind.NADIR_PHQ9: 0,
    ReminderKind.PHQ9_DAY7: 1,
    ReminderKind.PHQ9_DAY14: 2,
    ReminderKind.WEEKLY_PHQ9: 3,
    ReminderKind.POST_INFUSION_MOOD: 0,
    ReminderKind.DAILY_MOOD: 1,
    ReminderKind.WEEKLY_GAD7: 0,
    ReminderKind.AFTER_2H: 0,
    ReminderKind.AFTER_24H: 0,
    ReminderKind.JOURNAL: 0,
}

_ANCHOR_DAY = {ReminderKind.PHQ9_DAY7: 7, ReminderKind.PHQ9_DAY14: 14}

# An `after` check-in this long after an infusion answers the 24 h check rather than the 2 h one.
_AFTER_24H_FROM = timedelta(hours=20)
# A weekly PHQ-9/GAD-7 taken this many local days before the reminder's day (or on it) stands in
# for it; kept short so that PHQ-9s stay about 10 days apart at most, well inside the 14-day gap
# that censors a relief episode (CLINICAL.md §3.6).
_WEEKLY_STANDS_IN_DAYS = 3


class ScheduleError(ValueError):
    """A schedule that cannot work, naming the field to change and what to change it to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ReminderSchedule:
    """One patient's reminder settings. Times are wall-clock times in `timezone` (an IANA name).

    `infusion_nudges` switches on everything anchored to infusions: the side-effect checks at
    +2 h and +24 h, the daily mood nudges of the 14 days after, and the day-7 and day-14 PHQ-9.
    Quiet hours run from `quiet_start` to `quiet_end` and may wrap midnight; equal times mean none.
    `journal_prompts` switches on the journal prompt the day after each infusion.
    """

    timezone: str
    daily_mood_at: time | None = DEFAULT_DAILY_MOOD_AT
    weekly_phq9: WeeklyAt | None = None
    weekly_gad7: WeeklyAt | None = None
    quiet_start: time = time(21, 30)
    quiet_end: time = time(8, 0)
    infusion_nudges: bool = True
    # Off unless asked for here; a patient's plan has it on (ReminderPlan.journal_prompts).
    journal_prompts: bool = False

    def __post_init__(self) -> None:
        _zone("timezone", self.timezone)
        _check_wall_time("quiet_start", self.quiet_start)
        _check_wall_time("quiet_end", self.quiet_end)
        if self.daily_mood_at is not None:
            _check_wall_time("daily_mood_at", self.daily_mood_at)
            self._check_outside_quiet_hours("daily_mood_at", self.daily_mood_at)
        elif self.infusion_nudges and self.in_quiet_hours(DEFAULT_DAILY_MOOD_AT):
            raise ScheduleError(
                "daily_mood_at",
                f"with daily mood off, infusion nudges are sent at "
                f"{DEFAULT_DAILY_MOOD_AT:%H:%M}, which is inside quiet hours; set daily_mood_at "
                f"to a time outside quiet hours or turn infusion_nudges off",
            )
        for name, weekly in (("weekly_phq9", self.weekly_phq9), ("weekly_gad7", self.weekly_gad7)):
            if weekly is None:
                continue
            if not isinstance(weekly, tuple) or len(weekly) != 2:
                raise ScheduleError(name, "give (weekday 0-6, local time) or nothing")
            weekday, at = weekly
            if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise ScheduleError(
                    name, f"weekday must be 0 (Monday) to 6 (Sunday), not {weekday!r}"
                )
            _check_wall_time(name, at)
            self._check_outside_quiet_hours(name, at)

    @property
    def checkin_at(self) -> time:
        """The local time of reminders tied to a day rather than an hour (post-infusion mood, day 7/14)."""
        return DEFAULT_DAILY_MOOD_AT if self.daily_mood_at is None else self.daily_mood_at

    def in_quiet_hours(self, wall: time) -> bool:
        """Whether a local wall-clock time falls inside this patient's quiet hours."""
        start, end = self.quiet_start, self.quiet_end
        if start == end:
            return False
        if start < end:
            return start <= wall < end
        return wall >= start or wall < end

    def _check_outside_quiet_hours(self, name: str, at: time) -> None:
        # A recurring reminder inside quiet hours would be moved every single day, or, in the evening
        # part, pushed past its own day and never sent: tell whoever sets it instead.
        if self.in_quiet_hours(at):
            raise ScheduleError(
                name,
                f"{at:%H:%M} is inside quiet hours "
                f"({self.quiet_start:%H:%M}-{self.quiet_end:%H:%M}); choose a time outside them",
            )


@dataclass(frozen=True)
class InfusionAnchor:
    """An infusion as reminders see it: which one, and when it was given (aware)."""

    id: int
    given_at: datetime

    def __post_init__(self) -> None:
        _check_aware("given_at", self.given_at)
        # In UTC so that "+24 h" means 24 hours elapsed, never wall-clock arithmetic in a local zone.
        object.__setattr__(self, "given_at", self.given_at.astimezone(UTC))


@dataclass(frozen=True)
class CheckinStamp:
    """A check-in as reminders see it: which instrument (registry id), and when it was taken (aware)."""

    instrument: str
    taken_at: datetime

    def __post_init__(self) -> None:
        _check_aware("taken_at", self.taken_at)
        object.__setattr__(self, "taken_at", self.taken_at.astimezone(UTC))


@dataclass(frozen=True)
class ZoneChange:
    """The patient's time zone changed at `changed_at` (travel); it was `previous_timezone` before."""

    previous_timezone: str
    changed_at: datetime

    def __post_init__(self) -> None:
        _zone("previous_timezone", self.previous_timezone)
        _check_aware("changed_at", self.changed_at)
        object.__setattr__(self, "changed_at", self.changed_at.astimezone(UTC))


@dataclass(frozen=True)
class ExtraPrompts:
    """The extra PHQ-9s asked because of how the patient's relief goes (adaptive check-ins,
    decided by reminders/adaptive.py from what the relief analysis derived).

    `confirm_from`: a qualifying PHQ-9 awaits the one that confirms or refutes it, which counts
    from this instant; it is asked on that local day, at the patient's check-in time or at the
    instant itself when later. `nadir_at`: the first PHQ-9 after the booster `booster`, asked
    at this instant, inside the nadir window. Every extra prompt, the waning one included, that
    would fire before `snoozed_until` is left out.
    """

    confirm_from: datetime | None = None
    nadir_at: datetime | None = None
    booster: InfusionAnchor | None = None
    snoozed_until: datetime | None = None


@dataclass(frozen=True)
class Slot:
    """One reminder to send once.

    `local_date` is the patient's local day it belongs to and `expires_at` the end of that day (UTC):
    not delivered by then, it is dropped. `slot_key` is the send key, unique per patient:
    `<instrument>:<local date>` for reminders tied to a day (so one mood and one PHQ-9 prompt per
    local day at most, whichever reason asks), `<kind>:infusion-<id>` for the side-effect checks
    and the journal prompt.
    `infusion` is the infusion a post-infusion reminder refers to.
    """

    kind: ReminderKind
    local_date: date
    fire_at: datetime
    expires_at: datetime
    slot_key: str
    url: str
    infusion: InfusionAnchor | None = None


def next_slots(
    schedule: ReminderSchedule,
    infusions: Sequence[InfusionAnchor],
    after: datetime,
    until: datetime,
    *,
    waning_since: datetime | None = None,
    zone_change: ZoneChange | None = None,
    extra: ExtraPrompts | None = None,
) -> list[Slot]:
    """Every reminder that fires in (after, until], sorted by fire time.

    The result does not depend on how the time line is cut into windows: calling it for
    consecutive windows gives the same slots as one call over their union.
    `waning_since` is the instant relief was found waning: one extra PHQ-9 prompt then; `extra`
    holds the other extra PHQ-9s (a confirmation, a first PHQ-9 after a booster) and the snooze.
    With `zone_change`, slots up to `changed_at` follow the previous zone and later ones the
    schedule's zone, leaving out any slot whose key was already due before the change (flying west,
    the same local date comes round again and must not ask twice).
    """
    after, until = _as_utc("after", after), _as_utc("until", until)
    if waning_since is not None:
        waning_since = _as_utc("waning_since", waning_since)
    if zone_change is None:
        return _slots_in_one_zone(schedule, infusions, after, until, waning_since, extra)
    before = replace(schedule, timezone=zone_change.previous_timezone)
    changed_at = zone_change.changed_at
    # Keys can only collide across the change within a few days of it: local dates of two zones
    # differ by at most one, and quiet hours move a reminder by less than a day.
    already_due = {
        slot.slot_key
        for slot in _slots_in_one_zone(
            before, infusions, changed_at - timedelta(days=4), changed_at, waning_since, extra
        )
    }
    earlier = _slots_in_one_zone(
        before, infusions, after, min(until, changed_at), waning_since, extra
    )
    later = _slots_in_one_zone(
        schedule, infusions, max(after, changed_at), until, waning_since, extra
    )
    return earlier + [slot for slot in later if slot.slot_key not in already_due]


def next_slot(
    schedule: ReminderSchedule,
    infusions: Sequence[InfusionAnchor],
    after: datetime,
    *,
    within: timedelta = timedelta(days=15),
    waning_since: datetime | None = None,
    zone_change: ZoneChange | None = None,
    extra: ExtraPrompts | None = None,
) -> Slot | None:
    """The first reminder after `after`, looking `within` ahead (None when nothing is due by then)."""
    slots = next_slots(
        schedule,
        infusions,
        after,
        after + within,
        waning_since=waning_since,
        zone_change=zone_change,
        extra=extra,
    )
    return slots[0] if slots else None


def local_day_bounds(tz_name: str, local_date: date) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) of a local calendar day: 23 h, 24 h or 25 h long."""
    return _day_bounds(_zone("tz_name", tz_name), local_date)


def checkin_time_on(schedule: ReminderSchedule, local_date: date) -> datetime:
    """The patient's usual check-in time on a local day as an instant (UTC), moved to the end
    of quiet hours when it falls inside them."""
    tz = _zone("timezone", schedule.timezone)
    return _outside_quiet_hours(_wall_to_utc(local_date, schedule.checkin_at, tz), schedule, tz)


def satisfied(
    kind: ReminderKind,
    anchor: date | InfusionAnchor | datetime,
    checkins: Sequence[CheckinStamp],
    tz_name: str,
) -> bool:
    """Whether the check-in a reminder asks for was already done, so the reminder is not sent.

    `anchor` is the slot's local date for daily and weekly reminders, the infusion for the
    side-effect checks and the day-7/14 PHQ-9, and the `waning_since` instant for the waning prompt.
    - daily mood (regular or post-infusion): a mood check-in on that local day;
    - weekly PHQ-9/GAD-7: one taken on that local day or the 3 local days before;
    - after_2h: an `after` check-in from the infusion up to 20 h after it;
      after_24h: an `after` check-in 20 h or more after the infusion;
    - PHQ-9 day 7/14: a PHQ-9 on local day 6 to 8 (13 to 15) after the infusion's local day;
    - confirming PHQ-9: one taken since the confirmation became due (`anchor`, that instant);
    - first PHQ-9 after a booster: one taken since the booster (`anchor`, its InfusionAnchor);
    - waning PHQ-9: a PHQ-9 taken since relief was found waning;
    - journal: a journal entry written since the infusion (stamps of instrument "journal").
    """
    tz = _zone("tz_name", tz_name)
    instrument = INSTRUMENT[kind]
    taken = [c.taken_at for c in checkins if c.instrument == instrument]
    if kind in (ReminderKind.WANING_PHQ9, ReminderKind.CONFIRM_PHQ9):
        if not isinstance(anchor, datetime):
            raise _wrong_anchor(kind, "the instant it asks from", anchor)
        asked_from = _as_utc("anchor", anchor)
        return any(t >= asked_from for t in taken)
    if kind is ReminderKind.NADIR_PHQ9:
        if not isinstance(anchor, InfusionAnchor):
            raise _wrong_anchor(kind, "an InfusionAnchor", anchor)
        return any(t > anchor.given_at for t in taken)
    if kind is ReminderKind.JOURNAL:
        if not isinstance(anchor, InfusionAnchor):
            raise _wrong_anchor(kind, "an InfusionAnchor", anchor)
        return any(t >= anchor.given_at for t in taken)
    if kind in (ReminderKind.AFTER_2H, ReminderKind.AFTER_24H):
        if not isinstance(anchor, InfusionAnchor):
            raise _wrong_anchor(kind, "an InfusionAnchor", anchor)
        given_at = anchor.given_at
        if kind is ReminderKind.AFTER_2H:
            return any(given_at <= t < given_at + _AFTER_24H_FROM for t in taken)
        return any(t >= given_at + _AFTER_24H_FROM for t in taken)
    if kind in (ReminderKind.PHQ9_DAY7, ReminderKind.PHQ9_DAY14):
        if not isinstance(anchor, InfusionAnchor):
            raise _wrong_anchor(kind, "an InfusionAnchor", anchor)
        day = anchor.given_at.astimezone(tz).date() + timedelta(days=_ANCHOR_DAY[kind])
        start, _ = _day_bounds(tz, day - timedelta(days=1))
        _, end = _day_bounds(tz, day + timedelta(days=1))
        return any(start <= t < end for t in taken)
    # datetime is a date too, but a day-keyed reminder needs the local date itself.
    if isinstance(anchor, datetime) or not isinstance(anchor, date):
        raise _wrong_anchor(kind, "the local date", anchor)
    local_date = anchor
    first_day = local_date
    if kind in (ReminderKind.WEEKLY_PHQ9, ReminderKind.WEEKLY_GAD7):
        first_day = local_date - timedelta(days=_WEEKLY_STANDS_IN_DAYS)
    start, _ = _day_bounds(tz, first_day)
    _, end = _day_bounds(tz, local_date)
    return any(start <= t < end for t in taken)


def _zone(field_name: str, tz_name: str) -> ZoneInfo:
    """The zone of an IANA name, or a ScheduleError that names the field holding it."""
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ScheduleError(
            field_name, f"{tz_name!r} is not an IANA time zone name such as 'America/New_York'"
        ) from None


def _slots_in_one_zone(
    schedule: ReminderSchedule,
    infusions: Sequence[InfusionAnchor],
    after: datetime,
    until: datetime,
    waning_since: datetime | None,
    extra: ExtraPrompts | None,
) -> list[Slot]:
    if until <= after:
        return []
    tz = _zone("timezone", schedule.timezone)
    # Every slot fires within its own local day, so these days hold every candidate for the window;
    # one day of margin each side keeps the merge per key complete.
    first_day = after.astimezone(tz).date() - timedelta(days=1)
    last_day = until.astimezone(tz).date() + timedelta(days=1)
    # Infusion slots come at most 15 local days after the infusion.
    relevant = [i for i in infusions if after - timedelta(days=17) < i.given_at <= until]
    best: dict[str, Slot] = {}
    for slot in _candidates(schedule, tz, relevant, first_day, last_day, waning_since, extra):
        kept = best.get(slot.slot_key)
        if kept is None or _precedence(slot) < _precedence(kept):
            best[slot.slot_key] = slot
    due = [slot for slot in best.values() if after < slot.fire_at <= until]
    return sorted(due, key=lambda slot: (slot.fire_at, slot.slot_key))


def _candidates(
    schedule: ReminderSchedule,
    tz: ZoneInfo,
    infusions: Sequence[InfusionAnchor],
    first_day: date,
    last_day: date,
    waning_since: datetime | None,
    extra: ExtraPrompts | None,
) -> Iterator[Slot]:
    day = first_day
    while day <= last_day:
        if schedule.daily_mood_at is not None:
            yield from _on_local_day(
                ReminderKind.DAILY_MOOD, day, schedule.daily_mood_at, schedule, tz
            )
        for kind, weekly in (
            (ReminderKind.WEEKLY_PHQ9, schedule.weekly_phq9),
            (ReminderKind.WEEKLY_GAD7, schedule.weekly_gad7),
        ):
            if weekly is not None and day.weekday() == weekly[0]:
                yield from _on_local_day(kind, day, weekly[1], schedule, tz)
        day += timedelta(days=1)
    if schedule.infusion_nudges:
        for infusion in infusions:
            yield from _after_infusion(infusion, schedule, tz, first_day, last_day)
    if schedule.journal_prompts:
        for infusion in infusions:
            yield _journal_prompt(infusion, schedule, tz)
    extras = list(_extra_prompts(schedule, tz, waning_since, extra))
    snoozed_until = extra.snoozed_until if extra is not None else None
    # Left out before the merge: a snoozed prompt must not take its day's key from the weekly one.
    yield from (s for s in extras if snoozed_until is None or s.fire_at >= snoozed_until)


def _extra_prompts(
    schedule: ReminderSchedule,
    tz: ZoneInfo,
    waning_since: datetime | None,
    extra: ExtraPrompts | None,
) -> Iterator[Slot]:
    if waning_since is not None:
        yield _after_event(ReminderKind.WANING_PHQ9, waning_since, schedule, tz)
    if extra is None:
        return
    if extra.confirm_from is not None:
        due_on = extra.confirm_from.astimezone(tz).date()
        at = max(extra.confirm_from, _wall_to_utc(due_on, schedule.checkin_at, tz))
        yield _after_event(ReminderKind.CONFIRM_PHQ9, at, schedule, tz)
    if extra.nadir_at is not None:
        slot = _after_event(ReminderKind.NADIR_PHQ9, extra.nadir_at, schedule, tz)
        yield replace(slot, infusion=extra.booster)


def _after_infusion(
    infusion: InfusionAnchor,
    schedule: ReminderSchedule,
    tz: ZoneInfo,
    first_day: date,
    last_day: date,
) -> Iterator[Slot]:
    # Side-effect checks count elapsed hours (a check "24 h after" is 24 h after, even across a
    # clock change); the later reminders count local days, at the patient's usual check-in time.
    yield _after_event(
        ReminderKind.AFTER_2H, infusion.given_at + timedelta(hours=2), schedule, tz, infusion
    )
    yield _after_event(
        ReminderKind.AFTER_24H, infusion.given_at + timedelta(hours=24), schedule, tz, infusion
    )
    infusion_day = infusion.given_at.astimezone(tz).date()
    by_day = [(ReminderKind.POST_INFUSION_MOOD, n) for n in range(1, POST_INFUSION_MOOD_DAYS + 1)]
    for kind, days_after in [*by_day, *_ANCHOR_DAY.items()]:
        day = infusion_day + timedelta(days=days_after)
        if first_day <= day <= last_day:
            yield from _on_local_day(kind, day, schedule.checkin_at, schedule, tz, infusion)


def _journal_prompt(infusion: InfusionAnchor, schedule: ReminderSchedule, tz: ZoneInfo) -> Slot:
    """The journal prompt of the local day after the infusion, JOURNAL_PROMPT_LEAD before the
    check-in time (never before that day's midnight). Quiet hours move it to their end, on
    the next morning if need be, as a side-effect check is: a late prompt is still worth it."""
    day_after = infusion.given_at.astimezone(tz).date() + timedelta(days=1)
    check_in = datetime.combine(day_after, schedule.checkin_at)
    wall = max(check_in - JOURNAL_PROMPT_LEAD, datetime.combine(day_after, time(0, 0)))
    due_at = _wall_to_utc(day_after, wall.time(), tz)
    return _after_event(ReminderKind.JOURNAL, due_at, schedule, tz, infusion)


def _on_local_day(
    kind: ReminderKind,
    local_date: date,
    at: time,
    schedule: ReminderSchedule,
    tz: ZoneInfo,
    infusion: InfusionAnchor | None = None,
) -> Iterator[Slot]:
    """The reminder of one local day at a wall time, or nothing if quiet hours push it past that day."""
    slot = _day_slot(kind, local_date, at, schedule, tz)
    if slot is not None:
        yield slot if infusion is None else replace(slot, infusion=infusion)


@lru_cache(maxsize=65536)
def _day_slot(
    kind: ReminderKind, local_date: date, at: time, schedule: ReminderSchedule, tz: ZoneInfo
) -> Slot | None:
    # Cached: patients who share a zone and settings share their daily slots, and the tick
    # works out thousands of them when a popular reminder time comes round.
    _, end = _day_bounds(tz, local_date)
    fire_at = _outside_quiet_hours(_wall_to_utc(local_date, at, tz), schedule, tz)
    # A day's reminder never spills into the next day, where it would meet that day's own.
    if fire_at >= end:
        return None
    key = f"{INSTRUMENT[kind]}:{local_date.isoformat()}"
    return Slot(kind, local_date, fire_at, end, key, URL[kind])


def _after_event(
    kind: ReminderKind,
    due_at: datetime,
    schedule: ReminderSchedule,
    tz: ZoneInfo,
    infusion: InfusionAnchor | None = None,
) -> Slot:
    """A reminder due at an instant: it belongs to the local day it actually fires on.

    A side-effect check due at 23:00 is still worth asking at the end of quiet hours next morning,
    and is then that morning's reminder, expiring at the end of that day.
    """
    fire_at = _outside_quiet_hours(due_at.astimezone(UTC), schedule, tz)
    local_date = fire_at.astimezone(tz).date()
    _, end = _day_bounds(tz, local_date)
    if infusion is not None:
        key = f"{kind.value}:infusion-{infusion.id}"
    else:
        key = f"{INSTRUMENT[kind]}:{local_date.isoformat()}"
    return Slot(kind, local_date, fire_at, end, key, URL[kind], infusion)


def _outside_quiet_hours(fire_at: datetime, schedule: ReminderSchedule, tz: ZoneInfo) -> datetime:
    """The instant itself, or the end of the quiet hours it falls in."""
    local = fire_at.astimezone(tz)
    if not schedule.in_quiet_hours(local.time()):
        return fire_at
    quiet_ends_on = local.date()
    wraps_midnight = schedule.quiet_start > schedule.quiet_end
    if wraps_midnight and local.time() >= schedule.quiet_start:
        quiet_ends_on += timedelta(days=1)
    return _wall_to_utc(quiet_ends_on, schedule.quiet_end, tz)


@lru_cache(maxsize=4096)
def _wall_to_utc(local_date: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant a local wall-clock time means, for a reminder.

    In a fall-back overlap the wall time happens twice: take the first (fold=0), so it fires once.
    In a spring-forward gap it never happens: take the first instant after the gap (02:30 on the
    US spring-forward day is 03:00 local).
    """
    naive = datetime.combine(local_date, wall.replace(fold=0))
    for fold in (0, 1):
        instant = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        # Some zones fall back at midnight, where only the second reading of the time exists.
        if instant.astimezone(tz).replace(tzinfo=None) == naive:
            return instant
    # Inside a gap the two folds give the instants just before and just after it: find the
    # transition, the first instant whose wall time is past the wanted one.
    candidates = sorted(naive.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1))
    before = math.floor(candidates[0].timestamp())
    past = math.ceil(candidates[1].timestamp())
    while past - before > 1:
        middle = (before + past) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(tz).replace(tzinfo=None) > naive:
            past = middle
        else:
            before = middle
    return datetime.fromtimestamp(past, UTC)


def _day_bounds(tz: ZoneInfo, local_date: date) -> tuple[datetime, datetime]:
    start = _wall_to_utc(local_date, time(0, 0), tz)
    end = _wall_to_utc(local_date + timedelta(days=1), time(0, 0), tz)
    return start, end


def _precedence(slot: Slot) -> tuple[bool, datetime, int, float, int]:
    # Among reminders sharing a key: earliest first, then the most specific reason, then the
    # latest infusion (the one whose relief is being followed now). A confirming PHQ-9 takes its
    # day whatever the time: an earlier one that day (the weekly at 19:00, before the
    # confirmation is due at 20:05) would come too soon to count as the confirmation.
    infusion = slot.infusion
    latest_first = -infusion.given_at.timestamp() if infusion is not None else 0.0
    return (
        slot.kind is not ReminderKind.CONFIRM_PHQ9,
        slot.fire_at,
        _RANK[slot.kind],
        latest_first,
        -(infusion.id if infusion else 0),
    )


def _wrong_anchor(kind: ReminderKind, expected: str, anchor: object) -> TypeError:
    return TypeError(f"{kind.value} is anchored to {expected}, not {anchor!r}")


def _check_wall_time(field_name: str, value: object) -> None:
    if not isinstance(value, time):
        raise ScheduleError(field_name, f"give a local time such as 20:00, not {value!r}")
    if value.tzinfo is not None:
        raise ScheduleError(field_name, "give a wall-clock time without a time zone")


def _check_aware(field_name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ScheduleError(field_name, f"give a time zone-aware instant, not {value!r}")


def _as_utc(field_name: str, value: datetime) -> datetime:
    _check_aware(field_name, value)
    return value.astimezone(UTC)
