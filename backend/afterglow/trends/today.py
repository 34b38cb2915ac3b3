"""What the patient's app says now: where their relief stands and which check-ins are due.

Worked out here, on the server, from the facts the clinician sees (the relief episodes, the
booster outlook's status as a claim about now, and the reminders' own rules for what is due),
so that no screen of the app keeps a rule of its own. Patients never get a booster date here.
"""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.accounts.models import Patient
from afterglow.accounts.viewer import Viewer
from afterglow.relief import Episode, ReliefThresholds
from afterglow.relief.service import current_episode
from afterglow.relief.summary import last_taken, mood_reminders_on
from afterglow.relief.view import relief_view
from afterglow.reminders.due import checkins_due
from afterglow.reminders.service import patients_for_reminders, reminder_plan


class Standing(msgspec.Struct):
    """The current episode as the patient reads it; each field is a fact the words quote.

    `status` is the outlook's status now (CLINICAL.md §4): `no_recent_data` when the patient has
    not checked in recently, whatever the last answers showed. `cause` says why: for `waning`,
    `mood` (the daily signal) or `phq9` (a PHQ-9 awaiting confirmation); for `relapsed`, the
    relapse reason; for `unassessed`, why response cannot be judged.
    """

    status: str
    cause: str | None
    infusion_at: datetime | None
    days_since_infusion: int | None
    baseline: int | None  # the course's PHQ-9 before treatment (B0)
    lowest: int | None  # the lowest PHQ-9 in the two weeks after this infusion (the nadir)
    nadir_window_open: bool  # a PHQ-9 now would still count towards the nadir
    silent_days: int | None  # no_recent_data: whole local days since the last one counted
    silent_about: str | None  # what was last counted: "mood" (mood or PHQ-9) or "phq9"


class DueOut(msgspec.Struct):
    instrument: str  # phq9 | gad7 | after
    reason: str  # the reminder asking for it (e.g. weekly_phq9, waning_phq9, after_2h) or "weekly"
    last_taken_at: datetime | None  # the last PHQ-9 or GAD-7 (none for the side-effect check)


class TodayOut(msgspec.Struct):
    generated_at: datetime
    standing: Standing
    due: list[DueOut]


def standing(
    episode: Episode | None,
    status: str,
    mood_waning: bool,
    now: datetime,
    limits: ReliefThresholds,
    *,
    last_mood_at: datetime | None,
    last_phq9_at: datetime | None,
    mood_reminders: bool,
    tz_name: str,
) -> Standing:
    """The facts behind the patient's status sentence, from the current episode and the status
    the outlook gives now."""
    if episode is None:
        return Standing("none", None, None, None, None, None, False, None, None)
    days = (now - episode.start).total_seconds() / 86400
    cause: str | None = None
    if status == "waning":
        cause = "mood" if mood_waning else "phq9"
    elif status == "relapsed":
        cause = episode.relapse_reason
    elif status == "unassessed":
        cause = episode.unassessed_reason
    silent_days = silent_about = None
    if status == "no_recent_data":
        # The same answers `summary.recent_until` counts as recent.
        if mood_reminders:
            counted = [t for t in (last_mood_at, last_phq9_at) if t is not None]
            silent_about = "mood"
        else:
            counted = [last_phq9_at] if last_phq9_at is not None else []
            silent_about = "phq9"
        if counted:
            zone = ZoneInfo(tz_name)
            last_day = max(counted).astimezone(zone).date()
            silent_days = (now.astimezone(zone).date() - last_day).days
    return Standing(
        status=status,
        cause=cause,
        infusion_at=episode.start,
        days_since_infusion=math.floor(days),
        baseline=episode.baseline,
        lowest=episode.nadir_score,
        nadir_window_open=episode.ended_by is None and days <= limits.nadir_window_days,
        silent_days=silent_days,
        silent_about=silent_about,
    )


async def patient_today(
    db: AsyncSession, patient: Patient, viewer: Viewer, now: datetime
) -> TodayOut:
    """The patient's standing and due check-ins as of now; the caller opened the patient."""
    patient_id = patient.id or 0
    relief = (await relief_view(db, patient, viewer, now)).relief
    outlook = relief.outlook
    episode = current_episode(relief.episodes)
    facts = standing(
        episode,
        outlook.status if outlook else "none",
        bool(outlook and outlook.waning.waning),
        now,
        relief.thresholds,
        last_mood_at=await last_taken(db, patient_id, "mood"),
        last_phq9_at=await last_taken(db, patient_id, "phq9"),
        mood_reminders=await mood_reminders_on(db, patient_id),
        tz_name=patient.timezone,
    )
    plan = await reminder_plan(db, patient, now)
    loaded = (await patients_for_reminders(db, [patient_id], now))[patient_id]
    due = [
        DueOut(
            d.instrument,
            d.reason,
            await last_taken(db, patient_id, d.instrument) if d.instrument != "after" else None,
        )
        for d in checkins_due(plan, loaded, now)
    ]
    await db.commit()
    return TodayOut(generated_at=now, standing=facts, due=due)
