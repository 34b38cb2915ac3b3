"""The clinician's triage list: every patient of the clinic, most urgent first, from stored summaries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromQuery, QueryParameter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.auth import clinicians_only
from afterglow.accounts.models import Patient
from afterglow.accounts.viewer import Viewer
from afterglow.audit.service import record_audit
from afterglow.checkins.models import CheckIn
from afterglow.fields import Offset
from afterglow.http import DB, CurrentViewer, Now
from afterglow.relief.models import PatientSummary
from afterglow.relief.outlook import ReliefStatus
from afterglow.relief.service import rederive_stale
from afterglow.relief.summary import NEVER, status_now_sql
from afterglow.unit_of_work import run_unit

QUIET_AFTER = timedelta(days=3)


class LatestPhq9(msgspec.Struct):
    score: int
    band: str | None
    taken_at: datetime


class TriageRow(msgspec.Struct):
    patient_id: int
    display_name: str
    latest_phq9: LatestPhq9 | None
    baseline: int | None
    change_from_baseline: int | None
    days_since_infusion: float | None
    relief_status: str
    open_safety_alerts: int
    checkins_last_7_days: int
    last_checkin_at: datetime | None
    no_checkin_for_3_days: bool


class TriageList(msgspec.Struct):
    total: int
    limit: int
    offset: int
    patients: list[TriageRow]


def triage_columns(now: datetime) -> tuple[Any, ...]:
    """The columns the list shows: never the stored episodes, which only the relief view needs."""
    return (
        col(PatientSummary.patient_id),
        col(PatientSummary.latest_phq9_score),
        col(PatientSummary.latest_phq9_band),
        col(PatientSummary.latest_phq9_at),
        col(PatientSummary.baseline_score),
        col(PatientSummary.last_infusion_at),
        status_now_sql(now).label("relief_status"),
        col(PatientSummary.open_alerts),
        col(PatientSummary.last_checkin_at),
        col(Patient.display_name),
    )


def triage_row(summary: Any, recent: int, now: datetime) -> TriageRow:
    latest = (
        LatestPhq9(summary.latest_phq9_score, summary.latest_phq9_band, summary.latest_phq9_at)
        if summary.latest_phq9_score is not None and summary.latest_phq9_at is not None
        else None
    )
    change = (
        summary.latest_phq9_score - summary.baseline_score
        if summary.latest_phq9_score is not None and summary.baseline_score is not None
        else None
    )
    since_infusion = (
        (now - summary.last_infusion_at) / timedelta(days=1) if summary.last_infusion_at else None
    )
    return TriageRow(
        patient_id=summary.patient_id,
        display_name=summary.display_name,
        latest_phq9=latest,
        baseline=summary.baseline_score,
        change_from_baseline=change,
        days_since_infusion=round(since_infusion, 1) if since_infusion is not None else None,
        relief_status=summary.relief_status,
        open_safety_alerts=summary.open_alerts,
        checkins_last_7_days=recent,
        last_checkin_at=summary.last_checkin_at,
        no_checkin_for_3_days=(summary.last_checkin_at or NEVER) < now - QUIET_AFTER,
    )


async def checkins_since(
    db: AsyncSession, patient_ids: list[int], since: datetime
) -> dict[int, int]:
    if not patient_ids:
        return {}
    rows = await db.execute(
        select(col(CheckIn.patient_id), func.count())
        .where(col(CheckIn.patient_id).in_(patient_ids), col(CheckIn.taken_at) >= since)
        .group_by(col(CheckIn.patient_id))
    )
    return {patient_id: count for patient_id, count in rows}


class TriageController(Controller):
    tags = ["Relief"]

    @get(
        "/api/clinic/patients",
        guards=[clinicians_only],
        operation_id="triageList",
        policy="clinic-clinician",
        summary="The clinic's patients, most urgent first",
        description=(
            "Order (sort=urgency): open safety alerts, relapsed, waning, then everyone else with "
            "the longest without a check-in first, so patients silent for 3 days or more come "
            "before those holding. Read from per-patient summaries kept current by every write, "
            "so a page costs the same in a clinic of any size. sort=name lists alphabetically. "
            "`relief_status` is a claim about now (CLINICAL.md §4): holding or waning without "
            "recent data shows as `no_recent_data`; filter on it with `status`."
        ),
    )
    async def triage(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
        sort: FromQuery[Literal["urgency", "name"]] = "urgency",
        q: FromQuery[str | None] = None,
        status: FromQuery[ReliefStatus | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Offset = 0,
    ) -> TriageList:
        # The sign-in lookup's transaction ends here; the page is one unit of work (on SQLite
        # one hop to the database thread, as a check-in is: afterglow/unit_of_work.py).
        await db.commit()
        page = TriagePage(viewer, now, sort, q, status, limit, offset)
        return await run_unit(request.app.state.engine, page.read)


@dataclass(frozen=True)
class TriagePage:
    """One page of the triage list, as asked for."""

    viewer: Viewer
    now: datetime
    sort: Literal["urgency", "name"]
    q: str | None
    status: ReliefStatus | None
    limit: int
    offset: int

    async def read(self, db: AsyncSession) -> TriageList:
        viewer, now, sort, q, status = self.viewer, self.now, self.sort, self.q, self.status
        limit, offset = self.limit, self.offset
        # Rows derived with other thresholds or moved on by time are re-derived first (the
        # background job usually got there already), so no row is served stale.
        await rederive_stale(db, viewer.clinic_id, now)
        conditions: list[Any] = [
            col(PatientSummary.clinic_id) == viewer.clinic_id,
            col(Patient.is_active).is_(True),
        ]
        if q:
            conditions.append(col(Patient.display_name).ilike(f"%{q.strip()}%"))
        if status:
            conditions.append(status_now_sql(now) == status)
        order: list[Any] = (
            [col(PatientSummary.urgency_tier), col(PatientSummary.activity_at)]
            if sort == "urgency"
            else [col(Patient.display_name)]
        )
        # Every patient has a summary from enrollment on; one whose derivation failed has a
        # stale one at the top of the list (relief.summary.mark_stale), so nobody is hidden.
        # Driven by the summary's triage index, so a page costs the same in any clinic size.
        summary_join = col(PatientSummary.patient_id) == col(Patient.id)
        rows = (
            await db.execute(
                select(*triage_columns(now))
                .select_from(PatientSummary)
                .join(Patient, summary_join)
                .where(*conditions)
                .order_by(*order, col(PatientSummary.patient_id))
                .limit(limit)
                .offset(offset)
            )
        ).all()
        total = await db.scalar(
            select(func.count())
            .select_from(PatientSummary)
            .join(Patient, summary_join)
            .where(*conditions)
        )
        recent = await checkins_since(db, [row.patient_id for row in rows], now - timedelta(days=7))
        patients = [triage_row(row, recent.get(row.patient_id, 0), now) for row in rows]
        record_audit(
            db, viewer, "patients.triage", detail={"q": q, "status": status, "shown": len(patients)}
        )
        await db.commit()
        return TriageList(total=int(total or 0), limit=limit, offset=offset, patients=patients)
