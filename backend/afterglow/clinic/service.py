"""The workspace's reads: one patient's timeline (one audited read), the clinic's outcomes."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.access import open_patient
from afterglow.accounts.models import Patient
from afterglow.accounts.viewer import Viewer
from afterglow.alerts.models import SafetyAlert
from afterglow.audit.service import record_audit
from afterglow.checkins.models import CheckIn
from afterglow.checkins.service import list_checkins
from afterglow.clinic.outcomes import GivenInfusion, PatientAnswers, booster_spacing, completion
from afterglow.clinic.schemas import (
    AlertMark,
    ClinicOutcomesOut,
    ItemText,
    Scale,
    SeverityBand,
    TimelineOut,
    TimelinePatient,
)
from afterglow.infusions.models import Infusion
from afterglow.infusions.service import (
    events_out,
    infusions_out,
    patient_events,
    patient_infusions,
)
from afterglow.instruments.registry import REGISTRY, SPITZER_ATTRIBUTION
from afterglow.journal.service import shared_entries
from afterglow.relief import InfusionFact
from afterglow.relief.summary import as_utc
from afterglow.relief.view import clinic_relief_out, relief_view
from afterglow.trends.changes import CHANGE_INSTRUMENTS, Score, reliable_changes

CHARTED = ("mood", "phq9", "gad7", "pain")
# Every check-in of a patient comes with the timeline; more than this many years of daily
# answers is beyond any treatment history the workspace is for.
MAX_CHECKINS = 20_000
COMPLETION_DAYS = 28


def scale(instrument_id: str) -> Scale:
    instrument = REGISTRY[instrument_id]
    low, high = instrument.score_range or (0, 0)
    return Scale(
        id=instrument.id,
        name=instrument.name,
        low=low,
        high=high,
        bands=[SeverityBand(b.low, b.high, b.id, b.label) for b in instrument.bands],
        items=[ItemText(item.id, item.text) for item in instrument.items],
    )


async def patient_timeline(
    db: AsyncSession, viewer: Viewer, patient_id: int, now: datetime
) -> TimelineOut:
    """Every check-in, infusion, event and alert of the patient, their relief with the clinic's
    pooled estimate beside it: what the patient screen draws, from one audited read."""
    patient = await open_patient(db, viewer, patient_id, "timeline.read", staff_only=True)
    checkins = await list_checkins(
        db, patient_id, instrument=None, since=None, until=None, limit=MAX_CHECKINS
    )
    infusions = await infusions_out(db, await patient_infusions(db, patient_id))
    events = await events_out(db, await patient_events(db, patient_id))
    alerts = [
        AlertMark(
            a.id or 0,
            a.checkin_id,
            a.created_at,
            a.item9,
            a.level,
            a.status,
            a.escalated_at,
            a.acknowledged_at,
        )
        for a in (
            await db.execute(
                select(SafetyAlert)
                .where(col(SafetyAlert.patient_id) == patient_id)
                .order_by(col(SafetyAlert.created_at))
            )
        ).scalars()
    ]
    view = await relief_view(db, patient, viewer, now, with_pooled=True)
    assert view.pooled is not None
    relief = view.relief
    given = [InfusionFact(i.id, i.given_at, i.route, i.kind) for i in infusions]
    changes = {
        name: reliable_changes(
            name,
            [
                Score(c.taken_at, c.score)
                for c in checkins
                if c.instrument == name and c.score is not None
            ],
            relief.episodes,
            given,
            now,
            relief.thresholds,
        )
        for name in CHANGE_INSTRUMENTS
    }
    return TimelineOut(
        generated_at=now,
        patient=TimelinePatient(
            id=patient_id,
            display_name=patient.display_name,
            timezone=patient.timezone,
            locale=patient.locale,
            pain_enabled=patient.pain_enabled,
            is_active=patient.is_active,
            enrolled=patient.user_id is not None,
            created_at=patient.created_at,
        ),
        status=relief.outlook.status if relief.outlook else "none",
        checkins=checkins,
        infusions=infusions,
        events=events,
        alerts=alerts,
        relief=relief,
        clinic_km=view.pooled.km,
        clinic_km_summary=view.pooled.km.summary(),
        scales=[scale(i) for i in CHARTED],
        attribution=SPITZER_ATTRIBUTION,
        reliable_changes=changes,
        journal=await shared_entries(db, patient_id),
    )


def _utc_day(db: AsyncSession, moment: Any) -> Any:
    if db.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", moment))
    return func.date(moment)


async def _answers(db: AsyncSession, clinic_id: int, now: datetime) -> list[PatientAnswers]:
    since = now - timedelta(days=COMPLETION_DAYS)
    counted = (
        col(Patient.clinic_id) == clinic_id,
        col(Patient.is_active).is_(True),
        col(Patient.user_id).is_not(None),
    )
    starts: dict[int, datetime] = {
        pid: max(since, as_utc(created))
        for pid, created in await db.execute(
            select(col(Patient.id), col(Patient.created_at)).where(*counted)
        )
        if pid
    }

    def answered(instrument: str, *columns: Any) -> Any:
        return (
            select(col(CheckIn.patient_id), *columns)
            .join(Patient, col(Patient.id) == col(CheckIn.patient_id))
            .where(
                *counted,
                col(CheckIn.instrument) == instrument,
                col(CheckIn.taken_at) >= since,
                col(CheckIn.taken_at) <= now,
            )
        )

    day = _utc_day(db, col(CheckIn.taken_at))
    mood_days: dict[int, int] = {
        pid: days
        for pid, days in await db.execute(
            answered("mood", func.count(func.distinct(day))).group_by(col(CheckIn.patient_id))
        )
    }
    phq9s: dict[int, list[datetime]] = defaultdict(list)
    for pid, taken in await db.execute(answered("phq9", col(CheckIn.taken_at))):
        phq9s[pid].append(as_utc(taken))
    return [
        PatientAnswers(start, mood_days.get(pid, 0), phq9s.get(pid, []))
        for pid, start in starts.items()
    ]


async def clinic_outcomes(db: AsyncSession, viewer: Viewer, now: datetime) -> ClinicOutcomesOut:
    """Pooled relief by route and kind, days between boosters and check-in completion; one
    audit row per request."""
    clinic_id = viewer.clinic_id
    relief = await clinic_relief_out(db, clinic_id, now)
    infusions = [
        GivenInfusion(pid, given_at, kind)
        for pid, given_at, kind in await db.execute(
            select(col(Infusion.patient_id), col(Infusion.given_at), col(Infusion.kind))
            .join(Patient, col(Patient.id) == col(Infusion.patient_id))
            .where(col(Patient.clinic_id) == clinic_id, col(Infusion.deleted_at).is_(None))
            .order_by(col(Infusion.patient_id), col(Infusion.given_at), col(Infusion.id))
        )
    ]
    answers = await _answers(db, clinic_id, now)
    record_audit(db, viewer, "clinic.outcomes.read")
    await db.commit()
    return ClinicOutcomesOut(
        generated_at=now,
        relief=relief,
        booster_spacing=booster_spacing(infusions),
        completion=completion(answers, now, COMPLETION_DAYS),
    )
