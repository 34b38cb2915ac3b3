"""Request and response shapes of reminder settings and the record of sends."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

LocalTime = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="A local wall-clock time, HH:MM (24 h)",
    ),
]


class Weekly(msgspec.Struct, forbid_unknown_fields=True):
    weekday: Annotated[int, msgspec.Meta(ge=0, le=6, description="0 is Monday, 6 is Sunday")]
    at: LocalTime


class ReminderSettingsIn(msgspec.Struct, forbid_unknown_fields=True):
    """The whole schedule: a field set to null turns that reminder off.

    `timezone` (an IANA name) moves the patient's reminders to a new zone from the next slot on,
    e.g. while travelling; left out, it stays as it is. `journal_prompts` (the journal prompt the
    day after each infusion) left out stays as it is too: it is the patient's own choice.
    """

    daily_mood_at: LocalTime | None
    weekly_phq9: Weekly | None
    weekly_gad7: Weekly | None
    quiet_start: LocalTime = "21:30"
    quiet_end: LocalTime = "08:00"
    infusion_nudges: bool = True
    journal_prompts: bool | None = None
    timezone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class NextReminder(msgspec.Struct):
    kind: str
    fire_at: datetime
    url: str


class ExtraCheckin(msgspec.Struct):
    """An extra PHQ-9 of adaptive check-ins: `kind` says why (waning_phq9: daily mood has fallen;
    confirm_phq9: a PHQ-9 awaits the one that confirms it; nadir_phq9: the first PHQ-9 after a
    booster). Its day ends at `expires_at`."""

    kind: str
    fire_at: datetime
    expires_at: datetime


class ExtraCheckins(msgspec.Struct):
    """Adaptive check-ins for this patient: whether the clinic has them on, until when the
    patient snoozed them, and the extra PHQ-9 asked now (not yet answered) or next."""

    on_at_clinic: bool
    snoozed_until: datetime | None
    asking: ExtraCheckin | None


class ReminderSettingsOut(msgspec.Struct):
    timezone: str
    daily_mood_at: str | None
    weekly_phq9: Weekly | None
    weekly_gad7: Weekly | None
    quiet_start: str
    quiet_end: str
    infusion_nudges: bool
    journal_prompts: bool
    # Devices with notifications on: with none, reminders are planned but nothing is sent.
    push_devices: int
    next_reminder: NextReminder | None
    extra_checkins: ExtraCheckins | None = None


class SendOut(msgspec.Struct):
    """One notification and what became of it."""

    id: int
    kind: str
    send_key: str
    recipient_user_id: int
    status: str
    fire_at: datetime
    expires_at: datetime
    attempts: int
    last_status: int | None
    last_error: str | None
    sent_at: datetime | None
