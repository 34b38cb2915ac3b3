"""The reminder table: each patient's reminder settings and where their schedule stands."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class ReminderPlan(SQLModel, table=True):
    """One patient's reminder settings (local wall-clock times) and their next due reminder.

    The tick finds work by `next_fire_at` alone (indexed), so its cost follows what is due, not
    how many patients there are. `next_fire_at` is empty while nothing can be sent: the patient
    has no device with notifications on, or no reminder is due within the look-ahead.
    `planned_through` is the instant up to which every reminder has been turned into a message.
    The patient's time zone lives on the patient; `planned_timezone` is the zone the schedule was
    last planned in, so that a change (travel) is noticed and `previous_timezone` /
    `zone_changed_at` keep the days around it from asking twice.
    """

    __tablename__ = "reminder_plan"
    __table_args__ = (Index("ix_reminder_plan_next_fire_at", "next_fire_at"),)

    patient_id: int = Field(foreign_key="patient.id", primary_key=True)
    daily_mood_at: time | None = time(20, 0)
    # Weekly questionnaires (CLINICAL.md §1): Sunday evening unless the patient chooses otherwise;
    # weekday as in `date.weekday()`, 0 is Monday.
    weekly_phq9_weekday: int | None = 6
    weekly_phq9_at: time | None = time(19, 0)
    weekly_gad7_weekday: int | None = 6
    weekly_gad7_at: time | None = time(19, 0)
    quiet_start: time = time(21, 30)
    quiet_end: time = time(8, 0)
    infusion_nudges: bool = True
    # The integration journal's prompt the day after each infusion (the patient can turn it off).
    journal_prompts: bool = True
    planned_timezone: str = Field(max_length=64)
    previous_timezone: str | None = Field(default=None, max_length=64)
    zone_changed_at: datetime | None = None
    # When the tick found the patient's relief newly waning (one extra PHQ-9 prompt then), and
    # the relief status it saw last, so that only a change to waning asks.
    waning_since: datetime | None = None
    relief_status_seen: str | None = Field(default=None, max_length=16)
    # Until when the patient snoozed the extra PHQ-9s of adaptive check-ins (reminders/adaptive.py).
    adaptive_snoozed_until: datetime | None = None
    planned_through: datetime
    next_fire_at: datetime | None = None
    updated_at: datetime
