"""Reliable change (CLINICAL.md §2): the one rule behind the workspace's marks and the patient's
chart words. Pure: stories dated in days from one infusion (tests/relief/relief_stories.py)."""

from __future__ import annotations

from afterglow.relief import ReliefThresholds
from afterglow.trends.changes import Score, latest_changes, reliable_changes
from relief.relief_stories import Story, at

LIMITS = ReliefThresholds()


def phq9_scores(story: Story) -> list[Score]:
    return [Score(p.taken_at, p.score) for p in story.phq9s]


def words(story: Story, now: float, instrument: str = "phq9", gad7: list[Score] | None = None):
    scores = phq9_scores(story) if instrument == "phq9" else gad7 or []
    found = latest_changes(
        instrument, scores, story.episodes(now), story.infusions, at(now), LIMITS
    )
    return [(c.direction, c.reference, c.reference_score, c.score, c.points) for c in found]


def test_a_phq9_from_18_to_7_is_down_11_points_since_before_treatment():
    story = Story().phq9(-1, 18)
    for day in (0, 2, 4, 7, 9, 11):
        story.infusion(day)
    story.phq9(18, 7)

    assert words(story, now=19) == [("better", "baseline", 18, 7, 11)]


def test_a_move_of_less_than_5_points_is_not_a_reliable_change():
    story = Story().phq9(-1, 12).infusion(0).phq9(7, 8)

    assert words(story, now=8) == []


def test_a_rise_of_6_from_the_lowest_after_treatment_is_a_reliable_worsening_beside_the_improvement():
    story = Story().phq9(-1, 20).infusion(0).phq9(7, 4).phq9(14, 11)

    assert words(story, now=15) == [
        ("better", "baseline", 20, 11, 9),
        ("worse", "nadir", 4, 11, 7),
    ]


def test_a_rise_of_5_from_the_lowest_is_within_the_stricter_worsening_index():
    story = Story().phq9(-1, 20).infusion(0).phq9(7, 4).phq9(14, 9)

    assert ("worse", "nadir", 4, 9, 5) not in words(story, now=15)


def test_a_score_before_any_treatment_has_no_reliable_change():
    story = Story().phq9(-10, 20).phq9(-1, 9)

    assert words(story, now=0) == []


def test_gad7_is_measured_from_before_the_induction_course_even_after_a_booster():
    story = Story().phq9(-1, 20).infusion(0).phq9(7, 6).infusion(30, "scheduled_booster")
    gad7 = [Score(at(-2), 15), Score(at(28), 12), Score(at(35), 10)]

    # From 15 before the course, not from 12 just before the booster.
    assert words(story, now=36, instrument="gad7", gad7=gad7) == [("better", "baseline", 15, 10, 5)]


def test_gad7_worse_by_4_either_way_from_its_baseline_is_a_reliable_change():
    story = Story().phq9(-1, 20).infusion(0).phq9(7, 6)
    gad7 = [Score(at(-1), 6), Score(at(10), 10)]

    assert words(story, now=11, instrument="gad7", gad7=gad7) == [("worse", "baseline", 6, 10, 4)]


def test_the_workspace_marks_only_where_each_episode_first_reaches_a_reliable_change():
    story = (
        Story()
        .phq9(-1, 20)
        .infusion(0)
        .scores((3, 16), (7, 9), (10, 6), (14, 5), (21, 12), (24, 13))
        .infusion(30, "scheduled_booster")
        .phq9(37, 8)
    )

    marks = reliable_changes(
        "phq9", phq9_scores(story), story.episodes(40), story.infusions, at(40), LIMITS
    )

    assert [(m.at, m.direction, m.reference, m.score) for m in marks] == [
        (at(7), "better", "baseline", 9),
        (at(21), "worse", "nadir", 12),
        (at(37), "better", "baseline", 8),  # the booster's episode measures from the same B0
    ]
