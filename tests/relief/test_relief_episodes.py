"""Relief episodes (CLINICAL.md §2-§3): one hand-built patient per rule, named for the rule it pins."""

from __future__ import annotations

import pytest
from relief_stories import Story, at, responder

from afterglow.relief import survival_pairs

# Course grouping (§3)


def test_an_induction_course_of_six_infusions_gives_one_episode_starting_at_its_last_infusion():
    story = Story().phq9(-2, 22)
    for day in (0, 2, 4, 7, 9, 11):
        story.infusion(day)
    story.scores((5, 12), (14, 5), (21, 6))

    (episode,) = story.episodes(now=30)

    assert episode.start == at(11)
    assert len(episode.infusion_ids) == 6
    assert episode.baseline == 22
    assert [p.day for p in episode.points] == [3.0, 10.0]


def test_inductions_exactly_7_days_apart_are_two_courses():
    # §3: a course is a run of inductions each *less than* 7 days after the one before.
    story = Story().phq9(-2, 22).infusion(0).phq9(5, 8).infusion(7).phq9(14, 6)

    first, second = story.episodes(now=20)

    assert (first.start, second.start) == (at(0), at(7))
    assert first.censor_reason == "induction"


def test_a_scheduled_booster_two_days_after_an_infusion_is_never_merged_into_its_course():
    first, second = responder().infusion(2, "scheduled_booster").episodes(now=20)

    assert (first.start, second.start) == (at(0), at(2))
    assert second.kind == "scheduled_booster" and second.infusion_ids != first.infusion_ids


def test_a_symptom_triggered_booster_two_days_later_ends_the_episode_as_a_relapse():
    # The single-infusion pattern: relief shorter than a week becomes measurable.
    story = Story().phq9(-1, 20).infusion(0).phq9(1, 6).infusion(2, "symptom_triggered_booster")

    first, _ = story.episodes(now=10)

    assert first.outcome == "relapsed" and first.relapse_reason == "clinical_action"
    assert first.duration_days == 2.0


def test_two_boosters_within_7_days_are_never_merged_into_each_other():
    story = responder().infusion(20, "scheduled_booster").infusion(23, "scheduled_booster")

    episodes = story.episodes(now=30)

    assert [e.start for e in episodes] == [at(0), at(20), at(23)]


def test_an_infusion_more_than_7_days_after_the_previous_one_starts_its_own_episode():
    story = responder().infusion(7.5, "scheduled_booster")

    first, second = story.episodes(now=20)

    assert (first.start, second.start) == (at(0), at(7.5))


def test_an_episode_runs_until_the_next_infusion_or_now():
    first, second = responder().infusion(20, "scheduled_booster").episodes(now=30)

    assert (first.end, first.ended_by) == (at(20), "scheduled_booster")
    assert (second.end, second.ended_by) == (at(30), None)


def test_anything_dated_after_now_is_ignored():
    story = responder().phq9(25, 18).infusion(40, "scheduled_booster")

    (episode,) = story.episodes(now=20)

    assert [p.day for p in episode.points] == [7.0]
    assert episode.end == at(20)


def test_days_are_decimal_days_from_the_infusion_time():
    episode = Story().phq9(-1, 20).infusion(0).phq9(7.25, 6).only_episode(now=10)

    assert episode.nadir_day == 7.25


# Baseline (§2)


def test_the_baseline_is_the_most_recent_phq9_in_the_14_days_before_the_course():
    story = Story().scores((-20, 25), (-10, 22)).phq9(-1, 19).infusion(0).phq9(7, 6)

    episode = story.only_episode(now=10)

    assert episode.baseline == 19
    assert episode.baseline_phq9_id == story.phq9s[2].id


def test_a_phq9_more_than_14_days_before_the_course_is_not_a_baseline():
    episode = Story().phq9(-14.5, 20).infusion(0).phq9(7, 6).only_episode(now=10)

    assert episode.baseline is None
    assert (episode.outcome, episode.unassessed_reason) == ("unassessed", "no_baseline")
    assert (episode.nadir_day, episode.nadir_score) == (7.0, 6)


def test_boosters_use_the_baseline_of_their_induction_course():
    story = responder().phq9(20.5, 8).infusion(21, "scheduled_booster").phq9(28, 5)

    _, booster = story.episodes(now=30)

    assert booster.baseline == 20
    assert booster.baseline_phq9_id == story.phq9s[0].id


def test_an_induction_after_boosters_starts_a_new_course_with_a_new_baseline():
    story = responder().infusion(30, "scheduled_booster").phq9(55, 16).infusion(60).phq9(67, 5)

    episodes = story.episodes(now=70)

    assert [e.baseline for e in episodes] == [20, 20, 16]


def test_any_infusion_after_90_days_without_one_starts_a_new_course_with_a_new_baseline():
    story = responder().phq9(100, 18).infusion(105, "scheduled_booster").phq9(110, 6)

    _, later = story.episodes(now=115)

    assert later.baseline == 18


def test_a_missed_week_in_the_middle_of_an_induction_keeps_the_course_baseline():
    story = Story().phq9(-1, 20).infusion(0).infusion(2).infusion(4).phq9(8, 9)
    story.infusion(14).infusion(16).infusion(18).phq9(25, 5)

    first, second = story.episodes(now=30)

    assert first.infusion_ids != second.infusion_ids
    assert second.baseline == 20


def test_without_a_baseline_an_episode_is_unassessed_not_judged_against_an_older_course():
    story = responder().infusion(100, "induction").phq9(107, 6)

    _, later = story.episodes(now=110)

    assert later.baseline is None
    assert (later.outcome, later.unassessed_reason) == ("unassessed", "no_baseline")
    assert (later.duration_days, later.event) == (None, False)


# Nadir and response gate (§3.1-§3.2)


def test_the_nadir_is_the_lowest_phq9_within_14_days_and_the_earliest_on_a_tie():
    story = Story().phq9(-1, 20).infusion(0).scores((3, 8), (6, 5), (10, 5), (16, 3))

    episode = story.only_episode(now=20)

    assert (episode.nadir_day, episode.nadir_score) == (6.0, 5)


def test_the_nadir_window_stops_at_the_next_infusion_if_sooner():
    story = Story().phq9(-1, 20).infusion(0).phq9(3, 9).infusion(8, "scheduled_booster")
    story.phq9(10, 4)

    first, _ = story.episodes(now=20)

    assert (first.nadir_day, first.nadir_score) == (3.0, 9)


def test_an_episode_without_a_phq9_in_its_first_14_days_is_unassessed():
    episode = Story().phq9(-1, 20).infusion(0).phq9(15, 5).only_episode(now=30)

    assert (episode.outcome, episode.unassessed_reason) == ("unassessed", "no_phq9_in_nadir_window")
    assert episode.nadir_day is None
    assert (episode.duration_days, episode.event, episode.censor_reason) == (None, False, None)


def test_an_episode_whose_nadir_is_above_half_the_baseline_is_no_response_without_duration():
    episode = Story().phq9(-1, 20).infusion(0).phq9(7, 11).phq9(30, 19).only_episode(now=60)

    assert episode.outcome == "no_response"
    assert (episode.duration_days, episode.event, episode.censor_reason) == (None, False, None)


def test_a_halved_score_that_drops_less_than_5_points_is_no_response():
    episode = Story().phq9(-1, 8).infusion(0).phq9(7, 4).only_episode(now=10)

    assert episode.outcome == "no_response"


def test_remission_is_a_nadir_below_5():
    remitted = Story().phq9(-1, 20).infusion(0).phq9(7, 4).only_episode(now=10)
    responded = responder().only_episode(now=10)

    assert (remitted.remitted, responded.remitted) == (True, False)


# Relapse, confirmation and interval (§3.3)


@pytest.mark.parametrize(
    ("baseline", "nadir", "score", "qualifies"),
    [
        (20, 6, 10, False),  # not above half the baseline
        (20, 6, 11, True),
        (14, 2, 9, False),  # below 10
        (14, 2, 10, True),
        (20, 10, 12, False),  # less than 5 above the nadir
        (20, 10, 15, True),
    ],
)
def test_a_phq9_qualifies_for_relapse_above_half_baseline_at_least_10_and_5_above_nadir(
    baseline, nadir, score, qualifies
):
    story = Story().phq9(-1, baseline).infusion(0).phq9(7, nadir).phq9(10, score)

    episode = story.only_episode(now=11)

    assert [p.qualifies for p in episode.points] == [False, qualifies]


def test_a_relapse_is_confirmed_by_the_first_phq9_at_least_3_days_later():
    episode = responder().scores((14, 12), (17, 13)).only_episode(now=20)

    assert episode.outcome == "relapsed"
    assert (episode.relapse_day, episode.relapse_reason) == (14.0, "confirmed")
    assert (episode.duration_days, episode.event) == (14.0, True)


def test_a_qualifying_phq9_is_refuted_when_the_first_phq9_3_days_later_does_not_qualify():
    episode = responder().scores((14, 12), (17, 8)).only_episode(now=20)

    assert episode.outcome == "ongoing"
    assert episode.relapse_day is None
    assert episode.probable_relapse is False


def test_phq9s_taken_less_than_3_days_after_a_qualifying_one_neither_confirm_nor_refute_it():
    episode = responder().scores((14, 12), (15, 7), (17, 12)).only_episode(now=20)

    assert (episode.outcome, episode.relapse_day) == ("relapsed", 14.0)


def test_the_relapse_day_is_the_first_confirmed_qualifying_phq9_and_the_interval_starts_at_the_last_non_qualifying_one():
    story = responder().scores((10, 8), (14, 12), (17, 9), (21, 12), (24, 14))

    episode = story.only_episode(now=25)

    assert episode.relapse_day == 21.0
    assert episode.relapse_interval == (17.0, 21.0)


def test_a_phq9_taken_at_the_moment_of_the_next_infusion_belongs_to_the_episode_it_ends():
    story = responder().phq9(14, 12).phq9(17, 13).infusion(17, "scheduled_booster")

    first, second = story.episodes(now=20)

    assert (first.outcome, first.relapse_day) == ("relapsed", 14.0)
    assert second.points == ()


# Immediate relapse (§3.4)


def test_item9_of_2_in_a_responding_episode_is_an_immediate_relapse_on_its_day():
    episode = responder().phq9(10, 8, item9=2).only_episode(now=20)

    assert (episode.outcome, episode.relapse_day, episode.relapse_reason) == (
        "relapsed",
        10.0,
        "item9",
    )


def test_item9_of_1_is_not_an_immediate_relapse():
    episode = responder().phq9(10, 8, item9=1).only_episode(now=12)

    assert episode.outcome == "ongoing"


@pytest.mark.parametrize("kind", ["hospitalisation", "suicide_attempt"])
def test_a_hospitalisation_or_suicide_attempt_in_a_responding_episode_is_an_immediate_relapse_on_its_day(
    kind,
):
    episode = responder().event(12.5, kind).phq9(14, 7).only_episode(now=20)

    assert (episode.outcome, episode.relapse_day, episode.relapse_reason) == (
        "relapsed",
        12.5,
        kind,
    )
    assert episode.relapse_interval == (7.0, 12.5)


def test_an_immediate_relapse_counts_even_before_the_nadir():
    story = Story().phq9(-1, 20).infusion(0).phq9(3, 12, item9=2).phq9(7, 5)

    episode = story.only_episode(now=10)

    assert episode.nadir_day == 7.0
    assert (episode.outcome, episode.relapse_day) == ("relapsed", 3.0)
    assert episode.relapse_interval == (0.0, 3.0)


def test_item9_does_not_turn_a_non_responding_episode_into_a_relapse():
    episode = Story().phq9(-1, 20).infusion(0).phq9(7, 14, item9=3).only_episode(now=10)

    assert (episode.outcome, episode.relapse_day) == ("no_response", None)


# Symptom-triggered booster (§3.5)


def test_a_symptom_triggered_booster_before_confirmation_is_a_relapse_not_censoring():
    story = responder().phq9(14, 12).infusion(16, "symptom_triggered_booster")

    first, _ = story.episodes(now=20)

    assert (first.outcome, first.relapse_day, first.relapse_reason) == (
        "relapsed",
        14.0,
        "clinical_action",
    )
    assert (first.duration_days, first.event, first.censor_reason) == (14.0, True, None)


def test_a_symptom_triggered_booster_skips_refuted_scores_for_the_first_one_not_refuted():
    story = (
        responder().scores((12, 12), (15, 8), (18, 13)).infusion(19, "symptom_triggered_booster")
    )

    first, _ = story.episodes(now=20)

    assert (first.relapse_day, first.relapse_reason) == (18.0, "clinical_action")


def test_a_symptom_triggered_booster_without_a_qualifying_phq9_is_a_relapse_on_the_booster_day():
    story = responder().phq9(14, 8).infusion(18, "symptom_triggered_booster")

    first, _ = story.episodes(now=20)

    assert (first.relapse_day, first.relapse_reason) == (18.0, "clinical_action")
    assert first.relapse_interval == (14.0, 18.0)


def test_a_symptom_triggered_booster_after_a_confirmed_relapse_keeps_the_confirmed_day():
    story = responder().scores((14, 12), (17, 13)).infusion(19, "symptom_triggered_booster")

    first, _ = story.episodes(now=20)

    assert (first.relapse_day, first.relapse_reason) == (14.0, "confirmed")


def test_a_gap_in_follow_up_before_a_symptom_triggered_booster_still_censors_at_the_last_phq9():
    story = responder().phq9(10, 7).infusion(26, "symptom_triggered_booster")

    first, _ = story.episodes(now=30)

    assert (first.outcome, first.censor_reason, first.duration_days) == ("censored", "gap", 10.0)


# Censoring (§3.6)


def test_two_phq9s_more_than_14_days_apart_censor_at_the_last_phq9_before_the_gap():
    episode = responder().scores((14, 7), (30, 8), (33, 7)).only_episode(now=35)

    assert (episode.outcome, episode.censor_reason) == ("censored", "gap")
    assert (episode.duration_days, episode.event) == (14.0, False)


def test_an_episode_ending_more_than_14_days_after_its_last_phq9_is_censored_there_for_a_gap():
    story = responder().phq9(14, 7).infusion(29, "scheduled_booster")

    first, _ = story.episodes(now=30)

    assert (first.outcome, first.censor_reason, first.duration_days) == ("censored", "gap", 14.0)


def test_a_current_episode_silent_for_more_than_14_days_is_censored_for_a_gap_not_ongoing():
    episode = responder().phq9(14, 7).only_episode(now=29)

    assert (episode.outcome, episode.censor_reason, episode.duration_days) == (
        "censored",
        "gap",
        14.0,
    )


def test_a_scheduled_booster_before_relapse_censors_at_the_booster_day():
    story = responder().phq9(14, 7).infusion(21, "scheduled_booster")

    first, _ = story.episodes(now=25)

    assert (first.outcome, first.censor_reason, first.duration_days) == (
        "censored",
        "scheduled_booster",
        21.0,
    )
    assert first.probable_relapse is False


def test_a_scheduled_booster_before_confirmation_censors_and_flags_probable_relapse():
    story = responder().phq9(18, 12).infusion(20, "scheduled_booster")

    first, _ = story.episodes(now=25)

    assert (first.outcome, first.censor_reason, first.duration_days) == (
        "censored",
        "scheduled_booster",
        20.0,
    )
    assert first.probable_relapse is True


def test_an_episode_ended_by_a_new_induction_is_censored_at_that_infusion():
    story = responder().scores((14, 7), (20, 9)).infusion(25, "induction")

    first, _ = story.episodes(now=30)

    assert (first.outcome, first.censor_reason, first.duration_days) == (
        "censored",
        "induction",
        25.0,
    )


@pytest.mark.parametrize("kind", ["medication_change", "ect_tms_start"])
def test_a_medication_change_or_start_of_ect_tms_censors_on_its_day(kind):
    episode = responder().phq9(14, 7).event(16.25, kind).phq9(21, 6).only_episode(now=25)

    assert (episode.outcome, episode.censor_reason, episode.duration_days) == (
        "censored",
        kind,
        16.25,
    )


def test_the_end_of_data_censors_at_the_last_phq9_and_the_episode_is_ongoing():
    episode = responder().phq9(14, 7).only_episode(now=20)

    assert (episode.outcome, episode.censor_reason) == ("ongoing", "end_of_data")
    assert (episode.duration_days, episode.event) == (14.0, False)


def test_a_relapse_counts_only_when_confirmed_before_a_censoring():
    story = responder().phq9(14, 12).event(15, "medication_change").phq9(17, 13)

    episode = story.only_episode(now=20)

    assert (episode.outcome, episode.censor_reason, episode.duration_days) == (
        "censored",
        "medication_change",
        15.0,
    )
    assert episode.probable_relapse is True


def test_probable_relapse_is_flagged_for_any_censoring_that_leaves_a_qualifying_score_open():
    episode = responder().scores((14, 12), (30, 13)).only_episode(now=31)

    assert (episode.outcome, episode.censor_reason, episode.duration_days) == (
        "censored",
        "gap",
        14.0,
    )
    assert episode.probable_relapse is True


def test_a_relapse_and_a_censoring_on_the_same_day_count_as_a_relapse():
    story = responder().event(12, "medication_change").event(12, "hospitalisation")

    episode = story.only_episode(now=14)

    assert (episode.outcome, episode.relapse_reason, episode.duration_days) == (
        "relapsed",
        "hospitalisation",
        12.0,
    )


def test_an_event_recorded_at_the_moment_of_an_infusion_belongs_to_the_episode_it_starts():
    story = responder().phq9(14, 7).infusion(20, "scheduled_booster").event(20, "medication_change")
    story.phq9(27, 6)

    first, second = story.episodes(now=30)

    assert first.censor_reason == "scheduled_booster"
    assert (second.censor_reason, second.duration_days) == ("medication_change", 0.0)


# Half-life of benefit (§3.7)


def test_half_life_is_the_first_day_above_halfway_back_to_baseline_confirmed_3_days_later():
    story = responder().scores((14, 14), (16, 9), (17, 12), (20, 15), (23, 14))

    episode = story.only_episode(now=25)

    assert episode.half_life_day == 20.0  # halfway is 13; day 14 was not confirmed on day 17


def test_half_life_is_computed_for_partial_responders_too():
    story = Story().phq9(-1, 20).infusion(0).scores((7, 12), (14, 17), (17, 18))

    episode = story.only_episode(now=20)

    assert episode.outcome == "no_response"
    assert episode.half_life_day == 14.0  # halfway between 12 and 20 is 16


def test_half_life_describes_the_whole_episode_even_after_a_censoring():
    story = responder().event(10, "medication_change").scores((14, 14), (17, 14))

    episode = story.only_episode(now=20)

    assert (episode.censor_reason, episode.duration_days) == ("medication_change", 10.0)
    assert episode.half_life_day == 14.0


def test_there_is_no_half_life_without_benefit():
    story = Story().phq9(-1, 12).infusion(0).scores((7, 14), (14, 20), (17, 20))

    episode = story.only_episode(now=20)

    assert episode.half_life_day is None


# Survival pairs


def test_survival_pairs_take_only_episodes_with_a_duration():
    story = responder().scores((14, 12), (17, 13)).infusion(20, "scheduled_booster").phq9(27, 15)

    episodes = story.episodes(now=30)

    assert [e.outcome for e in episodes] == ["relapsed", "no_response"]
    assert survival_pairs(episodes) == ([14.0], [True])
