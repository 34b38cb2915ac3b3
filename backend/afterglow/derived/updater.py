"""The one function that brings marked patients' derived state up to date, before commit."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.derived.changes import Consumer
from afterglow.operations.failures import failure_summary
from afterglow.relief.models import PatientSummary
from afterglow.relief.service import note_checkin, recount_open_alerts, refresh_patient_relief
from afterglow.reminders.service import replan_patient

log = logging.getLogger(__name__)


async def bring_up_to_date(
    db: AsyncSession, marks: dict[int, set[Consumer]], now: datetime
) -> None:
    """Each marked patient once, in patient order (so concurrent writers lock rows alike).

    Derived state never costs the write it derives from: a check-in (and its safety alert), an
    infusion or an import is committed even when deriving fails. The failure is logged, that
    patient's summary is marked stale, and a read or the background job derives it again.
    """
    for patient_id in sorted(marks):
        try:
            async with db.begin_nested():
                await _bring_patient_up_to_date(db, patient_id, marks[patient_id], now)
        except Exception as error:
            log.error(
                "derived state of patient %s could not be brought up to date (%s); "
                "marked stale, derived again on read and by the background job",
                patient_id,
                failure_summary(error),
            )
            await db.execute(
                update(PatientSummary)
                .where(col(PatientSummary.patient_id) == patient_id)
                .values(derived_with=None)
            )


async def _bring_patient_up_to_date(
    db: AsyncSession, patient_id: int, consumers: set[Consumer], now: datetime
) -> None:
    if "relief" in consumers:
        await refresh_patient_relief(db, patient_id, now)
    else:
        if "last_checkin" in consumers:
            await note_checkin(db, patient_id, now)
        if "alert_count" in consumers:
            await recount_open_alerts(db, patient_id, now)
    if "reminder_plan" in consumers:
        await replan_patient(db, patient_id, now)
