"""The per-patient summary behind the triage list: derived from the analysis, stored per write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from afterglow.accounts.models import Patient
from afterglow.alerts.models import SafetyAlert
from afterglow.checkins.models import CheckIn
from afterglow.instruments.registry import REGISTRY
from afterglow.relief.episodes import Episode
from afterglow.relief.facts import MoodFact, ReliefThresholds
from afterglow.relief.models import PatientSummary
from afterglow.relief.outlook import waning_signal

# With no check-in at all a patient sorts as if their last one were long ago: first in their tier.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
URGENCY_TIERS = {"alert": 0, "relapsed": 1, "waning": 2}


def phq9_status(current: Episode | None) -> str:
    """Where the current episode stands on PHQ-9s alone (mood may still make `holding` waning)."""
    if current is None:
        return "none"
    if current.outcome == "relapsed":
        return "relapsed"
    if current.outcome == "no_response":
        return "no_response"
    if current.outcome == "unassessed":
        return "unassessed"
    return "waning" if current.probable_relapse else "holding"


def relief_status(
    phq9: str,
    current_infusion_at: datetime | None,
    moods: Sequence[MoodFact],
    tz_name: str,
    now: datetime,
    limits: ReliefThresholds,
) -> str:
    """§4 status: a holding episode whose daily mood fell 3 points below its peak is waning."""
    if phq9 != "holding" or current_infusion_at is None:
        return phq9
    signal = waning_signal(moods, current_infusion_at, tz_name, now, limits)
    return "waning" if signal.waning else "holding"


def urgency_tier(status: str, open_alerts: int) -> int:
    if open_alerts:
        return URGENCY_TIERS["alert"]
    return URGENCY_TIERS.get(status, 3)


@dataclass(frozen=True)
class SummaryInputs:
    episodes: list[Episode]
    moods: list[MoodFact]
    latest_phq9: tuple[int, datetime] | None
    last_checkin_at: datetime | None
    open_alerts: int


def summary_values(
    patient: Patient, inputs: SummaryInputs, now: datetime, limits: ReliefThresholds
) -> dict[str, Any]:
    current = (
        inputs.episodes[-1] if inputs.episodes and inputs.episodes[-1].ended_by is None else None
    )
    phq9 = phq9_status(current)
    status = relief_status(
        phq9, current.start if current else None, inputs.moods, patient.timezone, now, limits
    )
    latest_score, latest_at = inputs.latest_phq9 or (None, None)
    band = REGISTRY["phq9"].band_for(latest_score) if latest_score is not None else None
    return {
        "patient_id": patient.id,
        "clinic_id": patient.clinic_id,
        "latest_phq9_score": latest_score,
        "latest_phq9_band": band.id if band else None,
        "latest_phq9_at": latest_at,
        "baseline_score": current.baseline if current else None,
        "last_infusion_at": current.start if current else None,
        "phq9_status": phq9,
        "relief_status": status,
        "open_alerts": inputs.open_alerts,
        "last_checkin_at": inputs.last_checkin_at,
        "activity_at": inputs.last_checkin_at or NEVER,
        "urgency_tier": urgency_tier(status, inputs.open_alerts),
        "episodes": msgspec.to_builtins(inputs.episodes),
        "updated_at": now,
    }


def stored_episodes(stored: list[dict[str, Any]]) -> list[Episode]:
    return msgspec.convert(stored, list[Episode])


def as_of(episodes: list[Episode], now: datetime, limits: ReliefThresholds) -> list[Episode] | None:
    """Stored episodes brought to `now`, or None when time alone has changed the answer.

    Only the current episode depends on the clock: its end is now, and an `ongoing` one turns
    censored (gap) once its last PHQ-9 is more than `follow_up_gap_days` old. That case is
    re-derived; every other one only needs the current episode's end moved.
    """
    if not episodes or episodes[-1].ended_by is not None:
        return episodes
    current = episodes[-1]
    if current.outcome == "ongoing" and current.points:
        last_phq9 = current.start + timedelta(days=current.points[-1].day)
        if now - last_phq9 > timedelta(days=limits.follow_up_gap_days):
            return None
    return [*episodes[:-1], replace(current, end=now)]


async def store_summary(db: AsyncSession, values: dict[str, Any]) -> None:
    """Insert or replace the patient's summary row in the current transaction."""
    table = SQLModel.metadata.tables[PatientSummary.__tablename__]
    dialect = db.get_bind().dialect.name
    insert = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    changes = {k: v for k, v in values.items() if k != "patient_id"}
    await db.execute(
        insert.values(values).on_conflict_do_update(index_elements=["patient_id"], set_=changes)
    )


async def open_alert_count(db: AsyncSession, patient_id: int) -> int:
    count = await db.scalar(
        select(func.count()).where(
            col(SafetyAlert.patient_id) == patient_id, col(SafetyAlert.status) == "open"
        )
    )
    return int(count or 0)


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
    last_checkin_at = await db.scalar(
        select(func.max(col(CheckIn.taken_at))).where(col(CheckIn.patient_id) == patient_id)
    )
    open_alerts = await open_alert_count(db, patient_id)
    return SummaryInputs(
        episodes=episodes,
        moods=moods,
        latest_phq9=(latest[0], latest[1]) if latest and latest[0] is not None else None,
        last_checkin_at=last_checkin_at,
        open_alerts=open_alerts,
    )


@dataclass(frozen=True)
class StoredSummary:
    """The part of a stored summary a new check-in needs."""

    phq9_status: str
    last_infusion_at: datetime | None
    last_checkin_at: datetime | None
    relief_status: str
    open_alerts: int


def after_checkin(
    stored: StoredSummary,
    last_checkin_at: datetime | None,
    moods: Sequence[MoodFact] | None,
    tz_name: str,
    now: datetime,
    limits: ReliefThresholds,
) -> dict[str, Any]:
    """The summary's changes for a new check-in other than a PHQ-9 (which re-derives everything).

    `moods` are the daily moods since the current infusion when the check-in was a mood (they can
    turn holding into waning, or back); None keeps the status as it is.
    """
    last = last_checkin_at or stored.last_checkin_at or NEVER
    status = stored.relief_status
    if moods is not None:
        status = relief_status(
            stored.phq9_status, stored.last_infusion_at, moods, tz_name, now, limits
        )
    return {
        "last_checkin_at": last,
        "activity_at": last,
        "relief_status": status,
        "urgency_tier": urgency_tier(status, stored.open_alerts),
        "updated_at": now,
    }


def needs_moods(stored: StoredSummary) -> bool:
    return stored.phq9_status == "holding" and stored.last_infusion_at is not None
