"""The one function that brings marked patients' derived state up to date, before commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.derived.changes import Consumer
from afterglow.relief.service import note_checkin, recount_open_alerts, refresh_patient_relief
from afterglow.reminders.service import replan_patient


async def bring_up_to_date(
    db: AsyncSession, marks: dict[int, set[Consumer]], now: datetime
) -> None:
    """Each marked patient once, in patient order (so concurrent writers lock rows alike)."""
    for patient_id in sorted(marks):
        consumers = marks[patient_id]
        if "relief" in consumers:
            await refresh_patient_relief(db, patient_id, now)
        else:
            if "last_checkin" in consumers:
                await note_checkin(db, patient_id, now)
            if "alert_count" in consumers:
                await recount_open_alerts(db, patient_id, now)
        if "reminder_plan" in consumers:
            await replan_patient(db, patient_id, now)
