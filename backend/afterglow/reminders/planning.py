"""Turning a patient's due reminders into notifications, and finding their next one.

Pure: the tick and the settings routes load the rows, these functions decide, no clock inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from afterglow.push.outbox import Notification
from afterglow.reminders.adaptive import ADAPTIVE_KINDS, AdaptiveFacts, extra_prompts
from afterglow.reminders.messages import reminder_payload, reminder_topic
from afterglow.reminders.models import ReminderPlan
from afterglow.reminders.schedule import (
    CheckinStamp,
    ExtraPrompts,
    InfusionAnchor,
    ReminderKind,
    ReminderSchedule,
    Slot,
    ZoneChange,
    next_slot,
    next_slots,
    satisfied,
)

# How far ahead the next reminder is looked for; with nothing due by then the plan rests until
# its settings, infusions or devices change.
LOOKAHEAD = timedelta(days=15)
NEAR = timedelta(days=2)
# Reminders missed while no tick ran are looked back on this far, to be recorded as expired.
LOOKBACK = timedelta(days=2)
# Slots within this long of a time zone change can collide with ones already due in the old zone.
ZONE_CHANGE_MEMORY = timedelta(days=4)
# How far back infusions and check-ins matter: slots come up to 15 local days after an infusion,
# and a day-14 PHQ-9 counts one taken up to day 15.
HISTORY = timedelta(days=17) + LOOKBACK


@dataclass(frozen=True)
class PatientForReminders:
    patient_id: int
    # The patient's own account (None until they enrolled): who receives the notifications.
    user_id: int | None
    timezone: str
    locale: str
    # An active account with at least one device that has notifications on.
    reachable: bool
    relief_status: str | None
    infusions: tuple[InfusionAnchor, ...] = ()
    checkins: tuple[CheckinStamp, ...] = ()
    # The extra PHQ-9s of adaptive check-ins (reminders/adaptive.py): off unless loaded.
    adaptive: AdaptiveFacts = field(default_factory=AdaptiveFacts)


@dataclass(frozen=True)
class PlanState:
    """The columns of `reminder_plan` that planning moves."""

    planned_timezone: str
    previous_timezone: str | None
    zone_changed_at: datetime | None
    waning_since: datetime | None
    relief_status_seen: str | None
    planned_through: datetime
    next_fire_at: datetime | None


def schedule_of(plan: ReminderPlan, timezone: str) -> ReminderSchedule:
    """A plan row's settings as the pure schedule (raises ValueError on settings that can't work)."""
    return ReminderSchedule(
        timezone=timezone,
        daily_mood_at=plan.daily_mood_at,
        weekly_phq9=_weekly(plan.weekly_phq9_weekday, plan.weekly_phq9_at),
        weekly_gad7=_weekly(plan.weekly_gad7_weekday, plan.weekly_gad7_at),
        quiet_start=plan.quiet_start,
        quiet_end=plan.quiet_end,
        infusion_nudges=plan.infusion_nudges,
        journal_prompts=plan.journal_prompts,
    )


def due_notifications(
    plan: ReminderPlan, patient: PatientForReminders, now: datetime
) -> tuple[list[Notification], PlanState]:
    """Every reminder due since the plan was last worked, as notifications, and the plan after.

    Each becomes one notification under its slot key: queued to send, `skipped` when the
    check-in it asks for was already done, `expired` when its day ended before a tick ran.
    """
    state = _noticed(plan, patient, now)
    schedule = schedule_of(plan, patient.timezone)
    after = max(plan.planned_through, now - LOOKBACK)
    # One pass finds both what is due and, usually, what comes next (the tick does this for
    # thousands of plans at a popular reminder time).
    slots = next_slots(
        schedule,
        patient.infusions,
        after,
        now + NEAR,
        waning_since=state.waning_since,
        zone_change=_zone_change(state, now),
        extra=_extra(schedule, patient),
    )
    due = [slot for slot in slots if slot.fire_at <= now]
    reachable = patient.user_id is not None and patient.reachable
    notifications = [_notification(slot, patient, state, now) for slot in due] if reachable else []
    if not reachable:
        following = None
    elif len(due) < len(slots):
        following = slots[len(due)].fire_at
    else:
        following = _next_fire_at(schedule, patient, state, now, now)
    return notifications, replace(state, planned_through=now, next_fire_at=following)


def replanned(plan: ReminderPlan, patient: PatientForReminders, now: datetime) -> PlanState:
    """The plan after its settings, the patient's zone, infusions or devices changed.

    A plan that was active keeps its place: a reminder already due still goes out at the next
    tick. A plan that was resting starts from now, so it never sends what fell due while nothing
    could be sent.
    """
    state = _noticed(plan, patient, now)
    if plan.next_fire_at is None:
        state = replace(state, planned_through=max(plan.planned_through, now))
    schedule = schedule_of(plan, patient.timezone)
    following = _next_fire_at(schedule, patient, state, state.planned_through, now)
    return replace(state, next_fire_at=following)


def _next_fire_at(
    schedule: ReminderSchedule,
    patient: PatientForReminders,
    state: PlanState,
    after: datetime,
    now: datetime,
) -> datetime | None:
    if patient.user_id is None or not patient.reachable:
        return None
    slot = _first_slot(schedule, patient, state, after, now)
    return slot.fire_at if slot is not None else None


def _noticed(plan: ReminderPlan, patient: PatientForReminders, now: datetime) -> PlanState:
    """The plan's state after noticing a new time zone and relief newly found waning."""
    previous_timezone, zone_changed_at = plan.previous_timezone, plan.zone_changed_at
    if patient.timezone != plan.planned_timezone:
        previous_timezone, zone_changed_at = plan.planned_timezone, now
    waning_since = plan.waning_since
    newly_waning = patient.relief_status == "waning" and plan.relief_status_seen != "waning"
    if newly_waning and patient.adaptive.asks_waning:
        waning_since = now
    return PlanState(
        planned_timezone=patient.timezone,
        previous_timezone=previous_timezone,
        zone_changed_at=zone_changed_at,
        waning_since=waning_since,
        relief_status_seen=patient.relief_status,
        planned_through=plan.planned_through,
        next_fire_at=plan.next_fire_at,
    )


def _zone_change(state: PlanState, now: datetime) -> ZoneChange | None:
    if state.previous_timezone is None or state.zone_changed_at is None:
        return None
    if state.zone_changed_at < now - ZONE_CHANGE_MEMORY:
        return None
    return ZoneChange(state.previous_timezone, state.zone_changed_at)


def _notification(
    slot: Slot, patient: PatientForReminders, state: PlanState, now: datetime
) -> Notification:
    assert patient.user_id is not None
    status = "queued"
    if slot.expires_at <= now:
        status = "expired"
    elif satisfied(slot.kind, _anchor(slot, state, patient), patient.checkins, patient.timezone):
        status = "skipped"
    return Notification(
        recipient_user_id=patient.user_id,
        patient_id=patient.patient_id,
        kind=slot.kind.value,
        send_key=slot.slot_key,
        payload=reminder_payload(slot, patient.locale, patient.timezone),
        topic=reminder_topic(slot),
        urgency="normal",
        fire_at=slot.fire_at,
        expires_at=slot.expires_at,
        status=status,
    )


def _anchor(
    slot: Slot, state: PlanState, patient: PatientForReminders
) -> date | InfusionAnchor | datetime:
    if slot.kind is ReminderKind.WANING_PHQ9:
        assert state.waning_since is not None
        return state.waning_since
    if slot.kind is ReminderKind.CONFIRM_PHQ9:
        assert patient.adaptive.confirm_from is not None
        return patient.adaptive.confirm_from
    if slot.infusion is not None and slot.kind is not ReminderKind.POST_INFUSION_MOOD:
        return slot.infusion
    return slot.local_date


def _weekly(weekday: int | None, at: time | None) -> tuple[int, time] | None:
    if weekday is None or at is None:
        return None
    return (weekday, at)


def upcoming(plan: ReminderPlan, patient: PatientForReminders, now: datetime) -> Slot | None:
    """The next reminder the schedule holds after now, whether or not a device can receive it.

    One whose check-in is already done is left out: the tick would skip it, so the patient must
    not be told it is coming (a PHQ-9 taken on Saturday answers Sunday's weekly reminder)."""
    for slot, answered in answered_slots(plan, patient, now, now + LOOKAHEAD, now):
        if not answered:
            return slot
    return None


def answered_slots(
    plan: ReminderPlan,
    patient: PatientForReminders,
    after: datetime,
    until: datetime,
    now: datetime,
) -> list[tuple[Slot, bool]]:
    """Every reminder of (after, until], each with whether the check-in it asks for is already
    done (`satisfied`, as the tick decides it): what the app says is due, and what comes next."""
    state = _noticed(plan, patient, now)
    schedule = schedule_of(plan, patient.timezone)
    slots = next_slots(
        schedule,
        patient.infusions,
        after,
        until,
        waning_since=state.waning_since,
        zone_change=_zone_change(state, now),
        extra=_extra(schedule, patient),
    )
    return [
        (
            slot,
            satisfied(slot.kind, _anchor(slot, state, patient), patient.checkins, patient.timezone),
        )
        for slot in slots
    ]


def _first_slot(
    schedule: ReminderSchedule,
    patient: PatientForReminders,
    state: PlanState,
    after: datetime,
    now: datetime,
) -> Slot | None:
    """The first reminder after `after`: most patients have one within a day or two, so look
    there first and only then as far as LOOKAHEAD (the tick does this for every due plan)."""
    for within in (NEAR, LOOKAHEAD):
        slot = next_slot(
            schedule,
            patient.infusions,
            after,
            within=within,
            waning_since=state.waning_since,
            zone_change=_zone_change(state, now),
            extra=_extra(schedule, patient),
        )
        if slot is not None:
            return slot
    return None


def extra_asked(plan: ReminderPlan, patient: PatientForReminders, now: datetime) -> Slot | None:
    """The extra PHQ-9 of adaptive check-ins asked now (its day not over, not answered yet), or
    else the next one the schedule holds: what the patient app explains."""
    for slot, answered in answered_slots(plan, patient, now - LOOKBACK, now + LOOKAHEAD, now):
        if slot.kind in ADAPTIVE_KINDS and slot.expires_at > now and not answered:
            return slot
    return None


def _extra(schedule: ReminderSchedule, patient: PatientForReminders) -> ExtraPrompts | None:
    return extra_prompts(schedule, patient.adaptive, patient.infusions, patient.checkins)
