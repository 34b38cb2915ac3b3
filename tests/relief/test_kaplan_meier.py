"""Our Kaplan-Meier against lifelines' KaplanMeierFitter, and the rules for showing a median."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from afterglow.relief import kaplan_meier


def random_relief_durations(seed: int) -> tuple[list[float], list[bool]]:
    """Mostly whole days, so that ties between relapses and censorings are common."""
    rng = random.Random(seed)
    n = rng.randint(1, 40)
    relapse_share = rng.random()
    durations = [
        float(rng.randint(0, 40)) if rng.random() < 0.7 else round(rng.uniform(0, 90), 2)
        for _ in range(n)
    ]
    return durations, [rng.random() < relapse_share for _ in range(n)]


def finite_or_none(value: float) -> float | None:
    return None if math.isinf(value) else float(value)


def assert_matches_lifelines(durations: list[float], events: list[bool]) -> None:
    ours = kaplan_meier(durations, events)
    theirs = KaplanMeierFitter().fit(durations, events)
    survival = theirs.survival_function_.iloc[:, 0]
    bands = theirs.confidence_interval_

    assert list(ours.timeline) == list(survival.index)
    np.testing.assert_allclose(ours.survival, survival.to_numpy(), atol=1e-12)
    np.testing.assert_allclose([s.lower for s in ours.steps], bands.iloc[:, 0], atol=1e-9)
    np.testing.assert_allclose([s.upper for s in ours.steps], bands.iloc[:, 1], atol=1e-9)
    their_median = finite_or_none(theirs.median_survival_time_)
    if ours.median != their_median:
        # lifelines multiplies in log space, so a survival of exactly 1/2 can come out as
        # 0.5000000000000001 and its median moves one step later; ours counts it as reached.
        assert ours.median is not None
        assert survival[ours.median] == pytest.approx(0.5, abs=1e-12)
    band_medians = median_survival_times(bands)
    assert ours.median_lower == finite_or_none(band_medians.iloc[0, 0])
    assert ours.median_upper == finite_or_none(band_medians.iloc[0, 1])
    for day in (0.5, 14, 28, 56, 200):
        assert ours.survival_at(day) == pytest.approx(theirs.predict(day), abs=1e-12)


@pytest.mark.parametrize("seed", range(150))
def test_it_matches_lifelines_on_random_relief_durations_with_ties(seed):
    assert_matches_lifelines(*random_relief_durations(seed))


@pytest.mark.parametrize("seed", range(10))
def test_it_matches_lifelines_when_every_episode_is_censored(seed):
    durations, _ = random_relief_durations(seed)

    assert_matches_lifelines(durations, [False] * len(durations))

    estimate = kaplan_meier(durations, [False] * len(durations))
    assert estimate.median is None
    assert estimate.survival_at(1000) == 1.0


def test_it_matches_lifelines_when_every_episode_relapses():
    assert_matches_lifelines([3.0, 8.0, 8.0, 21.5, 30.0], [True] * 5)


def test_relapses_count_before_censorings_on_the_same_day():
    estimate = kaplan_meier([10.0, 10.0, 20.0], [True, False, False])

    step = estimate.steps[1]
    assert (step.day, step.at_risk, step.events, step.censored) == (10.0, 3, 1, 1)
    assert step.survival == pytest.approx(2 / 3)


def test_a_survival_of_exactly_one_half_is_the_median_even_where_lifelines_rounds_past_it():
    durations, events = [1.0, 2, 3, 4, 5, 6], [True, True, True, False, False, False]

    estimate = kaplan_meier(durations, events)

    assert estimate.median == 3.0
    assert KaplanMeierFitter().fit(durations, events).median_survival_time_ == math.inf
    assert_matches_lifelines(durations, events)


def test_the_median_is_shown_with_at_least_3_relapses():
    estimate = kaplan_meier([5, 10, 15, 20, 25], [True, True, True, False, False])

    assert estimate.median_shown is True
    assert estimate.median == 15.0
    assert estimate.at_least_days is None
    assert estimate.summary().startswith("median 15 days (95% interval")


def test_with_fewer_than_3_relapses_it_says_at_least_the_last_day_survival_was_above_one_half():
    estimate = kaplan_meier([10, 20, 30], [True, True, False])

    assert estimate.median == 20.0
    assert estimate.median_shown is False
    assert estimate.at_least_days == 10.0
    assert estimate.summary() == "at least 10 days (2 relapses so far; a median needs 3)"


def test_a_median_not_reached_says_at_least_the_longest_follow_up():
    estimate = kaplan_meier([10, 20, 30, 40, 45, 50, 60.5], [True] * 3 + [False] * 4)

    assert estimate.median is None
    assert estimate.at_least_days == 60.5
    assert estimate.summary() == "at least 60 days (median not reached)"


def test_an_empty_set_has_no_estimate():
    estimate = kaplan_meier([], [])

    assert (estimate.n, estimate.events, estimate.median, estimate.at_least_days) == (
        0,
        0,
        None,
        None,
    )
    assert estimate.survival_at(14) == 1.0
    assert estimate.summary() == "no estimate yet (median not reached)"
    assert all(landmark.survival is None for landmark in estimate.landmarks)


def test_landmarks_beyond_the_longest_follow_up_are_unknown_unless_every_episode_relapsed():
    followed = kaplan_meier([10, 20, 30], [True, False, False])
    all_relapsed = kaplan_meier([5, 9, 12], [True, True, True])

    assert [lm.day for lm in followed.landmarks] == [14, 28, 56]
    assert [lm.survival for lm in followed.landmarks] == [pytest.approx(2 / 3)] * 2 + [None]
    assert [lm.survival for lm in all_relapsed.landmarks] == [0.0, 0.0, 0.0]


def test_survival_is_a_step_function_of_days():
    estimate = kaplan_meier([10, 20], [True, True])

    assert [estimate.survival_at(d) for d in (-1, 9.99, 10, 19.5, 20, 99)] == [1, 1, 0.5, 0.5, 0, 0]


@pytest.mark.parametrize(
    ("durations", "events"),
    [([1.0, 2.0], [True]), ([-1.0], [True]), ([math.nan], [False]), ([math.inf], [True])],
)
def test_it_refuses_mismatched_negative_or_infinite_durations(durations, events):
    with pytest.raises(ValueError):
        kaplan_meier(durations, events)
