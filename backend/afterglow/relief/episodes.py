"""Relief episodes after each ketamine treatment (CLINICAL.md §2-§3): how long relief lasted, and why it ended.

Pure functions over facts; `now` is a parameter. Where CLINICAL.md reads two ways, the reading chosen
is written next to the rule, and a test named for it pins it (tests/relief/test_relief_episodes.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Literal, NamedTuple

from afterglow.relief.facts import (
    EventFact,
    InfusionFact,
    Phq9Fact,
    ReliefThresholds,
    require_aware,
)

Outcome = Literal["relapsed", "censored", "ongoing", "no_response", "unassessed"]
RelapseReason = Literal[
    "confirmed", "item9", "hospitalisation", "suicide_attempt", "clinical_action"
]
CensorReason = Literal[
    "gap", "scheduled_booster", "induction", "medication_change", "ect_tms_start", "end_of_data"
]
UnassessedReason = Literal["no_phq9_in_nadir_window", "no_baseline"]
Verdict = Literal["confirmed", "refuted", "open"]

DAY = timedelta(days=1)
# Bump when a change to these rules changes what stored episodes would be: every stored row
# carries the version it was derived with (see relief.service.derivation_fingerprint), so a new
# version is re-derived in the background and on read, never served stale.
# 2: boosters are never merged into a course (CLINICAL.md §3); 3: daily mood turns a no-response
# episode waning while its nadir window is open (the stored status, and when to re-derive it).
ANALYSIS_VERSION = 3
_IMMEDIATE_RELAPSE_EVENTS: dict[str, RelapseReason] = {
    "hospitalisation": "hospitalisation",
    "suicide_attempt": "suicide_attempt",
}
_CENSORING_EVENTS: dict[str, CensorReason] = {
    "medication_change": "medication_change",
    "ect_tms_start": "ect_tms_start",
}
# Planned infusions end follow-up; a symptom-triggered booster instead counts as relapse (§3.5).
_CENSORING_INFUSIONS: dict[str, CensorReason] = {
    "scheduled_booster": "scheduled_booster",
    "induction": "induction",
}


@dataclass(frozen=True)
class ScorePoint:
    """One PHQ-9 of an episode, as a clinician auditing the call would want to see it."""

    day: float  # decimal days since the episode's infusion
    score: int
    qualifies: bool  # counts towards relapse (§3.3); only PHQ-9s after the nadir can
    phq9_id: int
    item9: int


@dataclass(frozen=True)
class Episode:
    """The relief that followed one infusion (or one course), until the next infusion or now.

    Days are decimal days from `start`. `duration_days` and `event` are the survival pair for
    Kaplan-Meier: days to relapse (event True) or to censoring (event False); None and False for
    episodes without a response to follow (`no_response`, `unassessed`). `ongoing` is the current
    episode censored only by the end of data, so it may still change as check-ins arrive.
    """

    start: datetime  # the infusion that starts the episode: the last of its course
    end: datetime  # the next infusion, or now while this is the current episode
    ended_by: str | None  # kind of that next infusion; None for the current episode
    infusion_ids: tuple[int, ...]  # the course: infusions chained less than 7 days apart
    kind: str  # kind of the starting infusion
    route: str  # route of the starting infusion
    baseline: int | None  # B0 of the induction course this episode belongs to
    baseline_phq9_id: int | None
    nadir_day: float | None
    nadir_score: int | None
    remitted: bool  # nadir below the remission threshold (PHQ-9 < 5)
    outcome: Outcome
    relapse_day: float | None
    relapse_interval: tuple[float, float] | None  # (last non-qualifying PHQ-9 day, relapse day]
    relapse_reason: RelapseReason | None
    censor_reason: CensorReason | None
    probable_relapse: bool  # censored while a qualifying score was neither confirmed nor refuted
    half_life_day: float | None
    duration_days: float | None
    event: bool
    points: tuple[ScorePoint, ...]
    unassessed_reason: UnassessedReason | None


@dataclass(frozen=True)
class _Window:
    start: datetime
    end: datetime
    ended_by: str | None

    def day(self, moment: datetime) -> float:
        return (moment - self.start) / DAY

    @property
    def end_day(self) -> float:
        return self.day(self.end)


class _Happening(NamedTuple):
    day: float
    kind: str


class _Relapse(NamedTuple):
    day: float
    reason: RelapseReason


class _Censoring(NamedTuple):
    day: float
    reason: CensorReason


@dataclass(frozen=True)
class _Ending:
    outcome: Outcome
    day: float | None = None
    relapse_reason: RelapseReason | None = None
    censor_reason: CensorReason | None = None
    probable_relapse: bool = False
    unassessed_reason: UnassessedReason | None = None


def relief_episodes(
    infusions: Iterable[InfusionFact],
    phq9s: Iterable[Phq9Fact],
    events: Iterable[EventFact],
    now: datetime,
    thresholds: ReliefThresholds | None = None,
) -> list[Episode]:
    """Every relief episode of one patient, oldest first (CLINICAL.md §3).

    Anything dated after `now` is ignored. An episode starts at each infusion not followed by another
    within `course_gap_days` (a gap of exactly 7 days is "within"), so an induction course gives one
    episode, starting at its last infusion.

    At an episode's edges: a PHQ-9 taken at exactly the next infusion's time belongs to the episode
    that infusion ends (it is the pre-infusion questionnaire); a clinical event recorded at exactly an
    infusion's time belongs to the episode that infusion starts (a medication change made at the
    visit confounds the relief that follows).
    """
    limits = thresholds or ReliefThresholds()
    require_aware("now", now)
    given = sorted((i for i in infusions if i.given_at <= now), key=lambda i: (i.given_at, i.id))
    scores = sorted((p for p in phq9s if p.taken_at <= now), key=lambda p: (p.taken_at, p.id))
    recorded = sorted(
        (e for e in events if e.occurred_at <= now), key=lambda e: (e.occurred_at, e.id)
    )
    openers = course_openers(given, limits)
    courses = _courses(given, limits)
    episodes = []
    for number, course in enumerate(courses):
        following = courses[number + 1][0] if number + 1 < len(courses) else None
        window = _Window(
            start=course[-1].given_at,
            end=following.given_at if following else now,
            ended_by=following.kind if following else None,
        )
        baseline = _baseline(scores, openers[course[-1].id], limits)
        episodes.append(_episode(window, course, baseline, scores, recorded, limits))
    return episodes


def survival_pairs(episodes: Iterable[Episode]) -> tuple[list[float], list[bool]]:
    """Durations and event flags of the episodes that have them, ready for `kaplan_meier`."""
    durations: list[float] = []
    events: list[bool] = []
    for episode in episodes:
        if episode.duration_days is not None:
            durations.append(episode.duration_days)
            events.append(episode.event)
    return durations, events


def _courses(given: Sequence[InfusionFact], limits: ReliefThresholds) -> list[list[InfusionFact]]:
    """Infusions grouped into courses (§3): a run of `induction` infusions each less than
    `course_gap_days` after the one before. A booster is never merged into a course or into
    another booster, even within a few days: it is a course of its own, so a symptom-triggered
    booster two days after an infusion ends that episode as a relapse (rule 5)."""
    courses: list[list[InfusionFact]] = []
    for infusion in given:
        last = courses[-1][-1] if courses else None
        if (
            last is not None
            and infusion.kind == "induction"
            and last.kind == "induction"
            and infusion.given_at - last.given_at < limits.course_gap_days * DAY
        ):
            courses[-1].append(infusion)
        else:
            courses.append([infusion])
    return courses


def course_openers(
    given: Sequence[InfusionFact], limits: ReliefThresholds
) -> dict[int, InfusionFact]:
    """For each infusion id, the first infusion of the induction course whose baseline it uses (§2).

    A new course, with a new B0, starts at the first infusion on record, at any infusion after
    `new_course_after_days` without one, and at an infusion tagged `induction`, unless the one before
    it was also an induction given within the baseline window: a missed week in the middle of an
    induction must not turn a half-treated score into a new baseline. `given` is sorted by time.
    The GAD-7 baseline of reliable change is taken before the same infusion (trends.changes).
    """
    openers: dict[int, InfusionFact] = {}
    previous: InfusionFact | None = None
    for infusion in given:
        if previous is None or _opens_new_course(previous, infusion, limits):
            openers[infusion.id] = infusion
        else:
            openers[infusion.id] = openers[previous.id]
        previous = infusion
    return openers


def _opens_new_course(
    previous: InfusionFact, infusion: InfusionFact, limits: ReliefThresholds
) -> bool:
    since_previous = infusion.given_at - previous.given_at
    if since_previous >= limits.new_course_after_days * DAY:
        return True
    if infusion.kind != "induction":
        return False
    continues_induction = (
        previous.kind == "induction" and since_previous <= limits.baseline_window_days * DAY
    )
    return not continues_induction


def _baseline(
    scores: Sequence[Phq9Fact], opener: InfusionFact, limits: ReliefThresholds
) -> Phq9Fact | None:
    """B0: the most recent PHQ-9 in the baseline window before the course's first infusion."""
    earliest = opener.given_at - limits.baseline_window_days * DAY
    before = [p for p in scores if earliest <= p.taken_at <= opener.given_at]
    return before[-1] if before else None


def _episode(
    window: _Window,
    course: Sequence[InfusionFact],
    baseline: Phq9Fact | None,
    scores: Sequence[Phq9Fact],
    recorded: Sequence[EventFact],
    limits: ReliefThresholds,
) -> Episode:
    """One episode through the steps of §3, stopping at the first that settles its outcome.

    Without a baseline, response cannot be judged: the episode is `unassessed` ("no_baseline")
    rather than guessed from another course's B0.
    """
    points = [
        ScorePoint(window.day(p.taken_at), p.score, False, p.id, p.item9)
        for p in scores
        if window.start < p.taken_at <= window.end
    ]
    nadir = _nadir(points, limits)
    if nadir is None:
        ending = _Ending("unassessed", unassessed_reason="no_phq9_in_nadir_window")
        return _assemble(window, course, baseline, points, nadir, limits, ending)
    if baseline is None:
        ending = _Ending("unassessed", unassessed_reason="no_baseline")
        return _assemble(window, course, baseline, points, nadir, limits, ending)
    points = _with_qualification(points, nadir, baseline.score, limits)
    if responds(baseline.score, points[nadir].score, limits):
        happened = _happened_during(window, recorded)
        ending = _follow_relief(points, happened, window, limits)
    else:
        ending = _Ending("no_response")
    return _assemble(window, course, baseline, points, nadir, limits, ending)


def _assemble(
    window: _Window,
    course: Sequence[InfusionFact],
    baseline: Phq9Fact | None,
    points: Sequence[ScorePoint],
    nadir: int | None,
    limits: ReliefThresholds,
    ending: _Ending,
) -> Episode:
    nadir_point = points[nadir] if nadir is not None else None
    relapse_day = ending.day if ending.outcome == "relapsed" else None
    half_life = None
    if baseline is not None and nadir is not None:
        half_life = _half_life_day(points, nadir, baseline.score, limits)
    return Episode(
        start=window.start,
        end=window.end,
        ended_by=window.ended_by,
        infusion_ids=tuple(i.id for i in course),
        kind=course[-1].kind,
        route=course[-1].route,
        baseline=baseline.score if baseline else None,
        baseline_phq9_id=baseline.id if baseline else None,
        nadir_day=nadir_point.day if nadir_point else None,
        nadir_score=nadir_point.score if nadir_point else None,
        remitted=nadir_point is not None and nadir_point.score < limits.remission_below,
        outcome=ending.outcome,
        relapse_day=relapse_day,
        relapse_interval=_relapse_interval(points, relapse_day)
        if relapse_day is not None
        else None,
        relapse_reason=ending.relapse_reason,
        censor_reason=ending.censor_reason,
        probable_relapse=ending.probable_relapse,
        half_life_day=half_life,
        duration_days=ending.day,
        event=relapse_day is not None,
        points=tuple(points),
        unassessed_reason=ending.unassessed_reason,
    )


def _happened_during(window: _Window, recorded: Sequence[EventFact]) -> list[_Happening]:
    current = window.ended_by is None
    return [
        _Happening(window.day(e.occurred_at), e.kind)
        for e in recorded
        if window.start <= e.occurred_at and (e.occurred_at < window.end or current)
    ]


def _nadir(points: Sequence[ScorePoint], limits: ReliefThresholds) -> int | None:
    """Position of the lowest PHQ-9 in (0, nadir window] days; the earliest on a tie (§3.1).

    The episode's PHQ-9s already stop at the next infusion, which covers "or until the next
    infusion if sooner".
    """
    window = [i for i, p in enumerate(points) if p.day <= limits.nadir_window_days]
    return min(window, key=lambda i: points[i].score, default=None)


def responds(baseline: int, nadir: int, limits: ReliefThresholds) -> bool:
    """Response gate (§2, §3.2): at most half the baseline and at least the MID below it."""
    return (
        nadir <= limits.response_fraction * baseline
        and baseline - nadir >= limits.minimal_important_difference
    )


def qualifies(score: int, baseline: int, nadir: int, limits: ReliefThresholds) -> bool:
    """Relapse-qualifying score (§3.3): response lost, at least moderate, and the MID above nadir.

    Public for what must judge a score by the same rule: the simulated clinic dates its true
    relapses with it (simulation/course.py)."""
    return (
        score > limits.response_fraction * baseline
        and score >= limits.relapse_min_score
        and score - nadir >= limits.minimal_important_difference
    )


def _with_qualification(
    points: Sequence[ScorePoint], nadir: int, baseline: int, limits: ReliefThresholds
) -> list[ScorePoint]:
    nadir_score = points[nadir].score
    return [
        replace(p, qualifies=i > nadir and qualifies(p.score, baseline, nadir_score, limits))
        for i, p in enumerate(points)
    ]


def _follow_relief(
    points: Sequence[ScorePoint],
    happened: Sequence[_Happening],
    window: _Window,
    limits: ReliefThresholds,
) -> _Ending:
    """Steps 3-6 of §3 for a responding episode: the first relapse or censoring, whichever is first.

    A censoring ends what we observe: a relapse counts only when its confirming PHQ-9 was taken by
    the censoring day, and a relapse on the censoring day itself wins, as Kaplan-Meier counts events
    before censorings. "Probable relapse" is flagged for every censoring that leaves a qualifying
    score neither confirmed nor refuted, not only for a scheduled booster.
    """
    censoring = _first_censoring(points, happened, window, limits)
    observed_until = censoring.day if censoring else window.end_day
    verdicts = _relapse_verdicts(points, observed_until, limits)
    relapse = _first_relapse(points, verdicts, happened, observed_until, limits)
    if relapse is not None:
        return _Ending("relapsed", relapse.day, relapse_reason=relapse.reason)
    unsettled = [points[i].day for i, verdict in verdicts.items() if verdict == "open"]
    if censoring is not None:
        return _Ending(
            "censored",
            censoring.day,
            censor_reason=censoring.reason,
            probable_relapse=bool(unsettled),
        )
    if window.ended_by == "symptom_triggered_booster":
        # Relapse by clinical action (§3.5): never censoring, which would lengthen relief.
        return _Ending(
            "relapsed", min(unsettled, default=window.end_day), relapse_reason="clinical_action"
        )
    return _Ending(
        "ongoing", points[-1].day, censor_reason="end_of_data", probable_relapse=bool(unsettled)
    )


def _first_censoring(
    points: Sequence[ScorePoint],
    happened: Sequence[_Happening],
    window: _Window,
    limits: ReliefThresholds,
) -> _Censoring | None:
    """The earliest censoring of §3.6, apart from the end of data (the fallback when none applies)."""
    candidates: list[_Censoring] = []
    gap = _last_score_before_gap(points, window, limits)
    if gap is not None:
        candidates.append(_Censoring(gap, "gap"))
    if window.ended_by in _CENSORING_INFUSIONS:
        candidates.append(_Censoring(window.end_day, _CENSORING_INFUSIONS[window.ended_by]))
    candidates += [
        _Censoring(h.day, _CENSORING_EVENTS[h.kind])
        for h in happened
        if h.kind in _CENSORING_EVENTS
    ]
    return min(candidates, key=lambda c: c.day, default=None)


def _last_score_before_gap(
    points: Sequence[ScorePoint], window: _Window, limits: ReliefThresholds
) -> float | None:
    """Day of the last PHQ-9 before follow-up lapsed for longer than the allowed gap, if it did."""
    longest = limits.follow_up_gap_days
    for earlier, later in pairwise(points):
        if later.day - earlier.day > longest:
            return earlier.day
    if window.end_day - points[-1].day > longest:
        return points[-1].day
    return None


def _relapse_verdicts(
    points: Sequence[ScorePoint], observed_until: float, limits: ReliefThresholds
) -> dict[int, Verdict]:
    """Confirmed, refuted or still open, for each qualifying PHQ-9 taken by `observed_until`."""
    seen = [p for p in points if p.day <= observed_until]
    return {
        i: _verdict(seen, i, _still_qualifies, limits) for i, p in enumerate(seen) if p.qualifies
    }


def _verdict(
    points: Sequence[ScorePoint],
    position: int,
    holds: Callable[[ScorePoint], bool],
    limits: ReliefThresholds,
) -> Verdict:
    """Judge a score by the first PHQ-9 taken at least `confirm_after_days` after it (§3.3).

    PHQ-9s in between are ignored, as §3.3 reads: one taken a day later mostly repeats the same
    two-week recall, so it is not an independent look.
    """
    due = points[position].day + limits.confirm_after_days
    later = next((p for p in points[position + 1 :] if p.day >= due), None)
    if later is None:
        return "open"
    return "confirmed" if holds(later) else "refuted"


def confirmation_due(episode: Episode, limits: ReliefThresholds) -> datetime | None:
    """When the PHQ-9 that settles a qualifying score still awaiting its verdict counts (§3.3):
    `confirm_after_days` after the earliest such score of this ongoing episode; None when none
    awaits one. The adaptive reminders ask for that PHQ-9 on the day it becomes due.

    Only an `ongoing` episode: once censored (a gap, a booster, a medication change) no later
    PHQ-9 can confirm it, and a relapsed one needs no confirmation.
    """
    if episode.outcome != "ongoing":
        return None
    points = episode.points
    for position, point in enumerate(points):
        if point.qualifies and _verdict(points, position, _still_qualifies, limits) == "open":
            # In UTC: elapsed days, never wall-clock arithmetic in the start's own zone.
            return episode.start.astimezone(UTC) + (point.day + limits.confirm_after_days) * DAY
    return None


def _still_qualifies(point: ScorePoint) -> bool:
    return point.qualifies


def _first_relapse(
    points: Sequence[ScorePoint],
    verdicts: dict[int, Verdict],
    happened: Sequence[_Happening],
    observed_until: float,
    limits: ReliefThresholds,
) -> _Relapse | None:
    """The earliest confirmed or immediate relapse (§3.3-§3.4) observed by `observed_until`.

    An immediate relapse counts from the infusion on, even before the nadir: a suicide attempt or
    a hospitalisation is never compatible with relief. On a tie it wins over a confirmed relapse,
    being the more urgent reason.
    """
    immediate = [
        _Relapse(p.day, "item9") for p in points if p.item9 >= limits.immediate_relapse_item9
    ] + [
        _Relapse(h.day, _IMMEDIATE_RELAPSE_EVENTS[h.kind])
        for h in happened
        if h.kind in _IMMEDIATE_RELAPSE_EVENTS
    ]
    confirmed = [
        _Relapse(points[i].day, "confirmed") for i, v in verdicts.items() if v == "confirmed"
    ]
    observed = [r for r in immediate + confirmed if r.day <= observed_until]
    return min(observed, key=lambda r: r.day, default=None)


def _relapse_interval(points: Sequence[ScorePoint], relapse_day: float) -> tuple[float, float]:
    """(day of the last PHQ-9 before the relapse that did not qualify, relapse day]; 0 if none."""
    last_well = max((p.day for p in points if p.day < relapse_day and not p.qualifies), default=0.0)
    return last_well, relapse_day


def _half_life_day(
    points: Sequence[ScorePoint], nadir: int, baseline: int, limits: ReliefThresholds
) -> float | None:
    """Half-life of benefit (§3.7), for partial responders too.

    The first PHQ-9 after the nadir above N + 0.5 x (B0 - N), confirmed the way a relapse is: the
    first PHQ-9 at least `confirm_after_days` later is above it too. It describes the score curve over
    the whole episode, so censoring does not cut it; None when there was no benefit (B0 <= N).
    """
    nadir_score = points[nadir].score
    if baseline <= nadir_score:
        return None
    halfway = nadir_score + limits.half_life_fraction * (baseline - nadir_score)

    def above(point: ScorePoint) -> bool:
        return point.score > halfway

    for position in range(nadir + 1, len(points)):
        if above(points[position]) and _verdict(points, position, above, limits) == "confirmed":
            return points[position].day
    return None
