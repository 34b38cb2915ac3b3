"""Adaptive check-ins: the extra PHQ-9s asked when a patient's relief may be changing.

Pure, over what the relief analysis already derived (no rule of CLINICAL.md §3-§4 is worked out
again here) and the patient's own schedule; the tick loads the facts (reminders/service.py).
The rules (docs/clinical-rules.md, "Adaptive check-ins"):

- waning: relief newly found waning asks for one extra PHQ-9 (planning.py notices the change),
  but not while a qualifying PHQ-9 awaits its confirmation, which has its own prompt;
- confirmation: the PHQ-9 that confirms or refutes a qualifying score is asked for on the day it
  becomes due (`relief.episodes.confirmation_due`), not at the next weekly slot;
- first PHQ-9 after a booster: asked inside the nadir window when no regular PHQ-9 reminder
  would land there (none is scheduled in it, or the last one went unanswered).

While relief holds nothing extra is asked. The clinic can switch all of them off (clinic
settings `adaptive_checkins`), and the patient can snooze them for a week.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from afterglow.reminders.schedule import (
    INSTRUMENT,
    CheckinStamp,
    ExtraPrompts,
    InfusionAnchor,
    ReminderKind,
    ReminderSchedule,
    checkin_time_on,
    next_slots,
    satisfied,
)

BOOSTER_KINDS = frozenset({"scheduled_booster", "symptom_triggered_booster"})
ADAPTIVE_KINDS = frozenset(
    {ReminderKind.WANING_PHQ9, ReminderKind.CONFIRM_PHQ9, ReminderKind.NADIR_PHQ9}
)
SNOOZE = timedelta(days=7)
# With no regular PHQ-9 reminder in the nadir window at all, the first PHQ-9 after a booster is
# asked on this day after it, the day of the clinical reference's day-7 PHQ-9 (or the last day
# that still fits a shorter window).
NADIR_PROMPT_DAY = 7


@dataclass(frozen=True)
class AdaptiveFacts:
    """What the adaptive prompts need to know of one patient.

    `on`: the clinic's switch. `confirm_from`: when the PHQ-9 that settles a qualifying score
    becomes due (None when none awaits one). `booster`: the booster that started the current
    episode, while its nadir window (`nadir_window` long) is open.
    """

    on: bool = False
    snoozed_until: datetime | None = None
    confirm_from: datetime | None = None
    booster: InfusionAnchor | None = None
    nadir_window: timedelta = timedelta(days=14)

    @property
    def asks_waning(self) -> bool:
        """Relief newly waning asks for a PHQ-9, unless one already awaits its confirmation."""
        return self.on and self.confirm_from is None


def extra_prompts(
    schedule: ReminderSchedule,
    facts: AdaptiveFacts,
    infusions: Sequence[InfusionAnchor],
    checkins: Sequence[CheckinStamp],
) -> ExtraPrompts | None:
    """The confirmation and first-PHQ-9-after-a-booster prompts this patient has, with the snooze.

    None when the clinic has adaptive prompts off: then only the regular schedule asks.
    """
    if not facts.on:
        return None
    nadir_at = None
    if facts.booster is not None:
        nadir_at = nadir_prompt_at(schedule, facts.booster, facts.nadir_window, infusions, checkins)
    return ExtraPrompts(
        confirm_from=facts.confirm_from,
        nadir_at=nadir_at,
        booster=facts.booster if nadir_at is not None else None,
        snoozed_until=facts.snoozed_until,
    )


def nadir_prompt_at(
    schedule: ReminderSchedule,
    booster: InfusionAnchor,
    nadir_window: timedelta,
    infusions: Sequence[InfusionAnchor],
    checkins: Sequence[CheckinStamp],
) -> datetime | None:
    """When to ask for the first PHQ-9 after a booster, or None when no prompt is needed.

    None once a PHQ-9 came in after the booster. Otherwise the regular PHQ-9 reminders inside
    the window (booster, booster + nadir_window] that would be sent (a PHQ-9 taken at the visit
    stands in for a weekly one a day or two later) decide: with some, the prompt comes on the
    local day after the last of them, for when that one went unanswered; with none, on day
    NADIR_PROMPT_DAY. Always at the patient's check-in time, and only inside the window.
    """
    window_end = booster.given_at + nadir_window
    phq9s = [c for c in checkins if c.instrument == "phq9"]
    if any(c.taken_at > booster.given_at for c in phq9s):
        return None
    before = [c for c in phq9s if c.taken_at <= booster.given_at]
    regular = [
        slot
        for slot in next_slots(schedule, infusions, booster.given_at, window_end)
        if INSTRUMENT[slot.kind] == "phq9"
        and not satisfied(
            slot.kind,
            slot.infusion if slot.infusion is not None else slot.local_date,
            before,
            schedule.timezone,
        )
    ]
    if regular:
        earliest = latest = regular[-1].local_date + timedelta(days=1)
    else:
        booster_day = booster.given_at.astimezone(ZoneInfo(schedule.timezone)).date()
        earliest = booster_day + timedelta(days=1)
        latest = booster_day + timedelta(days=NADIR_PROMPT_DAY)
    day = latest
    while day >= earliest:
        at = checkin_time_on(schedule, day)
        if booster.given_at < at <= window_end:
            return at
        day -= timedelta(days=1)
    return None
