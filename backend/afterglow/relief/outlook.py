"""The booster outlook for the current episode (CLINICAL.md §4), for clinicians only.

Patients may see days since infusion and their own trend, never the booster window: clinical
decision support keeps directives with clinicians, so every sentence here is worded as information.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from statistics import fmean
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from afterglow.relief.episodes import DAY, Episode
from afterglow.relief.facts import MoodFact, ReliefThresholds, require_aware
from afterglow.relief.kaplan_meier import KaplanMeierEstimate

ReliefStatus = Literal[
    "none", "holding", "waning", "relapsed", "no_response", "unassessed", "no_recent_data"
]
"""Where a patient's current episode stands (CLINICAL.md §4); `none` before any infusion."""
OutlookStatus = ReliefStatus
WindowSource = Literal["own", "clinic"]

_NO_RECENT_DATA = (
    "No recent data: the status above is the last one the patient's answers showed, not a claim"
    " about today."
)

_ROUTE_NAMES = {"iv": "IV", "im": "IM"}
_RELAPSE_REASONS = {
    "confirmed": "a confirmed rise in PHQ-9",
    "item9": "a high answer to PHQ-9 item 9 (thoughts of death or self-harm)",
    "hospitalisation": "a hospitalisation",
    "suicide_attempt": "a suicide attempt",
    "clinical_action": "a symptom-triggered booster",
}


@dataclass(frozen=True)
class WaningSignal:
    """Daily mood since the infusion, averaged over local calendar days (CLINICAL.md §4).

    `latest_mean` is the mean over the last `waning_window_days` local days ending today, None when
    fewer than `waning_min_days` of them were answered (never carried forward from an older mean).
    """

    waning: bool
    today: date
    latest_mean: float | None
    peak_mean: float | None
    peak_on: date | None  # last day of the window that gave the peak
    drop: float | None  # peak_mean - latest_mean


@dataclass(frozen=True)
class PastRelapses:
    """How many past episodes had relapsed by today's day count (k of n), where that is known."""

    day: int  # whole days since the current infusion
    relapsed: int  # k
    followed: int  # n: relapsed by today, or followed past today without relapse
    left_out: int  # censored before today: whether they would have relapsed is unknown
    sentence: str


@dataclass(frozen=True)
class BoosterWindow:
    """Days since the current infusion, and the patient's local dates, of a suggested booster window."""

    start_day: float
    end_day: float
    start_on: date
    end_on: date
    source: WindowSource


@dataclass(frozen=True)
class BoosterOutlook:
    """Clinician-facing: a patient asking for their own relief gets everything but `window`."""

    days_since_infusion: float
    status: OutlookStatus
    waning: WaningSignal
    past_relapses: PastRelapses
    own_median_days: float | None  # only when shown (enough relapses, median reached)
    own_summary: str
    window: BoosterWindow | None
    explanation: str


def waning_signal(
    moods: Iterable[MoodFact],
    infusion_at: datetime,
    tz_name: str,
    now: datetime,
    thresholds: ReliefThresholds | None = None,
) -> WaningSignal:
    """Whether the rolling mood mean has fallen `waning_drop` points below its post-infusion peak.

    Days are the patient's local calendar days. Several moods on one day count as that day's mean,
    so a day with many entries does not outweigh a day with one. Moods before the infusion are left
    out, so the peak is the best the patient felt after it.
    """
    limits = thresholds or ReliefThresholds()
    require_aware("infusion_at", infusion_at)
    require_aware("now", now)
    zone = _zone(tz_name)
    daily = _daily_means(moods, infusion_at, now, zone)
    first, today = infusion_at.astimezone(zone).date(), now.astimezone(zone).date()
    rolling: dict[date, float] = {}
    for offset in range((today - first).days + 1):
        day = first + timedelta(days=offset)
        mean = _rolling_mean(daily, day, limits)
        if mean is not None:
            rolling[day] = mean
    if not rolling:
        return WaningSignal(False, today, None, None, None, None)
    latest = rolling.get(today)
    peak_on = max(rolling, key=lambda day: rolling[day])
    peak = rolling[peak_on]
    drop = peak - latest if latest is not None else None
    waning = drop is not None and drop >= limits.waning_drop
    return WaningSignal(waning, today, latest, peak, peak_on, drop)


def booster_outlook(
    current_episode: Episode,
    past_episodes: Sequence[Episode],
    own_km: KaplanMeierEstimate,
    pooled_km: KaplanMeierEstimate | None,
    now: datetime,
    moods: Iterable[MoodFact],
    tz_name: str,
    thresholds: ReliefThresholds | None = None,
    stale_after: datetime | None = None,
) -> BoosterOutlook:
    """What a clinician needs to time the next booster (CLINICAL.md §4).

    `own_km` is the patient's Kaplan-Meier over their responding episodes; `pooled_km` the clinic's,
    used when the patient has fewer than `min_events_for_median` relapses (None when unavailable).
    `past_episodes` may include the current one; it is never counted in its own history.

    The window ends `booster_margin_days` before the median relapse day and is widened, when the
    estimate is uncertain, to start the same margin before the lower end of the median's 95%
    interval; it is at least `booster_min_window_days` wide, never before day 0, and None when
    nothing supports one (the explanation says why).

    `stale_after` is when the patient's data stop being recent (`summary.no_recent_data_after`);
    from then on a holding or waning status shows as `no_recent_data`.
    """
    limits = thresholds or ReliefThresholds()
    require_aware("now", now)
    zone = _zone(tz_name)
    days_since = (now - current_episode.start) / DAY
    signal = waning_signal(moods, current_episode.start, tz_name, now, limits)
    seen = relief_status(current_episode, signal.waning, now, limits)
    status = status_now(seen, stale_after, now)
    history = _past_relapses(current_episode, past_episodes, days_since)
    if status == "relapsed":
        window, window_text = None, "No booster window is shown after a relapse."
    elif current_episode.outcome == "no_response":
        # Past relief says nothing about an infusion that brought none.
        window, window_text = (
            None,
            (
                "No booster window is shown: this infusion did not meet the response criteria, so"
                " past relief does not apply to it."
            ),
        )
    elif current_episode.outcome == "unassessed":
        window, window_text = (
            None,
            (
                "No booster window is shown until a PHQ-9 after this infusion shows whether it"
                " brought a response."
            ),
        )
    else:
        window, window_text = suggested_window(
            current_episode, days_since, own_km, pooled_km, zone, limits
        )
    parts = [_status_text(days_since, seen, signal, current_episode), history.sentence]
    if status == "no_recent_data":
        parts.insert(1, _NO_RECENT_DATA)
    if window is None or window.source != "own":
        parts.append(f"This patient's own estimate: {own_km.summary()}.")
    explanation = " ".join([*parts, window_text])
    return BoosterOutlook(
        days_since_infusion=days_since,
        status=status,
        waning=signal,
        past_relapses=history,
        own_median_days=own_km.median if own_km.median_shown else None,
        own_summary=own_km.summary(),
        window=window,
        explanation=explanation,
    )


def _zone(tz_name: str) -> tzinfo:
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {tz_name!r}; use an IANA name like 'America/Chicago'"
        ) from None


def _daily_means(
    moods: Iterable[MoodFact], infusion_at: datetime, now: datetime, zone: tzinfo
) -> dict[date, float]:
    by_day: dict[date, list[int]] = defaultdict(list)
    for mood in moods:
        if infusion_at < mood.taken_at <= now:
            by_day[mood.taken_at.astimezone(zone).date()].append(mood.score)
    return {day: fmean(scores) for day, scores in by_day.items()}


def _rolling_mean(daily: dict[date, float], last: date, limits: ReliefThresholds) -> float | None:
    days = [last - timedelta(days=back) for back in range(limits.waning_window_days)]
    answered = [daily[day] for day in days if day in daily]
    return fmean(answered) if len(answered) >= limits.waning_min_days else None


def phq9_status(episode: Episode | None) -> ReliefStatus:
    """The status from PHQ-9s alone (daily mood may still turn it `waning`, see `with_mood`).

    A current episode with no response, or none measurable yet, says so instead of "holding", which
    would claim relief never shown. A qualifying PHQ-9 awaiting confirmation shows as waning, being
    stronger evidence than daily mood.
    """
    if episode is None:
        return "none"
    if episode.outcome == "relapsed":
        return "relapsed"
    if episode.outcome == "no_response":
        return "no_response"
    if episode.outcome == "unassessed":
        return "unassessed"
    return "waning" if episode.probable_relapse else "holding"


def mood_can_turn_waning(
    phq9: ReliefStatus, infusion_at: datetime | None, now: datetime, limits: ReliefThresholds
) -> bool:
    """Whether daily mood has a say on the current episode's status (the early warning of
    CLINICAL.md §4): on a holding episode, and on one whose response cannot be judged yet; on a
    `no_response` one only while its nadir window is open. Until then a later PHQ-9 may still
    show a response, and a PHQ-9 taken once relief had already faded (often the one the waning
    prompt asked for) must not hide the fall in mood that prompted it; after it, the PHQ-9s have
    said the infusion brought no response, and a fall in mood is no longer relief fading. Never
    on a relapse, nor before any infusion."""
    if infusion_at is None:
        return False
    if phq9 in ("holding", "unassessed"):
        return True
    return phq9 == "no_response" and now <= infusion_at + limits.nadir_window_days * DAY


def with_mood(phq9: ReliefStatus, mood_waning: bool) -> ReliefStatus:
    """A status daily mood may speak to (`mood_can_turn_waning`, which the caller asked) is
    waning when the mood has fallen `waning_drop` points below its post-infusion peak."""
    return "waning" if mood_waning and phq9 not in ("relapsed", "none") else phq9


def relief_status(
    episode: Episode | None, mood_waning: bool, now: datetime, limits: ReliefThresholds
) -> ReliefStatus:
    """The one status rule, for the triage list and the relief view alike."""
    phq9 = phq9_status(episode)
    start = episode.start if episode is not None else None
    return with_mood(phq9, mood_waning and mood_can_turn_waning(phq9, start, now, limits))


def status_now(status: ReliefStatus, stale_after: datetime | None, now: datetime) -> ReliefStatus:
    """A status is a claim about now: `holding` or `waning` past the instant the patient's data
    stopped being recent (see `summary.no_recent_data_after`) shows as `no_recent_data`."""
    if status in ("holding", "waning") and stale_after is not None and now >= stale_after:
        return "no_recent_data"
    return status


def _past_relapses(current: Episode, past: Sequence[Episode], days_since: float) -> PastRelapses:
    """Count only the past episodes whose state at today's day count is known.

    An episode censored before today might or might not have relapsed by now, so it is left out of
    both k and n rather than counted as still in relief. Comparisons use the exact time since the
    infusion; the sentence shows the whole day count.
    """
    day = math.floor(days_since)
    responding = [e for e in past if e.start < current.start and e.duration_days is not None]
    relapsed = sum(1 for e in responding if e.event and _duration(e) <= days_since)
    in_relief = sum(
        1
        for e in responding
        if _duration(e) > days_since or (not e.event and _duration(e) == days_since)
    )
    followed = relapsed + in_relief
    left_out = len(responding) - followed
    if not responding:
        sentence = "There are no past episodes with a response to compare with."
    elif not followed:
        sentence = f"No past episode with a response was followed to day {day}."
    else:
        sentence = (
            f"{relapsed} of {followed} past episodes with a response had relapsed by day {day}."
        )
    if left_out == 1:
        sentence += (
            " 1 more ended earlier without a relapse and is not counted, since whether it would"
            " have relapsed by now is unknown."
        )
    elif left_out:
        sentence += (
            f" {left_out} more ended earlier without a relapse and are not counted, since whether"
            " they would have relapsed by now is unknown."
        )
    return PastRelapses(day, relapsed, followed, left_out, sentence)


def _duration(episode: Episode) -> float:
    return episode.duration_days if episode.duration_days is not None else math.inf


@dataclass(frozen=True)
class _Basis:
    """The estimate a window is built from."""

    median: float
    median_lower: float | None
    summary: str
    source: WindowSource
    whose: str


def _window_basis(
    own_km: KaplanMeierEstimate, pooled_km: KaplanMeierEstimate | None, limits: ReliefThresholds
) -> _Basis | str:
    """The patient's own estimate, else the clinic's; or the sentence saying why there is none.

    With enough own relapses but a median not reached, the patient's relief has outlasted follow-up:
    falling back to the clinic would suggest a booster sooner than this patient has needed.
    """
    needed = limits.min_events_for_median
    if own_km.events >= needed:
        if own_km.median_shown and own_km.median is not None:
            return _Basis(
                own_km.median,
                own_km.median_lower,
                own_km.summary(),
                "own",
                "this patient's own past episodes",
            )
        return (
            "No booster window is suggested: more than half of this patient's episodes were"
            f" still in relief at the longest follow-up ({own_km.summary()})."
        )
    if pooled_km is not None and pooled_km.median_shown and pooled_km.median is not None:
        return _Basis(
            pooled_km.median,
            pooled_km.median_lower,
            pooled_km.summary(),
            "clinic",
            f"the clinic's pooled episodes, since this patient has fewer than {needed} relapses",
        )
    return (
        f"No booster window is suggested: this patient has {_relapses(own_km.events)} on record"
        f" (a window needs {needed}) and no clinic estimate with a median is available."
    )


def suggested_window(
    current: Episode,
    days_since: float,
    own_km: KaplanMeierEstimate,
    pooled_km: KaplanMeierEstimate | None,
    zone: tzinfo,
    limits: ReliefThresholds,
) -> tuple[BoosterWindow | None, str]:
    basis = _window_basis(own_km, pooled_km, limits)
    if isinstance(basis, str):
        return None, basis
    margin = limits.booster_margin_days
    end = basis.median - margin
    if end <= 0:
        return None, (
            f"No booster window is suggested: half of {basis.whose} had relapsed by day"
            f" {basis.median:.0f}, sooner than the {margin:g}-day margin."
        )
    narrowest_start = end - limits.booster_min_window_days
    uncertain_start = basis.median_lower - margin if basis.median_lower is not None else end
    widened = uncertain_start < narrowest_start
    start = max(min(narrowest_start, uncertain_start), 0.0)
    if days_since > end:
        # A window already behind the clinician is no window to offer.
        return None, (
            f"No booster window is shown: past relief ({basis.whose}: {basis.summary}) would put"
            f" one at day {start:.0f} to day {end:.0f}, and today is day {math.floor(days_since)}."
            " This is information for the clinician's judgement, not an instruction."
        )
    window = BoosterWindow(
        start_day=start,
        end_day=end,
        start_on=_local_date(current.start, start, zone),
        end_on=_local_date(current.start, end, zone),
        source=basis.source,
    )
    return window, _window_text(window, basis, widened, margin, days_since)


def _local_date(start: datetime, days: float, zone: tzinfo) -> date:
    return (start + days * DAY).astimezone(zone).date()


def _window_text(
    window: BoosterWindow, basis: _Basis, widened: bool, margin: float, days_since: float
) -> str:
    text = (
        f"Past relief points to a booster window of day {window.start_day:.0f} to day"
        f" {window.end_day:.0f} after this infusion ({window.start_on:%a %d %b} to"
        f" {window.end_on:%a %d %b}), from {basis.whose}: {basis.summary}."
        f" The window ends {margin:g} days before that median"
    )
    if widened:
        text += (
            f" and, because the estimate is uncertain, starts {margin:g} days before the lower end"
            f" of its 95% interval (day {basis.median_lower:.0f})."
        )
    else:
        text += "."
    if days_since >= window.start_day:
        text += " Today is inside that window."
    return text + " This is information for the clinician's judgement, not an instruction."


def _status_text(
    days_since: float, status: OutlookStatus, signal: WaningSignal, episode: Episode
) -> str:
    kind = episode.kind.replace("_", " ")
    route = _ROUTE_NAMES.get(episode.route, episode.route)
    lead = f"Day {math.floor(days_since)} since the last infusion ({route}, {kind})."
    if status == "relapsed":
        reason = _RELAPSE_REASONS.get(episode.relapse_reason or "", "the relapse criteria")
        return f"{lead} Relapsed on day {_whole(episode.relapse_day)}, by {reason}."
    if status == "waning" and signal.waning:
        text = (
            f"{lead} Waning: the mood average of the last days ({signal.latest_mean:.1f}) is"
            f" {signal.drop:.1f} points below its post-infusion peak ({signal.peak_mean:.1f})."
        )
        if episode.outcome == "no_response":
            text += " The PHQ-9s since this infusion did not meet the response criteria."
        return text
    if status == "waning":
        return f"{lead} Waning: a PHQ-9 meets the relapse criteria and awaits confirmation."
    if status == "no_response":
        return (
            f"{lead} This infusion did not meet the response criteria; past relief may not apply."
        )
    if status == "unassessed":
        return f"{lead} Response cannot be judged yet."
    return f"{lead} Holding: no sign of relapse so far."


def _relapses(count: int) -> str:
    return "1 relapse" if count == 1 else f"{count} relapses"


def _whole(day: float | None) -> str:
    return f"{day:.0f}" if day is not None else "?"
