"""The per-patient summary behind the triage list: derived from the analysis, kept by derived.updater."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import case, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from afterglow.accounts.models import Patient
from afterglow.alerts.models import SafetyAlert
from afterglow.checkins.models import CheckIn
from afterglow.instruments.registry import REGISTRY
from afterglow.relief.episodes import DAY, Episode
from afterglow.relief.facts import MoodFact, ReliefThresholds
from afterglow.relief.models import PatientSummary
from afterglow.relief.outlook import (
    ReliefStatus,
    booster_outlook,
    mood_can_turn_waning,
    phq9_status,
    waning_signal,
    with_mood,
)
from afterglow.reminders.models import ReminderPlan

# With no check-in at all a patient sorts as if their last one were long ago: first in their tier.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
URGENCY_TIERS = {"alert": 0, "relapsed": 1, "waning": 2}
# Check-ins a clinician reviews: new ones put the patient among those needing attention.
REVIEWED_INSTRUMENTS = ("phq9", "gad7")
SPARKLINE = timedelta(days=90)


def urgency_tier(status: str, open_alerts: int) -> int:
    if open_alerts:
        return URGENCY_TIERS["alert"]
    return URGENCY_TIERS.get(status, 3)


def mood_waning(
    phq9: ReliefStatus,
    current_infusion_at: datetime | None,
    moods: list[MoodFact],
    tz_name: str,
    now: datetime,
    limits: ReliefThresholds,
) -> bool:
    """Whether daily mood says waning; only asked when it could change the status."""
    if not mood_can_turn_waning(phq9, current_infusion_at, now, limits):
        return False
    assert current_infusion_at is not None
    return waning_signal(moods, current_infusion_at, tz_name, now, limits).waning


def recent_until(
    last_mood_at: datetime | None,
    last_phq9_at: datetime | None,
    mood_reminders: bool,
    tz_name: str,
    limits: ReliefThresholds,
) -> datetime:
    """The instant the patient's data stop being recent (CLINICAL.md §4), stored as
    `stale_after` so the status turns `no_recent_data` with time alone, in SQL, without a write.

    Recent means a daily mood, or a PHQ-9, in the last `recent_mood_days` local days; for a
    patient with daily mood off, also a PHQ-9 in the last `recent_phq9_days` days. (§4 names
    only the mood; a PHQ-9 yesterday is better evidence for "holding" than a mood, so it
    counts too: tests/relief/test_recent_data.py pins this reading.)
    """
    zone = ZoneInfo(tz_name)
    until = NEVER
    for last in (last_mood_at, last_phq9_at):
        if last is not None:
            day: date = last.astimezone(zone).date() + timedelta(days=limits.recent_mood_days)
            until = max(until, datetime.combine(day, time(), tzinfo=zone).astimezone(UTC))
    if not mood_reminders and last_phq9_at is not None:
        until = max(until, last_phq9_at + limits.recent_phq9_days * DAY)
    return until


def rederive_after(
    episodes: list[Episode], now: datetime, limits: ReliefThresholds
) -> datetime | None:
    """The instant after which time alone changes what is stored: an `ongoing` current episode
    turns censored (gap) once its last PHQ-9 is more than `follow_up_gap_days` old; a
    `no_response` one stops listening to daily mood when its nadir window closes
    (`mood_can_turn_waning`)."""
    if not episodes or episodes[-1].ended_by is not None:
        return None
    current = episodes[-1]
    if current.outcome == "no_response":
        window_closes = current.start + limits.nadir_window_days * DAY
        return window_closes if window_closes >= now else None
    if current.outcome != "ongoing" or not current.points:
        return None
    return current.start + (current.points[-1].day + limits.follow_up_gap_days) * DAY


def status_now_sql(now: datetime | Any) -> Any:
    """`outlook.status_now` in SQL, so triage sorts and filters on it without a write (the two
    are tested against each other). `now` is a time or a bound parameter standing for one."""
    return case(
        (
            col(PatientSummary.relief_status).in_(("holding", "waning"))
            & (
                col(PatientSummary.stale_after)
                <= (literal(now) if isinstance(now, datetime) else now)
            ),
            literal("no_recent_data"),
        ),
        else_=col(PatientSummary.relief_status),
    )


@dataclass(frozen=True)
class TriageFacts:
    """What orders a patient among those needing attention, besides their relief status."""

    newest_reviewable: int | None  # id of the newest PHQ-9 or GAD-7
    reviewed_through: int | None  # id of the newest one a clinician marked reviewed
    alert_due_at: datetime | None  # when the earliest open safety alert escalates

    def values(self) -> dict[str, Any]:
        reviewed = self.newest_reviewable is None or (
            self.reviewed_through is not None and self.newest_reviewable <= self.reviewed_through
        )
        return {"nothing_to_review": reviewed, "alert_due_at": self.alert_due_at}


def triage_facts_query(patient_id: int) -> Any:
    """`TriageFacts` of one patient in one statement (it runs on every PHQ-9, GAD-7 and alert)."""
    newest = select(func.max(col(CheckIn.id))).where(
        col(CheckIn.patient_id) == patient_id,
        col(CheckIn.instrument).in_(REVIEWED_INSTRUMENTS),
    )
    reviewed = select(col(PatientSummary.reviewed_through)).where(
        col(PatientSummary.patient_id) == patient_id
    )
    due = select(func.min(col(SafetyAlert.escalate_at))).where(
        col(SafetyAlert.patient_id) == patient_id, col(SafetyAlert.status) == "open"
    )
    return select(newest.scalar_subquery(), reviewed.scalar_subquery(), due.scalar_subquery())


async def triage_facts(db: AsyncSession, patient_id: int) -> TriageFacts:
    newest, reviewed, due = (await db.execute(triage_facts_query(patient_id))).one()
    return TriageFacts(newest, reviewed, as_utc(due) if due is not None else None)


@dataclass(frozen=True)
class SummaryInputs:
    episodes: list[Episode]
    moods: list[MoodFact]  # since the current episode's infusion
    latest_phq9: tuple[int, datetime] | None
    last_checkin_at: datetime | None
    last_mood_at: datetime | None
    mood_reminders: bool
    open_alerts: int
    triage: TriageFacts
    phq9_recent: list[list[int]]  # [epoch seconds, score] of the last 90 days


@dataclass(frozen=True)
class WindowBasis:
    """The booster window as stored: from the patient's own relapses (days since the infusion),
    or from the clinic's pooled estimate, worked out when the triage list is read."""

    start_day: float | None = None
    end_day: float | None = None
    from_clinic: bool = False

    def values(self) -> dict[str, Any]:
        return {
            "window_start_day": self.start_day,
            "window_end_day": self.end_day,
            "window_from_clinic": self.from_clinic,
        }


def window_basis(
    current: Episode | None,
    episodes: list[Episode],
    tz_name: str,
    now: datetime,
    limits: ReliefThresholds,
) -> WindowBasis:
    """What the triage row needs to show the booster window the relief view shows
    (`booster_outlook`), without re-reading the episodes on every page."""
    if current is None or phq9_status(current) in ("relapsed", "no_response"):
        return WindowBasis()
    # relief.service imports this module: imported here, when first derived.
    from afterglow.relief.service import patient_km

    own = patient_km(episodes, limits)
    if own.events < limits.min_events_for_median:
        return WindowBasis(from_clinic=True)
    window = booster_outlook(current, episodes, own, None, now, [], tz_name, limits).window
    return WindowBasis(window.start_day, window.end_day) if window else WindowBasis()


def summary_values(
    patient: Patient,
    inputs: SummaryInputs,
    now: datetime,
    limits: ReliefThresholds,
    derived_with: str,
) -> dict[str, Any]:
    current = (
        inputs.episodes[-1] if inputs.episodes and inputs.episodes[-1].ended_by is None else None
    )
    phq9 = phq9_status(current)
    start = current.start if current else None
    status = with_mood(phq9, mood_waning(phq9, start, inputs.moods, patient.timezone, now, limits))
    latest_score, latest_at = inputs.latest_phq9 or (None, None)
    window = window_basis(current, inputs.episodes, patient.timezone, now, limits)
    band = REGISTRY["phq9"].band_for(latest_score) if latest_score is not None else None
    return {
        "patient_id": patient.id,
        "clinic_id": patient.clinic_id,
        "latest_phq9_score": latest_score,
        "latest_phq9_band": band.id if band else None,
        "latest_phq9_at": latest_at,
        "baseline_score": current.baseline if current else None,
        "last_infusion_at": start,
        "phq9_status": phq9,
        "relief_status": status,
        "open_alerts": inputs.open_alerts,
        "last_checkin_at": inputs.last_checkin_at,
        "activity_at": inputs.last_checkin_at or NEVER,
        "urgency_tier": urgency_tier(status, inputs.open_alerts),
        "stale_after": recent_until(
            inputs.last_mood_at, latest_at, inputs.mood_reminders, patient.timezone, limits
        ),
        "rederive_after": rederive_after(inputs.episodes, now, limits),
        "derived_with": derived_with,
        "episodes": msgspec.to_builtins(inputs.episodes),
        "updated_at": now,
        "active": patient.is_active,
        "phq9_recent": inputs.phq9_recent,
        **inputs.triage.values(),
        **window.values(),
    }


def as_of(episodes: list[Episode], now: datetime) -> list[Episode]:
    """Stored episodes brought to `now`: only the current episode's end moves with the clock
    (what else time changes is re-derived, see `rederive_after`)."""
    if not episodes or episodes[-1].ended_by is not None:
        return episodes
    return [*episodes[:-1], replace(episodes[-1], end=now)]


def is_fresh(summary: PatientSummary | None, derived_with: str, now: datetime) -> bool:
    """Whether a stored summary may be served: derived with today's thresholds and analysis
    version, and not past the instant time alone changes it."""
    return (
        summary is not None
        and summary.derived_with == derived_with
        and (summary.rederive_after is None or as_utc(summary.rederive_after) >= now)
    )


def as_utc(moment: datetime) -> datetime:
    """A stored time, aware: SQLite can hand DateTime columns back naive (stored in UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def store_summary(db: AsyncSession, values: dict[str, Any]) -> None:
    """Insert or replace the patient's summary row in the current transaction."""
    table = SQLModel.metadata.tables[PatientSummary.__tablename__]
    dialect = db.get_bind().dialect.name
    insert = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    changes = {k: v for k, v in values.items() if k != "patient_id"}
    await db.execute(
        insert.values(values).on_conflict_do_update(index_elements=["patient_id"], set_=changes)
    )


async def mark_stale(db: AsyncSession, patient_id: int, now: datetime) -> None:
    """The patient's summary, marked stale so that reads and the background job derive it again;
    a patient who has none yet gets a stale one, at the top of the triage list until derived, so
    that a failed derivation never hides anyone."""
    clinic_id = await db.scalar(select(col(Patient.clinic_id)).where(col(Patient.id) == patient_id))
    if clinic_id is None:
        return
    table = SQLModel.metadata.tables[PatientSummary.__tablename__]
    dialect = db.get_bind().dialect.name
    insert = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    await db.execute(
        insert.values(
            patient_id=patient_id,
            clinic_id=clinic_id,
            urgency_tier=URGENCY_TIERS["alert"],
            activity_at=NEVER,
            episodes=[],
            updated_at=now,
            derived_with=None,
            active=True,
            nothing_to_review=True,
            phq9_recent=[],
        ).on_conflict_do_update(index_elements=["patient_id"], set_={"derived_with": None})
    )


async def open_alert_count(db: AsyncSession, patient_id: int) -> int:
    count = await db.scalar(
        select(func.count()).where(
            col(SafetyAlert.patient_id) == patient_id, col(SafetyAlert.status) == "open"
        )
    )
    return int(count or 0)


async def last_taken(db: AsyncSession, patient_id: int, instrument: str | None) -> datetime | None:
    query = select(func.max(col(CheckIn.taken_at))).where(col(CheckIn.patient_id) == patient_id)
    if instrument is not None:
        query = query.where(col(CheckIn.instrument) == instrument)
    found = await db.scalar(query)
    return as_utc(found) if found is not None else None


async def mood_reminders_on(db: AsyncSession, patient_id: int) -> bool:
    """Daily mood is asked for unless the patient's reminder plan switched it off."""
    plan = await db.execute(
        select(col(ReminderPlan.daily_mood_at)).where(col(ReminderPlan.patient_id) == patient_id)
    )
    row = plan.first()
    return row is None or row[0] is not None


async def summary_inputs(
    db: AsyncSession, patient_id: int, episodes: list[Episode], moods: list[MoodFact]
) -> SummaryInputs:
    latest = (
        await db.execute(
            select(col(CheckIn.score), col(CheckIn.taken_at))
            .where(col(CheckIn.patient_id) == patient_id, col(CheckIn.instrument) == "phq9")
            .order_by(col(CheckIn.taken_at).desc())
            .limit(1)
        )
    ).first()
    latest_phq9 = (latest[0], as_utc(latest[1])) if latest and latest[0] is not None else None
    return SummaryInputs(
        episodes=episodes,
        moods=moods,
        latest_phq9=latest_phq9,
        last_checkin_at=await last_taken(db, patient_id, None),
        last_mood_at=await last_taken(db, patient_id, "mood"),
        mood_reminders=await mood_reminders_on(db, patient_id),
        open_alerts=await open_alert_count(db, patient_id),
        triage=await triage_facts(db, patient_id),
        # The 90 days before the latest PHQ-9 hold every one of the 90 days before any later now
        # (the list drops the older ones as time passes), so time alone never calls for a write.
        phq9_recent=(
            await phq9_since(db, patient_id, latest_phq9[1] - SPARKLINE) if latest_phq9 else []
        ),
    )


async def phq9_since(db: AsyncSession, patient_id: int, since: datetime) -> list[list[int]]:
    rows = await db.execute(
        select(col(CheckIn.taken_at), col(CheckIn.score))
        .where(
            col(CheckIn.patient_id) == patient_id,
            col(CheckIn.instrument) == "phq9",
            col(CheckIn.taken_at) >= since,
        )
        .order_by(col(CheckIn.taken_at))
    )
    return [[int(as_utc(at).timestamp()), score] for at, score in rows if score is not None]


@dataclass(frozen=True)
class StoredSummary:
    """The part of a stored summary a new check-in other than a PHQ-9 needs."""

    phq9_status: ReliefStatus
    last_infusion_at: datetime | None
    last_checkin_at: datetime | None
    stale_after: datetime | None
    open_alerts: int


def after_checkin(
    stored: StoredSummary,
    last_checkin_at: datetime | None,
    last_mood_at: datetime | None,
    moods: list[MoodFact],
    tz_name: str,
    now: datetime,
    limits: ReliefThresholds,
) -> dict[str, Any]:
    """The summary's changes for new check-ins other than a PHQ-9 (which re-derives everything):
    the last check-in time, a daily mood's say on waning, and how long the data stay recent."""
    last = last_checkin_at or stored.last_checkin_at or NEVER
    waning = mood_waning(stored.phq9_status, stored.last_infusion_at, moods, tz_name, now, limits)
    status = with_mood(stored.phq9_status, waning)
    recent = recent_until(last_mood_at, None, True, tz_name, limits)
    return {
        "last_checkin_at": last,
        "activity_at": last,
        "relief_status": status,
        "urgency_tier": urgency_tier(status, stored.open_alerts),
        "stale_after": max(as_utc(stored.stale_after or NEVER), recent),
        "updated_at": now,
    }
