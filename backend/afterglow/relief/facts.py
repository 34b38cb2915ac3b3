"""What the relief analysis reads: treatments, PHQ-9s, daily mood, clinical events, and thresholds.

Plain frozen dataclasses, so the analysis never touches the database; `ReliefThresholds` holds every
threshold of CLINICAL.md §2-§4 with its default, and a clinic's overrides come in through `from_settings`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar

# One list of each, kept with the treatments (pure: no database there either).
from afterglow.infusions.kinds import EVENT_KINDS as EVENT_KINDS
from afterglow.infusions.kinds import INFUSION_KINDS as INFUSION_KINDS


def require_aware(name: str, moment: datetime) -> None:
    """Naive times would shift episodes by the server's offset; refuse them instead of guessing."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")


def _require_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low} to {high}, got {value!r}")


@dataclass(frozen=True)
class InfusionFact:
    """One ketamine treatment, whatever the route (IV, IM, intranasal, oral, sublingual)."""

    id: int
    given_at: datetime
    route: str
    kind: str  # induction | scheduled_booster | symptom_triggered_booster

    def __post_init__(self) -> None:
        require_aware("given_at", self.given_at)
        if self.kind not in INFUSION_KINDS:
            raise ValueError(
                f"infusion kind must be one of {', '.join(INFUSION_KINDS)}, got {self.kind!r}"
            )


@dataclass(frozen=True)
class Phq9Fact:
    """One PHQ-9: total score (0 to 27) and item 9, the suicide item (0 to 3)."""

    id: int
    taken_at: datetime
    score: int
    item9: int

    def __post_init__(self) -> None:
        require_aware("taken_at", self.taken_at)
        _require_range("PHQ-9 score", self.score, 0, 27)
        _require_range("PHQ-9 item 9", self.item9, 0, 3)


@dataclass(frozen=True)
class MoodFact:
    """One daily mood slider answer: 0 (worst) to 10 (best)."""

    taken_at: datetime
    score: int

    def __post_init__(self) -> None:
        require_aware("taken_at", self.taken_at)
        _require_range("mood score", self.score, 0, 10)


@dataclass(frozen=True)
class EventFact:
    """A clinician-recorded hospitalisation, suicide attempt, medication change or start of ECT/TMS."""

    id: int
    occurred_at: datetime
    kind: str

    def __post_init__(self) -> None:
        require_aware("occurred_at", self.occurred_at)
        if self.kind not in EVENT_KINDS:
            raise ValueError(
                f"event kind must be one of {', '.join(EVENT_KINDS)}, got {self.kind!r}"
            )


_Setting = TypeVar("_Setting", int, float, tuple[int, ...])


def _setting(default: _Setting, low: float, high: float) -> _Setting:
    """A threshold's default with its allowed range, kept together so validation cannot drift."""
    return field(default=default, metadata={"low": low, "high": high})


@dataclass(frozen=True)
class ReliefThresholds:
    """Every threshold of CLINICAL.md §2-§4, with the defaults given there; clinics override any of them.

    Days are decimal days; scores are PHQ-9 points unless the name says otherwise.
    """

    # §2 Change thresholds
    baseline_window_days: float = _setting(14.0, 1, 90)  # B0: latest PHQ-9 this close before
    new_course_after_days: float = _setting(90.0, 14, 3650)  # no infusion this long: new course
    response_fraction: float = _setting(0.5, 0.05, 0.95)  # response: score <= fraction x B0
    minimal_important_difference: int = _setting(5, 1, 27)  # points needed for response and relapse
    remission_below: int = _setting(5, 1, 27)  # remission: score below this
    reliable_worsening_points: int = _setting(6, 1, 27)  # a rise this large is reliable worsening
    gad7_minimal_important_difference: int = _setting(4, 1, 21)
    # §3 Relief episodes
    course_gap_days: float = _setting(7.0, 0.5, 60)  # infusions this close form one course
    nadir_window_days: float = _setting(14.0, 1, 90)
    relapse_min_score: int = _setting(10, 0, 27)
    confirm_after_days: float = _setting(3.0, 0.5, 60)
    immediate_relapse_item9: int = _setting(2, 1, 3)
    follow_up_gap_days: float = _setting(14.0, 1, 365)
    half_life_fraction: float = _setting(0.5, 0.05, 0.95)
    min_events_for_median: int = _setting(3, 1, 1000)
    survival_landmark_days: tuple[int, ...] = _setting((14, 28, 56), 1, 3650)
    # §4 Booster outlook
    waning_window_days: int = _setting(3, 1, 14)  # daily mood is averaged over this many local days
    waning_min_days: int = _setting(2, 1, 14)  # ...and needs at least this many of them answered
    waning_drop: float = _setting(3.0, 0.5, 10)  # mood points below the post-infusion peak
    # A status is a claim about now: holding or waning with no daily mood in this many local days
    # (no PHQ-9 in `recent_phq9_days` for a patient with daily mood off) shows as no recent data.
    recent_mood_days: int = _setting(3, 1, 30)
    recent_phq9_days: float = _setting(14.0, 1, 90)
    # Not in CLINICAL.md: our defaults for the suggested booster window (see outlook.py).
    booster_margin_days: float = _setting(3.0, 0, 60)
    booster_min_window_days: float = _setting(3.0, 0, 60)

    def __post_init__(self) -> None:
        for spec in fields(self):
            _check_setting(spec.name, getattr(self, spec.name), spec.default, spec.metadata)
        if self.waning_min_days > self.waning_window_days:
            raise ValueError(
                f"waning_min_days ({self.waning_min_days}) cannot exceed "
                f"waning_window_days ({self.waning_window_days})"
            )

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> ReliefThresholds:
        """A clinic's stored settings on top of the defaults.

        Keys that are not thresholds (crisis numbers, alert windows...) are ignored, because clinic
        settings hold more than these. A wrong type or range raises ValueError naming the key.
        """
        defaults = {spec.name: spec.default for spec in fields(cls)}
        chosen = {
            key: _from_json(value, defaults[key])
            for key, value in (settings or {}).items()
            if key in defaults
        }
        return cls(**chosen)


def _from_json(value: Any, default: Any) -> Any:
    """Settings arrive as JSON: lists stand for tuples and whole numbers for decimal days."""
    if isinstance(default, tuple) and isinstance(value, list):
        return tuple(value)
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _is_number(value: Any, whole: bool) -> bool:
    if isinstance(value, bool):
        return False
    if whole:
        return isinstance(value, int)
    return isinstance(value, int | float) and math.isfinite(value)


def _check_setting(name: str, value: Any, default: Any, limits: Mapping[str, float]) -> None:
    low, high = limits["low"], limits["high"]
    if isinstance(default, tuple):
        if not isinstance(value, tuple) or not value:
            raise ValueError(f"{name} must be a non-empty list of whole days, got {value!r}")
        for day in value:
            _check_setting(name, day, 0, limits)
        return
    whole = isinstance(default, int)
    if not _is_number(value, whole):
        expected = "a whole number" if whole else "a number"
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low:g} to {high:g}, got {value!r}")
