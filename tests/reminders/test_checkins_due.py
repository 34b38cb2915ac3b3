"""Which check-ins the app asks for now (reminders/due.py): pure, by the reminders' own rules."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from afterglow.reminders.due import checkins_due
from afterglow.reminders.models import ReminderPlan
from afterglow.reminders.planning import PatientForReminders
from afterglow.reminders.schedule import CheckinStamp, InfusionAnchor

ZONE = "America/New_York"
# Wednesday 2026-03-11, 10:00 in New York.
INFUSION_AT = datetime(2026, 3, 11, 14, 0, tzinfo=UTC)


def plan(**settings: object) -> ReminderPlan:
    return ReminderPlan(
        patient_id=1,
        planned_timezone=ZONE,
        planned_through=INFUSION_AT - timedelta(days=30),
        **settings,
    )


def patient(*checkins: tuple[str, datetime], relief: str = "holding") -> PatientForReminders:
    return PatientForReminders(
        patient_id=1,
        user_id=1,
        timezone=ZONE,
        locale="en-US",
        reachable=True,
        relief_status=relief,
        infusions=(InfusionAnchor(7, INFUSION_AT),),
        checkins=tuple(CheckinStamp(i, at) for i, at in checkins),
    )


def hours(n: float) -> datetime:
    return INFUSION_AT + timedelta(hours=n)


def due(reminders: ReminderPlan, someone: PatientForReminders, at: datetime) -> list[tuple]:
    return [(d.instrument, d.reason) for d in checkins_due(reminders, someone, at)]


WEEKLY_DONE = (("phq9", hours(-1)), ("gad7", hours(-1)))


def test_the_side_effect_check_is_asked_from_2_hours_after_an_infusion_until_answered():
    assert ("after", "after_2h") not in due(plan(), patient(*WEEKLY_DONE), hours(1.5))
    assert due(plan(), patient(*WEEKLY_DONE), hours(3)) == [("after", "after_2h")]
    answered = patient(*WEEKLY_DONE, ("after", hours(3.5)))
    assert due(plan(), answered, hours(4)) == []


def test_the_24_hour_check_follows_the_2_hour_one_and_is_not_asked_after_72_hours():
    answered_2h = patient(*WEEKLY_DONE, ("after", hours(3)))
    assert due(plan(), answered_2h, hours(25)) == [("after", "after_24h")]
    assert due(plan(), answered_2h, hours(73)) == []


def test_a_side_effect_check_answered_a_day_later_settles_both_checks():
    late = patient(*WEEKLY_DONE, ("after", hours(21)))
    assert due(plan(), late, hours(22)) == []
    assert due(plan(), late, hours(30)) == []


def test_a_phq9_or_gad7_not_taken_in_7_days_is_due_and_one_taken_since_is_not():
    nothing = plan(weekly_phq9_weekday=None, weekly_gad7_weekday=None)
    quiet = PatientForReminders(1, 1, ZONE, "en-US", True, "holding")
    taken = PatientForReminders(
        1, 1, ZONE, "en-US", True, "holding", checkins=(CheckinStamp("phq9", hours(-24 * 6)),)
    )

    assert due(nothing, quiet, hours(0)) == [("phq9", "weekly"), ("gad7", "weekly")]
    assert due(nothing, taken, hours(0)) == [("gad7", "weekly")]


def test_todays_weekly_reminder_asks_until_answered_even_within_the_week():
    # Sunday's weekly PHQ-9 at 12:00; the last PHQ-9 was on Tuesday, five days before.
    sunday_noon = datetime(2026, 3, 15, 16, 0, tzinfo=UTC)
    weekly = plan(weekly_phq9_weekday=6, weekly_phq9_at=time(12, 0), weekly_gad7_weekday=None)
    tuesday = PatientForReminders(
        1,
        1,
        ZONE,
        "en-US",
        True,
        "holding",
        checkins=(CheckinStamp("phq9", datetime(2026, 3, 10, 16, 0, tzinfo=UTC)),),
    )
    answered = PatientForReminders(
        1,
        1,
        ZONE,
        "en-US",
        True,
        "holding",
        checkins=(*tuesday.checkins, CheckinStamp("phq9", sunday_noon + timedelta(minutes=5))),
    )

    assert ("phq9", "weekly_phq9") in due(weekly, tuesday, sunday_noon + timedelta(minutes=1))
    assert "phq9" not in [i for i, _ in due(weekly, answered, sunday_noon + timedelta(hours=1))]


def test_settings_that_cannot_be_worked_still_leave_the_weekly_rhythm():
    broken = plan(daily_mood_at=time(23, 0))  # inside quiet hours: the schedule refuses it

    assert due(broken, patient(), hours(100)) == [("phq9", "weekly"), ("gad7", "weekly")]
