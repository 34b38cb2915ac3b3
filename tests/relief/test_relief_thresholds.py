"""Clinic thresholds (CLINICAL.md §2-§4) and the facts the relief analysis accepts."""

from __future__ import annotations

from datetime import datetime

import pytest
from relief_stories import at, responder

from afterglow.relief import EventFact, InfusionFact, Phq9Fact, ReliefThresholds


def test_the_default_thresholds_are_those_of_clinical_md():
    defaults = ReliefThresholds()

    assert defaults.response_fraction == 0.5
    assert defaults.minimal_important_difference == 5
    assert defaults.remission_below == 5
    assert defaults.reliable_worsening_points == 6
    assert defaults.gad7_minimal_important_difference == 4
    assert defaults.baseline_window_days == 14
    assert defaults.new_course_after_days == 90
    assert defaults.course_gap_days == 7
    assert defaults.nadir_window_days == 14
    assert defaults.relapse_min_score == 10
    assert defaults.confirm_after_days == 3
    assert defaults.immediate_relapse_item9 == 2
    assert defaults.follow_up_gap_days == 14
    assert defaults.half_life_fraction == 0.5
    assert defaults.min_events_for_median == 3
    assert defaults.survival_landmark_days == (14, 28, 56)
    assert (defaults.waning_window_days, defaults.waning_min_days, defaults.waning_drop) == (
        3,
        2,
        3,
    )


def test_a_clinic_overrides_thresholds_from_its_settings_and_other_keys_are_ignored():
    thresholds = ReliefThresholds.from_settings(
        {
            "confirm_after_days": 5,
            "survival_landmark_days": [7, 14],
            "alert_window_hours": 4,
            "crisis_resources": {},
        }
    )

    assert thresholds.confirm_after_days == 5.0
    assert isinstance(thresholds.confirm_after_days, float)
    assert thresholds.survival_landmark_days == (7, 14)
    assert thresholds.relapse_min_score == 10
    assert ReliefThresholds.from_settings(None) == ReliefThresholds()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"confirm_after_days": "3"}, "confirm_after_days must be a number"),
        ({"relapse_min_score": 10.5}, "relapse_min_score must be a whole number"),
        ({"relapse_min_score": True}, "relapse_min_score must be a whole number"),
        ({"response_fraction": 1.5}, "response_fraction must be from 0.05 to 0.95"),
        ({"follow_up_gap_days": float("nan")}, "follow_up_gap_days must be a number"),
        ({"immediate_relapse_item9": 4}, "immediate_relapse_item9 must be from 1 to 3"),
        ({"survival_landmark_days": []}, "survival_landmark_days must be a non-empty list"),
        ({"survival_landmark_days": [14, 0]}, "survival_landmark_days must be from 1"),
        ({"waning_min_days": 4}, "waning_min_days (4) cannot exceed waning_window_days (3)"),
    ],
)
def test_a_wrong_setting_is_refused_with_a_message_naming_the_key(settings, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ReliefThresholds.from_settings(settings)


def test_the_analysis_uses_the_clinics_thresholds():
    story = responder().scores((14, 12), (17, 13))
    slower_confirmation = ReliefThresholds(confirm_after_days=5)

    (by_default,) = story.episodes(now=20)
    (by_clinic,) = story.episodes(now=20, thresholds=slower_confirmation)

    assert by_default.outcome == "relapsed"
    assert (by_clinic.outcome, by_clinic.probable_relapse) == ("ongoing", True)


def test_facts_refuse_naive_times_so_episodes_cannot_shift_by_the_server_offset():
    with pytest.raises(ValueError, match="given_at must be a timezone-aware datetime"):
        InfusionFact(1, datetime(2025, 3, 3, 10, 0), "iv", "induction")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: InfusionFact(1, at(0), "iv", "maintenance"), "infusion kind must be one of"),
        (lambda: EventFact(1, at(0), "fall"), "event kind must be one of"),
        (lambda: Phq9Fact(1, at(0), 28, 0), "PHQ-9 score must be from 0 to 27"),
        (lambda: Phq9Fact(1, at(0), 20, 4), "PHQ-9 item 9 must be from 0 to 3"),
    ],
)
def test_facts_refuse_unknown_kinds_and_impossible_scores(build, message):
    with pytest.raises(ValueError, match=message):
        build()
