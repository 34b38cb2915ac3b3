"""Reliable change on PHQ-9 and GAD-7 (CLINICAL.md §2): pure functions, no I/O, `now` passed in.

The one rule behind the workspace timeline's marks and the patient's chart words ("down 11
points since before treatment"). It never changes an episode's outcome and never suggests a
booster: it says how far a score moved from a reference, and only when that move is past the
instrument's threshold.
- PHQ-9: `minimal_important_difference` (5) or more below the episode's baseline B0 is a
  reliable improvement; `reliable_worsening_points` (6) or more above the episode's nadir, after
  the nadir, a reliable worsening (the stricter index).
- GAD-7: `gad7_minimal_important_difference` (4) or more either way from its baseline, the last
  GAD-7 in the baseline window before the first infusion of the induction course whose B0 the
  episode uses (`relief.episodes.course_openers`), so both instruments measure from before the
  same treatment.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from afterglow.relief import Episode, InfusionFact, ReliefThresholds
from afterglow.relief.episodes import DAY, course_openers

Direction = Literal["better", "worse"]
Reference = Literal["baseline", "nadir"]
CHANGE_INSTRUMENTS = ("phq9", "gad7")


@dataclass(frozen=True)
class Score:
    """One PHQ-9 or GAD-7 total, when it was taken."""

    at: datetime
    score: int


@dataclass(frozen=True)
class ReliableChange:
    """A score `points` away from its reference, past the instrument's reliable-change line."""

    instrument: str
    at: datetime
    score: int
    direction: Direction
    reference: Reference  # baseline: before the course; nadir: the lowest PHQ-9 after it
    reference_score: int
    points: int


@dataclass(frozen=True)
class _Frame:
    """What of an episode the rule reads."""

    start: datetime
    end: datetime
    baseline: int | None
    nadir_at: datetime | None
    nadir_score: int | None
    course_opened_at: datetime

    def holds(self, moment: datetime) -> bool:
        return self.start < moment <= self.end


def _frames(
    episodes: Sequence[Episode],
    infusions: Iterable[InfusionFact],
    now: datetime,
    limits: ReliefThresholds,
) -> list[_Frame]:
    given = sorted((i for i in infusions if i.given_at <= now), key=lambda i: (i.given_at, i.id))
    openers = course_openers(given, limits)
    frames = []
    for episode in episodes:
        opener = openers.get(episode.infusion_ids[-1]) if episode.infusion_ids else None
        nadir_at = (
            episode.start + episode.nadir_day * DAY if episode.nadir_day is not None else None
        )
        frames.append(
            _Frame(
                start=episode.start,
                end=episode.end,
                baseline=episode.baseline,
                nadir_at=nadir_at,
                nadir_score=episode.nadir_score,
                course_opened_at=opener.given_at if opener else episode.start,
            )
        )
    return frames


def _gad7_baseline(frame: _Frame, gad7: Sequence[Score], limits: ReliefThresholds) -> int | None:
    earliest = frame.course_opened_at - limits.baseline_window_days * DAY
    before = [s for s in gad7 if earliest <= s.at <= frame.course_opened_at]
    return before[-1].score if before else None


def _changes_of(
    instrument: str,
    frame: _Frame,
    score: Score,
    gad7_baseline: int | None,
    limits: ReliefThresholds,
) -> list[ReliableChange]:
    """Every reliable change `score` shows in its episode (none, one, or for PHQ-9 both ways)."""
    found = []
    if instrument == "phq9":
        if frame.baseline is not None:
            down = frame.baseline - score.score
            if down >= limits.minimal_important_difference:
                found.append(
                    ReliableChange(
                        instrument,
                        score.at,
                        score.score,
                        "better",
                        "baseline",
                        frame.baseline,
                        down,
                    )
                )
            if (
                frame.nadir_at is not None
                and frame.nadir_score is not None
                and score.at > frame.nadir_at
            ):
                up = score.score - frame.nadir_score
                if up >= limits.reliable_worsening_points:
                    found.append(
                        ReliableChange(
                            instrument,
                            score.at,
                            score.score,
                            "worse",
                            "nadir",
                            frame.nadir_score,
                            up,
                        )
                    )
    elif gad7_baseline is not None:
        change = score.score - gad7_baseline
        if abs(change) >= limits.gad7_minimal_important_difference:
            direction: Direction = "better" if change < 0 else "worse"
            found.append(
                ReliableChange(
                    instrument,
                    score.at,
                    score.score,
                    direction,
                    "baseline",
                    gad7_baseline,
                    abs(change),
                )
            )
    return found


def _by_episode(
    instrument: str,
    scores: Sequence[Score],
    episodes: Sequence[Episode],
    infusions: Iterable[InfusionFact],
    now: datetime,
    limits: ReliefThresholds,
) -> Iterator[tuple[_Frame, list[Score], int | None]]:
    """Each episode, the scores that fall in it (after its infusion, up to the next), oldest
    first, and for GAD-7 its baseline."""
    ordered = sorted(scores, key=lambda s: s.at)
    for frame in _frames(episodes, infusions, now, limits):
        base = _gad7_baseline(frame, ordered, limits) if instrument == "gad7" else None
        yield frame, [s for s in ordered if frame.holds(s.at)], base


def reliable_changes(
    instrument: str,
    scores: Sequence[Score],
    episodes: Sequence[Episode],
    infusions: Iterable[InfusionFact],
    now: datetime,
    limits: ReliefThresholds,
) -> list[ReliableChange]:
    """Where each episode's scores first reach a reliable change, one mark per direction and
    episode (later scores that stay past the line are not marked again), so the marks show
    turns."""
    if instrument not in CHANGE_INSTRUMENTS:
        return []
    marks: list[ReliableChange] = []
    for frame, inside, base in _by_episode(instrument, scores, episodes, infusions, now, limits):
        reached: set[Direction] = set()
        for score in inside:
            for change in _changes_of(instrument, frame, score, base, limits):
                if change.direction not in reached:
                    reached.add(change.direction)
                    marks.append(change)
    return marks


def latest_changes(
    instrument: str,
    scores: Sequence[Score],
    episodes: Sequence[Episode],
    infusions: Iterable[InfusionFact],
    now: datetime,
    limits: ReliefThresholds,
) -> list[ReliableChange]:
    """The reliable changes of the latest score, in the episode it falls in: what the patient's
    chart says in words. None before any infusion, or when the latest move is within chance."""
    if instrument not in CHANGE_INSTRUMENTS or not scores:
        return []
    latest = max(scores, key=lambda s: s.at)
    for frame, _, base in _by_episode(instrument, scores, episodes, infusions, now, limits):
        if frame.holds(latest.at):
            return _changes_of(instrument, frame, latest, base, limits)
    return []
