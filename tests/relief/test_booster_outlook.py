"""The waning signal from daily mood and the clinician-facing booster outlook (CLINICAL.md §4)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from relief_stories import DAY_0, Story, at

from afterglow.relief import (
    BoosterOutlook,
    KaplanMeierEstimate,
    MoodFact,
    ReliefThresholds,
    booster_outlook,
    kaplan_meier,
    survival_pairs,
    waning_signal,
)

CHICAGO = "America/Chicago"


def noon_moods(*daily: tuple[int, int]) -> list[MoodFact]:
    """(day, score) pairs at 18:00 UTC, which is midday in Chicago on the same calendar day."""
    return [MoodFact(at(day) + timedelta(hours=8), score) for day, score in daily]


def evening_of(day: int) -> datetime:
    return at(day) + timedelta(hours=10)


# The waning signal


def test_waning_when_the_3_day_mood_mean_falls_3_points_below_its_post_infusion_peak():
    moods = noon_moods((1, 8), (2, 8), (3, 8), (4, 6), (5, 5), (6, 4))

    not_yet = waning_signal(moods, DAY_0, CHICAGO, evening_of(5))
    waning = waning_signal(moods, DAY_0, CHICAGO, evening_of(6))

    assert not_yet.waning is False
    assert (waning.waning, waning.peak_mean, waning.latest_mean, waning.drop) == (True, 8, 5, 3)


def test_waning_needs_2_of_the_last_3_local_days_and_is_never_carried_forward():
    moods = noon_moods((1, 8), (2, 8), (3, 8), (4, 4), (5, 4))

    two_of_three = waning_signal(moods, DAY_0, CHICAGO, evening_of(6))
    one_of_three = waning_signal(moods, DAY_0, CHICAGO, evening_of(7))

    assert (two_of_three.waning, two_of_three.latest_mean) == (True, 4)
    assert (one_of_three.waning, one_of_three.latest_mean) == (False, None)


def test_several_moods_in_one_day_count_as_that_days_mean():
    moods = noon_moods((1, 9), (2, 3), (2, 3), (2, 3), (2, 3))

    signal = waning_signal(moods, DAY_0, CHICAGO, evening_of(2))

    assert signal.latest_mean == 6  # (9 + 3) / 2, not (9 + 4 x 3) / 5


def test_mood_days_are_the_patients_local_calendar_days():
    late_evening_in_chicago = at(1) + timedelta(hours=17)  # 03:00 UTC the next day
    moods = [*noon_moods((1, 8), (2, 5)), MoodFact(late_evening_in_chicago, 2)]

    signal = waning_signal(moods, DAY_0, CHICAGO, evening_of(2))

    assert signal.today == (DAY_0 + timedelta(days=2)).date()
    assert signal.latest_mean == 5  # day 1 is (8 + 2) / 2 = 5 in Chicago, day 2 is 5


def test_moods_before_the_infusion_do_not_set_the_peak():
    moods = noon_moods((-2, 10), (-1, 10), (1, 6), (2, 6), (3, 6))

    signal = waning_signal(moods, DAY_0, CHICAGO, evening_of(3))

    assert (signal.peak_mean, signal.waning) == (6, False)


def test_an_unknown_time_zone_is_refused_with_its_name():
    with pytest.raises(ValueError, match="Mars/Olympus"):
        waning_signal([], DAY_0, "Mars/Olympus", evening_of(1))


# The booster outlook


def patient_with_past_relief(
    relapse_days: Sequence[float | None], current_scores: Sequence[tuple[float, int]] = ((2, 5),)
) -> tuple[Story, float]:
    """Past episodes that relapse on the given days (None: censored by a booster on day 30), then a
    current episode; returns the story and the day of the current infusion."""
    story = Story().phq9(-1, 20)
    start = 0.0
    for relapse in relapse_days:
        story.infusion(start, "scheduled_booster" if start else "induction")
        story.phq9(start + 2, 5)
        followed_to = relapse if relapse is not None else 30
        for day in range(8, int(followed_to), 6):
            story.phq9(start + day, 6)
        if relapse is None:
            start += 30
        else:
            story.phq9(start + relapse, 14).phq9(start + relapse + 3, 15)
            start += relapse + 4
    story.infusion(start, "scheduled_booster")
    for day, score in current_scores:
        story.phq9(start + day, score)
    return story, start


def outlook_of(
    story: Story,
    current_start: float,
    today: float,
    *,
    pooled: KaplanMeierEstimate | None = None,
    moods: Sequence[MoodFact] = (),
) -> BoosterOutlook:
    *past, current = story.episodes(now=current_start + today)
    own = kaplan_meier(*survival_pairs(past))
    return booster_outlook(
        current, past, own, pooled, at(current_start + today), moods, CHICAGO, ReliefThresholds()
    )


def test_it_counts_how_many_past_episodes_had_relapsed_by_todays_day_count():
    story, start = patient_with_past_relief([10, 15, 20, 30])

    outlook = outlook_of(story, start, 24.5)

    assert outlook.days_since_infusion == 24.5
    assert (outlook.past_relapses.relapsed, outlook.past_relapses.followed) == (3, 4)
    assert outlook.past_relapses.sentence == (
        "3 of 4 past episodes with a response had relapsed by day 24."
    )


def test_past_episodes_censored_before_today_are_left_out_of_k_of_n():
    story, start = patient_with_past_relief([10, 20, None], [(2, 5), (9, 5), (16, 6), (23, 5)])

    outlook = outlook_of(story, start, 32)

    history = outlook.past_relapses
    assert (history.relapsed, history.followed, history.left_out) == (2, 2, 1)
    assert "1 more ended earlier without a relapse and is not counted" in history.sentence


def test_the_window_ends_a_margin_before_the_patients_own_median():
    story, start = patient_with_past_relief([17, 18, 19, 20, 21, 22])

    outlook = outlook_of(story, start, 5)

    assert outlook.own_median_days == 19
    assert outlook.window is not None
    assert (outlook.window.source, outlook.window.start_day, outlook.window.end_day) == (
        "own",
        13,
        16,
    )
    assert "ends 3 days before that median." in outlook.explanation


def test_the_window_widens_to_the_lower_end_of_the_median_interval_when_uncertain():
    story, start = patient_with_past_relief([8, 14, 20, 26, 32])

    outlook = outlook_of(story, start, 5)

    assert outlook.window is not None
    assert (outlook.window.start_day, outlook.window.end_day) == (5, 17)  # interval 8 to 32
    assert "because the estimate is uncertain" in outlook.explanation


def test_with_fewer_than_3_own_relapses_the_window_comes_from_the_clinic_estimate():
    story, start = patient_with_past_relief([15, None])
    clinic = kaplan_meier([float(d) for d in range(12, 32)], [True] * 20)

    outlook = outlook_of(story, start, 5, pooled=clinic)

    assert outlook.own_median_days is None
    assert outlook.window is not None
    assert outlook.window.source == "clinic"
    assert outlook.window.end_day == clinic.median - 3
    assert "the clinic's pooled episodes" in outlook.explanation


def test_with_no_estimate_to_build_on_there_is_no_window_and_the_explanation_says_so():
    story, start = patient_with_past_relief([15])

    outlook = outlook_of(story, start, 5)

    assert outlook.window is None
    assert "No booster window is suggested" in outlook.explanation


def test_own_relapses_without_a_median_suggest_no_window_rather_than_the_clinic_estimate():
    story, start = patient_with_past_relief([10, 12, 14, None, None, None, None, None])
    clinic = kaplan_meier([float(d) for d in range(5, 15)], [True] * 10)

    outlook = outlook_of(story, start, 5, pooled=clinic)

    assert outlook.window is None
    assert "still in relief at the longest follow-up" in outlook.explanation


def test_window_dates_are_the_patients_local_dates():
    story, start = patient_with_past_relief([17, 18, 19, 20, 21, 22])

    outlook = outlook_of(story, start, 5)

    assert outlook.window is not None
    local_start = (at(start) + timedelta(days=13)).astimezone(ZoneInfo(CHICAGO)).date()
    assert outlook.window.start_on == local_start


def test_the_status_is_holding_while_nothing_points_to_relapse():
    story, start = patient_with_past_relief([17, 18, 19])

    assert outlook_of(story, start, 5).status == "holding"


def test_falling_daily_mood_shows_as_waning():
    story, start = patient_with_past_relief([17, 18, 19])
    moods = [
        MoodFact(at(start + day) + timedelta(hours=8), score)
        for day, score in [(1, 8), (2, 8), (3, 8), (4, 5), (5, 4), (6, 4)]
    ]

    outlook = outlook_of(story, start, 6.5, moods=moods)

    assert outlook.status == "waning"
    assert outlook.waning.waning is True


def test_a_qualifying_phq9_awaiting_confirmation_shows_as_waning():
    story, start = patient_with_past_relief([17, 18, 19], [(2, 5), (10, 14)])

    outlook = outlook_of(story, start, 11)

    assert outlook.status == "waning"
    assert "awaits confirmation" in outlook.explanation


def test_after_a_relapse_the_status_is_relapsed_and_no_window_is_shown():
    story, start = patient_with_past_relief([17, 18, 19], [(2, 5), (10, 14), (13, 15)])

    outlook = outlook_of(story, start, 14)

    assert outlook.status == "relapsed"
    assert outlook.window is None
    assert "Relapsed on day 10" in outlook.explanation


def test_a_current_episode_without_response_is_not_called_holding():
    story, start = patient_with_past_relief([17, 18, 19], [(2, 15)])

    assert outlook_of(story, start, 5).status == "no_response"


def test_the_explanation_is_worded_as_information_never_an_order():
    story, start = patient_with_past_relief([8, 14, 20, 26, 32])

    explanation = outlook_of(story, start, 5).explanation

    assert "information for the clinician's judgement, not an instruction" in explanation
    assert not re.search(r"\b(should|must|give|book|administer|recommend)\b", explanation, re.I)


def test_no_window_is_offered_for_an_infusion_that_brought_no_response():
    story, start = patient_with_past_relief([17, 18, 19, 20], [(2, 15)])

    outlook = outlook_of(story, start, 5)

    assert outlook.status == "no_response"
    assert outlook.window is None
    assert "did not meet the response criteria" in outlook.explanation


def test_a_booster_whose_first_phq9_came_after_its_relief_faded_shows_the_fall_in_mood_as_waning():
    # The clinical reading chosen (issue 14): mood rose after the booster and has fallen 3 points;
    # the PHQ-9 its waning prompt asked for, on day 6, already misses the response gate. The
    # episode is `no_response`, but that must not hide the fall that prompted the PHQ-9: the
    # clinician sees waning (and still no booster window, the infusion having shown no
    # response) until its nadir window closes.
    story, start = patient_with_past_relief([17, 18, 19, 20], [(6.2, 15)])
    moods = [
        MoodFact(at(start + day) + timedelta(hours=8), score)
        for day, score in ((1, 8), (2, 8), (3, 8), (4, 5), (5, 5))
    ]

    falling = outlook_of(story, start, 6.3, moods=moods)
    steady = outlook_of(story, start, 6.3, moods=[m for m in moods if m.score == 8])
    # Once the nadir window has closed, the PHQ-9s have said the infusion brought no response.
    later = [*moods, *(MoodFact(at(start + day) + timedelta(hours=8), 5) for day in (12, 13))]
    window_closed = outlook_of(story, start, 14.3, moods=later)

    assert falling.status == "waning"
    assert falling.window is None
    assert "3.0 points below its post-infusion peak" in falling.explanation
    assert "did not meet the response criteria" in falling.explanation
    assert steady.status == "no_response"
    assert window_closed.waning.waning
    assert window_closed.status == "no_response"


def test_no_window_is_offered_once_today_is_past_it():
    story, start = patient_with_past_relief([17, 18, 19, 20, 21, 22], [(2, 5), (9, 5), (16, 6)])

    inside = outlook_of(story, start, 14)
    past = outlook_of(story, start, 17)

    assert inside.window is not None and "Today is inside that window" in inside.explanation
    assert past.window is None
    assert "would put one at day 13 to day 16, and today is day 17" in past.explanation


def test_no_window_is_offered_before_a_phq9_shows_whether_the_infusion_helped():
    story, start = patient_with_past_relief([17, 18, 19, 20], [])

    outlook = outlook_of(story, start, 3)

    assert outlook.window is None
    assert "until a PHQ-9 after this infusion shows" in outlook.explanation
