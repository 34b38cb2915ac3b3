"""The detection measure of the simulated clinic, on hand-made histories (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from afterglow.relief import ReliefThresholds
from afterglow.relief.episodes import qualifies
from afterglow.simulation.clinic import START
from afterglow.simulation.cohort import draw_cohort
from afterglow.simulation.course import LatentCourse, draw_episode, start_episode
from afterglow.simulation.measure import PatientRecord, RelapseRecord, detection_measure

T0 = datetime(2027, 3, 1, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def record(statuses: list[tuple[float, str]], relapses: list[tuple[float, float]]) -> PatientRecord:
    return PatientRecord(
        patient=1,
        followed_from=day(0),
        followed_until=day(61),
        statuses=tuple((day(d), s) for d, s in statuses),
        extra_prompts=4,
        relapses=tuple(
            RelapseRecord(1, n, day(at - 10), day(at), day(end))
            for n, (at, end) in enumerate(relapses)
        ),
    )


def test_a_relapse_is_flagged_when_triage_first_shows_waning_and_confirmed_when_relapsed() -> None:
    patient = record(
        [(0, "unassessed"), (3, "holding"), (22, "waning"), (27, "relapsed"), (30, "unassessed")],
        [(20.0, 30.0)],
    )

    measure = detection_measure([patient])

    [relapse] = measure.relapses
    assert (relapse.flag_days, relapse.confirmed_days) == (2.0, 7.0)
    assert measure.false_flags == 0
    assert round(measure.extra_prompts_per_month, 2) == round(4 / (61 / (365.25 / 12)), 2)


def test_no_recent_data_is_not_a_flag_and_a_relapse_its_episode_ended_unseen_is_never_flagged() -> (
    None
):
    patient = record([(0, "holding"), (21, "no_recent_data"), (30, "unassessed")], [(20.0, 30.0)])

    [relapse] = detection_measure([patient]).relapses

    assert relapse.flag_days is None and relapse.confirmed_days is None


def test_a_flag_with_no_relapse_under_way_or_within_7_days_is_false() -> None:
    patient = record(
        [(0, "holding"), (5, "waning"), (8, "holding"), (14, "waning"), (16, "holding")],
        [(20.0, 40.0)],
    )

    measure = detection_measure([patient])

    # Day 5 is false; day 14 comes 6 days before the relapse of day 20.
    assert measure.false_flags == 1
    assert measure.relapses[0].flag_days is None


def test_a_true_relapse_starts_the_hour_the_latent_phq9_first_meets_the_qualifying_rule() -> None:
    limits = ReliefThresholds()
    patient = next(
        p for p in draw_cohort(3, 20, 120, START, "high", "mixed") if p.induction_responder
    )
    course = LatentCourse([(START, patient.baseline)])
    draw = draw_episode(3, patient, 0)

    relapse = start_episode(
        course, patient, draw, 0, patient.induction[0], patient.induction[-1], limits
    )

    assert relapse is not None and relapse.started_at == patient.induction[-1]
    baseline, nadir = round(patient.baseline), round(draw.nadir)
    assert qualifies(round(course.at(relapse.at)), baseline, nadir, limits)
    before = relapse.at - timedelta(hours=1)
    assert not qualifies(round(course.at(before)), baseline, nadir, limits)


def test_a_flag_that_drops_out_for_an_evening_is_one_false_flag_not_two() -> None:
    patient = record(
        [(0, "holding"), (5, "waning"), (6.9, "holding"), (7.0, "waning"), (9, "holding")],
        [],
    )

    assert detection_measure([patient]).false_flags == 1


def test_false_flags_are_counted_as_the_days_triage_showed_them() -> None:
    # Flagged days 5 to 8 (false), 14 to 16 (within 7 days of the relapse: not false) and from
    # the relapse on (its own).
    patient = record(
        [(0, "holding"), (5, "waning"), (8, "holding"), (14, "waning"), (16, "holding")],
        [(20.0, 40.0)],
    )

    assert detection_measure([patient]).false_flag_days == 3.0
