"""CLINICAL.md §4: a status is a claim about now. `recent_until` says when data stop being recent,
`status_now` turns holding/waning into "no recent data" from then on, and the SQL triage sorts
and filters on agrees with it."""

from datetime import UTC, datetime, timedelta

from afterglow.relief.facts import ReliefThresholds
from afterglow.relief.outlook import (
    ReliefStatus,
    mood_can_turn_waning,
    relief_status,
    status_now,
    with_mood,
)
from afterglow.relief.summary import NEVER, recent_until

LIMITS = ReliefThresholds()
NEW_YORK = "America/New_York"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_a_mood_keeps_data_recent_until_the_start_of_the_third_local_day_after_it():
    # Last mood Monday 23:30 in New York (Tuesday 04:30 UTC): Monday, Tuesday and Wednesday
    # have a mood in their last 3 local days; Thursday 00:00 New York does not.
    until = recent_until(at("2026-11-23T23:30:00-05:00"), None, True, NEW_YORK, LIMITS)
    assert until == at("2026-11-26T00:00:00-05:00")


def test_local_days_follow_daylight_saving_time():
    # Saturday before the clocks go back (2026-11-01 in New York): Tuesday midnight is EST.
    until = recent_until(at("2026-10-31T12:00:00-04:00"), None, True, NEW_YORK, LIMITS)
    assert until == at("2026-11-03T00:00:00-05:00")


def test_a_recent_phq9_counts_as_recent_data_for_a_patient_on_daily_mood():
    # The reading chosen: §4 names the mood, but a PHQ-9 yesterday is better evidence still.
    until = recent_until(None, at("2026-11-23T10:00:00-05:00"), True, NEW_YORK, LIMITS)
    assert until == at("2026-11-26T00:00:00-05:00")


def test_with_daily_mood_off_a_phq9_keeps_data_recent_for_14_days():
    phq9 = at("2026-11-01T10:00:00+00:00")
    assert recent_until(None, phq9, False, "UTC", LIMITS) == phq9 + timedelta(days=14)


def test_no_data_at_all_is_never_recent():
    assert recent_until(None, None, True, NEW_YORK, LIMITS) == NEVER


def test_only_holding_and_waning_turn_into_no_recent_data():
    now = at("2026-11-29T12:00:00+00:00")
    past = now - timedelta(seconds=1)
    assert status_now("holding", past, now) == "no_recent_data"
    assert status_now("waning", now, now) == "no_recent_data"
    assert status_now("holding", now + timedelta(seconds=1), now) == "holding"
    # A relapse stays a relapse, with the silence shown beside it (issue 11), not hidden.
    assert status_now("relapsed", past, now) == "relapsed"
    assert status_now("none", past, now) == "none"


def test_mood_turns_holding_or_unjudged_waning_and_no_response_only_in_its_nadir_window():
    infused = at("2026-11-01T15:00:00+00:00")
    day = timedelta(days=1)

    def says(phq9: ReliefStatus, days_since: float) -> bool:
        return mood_can_turn_waning(phq9, infused, infused + days_since * day, LIMITS)

    assert says("holding", 30) and says("unassessed", 30)
    # A PHQ-9 taken once relief had faded reads no response; until the nadir window closes a
    # later one may still show a response, and the fall in mood shows meanwhile.
    assert says("no_response", 14) and not says("no_response", 14.01)
    assert not says("relapsed", 3)
    assert not mood_can_turn_waning("unassessed", None, infused, LIMITS)
    assert with_mood("no_response", True) == "waning"
    assert with_mood("no_response", False) == "no_response"
    assert with_mood("relapsed", True) == "relapsed"
    assert relief_status(None, True, infused, LIMITS) == "none"
