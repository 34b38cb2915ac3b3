"""The clinician's triage inbox: every patient of the clinic, most urgent first, from stored summaries.

Order (sort=urgency): open safety alerts (the nearest escalation first), relapsed, waning, a new
PHQ-9 or GAD-7 no clinician has reviewed, then everyone else with the longest silent first, so
patients without a check-in for 3 days or more come before those who checked in lately. A
clinician marks a patient's check-ins reviewed (`POST /api/patients/{id}/review`); the patient
needs attention again when a new PHQ-9 or GAD-7 arrives.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal, cast
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy import Integer, bindparam, case, false, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from afterglow.accounts.access import open_patient
from afterglow.accounts.auth import clinicians_only
from afterglow.accounts.models import Patient
from afterglow.accounts.viewer import Viewer
from afterglow.audit.service import record_audit
from afterglow.checkins.models import CheckIn
from afterglow.derived import changed
from afterglow.fields import Id, Offset
from afterglow.http import DB, CurrentViewer, Now
from afterglow.relief.episodes import DAY, Episode
from afterglow.relief.facts import ReliefThresholds
from afterglow.relief.kaplan_meier import KaplanMeierEstimate, kaplan_meier
from afterglow.relief.models import PatientSummary
from afterglow.relief.outlook import ReliefStatus, suggested_window
from afterglow.relief.service import (
    clinic_thresholds,
    derivation_fingerprint,
    pooled_relief,
    rederive_stale,
    refresh_patient_relief,
)
from afterglow.relief.summary import (
    NEVER,
    REVIEWED_INSTRUMENTS,
    SPARKLINE,
    URGENCY_TIERS,
    as_utc,
    status_now_sql,
    triage_facts,
)
from afterglow.unit_of_work import run_unit

QUIET_AFTER = timedelta(days=3)
# How long a clinic's pooled relief estimate serves the booster windows of the list before it
# is pooled again (the relief view pools afresh; a few minutes' lag moves a median by little).
POOLED_FOR = 300.0

TriageGroup = Literal["alert", "relapsed", "waning", "unreviewed", "silent", "other"]


class LatestPhq9(msgspec.Struct):
    score: int
    band: str | None
    taken_at: datetime


class Phq9Point(msgspec.Struct):
    taken_at: datetime
    score: int


class WindowOut(msgspec.Struct):
    """The suggested booster window of the relief view (CLINICAL.md §4), for clinicians."""

    start_day: float
    end_day: float
    start_on: date  # the patient's local dates
    end_on: date
    source: Literal["own", "clinic"]
    today_inside: bool


class TriageRow(msgspec.Struct):
    patient_id: int
    display_name: str
    triage_group: TriageGroup
    relief_status: str
    latest_phq9: LatestPhq9 | None
    baseline: int | None
    change_from_baseline: int | None
    phq9_90_days: list[Phq9Point]
    last_infusion_at: datetime | None
    days_since_infusion: float | None
    open_safety_alerts: int
    alert_escalates_at: datetime | None  # the earliest open alert's
    alert_overdue: bool
    awaiting_review: bool
    reviewed_at: datetime | None
    last_checkin_at: datetime | None
    days_since_checkin: float | None
    no_checkin_for_3_days: bool
    booster_window: WindowOut | None


class TriageList(msgspec.Struct):
    total: int
    needs_attention: int
    limit: int
    offset: int
    patients: list[TriageRow]


class ReviewOut(msgspec.Struct):
    patient_id: int
    reviewed_at: datetime | None
    reviewed_through: int | None  # id of the newest PHQ-9 or GAD-7 reviewed
    awaiting_review: bool


def needs_attention_sql() -> Any:
    """Open alerts, relapsed, waning or something new to review: what the inbox counts."""
    return or_(
        col(PatientSummary.urgency_tier) <= URGENCY_TIERS["waning"],
        col(PatientSummary.nothing_to_review) == false(),
    )


def triage_columns(now: datetime | Any) -> tuple[Any, ...]:
    """The columns the list shows: never the stored episodes, which only the relief view needs."""
    return (
        col(PatientSummary.patient_id),
        col(PatientSummary.latest_phq9_score),
        col(PatientSummary.latest_phq9_band),
        col(PatientSummary.latest_phq9_at),
        col(PatientSummary.baseline_score),
        col(PatientSummary.last_infusion_at),
        status_now_sql(now).label("relief_status"),
        col(PatientSummary.urgency_tier),
        col(PatientSummary.open_alerts),
        col(PatientSummary.alert_due_at),
        col(PatientSummary.nothing_to_review),
        col(PatientSummary.reviewed_at),
        col(PatientSummary.last_checkin_at),
        col(PatientSummary.phq9_recent),
        col(PatientSummary.window_start_day),
        col(PatientSummary.window_end_day),
        col(PatientSummary.window_from_clinic),
        col(Patient.display_name),
        col(Patient.timezone),
    )


def _aware(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment is not None else None


def triage_group(summary: Any, silent: bool) -> TriageGroup:
    if summary.open_alerts:
        return "alert"
    if summary.urgency_tier == URGENCY_TIERS["relapsed"]:
        return "relapsed"
    if summary.urgency_tier == URGENCY_TIERS["waning"]:
        return "waning"
    if not summary.nothing_to_review:
        return "unreviewed"
    return "silent" if silent else "other"


def window_out(
    start: datetime, start_day: float, end_day: float, source: str, tz_name: str, now: datetime
) -> WindowOut | None:
    """The window as shown, or None once it is behind the clinician (never offered then)."""
    days_since = (now - start) / DAY
    if days_since > end_day:
        return None
    zone = ZoneInfo(tz_name)
    return WindowOut(
        start_day=round(start_day, 1),
        end_day=round(end_day, 1),
        start_on=(start + start_day * DAY).astimezone(zone).date(),
        end_on=(start + end_day * DAY).astimezone(zone).date(),
        source=cast(Literal["own", "clinic"], source),
        today_inside=days_since >= start_day,
    )


@dataclass
class PooledEstimates:
    """Each clinic's pooled Kaplan-Meier, kept a few minutes per app (so per test, too): the
    booster windows of patients with fewer than 3 relapses of their own come from it."""

    kept: dict[tuple[int, str], tuple[float, KaplanMeierEstimate]] = field(default_factory=dict)

    async def of(
        self, db: AsyncSession, clinic_id: int, thresholds: ReliefThresholds
    ) -> KaplanMeierEstimate:
        key = (clinic_id, derivation_fingerprint(thresholds))
        found = self.kept.get(key)
        if found is not None and found[0] > time.monotonic():
            return found[1]
        estimate = (await pooled_relief(db, clinic_id, thresholds)).km
        self.kept[key] = (time.monotonic() + POOLED_FOR, estimate)
        return estimate


# Any current episode: the clinic's window, in days since the infusion, is the same for every
# patient it serves, and `suggested_window` reads nothing of the episode but its start, for
# dates the row works out itself (window_out).
_ANY_CURRENT = Episode(
    start=NEVER,
    end=NEVER,
    ended_by=None,
    infusion_ids=(),
    kind="induction",
    route="iv",
    baseline=None,
    baseline_phq9_id=None,
    nadir_day=None,
    nadir_score=None,
    remitted=False,
    outcome="ongoing",
    relapse_day=None,
    relapse_interval=None,
    relapse_reason=None,
    censor_reason=None,
    probable_relapse=False,
    half_life_day=None,
    duration_days=None,
    event=False,
    points=(),
    unassessed_reason=None,
)


def clinic_window_days(
    clinic_km: KaplanMeierEstimate, thresholds: ReliefThresholds
) -> tuple[float, float] | None:
    """The window the clinic's pooled estimate suggests to a patient with too few relapses of
    their own, by the outlook's own rule (so the row and the relief view agree)."""
    no_own = kaplan_meier(
        [],
        [],
        min_events_for_median=thresholds.min_events_for_median,
        landmark_days=thresholds.survival_landmark_days,
    )
    window, _ = suggested_window(_ANY_CURRENT, 0.0, no_own, clinic_km, UTC, thresholds)
    return (window.start_day, window.end_day) if window else None


async def booster_windows(
    db: AsyncSession,
    rows: Sequence[Any],
    clinic_id: int,
    pooled: PooledEstimates,
    now: datetime,
) -> dict[int, WindowOut | None]:
    """Each row's window: from the stored own-relapse days, or for a patient with too few
    relapses of their own, from the clinic's pooled estimate (worked out once a page)."""
    windows: dict[int, WindowOut | None] = {}
    clinic_days: tuple[float, float] | None = None
    if any(row.window_from_clinic for row in rows):
        thresholds = await clinic_thresholds(db, clinic_id)
        clinic_days = clinic_window_days(await pooled.of(db, clinic_id, thresholds), thresholds)
    for row in rows:
        start = _aware(row.last_infusion_at)
        if start is None:
            continue
        if row.window_start_day is not None:
            windows[row.patient_id] = window_out(
                start, row.window_start_day, row.window_end_day, "own", row.timezone, now
            )
        elif row.window_from_clinic and clinic_days is not None:
            windows[row.patient_id] = window_out(
                start, clinic_days[0], clinic_days[1], "clinic", row.timezone, now
            )
    return windows


def triage_row(summary: Any, window: WindowOut | None, now: datetime) -> TriageRow:
    latest_at = _aware(summary.latest_phq9_at)
    latest = (
        LatestPhq9(summary.latest_phq9_score, summary.latest_phq9_band, latest_at)
        if summary.latest_phq9_score is not None and latest_at is not None
        else None
    )
    change = (
        summary.latest_phq9_score - summary.baseline_score
        if summary.latest_phq9_score is not None and summary.baseline_score is not None
        else None
    )
    infusion_at = _aware(summary.last_infusion_at)
    since_infusion = (now - infusion_at) / DAY if infusion_at else None
    last_checkin = _aware(summary.last_checkin_at)
    if last_checkin == NEVER:
        last_checkin = None
    silent = (last_checkin or NEVER) < now - QUIET_AFTER
    due = _aware(summary.alert_due_at) if summary.open_alerts else None
    cutoff = (now - SPARKLINE).timestamp()
    return TriageRow(
        patient_id=summary.patient_id,
        display_name=summary.display_name,
        triage_group=triage_group(summary, silent),
        relief_status=summary.relief_status,
        latest_phq9=latest,
        baseline=summary.baseline_score,
        change_from_baseline=change,
        phq9_90_days=[
            Phq9Point(datetime.fromtimestamp(at, now.tzinfo), score)
            for at, score in summary.phq9_recent
            if at >= cutoff
        ],
        last_infusion_at=infusion_at,
        days_since_infusion=round(since_infusion, 1) if since_infusion is not None else None,
        open_safety_alerts=summary.open_alerts,
        alert_escalates_at=due,
        alert_overdue=due is not None and due <= now,
        awaiting_review=not summary.nothing_to_review,
        reviewed_at=_aware(summary.reviewed_at),
        last_checkin_at=last_checkin,
        days_since_checkin=round((now - last_checkin) / DAY, 1) if last_checkin else None,
        no_checkin_for_3_days=silent,
        booster_window=window,
    )


async def reorder_patient(db: AsyncSession, patient_id: int, now: datetime) -> None:
    """Bring the summary's place in the inbox up to date after a GAD-7, a review or a safety
    alert raised or acknowledged (derived.updater; a PHQ-9 re-derives the whole summary)."""
    facts = await triage_facts(db, patient_id)
    done = await db.execute(
        update(PatientSummary)
        .where(col(PatientSummary.patient_id) == patient_id)
        .values(**facts.values(), updated_at=now)
    )
    if not getattr(done, "rowcount", 1):
        await refresh_patient_relief(db, patient_id, now)


class TriageController(Controller):
    tags = ["Relief"]

    @get(
        "/api/clinic/patients",
        guards=[clinicians_only],
        operation_id="triageList",
        policy="clinic-clinician",
        summary="The clinic's patients, most urgent first (the triage inbox)",
        description=(
            "Order (sort=urgency): open safety alerts (the nearest escalation first; "
            "`alert_overdue` once the acknowledgement window has run out), relapsed, waning, a "
            "new PHQ-9 or GAD-7 not yet reviewed, then everyone else with the longest without a "
            "check-in first, so patients silent for 3 days or more come before the rest. "
            "`triage_group` says which of these a row is in. `needs_attention` counts the "
            "clinic's patients with an open alert, relapsed, waning or awaiting review, whatever "
            "the filters. Read from per-patient summaries kept current by every write, so a page "
            "costs the same in a clinic of any size. sort=name lists alphabetically. "
            "`relief_status` is a claim about now (CLINICAL.md §4): holding or waning without "
            "recent data shows as `no_recent_data`; filter on it with `status`, or on those "
            "needing attention with `attention=true`. Rows carry the PHQ-9 scores of the last 90 "
            "days and the suggested booster window when there is one."
        ),
    )
    async def triage(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
        sort: FromQuery[Literal["urgency", "name"]] = "urgency",
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        status: FromQuery[ReliefStatus | None] = None,
        attention: FromQuery[bool] = False,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Offset = 0,
    ) -> TriageList:
        # The sign-in lookup's transaction ends here; the page is one unit of work (on SQLite
        # one hop to the database thread, as a check-in is: afterglow/unit_of_work.py).
        await db.commit()
        state = request.app.state
        pooled = state.get("pooled_estimates")
        if pooled is None:
            pooled = state["pooled_estimates"] = PooledEstimates()
        page = TriagePage(viewer, now, sort, q, status, attention, limit, offset, pooled)
        return await run_unit(request.app.state.engine, page.read)

    @post(
        "/api/patients/{patient_id:int}/review",
        guards=[clinicians_only],
        operation_id="markReviewed",
        policy="clinic-clinician",
        status_code=200,
        summary="Mark a patient's check-ins reviewed",
        description=(
            "Every PHQ-9 and GAD-7 the patient has sent so far counts as reviewed: the patient "
            'leaves the inbox\'s "new, not yet reviewed" group (and its needs-attention count '
            "unless an alert, a relapse or waning keeps them there) until a new one arrives. "
            "Audited; sending it again changes nothing more."
        ),
    )
    async def review(
        self, patient_id: FromPath[Id], db: DB, viewer: CurrentViewer, now: Now
    ) -> ReviewOut:
        await open_patient(db, viewer, patient_id, "patient.review", staff_only=True)
        newest = await db.scalar(
            select(func.max(col(CheckIn.id))).where(
                col(CheckIn.patient_id) == patient_id,
                col(CheckIn.instrument).in_(REVIEWED_INSTRUMENTS),
            )
        )
        summary = await db.get(PatientSummary, patient_id)
        if summary is None:
            await refresh_patient_relief(db, patient_id, now)
            summary = await db.get(PatientSummary, patient_id)
            assert summary is not None
        if newest is not None and summary.reviewed_through != newest:
            summary.reviewed_through = newest
            summary.reviewed_at = now
            changed(db, patient_id, "review", now)
        await db.commit()
        await db.refresh(summary)
        return ReviewOut(
            patient_id=patient_id,
            reviewed_at=_aware(summary.reviewed_at),
            reviewed_through=summary.reviewed_through,
            awaiting_review=not summary.nothing_to_review,
        )


@dataclass(frozen=True)
class TriageStatements:
    page: Any
    counts: Any  # everyone listed, and those needing attention, whatever the filters
    filtered_count: Any


@lru_cache(maxsize=32)
def triage_statements(sort: str, search: bool, status: bool, attention: bool) -> TriageStatements:
    """The list's statements for one shape of request, built once (the request's values are
    bound parameters: clinic_id, now, pattern, status, limit, offset)."""
    stale_after = SQLModel.metadata.tables[PatientSummary.__tablename__].c.stale_after
    now = bindparam("now", type_=stale_after.type)
    listed: list[Any] = [
        col(PatientSummary.clinic_id) == bindparam("clinic_id"),
        # `= true`, not `IS TRUE`: PostgreSQL's index matches only the former.
        col(PatientSummary.active) == true(),
    ]
    conditions = list(listed)
    if search:
        conditions.append(col(Patient.display_name).ilike(bindparam("pattern")))
    if status:
        conditions.append(status_now_sql(now) == bindparam("status"))
    if attention:
        conditions.append(needs_attention_sql())
    order: list[Any] = (
        [
            col(PatientSummary.urgency_tier),
            col(PatientSummary.alert_due_at),
            col(PatientSummary.nothing_to_review),
            col(PatientSummary.activity_at),
        ]
        if sort == "urgency"
        else [col(Patient.display_name)]
    )
    # Every patient has a summary from enrollment on; one whose derivation failed has a stale
    # one at the top of the list (relief.summary.mark_stale), so nobody is hidden. Driven by
    # the summary's triage index, so a page costs the same in any clinic size.
    summary_join = col(PatientSummary.patient_id) == col(Patient.id)
    page = (
        select(*triage_columns(now))
        .select_from(PatientSummary)
        .join(Patient, summary_join)
        .where(*conditions)
        .order_by(*order, col(PatientSummary.patient_id))
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )
    # Both counts read the summary's triage index alone (`active` is kept on the summary),
    # never every patient row: one pass over the clinic's index entries.
    counts = (
        select(func.count(), func.coalesce(func.sum(case((needs_attention_sql(), 1), else_=0)), 0))
        .select_from(PatientSummary)
        .where(*listed)
    )
    filtered = select(func.count()).select_from(PatientSummary)
    if search:
        filtered = filtered.join(Patient, summary_join)
    return TriageStatements(page, counts, filtered.where(*conditions))


@dataclass(frozen=True)
class TriagePage:
    """One page of the triage list, as asked for."""

    viewer: Viewer
    now: datetime
    sort: Literal["urgency", "name"]
    q: str | None
    status: ReliefStatus | None
    attention: bool
    limit: int
    offset: int
    pooled: PooledEstimates

    async def read(self, db: AsyncSession) -> TriageList:
        viewer, now, q = self.viewer, self.now, (self.q or "").strip()
        # Rows derived with other thresholds or moved on by time are re-derived first (the
        # background job usually got there already), so no row is served stale.
        await rederive_stale(db, viewer.clinic_id, now)
        filtered = bool(q or self.status or self.attention)
        values = {
            "clinic_id": viewer.clinic_id,
            "now": now,
            "pattern": f"%{q}%",
            "status": self.status,
            "limit": self.limit,
            "offset": self.offset,
        }
        statements = triage_statements(self.sort, bool(q), bool(self.status), self.attention)
        rows = (await db.execute(statements.page, values)).all()
        everyone, needing = (await db.execute(statements.counts, values)).one()
        total = await db.scalar(statements.filtered_count, values) if filtered else everyone
        windows = await booster_windows(db, rows, viewer.clinic_id, self.pooled, now)
        patients = [triage_row(row, windows.get(row.patient_id), now) for row in rows]
        record_audit(
            db,
            viewer,
            "patients.triage",
            detail={"q": q or None, "status": self.status, "shown": len(patients)},
        )
        await db.commit()
        return TriageList(
            total=int(total or 0),
            needs_attention=int(needing or 0),
            limit=self.limit,
            offset=self.offset,
            patients=patients,
        )
