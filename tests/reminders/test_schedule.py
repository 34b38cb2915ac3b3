"""When reminders fire in the patient's local time, and when they are no longer needed: no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afterglow.reminders.schedule import (
    CheckinStamp,
    InfusionAnchor,
    ReminderKind,
    ReminderSchedule,
    Slot,
    ZoneChange,
    local_day_bounds,
    next_slot,
    next_slots,
    satisfied,
)

NEW_YORK = "America/New_York"
MIDNIGHT = time(0, 0)
K = ReminderKind


def without_quiet_hours(tz_name: str, daily_mood_at: time) -> ReminderSchedule:
    """Quiet hours from midnight to midnight: none at all."""
    return ReminderSchedule(
        tz_name, daily_mood_at=daily_mood_at, quiet_start=MIDNIGHT, quiet_end=MIDNIGHT
    )


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def at(tz_name: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A local wall time that exists once, as an aware instant."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz_name))


def of_kind(slots: list[Slot], *kinds: ReminderKind) -> list[Slot]:
    return [slot for slot in slots if slot.kind in kinds]


def fires(slots: list[Slot]) -> list[tuple[date, datetime]]:
    return [(slot.local_date, slot.fire_at) for slot in slots]


def daily_slots(schedule: ReminderSchedule, first: datetime, last: datetime) -> list[Slot]:
    """The slots from 12 h before `first` to 12 h after `last`: one per day for a daily reminder."""
    return next_slots(schedule, [], first - timedelta(hours=12), last + timedelta(hours=12))


# Daily mood at 20:00 around each clock change of 2026; the UTC instants are worked out by hand
# from the offsets before and after the change.
@pytest.mark.parametrize(
    ("tz_name", "expected"),
    [
        pytest.param(
            NEW_YORK,
            [
                (date(2026, 3, 7), utc(2026, 3, 8, 1)),  # EST, UTC-5
                (date(2026, 3, 8), utc(2026, 3, 9, 0)),  # EDT, UTC-4 from 02:00 that morning
                (date(2026, 3, 9), utc(2026, 3, 10, 0)),
            ],
            id="new-york-spring-forward",
        ),
        pytest.param(
            NEW_YORK,
            [
                (date(2026, 10, 31), utc(2026, 11, 1, 0)),
                (date(2026, 11, 1), utc(2026, 11, 2, 1)),  # back to EST at 02:00
                (date(2026, 11, 2), utc(2026, 11, 3, 1)),
            ],
            id="new-york-fall-back",
        ),
        pytest.param(
            "Europe/London",
            [
                (date(2026, 3, 28), utc(2026, 3, 28, 20)),  # GMT
                (date(2026, 3, 29), utc(2026, 3, 29, 19)),  # BST from 01:00 UTC
                (date(2026, 3, 30), utc(2026, 3, 30, 19)),
            ],
            id="london-spring-forward",
        ),
        pytest.param(
            "Europe/London",
            [
                (date(2026, 10, 24), utc(2026, 10, 24, 19)),
                (date(2026, 10, 25), utc(2026, 10, 25, 20)),
                (date(2026, 10, 26), utc(2026, 10, 26, 20)),
            ],
            id="london-fall-back",
        ),
        pytest.param(
            "Australia/Lord_Howe",
            [
                (date(2026, 4, 4), utc(2026, 4, 4, 9)),  # UTC+11
                (date(2026, 4, 5), utc(2026, 4, 5, 9, 30)),  # UTC+10:30: a 30-minute change
                (date(2026, 4, 6), utc(2026, 4, 6, 9, 30)),
            ],
            id="lord-howe-fall-back",
        ),
        pytest.param(
            "Australia/Lord_Howe",
            [
                (date(2026, 10, 3), utc(2026, 10, 3, 9, 30)),
                (date(2026, 10, 4), utc(2026, 10, 4, 9)),
                (date(2026, 10, 5), utc(2026, 10, 5, 9)),
            ],
            id="lord-howe-spring-forward",
        ),
        pytest.param(
            "Pacific/Chatham",
            [
                (date(2026, 4, 4), utc(2026, 4, 4, 6, 15)),  # UTC+13:45
                (date(2026, 4, 5), utc(2026, 4, 5, 7, 15)),  # UTC+12:45
                (date(2026, 4, 6), utc(2026, 4, 6, 7, 15)),
            ],
            id="chatham-fall-back",
        ),
        pytest.param(
            "Pacific/Chatham",
            [
                (date(2026, 9, 26), utc(2026, 9, 26, 7, 15)),
                (date(2026, 9, 27), utc(2026, 9, 27, 6, 15)),
                (date(2026, 9, 28), utc(2026, 9, 28, 6, 15)),
            ],
            id="chatham-spring-forward",
        ),
        pytest.param(
            "Asia/Kolkata",
            [
                (date(2026, 3, 7), utc(2026, 3, 7, 14, 30)),  # UTC+5:30 all year
                (date(2026, 3, 8), utc(2026, 3, 8, 14, 30)),
                (date(2026, 3, 9), utc(2026, 3, 9, 14, 30)),
            ],
            id="kolkata-no-dst",
        ),
    ],
)
def test_daily_mood_fires_once_per_local_day_at_the_right_utc_instant_across_clock_changes(
    tz_name: str, expected: list[tuple[date, datetime]]
) -> None:
    schedule = ReminderSchedule(tz_name)

    slots = daily_slots(schedule, expected[0][1], expected[-1][1])

    assert fires(slots) == expected
    assert [slot.kind for slot in slots] == [K.DAILY_MOOD] * 3
    assert [slot.slot_key for slot in slots] == [f"mood:{day.isoformat()}" for day, _ in expected]
    assert {slot.url for slot in slots} == {"/#/checkin/mood"}


@pytest.mark.parametrize(
    ("tz_name", "wanted", "day", "fires_at"),
    [
        # 02:00-03:00 does not exist: 03:00 EDT is 07:00 UTC.
        (NEW_YORK, time(2, 30), date(2026, 3, 8), utc(2026, 3, 8, 7)),
        (NEW_YORK, time(2, 0), date(2026, 3, 8), utc(2026, 3, 8, 7)),
        # 01:00-02:00 does not exist: 02:00 BST is 01:00 UTC.
        ("Europe/London", time(1, 30), date(2026, 3, 29), utc(2026, 3, 29, 1)),
        # 02:00-02:30 does not exist: 02:30 at UTC+11 is 15:30 UTC the day before.
        ("Australia/Lord_Howe", time(2, 15), date(2026, 10, 4), utc(2026, 10, 3, 15, 30)),
        # 02:45-03:45 does not exist: 03:45 at UTC+13:45 is 14:00 UTC the day before.
        ("Pacific/Chatham", time(3, 0), date(2026, 9, 27), utc(2026, 9, 26, 14)),
    ],
)
def test_a_time_in_the_spring_forward_gap_fires_at_the_first_minute_after_it(
    tz_name: str, wanted: time, day: date, fires_at: datetime
) -> None:
    schedule = without_quiet_hours(tz_name, wanted)

    slots = next_slots(schedule, [], *local_day_bounds(tz_name, day))

    assert fires(slots) == [(day, fires_at)]


def test_the_days_around_the_gap_keep_their_own_time() -> None:
    schedule = without_quiet_hours(NEW_YORK, time(2, 30))

    slots = next_slots(schedule, [], utc(2026, 3, 7, 5), utc(2026, 3, 10, 4))

    assert fires(slots) == [
        (date(2026, 3, 7), utc(2026, 3, 7, 7, 30)),  # 02:30 EST
        (date(2026, 3, 8), utc(2026, 3, 8, 7)),  # 03:00 EDT
        (date(2026, 3, 9), utc(2026, 3, 9, 6, 30)),  # 02:30 EDT
    ]


@pytest.mark.parametrize(
    ("tz_name", "wanted", "day", "first_occurrence"),
    [
        # 01:00-02:00 happens twice on 1 November: first in EDT.
        (NEW_YORK, time(1, 30), date(2026, 11, 1), utc(2026, 11, 1, 5, 30)),
        ("Europe/London", time(1, 30), date(2026, 10, 25), utc(2026, 10, 25, 0, 30)),
        ("Australia/Lord_Howe", time(1, 45), date(2026, 4, 5), utc(2026, 4, 4, 14, 45)),
        ("Pacific/Chatham", time(3, 0), date(2026, 4, 5), utc(2026, 4, 4, 13, 15)),
    ],
)
def test_a_time_in_the_fall_back_overlap_fires_once_at_its_first_occurrence(
    tz_name: str, wanted: time, day: date, first_occurrence: datetime
) -> None:
    schedule = without_quiet_hours(tz_name, wanted)

    slots = next_slots(schedule, [], *local_day_bounds(tz_name, day))

    assert fires(slots) == [(day, first_occurrence)]


@pytest.mark.parametrize(
    ("tz_name", "day", "start", "end"),
    [
        (NEW_YORK, date(2026, 3, 8), utc(2026, 3, 8, 5), utc(2026, 3, 9, 4)),  # 23 h
        (NEW_YORK, date(2026, 11, 1), utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)),  # 25 h
        ("Australia/Lord_Howe", date(2026, 10, 4), utc(2026, 10, 3, 13, 30), utc(2026, 10, 4, 13)),
        ("Asia/Kolkata", date(2026, 3, 8), utc(2026, 3, 7, 18, 30), utc(2026, 3, 8, 18, 30)),
        # Santiago changes clocks at midnight: on 6 September the day starts at 01:00.
        ("America/Santiago", date(2026, 9, 6), utc(2026, 9, 6, 4), utc(2026, 9, 7, 3)),
    ],
)
def test_local_day_bounds_are_the_utc_instants_of_local_midnights(
    tz_name: str, day: date, start: datetime, end: datetime
) -> None:
    assert local_day_bounds(tz_name, day) == (start, end)


def test_a_reminder_expires_at_the_end_of_its_local_day() -> None:
    schedule = ReminderSchedule(NEW_YORK)

    spring, fall = (
        next_slots(schedule, [], *local_day_bounds(NEW_YORK, day))[0]
        for day in (date(2026, 3, 8), date(2026, 11, 1))
    )

    assert spring.expires_at == utc(2026, 3, 9, 4)
    assert fall.expires_at == utc(2026, 11, 2, 5)


def test_a_side_effect_check_due_in_evening_quiet_hours_is_sent_next_morning_as_that_days_reminder() -> (
    None
):
    # Given at 20:30 EDT: +2 h is 22:30, inside quiet hours 21:30-08:00.
    infusion = InfusionAnchor(17, at(NEW_YORK, 2026, 3, 10, 20, 30))
    schedule = ReminderSchedule(NEW_YORK, daily_mood_at=None)

    slots = next_slots(schedule, [infusion], utc(2026, 3, 10), utc(2026, 3, 13))

    after_2h, after_24h = of_kind(slots, K.AFTER_2H, K.AFTER_24H)
    assert after_2h.fire_at == utc(2026, 3, 11, 12)  # 08:00 EDT
    assert after_2h.local_date == date(2026, 3, 11)
    assert after_2h.expires_at == utc(2026, 3, 12, 4)
    assert after_2h.slot_key == "after_2h:infusion-17"
    assert after_2h.url == "/#/checkin/after"
    assert after_2h.infusion == infusion
    # 24 h later is 20:30, outside quiet hours, on the same local day as the deferred check.
    assert after_24h.fire_at == utc(2026, 3, 12, 0, 30)
    assert after_24h.local_date == date(2026, 3, 11)
    assert after_24h.slot_key == "after_24h:infusion-17"


def test_a_side_effect_check_due_in_morning_quiet_hours_waits_for_their_end_the_same_day() -> None:
    infusion = InfusionAnchor(3, at(NEW_YORK, 2026, 3, 10, 5))
    schedule = ReminderSchedule(NEW_YORK)

    slots = next_slots(schedule, [infusion], utc(2026, 3, 10), utc(2026, 3, 11))

    (after_2h,) = of_kind(slots, K.AFTER_2H)
    assert fires([after_2h]) == [(date(2026, 3, 10), utc(2026, 3, 10, 12))]


def test_quiet_hours_that_do_not_wrap_midnight_defer_to_their_end() -> None:
    schedule = ReminderSchedule(NEW_YORK, quiet_start=time(13, 0), quiet_end=time(15, 0))
    infusion = InfusionAnchor(4, at(NEW_YORK, 2026, 3, 10, 11, 30))

    slots = next_slots(schedule, [infusion], utc(2026, 3, 10), utc(2026, 3, 11))

    (after_2h,) = of_kind(slots, K.AFTER_2H)
    assert after_2h.fire_at == utc(2026, 3, 10, 19)  # 15:00 EDT


def test_equal_quiet_start_and_end_mean_no_quiet_hours() -> None:
    schedule = without_quiet_hours(NEW_YORK, time(23, 0))
    infusion = InfusionAnchor(5, at(NEW_YORK, 2026, 3, 10, 1))

    slots = next_slots(schedule, [infusion], utc(2026, 3, 10, 4), utc(2026, 3, 11, 4))

    assert fires(of_kind(slots, K.AFTER_2H)) == [(date(2026, 3, 10), utc(2026, 3, 10, 7))]
    assert fires(of_kind(slots, K.DAILY_MOOD)) == [(date(2026, 3, 10), utc(2026, 3, 11, 3))]


def test_a_days_reminder_pushed_past_the_end_of_its_day_is_skipped_for_that_day() -> None:
    # Quiet 03:00 until 02:15 the next day; 02:30 is outside them, but on the spring-forward day
    # 02:30 becomes 03:00, which is quiet until the next day: that day has no mood reminder.
    schedule = ReminderSchedule(
        NEW_YORK, daily_mood_at=time(2, 30), quiet_start=time(3, 0), quiet_end=time(2, 15)
    )

    slots = next_slots(schedule, [], utc(2026, 3, 7, 5), utc(2026, 3, 10, 4))

    assert [slot.local_date for slot in slots] == [date(2026, 3, 7), date(2026, 3, 9)]


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"daily_mood_at": time(22, 0)}, "daily_mood_at"),  # inside 21:30-08:00
        ({"daily_mood_at": time(7, 30)}, "daily_mood_at"),
        ({"daily_mood_at": time(20, 0, tzinfo=UTC)}, "daily_mood_at"),
        ({"weekly_phq9": (7, time(9, 0))}, "weekly_phq9"),
        ({"weekly_phq9": (True, time(9, 0))}, "weekly_phq9"),
        ({"weekly_gad7": (2, time(23, 0))}, "weekly_gad7"),
        ({"weekly_gad7": (2,)}, "weekly_gad7"),
        ({"quiet_end": "08:00"}, "quiet_end"),
        # Daily mood off: the post-infusion nudges use 20:00, here inside quiet hours.
        ({"daily_mood_at": None, "quiet_start": time(19, 0)}, "daily_mood_at"),
    ],
)
def test_a_schedule_that_cannot_work_is_refused_naming_the_field(
    fields: dict[str, object], named: str
) -> None:
    arguments: dict[str, object] = {"timezone": NEW_YORK, **fields}

    with pytest.raises(ValueError, match=f"^{named}: "):
        ReminderSchedule(**arguments)  # type: ignore[arg-type]


def test_daily_mood_off_with_infusion_nudges_off_may_have_any_quiet_hours() -> None:
    schedule = ReminderSchedule(
        NEW_YORK, daily_mood_at=None, quiet_start=time(19, 0), infusion_nudges=False
    )

    assert next_slots(schedule, [], utc(2026, 3, 1), utc(2026, 4, 1)) == []


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^given_at: "):
        InfusionAnchor(1, datetime(2026, 3, 1, 10))
    with pytest.raises(ValueError, match=r"^after: "):
        next_slots(ReminderSchedule(NEW_YORK), [], datetime(2026, 3, 1), utc(2026, 3, 2))


def test_an_infusion_brings_side_effect_checks_phq9_on_days_7_and_14_and_two_weeks_of_mood() -> (
    None
):
    # Given Saturday 7 March 14:00 EST; the clocks go forward the next night.
    infusion = InfusionAnchor(17, at(NEW_YORK, 2026, 3, 7, 14))
    schedule = ReminderSchedule(NEW_YORK)

    slots = next_slots(schedule, [infusion], utc(2026, 3, 7), utc(2026, 3, 25))

    assert fires(of_kind(slots, K.AFTER_2H)) == [(date(2026, 3, 7), utc(2026, 3, 7, 21))]
    # 24 h of elapsed time, not the same wall time: 15:00 EDT on the day after.
    assert fires(of_kind(slots, K.AFTER_24H)) == [(date(2026, 3, 8), utc(2026, 3, 8, 19))]
    day7, day14 = of_kind(slots, K.PHQ9_DAY7, K.PHQ9_DAY14)
    assert (day7.kind, day7.local_date, day7.fire_at) == (
        K.PHQ9_DAY7,
        date(2026, 3, 14),
        utc(2026, 3, 15, 0),  # at the patient's check-in time, 20:00 EDT
    )
    assert (day14.kind, day14.local_date, day14.fire_at) == (
        K.PHQ9_DAY14,
        date(2026, 3, 21),
        utc(2026, 3, 22, 0),
    )
    assert (day7.slot_key, day7.url) == ("phq9:2026-03-14", "/#/checkin/phq9")


def test_post_infusion_mood_nudges_replace_the_daily_mood_reminder_one_per_local_day() -> None:
    infusion = InfusionAnchor(17, at(NEW_YORK, 2026, 3, 7, 14))
    schedule = ReminderSchedule(NEW_YORK)

    slots = next_slots(schedule, [infusion], utc(2026, 3, 7, 5), utc(2026, 3, 24, 12))

    mood = of_kind(slots, K.DAILY_MOOD, K.POST_INFUSION_MOOD)
    days = [slot.local_date for slot in mood]
    assert days == [date(2026, 3, 7) + timedelta(days=n) for n in range(17)]
    kinds = {slot.local_date: slot.kind for slot in mood}
    assert kinds[date(2026, 3, 7)] == K.DAILY_MOOD  # the infusion day itself
    assert {kinds[date(2026, 3, 7) + timedelta(days=n)] for n in range(1, 15)} == {
        K.POST_INFUSION_MOOD
    }
    assert kinds[date(2026, 3, 22)] == K.DAILY_MOOD
    assert {slot.fire_at.astimezone(ZoneInfo(NEW_YORK)).time() for slot in mood} == {time(20, 0)}


def test_with_daily_mood_off_an_infusion_still_brings_14_days_of_mood_nudges() -> None:
    infusion = InfusionAnchor(17, at(NEW_YORK, 2026, 3, 7, 14))
    schedule = ReminderSchedule(NEW_YORK, daily_mood_at=None)

    slots = next_slots(schedule, [infusion], utc(2026, 3, 1), utc(2026, 4, 1))

    mood = of_kind(slots, K.DAILY_MOOD, K.POST_INFUSION_MOOD)
    assert [slot.local_date for slot in mood] == [
        date(2026, 3, 8) + timedelta(days=n) for n in range(14)
    ]
    assert {slot.infusion for slot in mood} == {infusion}


def test_infusion_nudges_off_means_nothing_anchored_to_infusions() -> None:
    infusion = InfusionAnchor(17, at(NEW_YORK, 2026, 3, 7, 14))
    schedule = ReminderSchedule(NEW_YORK, infusion_nudges=False)

    slots = next_slots(schedule, [infusion], utc(2026, 3, 1), utc(2026, 4, 1))

    assert {slot.kind for slot in slots} == {K.DAILY_MOOD}


def test_infusions_a_week_apart_give_one_phq9_and_one_mood_reminder_per_day() -> None:
    first = InfusionAnchor(1, at(NEW_YORK, 2026, 3, 3, 10))
    second = InfusionAnchor(2, at(NEW_YORK, 2026, 3, 10, 10))
    schedule = ReminderSchedule(NEW_YORK, daily_mood_at=None)

    slots = next_slots(schedule, [first, second], utc(2026, 3, 3), utc(2026, 4, 1))

    phq9 = of_kind(slots, K.PHQ9_DAY7, K.PHQ9_DAY14)
    # The first infusion's day 14 is the second's day 7: asked once, as the newer infusion's day 7.
    assert [(s.local_date, s.kind, s.infusion) for s in phq9] == [
        (date(2026, 3, 10), K.PHQ9_DAY7, first),
        (date(2026, 3, 17), K.PHQ9_DAY7, second),
        (date(2026, 3, 24), K.PHQ9_DAY14, second),
    ]
    mood = of_kind(slots, K.POST_INFUSION_MOOD)
    assert [s.local_date for s in mood] == [date(2026, 3, 4) + timedelta(days=n) for n in range(21)]
    assert {s.infusion for s in mood if s.local_date >= date(2026, 3, 11)} == {second}
    assert len({s.slot_key for s in slots}) == len(slots)


def test_weekly_phq9_and_gad7_come_on_the_chosen_weekday_at_the_chosen_time() -> None:
    schedule = ReminderSchedule(
        NEW_YORK, weekly_phq9=(0, time(9, 0)), weekly_gad7=(3, time(18, 0))
    )  # Mondays 09:00, Thursdays 18:00

    slots = next_slots(schedule, [], utc(2026, 3, 1, 5), utc(2026, 4, 1, 4))

    phq9 = of_kind(slots, K.WEEKLY_PHQ9)
    gad7 = of_kind(slots, K.WEEKLY_GAD7)
    assert [s.local_date.day for s in phq9] == [2, 9, 16, 23, 30]
    assert [s.local_date.day for s in gad7] == [5, 12, 19, 26]
    assert phq9[0].fire_at == utc(2026, 3, 2, 14)  # 09:00 EST
    assert phq9[1].fire_at == utc(2026, 3, 9, 13)  # 09:00 EDT
    assert (gad7[0].slot_key, gad7[0].url) == ("gad7:2026-03-05", "/#/checkin/gad7")


def test_when_the_weekly_phq9_falls_on_day_7_the_earlier_of_the_two_is_sent_alone() -> None:
    infusion = InfusionAnchor(8, at(NEW_YORK, 2026, 3, 10, 10))  # a Tuesday
    schedule = ReminderSchedule(NEW_YORK, weekly_phq9=(1, time(9, 0)))  # Tuesdays 09:00

    slots = next_slots(schedule, [infusion], utc(2026, 3, 11), utc(2026, 4, 1))

    phq9 = of_kind(slots, K.WEEKLY_PHQ9, K.PHQ9_DAY7, K.PHQ9_DAY14)
    assert [(s.local_date, s.kind, s.fire_at) for s in phq9] == [
        (date(2026, 3, 17), K.WEEKLY_PHQ9, utc(2026, 3, 17, 13)),
        (date(2026, 3, 24), K.WEEKLY_PHQ9, utc(2026, 3, 24, 13)),
        (date(2026, 3, 31), K.WEEKLY_PHQ9, utc(2026, 3, 31, 13)),
    ]


def test_waning_relief_prompts_one_extra_phq9_after_quiet_hours() -> None:
    schedule = ReminderSchedule(NEW_YORK)
    waning_since = at(NEW_YORK, 2026, 3, 12, 23, 10)

    slots = next_slots(schedule, [], utc(2026, 3, 12), utc(2026, 3, 20), waning_since=waning_since)

    (waning,) = of_kind(slots, K.WANING_PHQ9)
    assert waning.fire_at == utc(2026, 3, 13, 12)  # 08:00 EDT the next morning
    assert (waning.local_date, waning.slot_key) == (date(2026, 3, 13), "phq9:2026-03-13")
    assert waning.url == "/#/checkin/phq9"


def test_a_waning_prompt_on_a_weekly_phq9_day_asks_once_at_the_earlier_time() -> None:
    schedule = ReminderSchedule(NEW_YORK, weekly_phq9=(4, time(9, 0)))  # Fridays 09:00
    waning_since = at(NEW_YORK, 2026, 3, 13, 7)  # Friday, in quiet hours until 08:00

    slots = next_slots(schedule, [], utc(2026, 3, 13), utc(2026, 3, 14), waning_since=waning_since)

    assert [(s.kind, s.fire_at) for s in of_kind(slots, K.WANING_PHQ9, K.WEEKLY_PHQ9)] == [
        (K.WANING_PHQ9, utc(2026, 3, 13, 12))
    ]


def test_flying_west_the_same_local_date_does_not_ask_for_mood_twice() -> None:
    # 20:00 GMT reminder sent in London; landing in New York at 18:00 EDT the same date.
    london_slots = next_slots(
        ReminderSchedule("Europe/London"), [], utc(2026, 3, 9), utc(2026, 3, 10)
    )
    landed = utc(2026, 3, 9, 22)
    in_new_york = ReminderSchedule(NEW_YORK)
    change = ZoneChange("Europe/London", landed)

    slots = next_slots(in_new_york, [], landed, utc(2026, 3, 12), zone_change=change)
    later_tick = next_slots(
        in_new_york, [], utc(2026, 3, 9, 23, 59), utc(2026, 3, 10, 0, 1), zone_change=change
    )

    assert fires(london_slots) == [(date(2026, 3, 9), utc(2026, 3, 9, 20))]
    assert fires(slots) == [
        (date(2026, 3, 10), utc(2026, 3, 11, 0)),
        (date(2026, 3, 11), utc(2026, 3, 12, 0)),
    ]
    assert later_tick == []
    # Without knowing about the change, New York's 9 March would come round again.
    assert next_slots(in_new_york, [], landed, utc(2026, 3, 10, 1))[0].slot_key == "mood:2026-03-09"


def test_flying_east_the_new_zone_takes_effect_from_the_next_slot() -> None:
    landed = utc(2026, 3, 10, 8)
    in_london = ReminderSchedule("Europe/London")
    change = ZoneChange(NEW_YORK, landed)

    slots = next_slots(in_london, [], utc(2026, 3, 8, 12), utc(2026, 3, 12), zone_change=change)

    assert fires(slots) == [
        (date(2026, 3, 8), utc(2026, 3, 9, 0)),  # 20:00 EDT, still in New York
        (date(2026, 3, 9), utc(2026, 3, 10, 0)),
        (date(2026, 3, 10), utc(2026, 3, 10, 20)),  # 20:00 GMT, in London
        (date(2026, 3, 11), utc(2026, 3, 11, 20)),
    ]
    first_in_london = next_slot(in_london, [], landed, zone_change=change)
    assert first_in_london is not None
    assert first_in_london.fire_at == utc(2026, 3, 10, 20)


def test_a_side_effect_check_already_sent_is_not_sent_again_after_a_zone_change() -> None:
    # Given at 19:00 EST in New York: +2 h is 21:00 EST (02:00 UTC), outside quiet hours there.
    # In London that instant is 02:00, inside quiet hours, which would move it to 08:00.
    infusion = InfusionAnchor(9, at(NEW_YORK, 2026, 3, 5, 19))
    change = ZoneChange(NEW_YORK, utc(2026, 3, 6, 3))

    slots = next_slots(
        ReminderSchedule("Europe/London"),
        [infusion],
        utc(2026, 3, 6, 3),
        utc(2026, 3, 8),
        zone_change=change,
    )

    assert of_kind(slots, K.AFTER_2H) == []
    assert [s.slot_key for s in of_kind(slots, K.AFTER_24H)] == ["after_24h:infusion-9"]


def rich_schedule_inputs() -> tuple[ReminderSchedule, list[InfusionAnchor], datetime]:
    schedule = ReminderSchedule(NEW_YORK, weekly_phq9=(0, time(9, 0)), weekly_gad7=(5, time(11, 0)))
    infusions = [
        InfusionAnchor(1, at(NEW_YORK, 2026, 2, 24, 10)),
        InfusionAnchor(2, at(NEW_YORK, 2026, 3, 3, 21, 15)),
        InfusionAnchor(3, at(NEW_YORK, 2026, 3, 10, 9)),
    ]
    return schedule, infusions, at(NEW_YORK, 2026, 3, 14, 23)


def test_slot_keys_are_unique_and_the_same_for_the_same_inputs() -> None:
    schedule, infusions, waning_since = rich_schedule_inputs()

    def compute() -> list[Slot]:
        return next_slots(
            schedule, infusions, utc(2026, 2, 20), utc(2026, 4, 10), waning_since=waning_since
        )

    slots = compute()

    assert len({slot.slot_key for slot in slots}) == len(slots)
    assert compute() == slots
    assert [slot.fire_at for slot in slots] == sorted(slot.fire_at for slot in slots)


@pytest.mark.parametrize("step", [timedelta(minutes=7), timedelta(hours=5), timedelta(days=1)])
def test_ticking_window_by_window_gives_the_same_slots_as_one_long_window(step: timedelta) -> None:
    schedule, infusions, waning_since = rich_schedule_inputs()
    start, end = utc(2026, 2, 27), utc(2026, 3, 27)
    whole = next_slots(schedule, infusions, start, end, waning_since=waning_since)

    ticked: list[Slot] = []
    tick = start
    while tick < end:
        ticked += next_slots(schedule, infusions, tick, tick + step, waning_since=waning_since)
        tick += step

    assert ticked == whole


def test_next_slot_is_the_first_slot_strictly_after_the_given_instant() -> None:
    schedule = ReminderSchedule(NEW_YORK)

    upcoming = next_slot(schedule, [], utc(2026, 3, 9, 0))

    assert upcoming is not None
    assert upcoming.slot_key == "mood:2026-03-09"
    assert next_slot(ReminderSchedule(NEW_YORK, daily_mood_at=None), [], utc(2026, 3, 9)) is None


# satisfied: a reminder whose check-in is already done is not sent.


def stamp(instrument: str, taken_at: datetime) -> list[CheckinStamp]:
    return [CheckinStamp(instrument, taken_at)]


def test_daily_mood_is_satisfied_by_a_mood_check_in_on_that_local_day() -> None:
    day = date(2026, 3, 8)
    morning = stamp("mood", at(NEW_YORK, 2026, 3, 8, 10))
    late_the_night_before = stamp("mood", at(NEW_YORK, 2026, 3, 7, 23, 30))  # 04:30 UTC on the 8th

    assert satisfied(K.DAILY_MOOD, day, morning, NEW_YORK)
    assert satisfied(K.POST_INFUSION_MOOD, day, morning, NEW_YORK)
    assert not satisfied(K.DAILY_MOOD, day, late_the_night_before, NEW_YORK)
    assert not satisfied(K.DAILY_MOOD, date(2026, 3, 9), morning, NEW_YORK)
    assert not satisfied(K.DAILY_MOOD, day, stamp("phq9", at(NEW_YORK, 2026, 3, 8, 10)), NEW_YORK)


def test_a_weekly_phq9_is_satisfied_by_one_taken_that_day_or_in_the_three_days_before() -> None:
    monday = date(2026, 3, 16)

    def taken_on(day: int, hour: int = 12) -> list[CheckinStamp]:
        return stamp("phq9", at(NEW_YORK, 2026, 3, day, hour))

    assert satisfied(K.WEEKLY_PHQ9, monday, taken_on(13, 0), NEW_YORK)  # Friday just after midnight
    assert satisfied(K.WEEKLY_PHQ9, monday, taken_on(16, 7), NEW_YORK)
    assert not satisfied(K.WEEKLY_PHQ9, monday, taken_on(12, 23), NEW_YORK)  # Thursday
    # Last Monday's answer belongs to last Monday's reminder.
    assert not satisfied(K.WEEKLY_PHQ9, monday, taken_on(9, 21), NEW_YORK)
    assert not satisfied(K.WEEKLY_GAD7, monday, taken_on(16), NEW_YORK)
    assert satisfied(K.WEEKLY_GAD7, monday, stamp("gad7", at(NEW_YORK, 2026, 3, 14, 9)), NEW_YORK)


def test_side_effect_checks_are_satisfied_by_an_after_check_in_in_their_own_window() -> None:
    infusion = InfusionAnchor(17, utc(2026, 3, 10, 14))
    two_hours = stamp("after", utc(2026, 3, 10, 16, 30))
    next_day = stamp("after", utc(2026, 3, 11, 10))  # 20 h after
    before = stamp("after", utc(2026, 3, 10, 13))

    assert satisfied(K.AFTER_2H, infusion, two_hours, NEW_YORK)
    assert not satisfied(K.AFTER_24H, infusion, two_hours, NEW_YORK)
    assert satisfied(K.AFTER_24H, infusion, next_day, NEW_YORK)
    assert not satisfied(K.AFTER_2H, infusion, next_day, NEW_YORK)
    assert not satisfied(K.AFTER_2H, infusion, before, NEW_YORK)


def test_the_day_7_phq9_is_satisfied_by_a_phq9_within_a_local_day_either_side() -> None:
    infusion = InfusionAnchor(17, at(NEW_YORK, 2026, 3, 3, 10))  # day 7 is 10 March

    def phq9_on(day: int, hour: int) -> list[CheckinStamp]:
        return stamp("phq9", at(NEW_YORK, 2026, 3, day, hour))

    assert satisfied(K.PHQ9_DAY7, infusion, phq9_on(9, 1), NEW_YORK)
    assert satisfied(K.PHQ9_DAY7, infusion, phq9_on(11, 23), NEW_YORK)
    assert not satisfied(K.PHQ9_DAY7, infusion, phq9_on(8, 23), NEW_YORK)
    assert not satisfied(K.PHQ9_DAY7, infusion, phq9_on(12, 0), NEW_YORK)
    assert satisfied(K.PHQ9_DAY14, infusion, phq9_on(18, 9), NEW_YORK)
    assert not satisfied(K.PHQ9_DAY14, infusion, phq9_on(10, 9), NEW_YORK)


def test_the_waning_prompt_is_satisfied_by_a_phq9_taken_since_relief_was_found_waning() -> None:
    waning_since = utc(2026, 3, 12, 3)

    assert satisfied(K.WANING_PHQ9, waning_since, stamp("phq9", utc(2026, 3, 12, 12)), NEW_YORK)
    assert not satisfied(K.WANING_PHQ9, waning_since, stamp("phq9", utc(2026, 3, 12, 2)), NEW_YORK)


def test_satisfied_refuses_an_anchor_of_the_wrong_sort() -> None:
    with pytest.raises(TypeError, match="after_2h"):
        satisfied(K.AFTER_2H, date(2026, 3, 10), [], NEW_YORK)
    with pytest.raises(TypeError, match="daily_mood"):
        satisfied(K.DAILY_MOOD, utc(2026, 3, 10), [], NEW_YORK)


# Properties over many zones and windows.

ZONES = [
    NEW_YORK,
    "Europe/London",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "America/Santiago",  # changes clocks at midnight
    "Antarctica/Troll",  # a two-hour change
    "UTC",
]


@settings(max_examples=150, deadline=None)
@given(
    tz_name=st.sampled_from(ZONES),
    first_day=st.dates(min_value=date(2000, 1, 1), max_value=date(2037, 12, 31)),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    quiet=st.booleans(),
)
def test_daily_reminders_come_exactly_once_per_local_day_within_that_day(
    tz_name: str, first_day: date, hour: int, minute: int, quiet: bool
) -> None:
    wanted = time(hour, minute)
    if quiet and time(8, 0) <= wanted < time(21, 30):
        schedule = ReminderSchedule(tz_name, daily_mood_at=wanted)
    else:
        schedule = without_quiet_hours(tz_name, wanted)
    last_day = first_day + timedelta(days=59)
    tz = ZoneInfo(tz_name)

    slots = next_slots(
        schedule,
        [],
        local_day_bounds(tz_name, first_day)[0] - timedelta(seconds=1),
        local_day_bounds(tz_name, last_day)[1] - timedelta(microseconds=1),
    )

    assert [s.local_date for s in slots] == [first_day + timedelta(days=n) for n in range(60)]
    assert len({s.slot_key for s in slots}) == 60
    for slot in slots:
        start, end = local_day_bounds(tz_name, slot.local_date)
        assert start <= slot.fire_at < end
        assert slot.expires_at == end
        assert slot.fire_at.tzinfo is UTC
        local = slot.fire_at.astimezone(tz)
        if local.time() != wanted:
            # Only a skipped wall time moves, and then to the first instant after the gap.
            just_before = (slot.fire_at - timedelta(seconds=1)).astimezone(tz)
            assert just_before.replace(tzinfo=None) < datetime.combine(slot.local_date, wanted)
            assert local.replace(tzinfo=None) > datetime.combine(slot.local_date, wanted)


@settings(max_examples=60, deadline=None)
@given(
    tz_name=st.sampled_from(ZONES),
    cut=st.integers(min_value=1, max_value=40 * 24 * 60),
)
def test_cutting_the_window_anywhere_changes_nothing(tz_name: str, cut: int) -> None:
    _, infusions, waning_since = rich_schedule_inputs()
    schedule = ReminderSchedule(tz_name, weekly_phq9=(0, time(9, 0)), weekly_gad7=(5, time(11, 0)))
    start, end = utc(2026, 2, 20), utc(2026, 4, 1)
    middle = start + timedelta(minutes=cut)

    whole = next_slots(schedule, infusions, start, end, waning_since=waning_since)
    halves = next_slots(schedule, infusions, start, middle, waning_since=waning_since) + next_slots(
        schedule, infusions, middle, end, waning_since=waning_since
    )

    assert halves == whole
    assert len({slot.slot_key for slot in whole}) == len(whole)
