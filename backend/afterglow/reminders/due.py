"""Which check-ins the app asks the patient for now, by the rules the reminders follow.

Pure (the caller loads the plan and the patient's facts, and passes `now`). Today's due list,
History's PHQ-9 prompt and the Reminders screen's next reminder all come from the reminders'
own slots and `satisfied`, so the app never asks for a check-in the patient has just done, and
never calls one due that the reminders count as done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from afterglow.reminders.models import ReminderPlan
from afterglow.reminders.planning import LOOKBACK, PatientForReminders, answered_slots
from afterglow.reminders.schedule import (
    INSTRUMENT,
    InfusionAnchor,
    ReminderKind,
    ScheduleError,
    satisfied,
)

# The side-effect check is asked from 2 h after an infusion, and no longer after this.
AFTER_CHECK_FROM = timedelta(hours=2)
AFTER_24H_FROM = timedelta(hours=24)
AFTER_CHECK_UNTIL = timedelta(hours=72)
# CLINICAL.md §1: PHQ-9 and GAD-7 are weekly.
WEEKLY = timedelta(days=7)
WEEKLY_INSTRUMENTS = ("phq9", "gad7")


@dataclass(frozen=True)
class DueCheckin:
    """A check-in asked for now: the instrument, and why (the kind of the reminder asking for
    it, or `weekly` when none was taken in the last 7 days)."""

    instrument: str
    reason: str


def checkins_due(
    plan: ReminderPlan, patient: PatientForReminders, now: datetime
) -> list[DueCheckin]:
    """The check-ins due now, side-effect check first, at most one per instrument.

    - The side-effect check after the latest infusion: from 2 h until 24 h after it unless
      answered (the 2 h check; an answer 20 h or later counts as the 24 h one, which also
      settles it), then until 72 h unless the 24 h check is answered.
    - A PHQ-9 or GAD-7 reminder whose day is not over (weekly, day 7 or 14, waning, the extra
      PHQ-9s of adaptive check-ins) and whose check-in is not done yet. A PHQ-9 taken since
      relief was found waning answers the waning prompt, so it is asked once, not again.
    - The weekly rhythm: a PHQ-9 or GAD-7 none of which was taken in the last 7 days.

    When the patient's reminder settings cannot be worked (a stored time inside quiet hours),
    the side-effect check and the weekly rhythm are still asked for.
    """
    due: dict[str, str] = {}
    after = _after_check(patient, now)
    if after is not None:
        due["after"] = after.value
    try:
        reminded = answered_slots(plan, patient, now - LOOKBACK, now, now)
    except ScheduleError:
        reminded = []
    for slot, answered in reminded:
        instrument = INSTRUMENT[slot.kind]
        still_open = not answered and slot.expires_at > now
        if instrument in WEEKLY_INSTRUMENTS and instrument not in due and still_open:
            due[instrument] = slot.kind.value
    for instrument in WEEKLY_INSTRUMENTS:
        taken = [c.taken_at for c in patient.checkins if c.instrument == instrument]
        if instrument not in due and not any(now - WEEKLY < t <= now for t in taken):
            due[instrument] = "weekly"
    return [DueCheckin(instrument, reason) for instrument, reason in due.items()]


def _after_check(patient: PatientForReminders, now: datetime) -> ReminderKind | None:
    given = [i for i in patient.infusions if i.given_at <= now]
    if not given:
        return None
    latest: InfusionAnchor = max(given, key=lambda i: (i.given_at, i.id))
    since = now - latest.given_at

    def answered(kind: ReminderKind) -> bool:
        return satisfied(kind, latest, patient.checkins, patient.timezone)

    if AFTER_CHECK_FROM <= since < AFTER_24H_FROM:
        done = answered(ReminderKind.AFTER_2H) or answered(ReminderKind.AFTER_24H)
        return None if done else ReminderKind.AFTER_2H
    if AFTER_24H_FROM <= since < AFTER_CHECK_UNTIL and not answered(ReminderKind.AFTER_24H):
        return ReminderKind.AFTER_24H
    return None
