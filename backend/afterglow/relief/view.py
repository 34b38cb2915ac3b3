"""One patient's relief as a reader sees it: episodes, Kaplan-Meier and the booster outlook.

Served by the relief endpoint and, for clinicians, inside the patient timeline; the caller has
opened (and audited) the patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import get_args

from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.accounts.models import Patient
from afterglow.accounts.viewer import Viewer
from afterglow.infusions.schemas import Route
from afterglow.relief import booster_outlook
from afterglow.relief.facts import INFUSION_KINDS
from afterglow.relief.schemas import ClinicReliefOut, OutlookOut, ReliefOut
from afterglow.relief.service import (
    PooledRelief,
    clinic_thresholds,
    current_episode,
    moods_since,
    patient_km,
    pooled_relief,
    rederive_stale,
    relief_now,
)


@dataclass(frozen=True)
class ReliefView:
    relief: ReliefOut
    pooled: PooledRelief | None  # the clinic's, when it was needed or asked for


async def relief_view(
    db: AsyncSession, patient: Patient, viewer: Viewer, now: datetime, *, with_pooled: bool = False
) -> ReliefView:
    """The patient's relief as of now. The clinic's pooled estimate is read when the outlook
    needs it (fewer own relapses than a median needs) or when `with_pooled` asks for it.
    Commits (the caller's audit row) before the analysis runs, giving the connection back."""
    patient_id = patient.id or 0
    thresholds = await clinic_thresholds(db, patient.clinic_id)
    relief = await relief_now(db, patient_id, now, thresholds)
    episodes = relief.episodes
    own = patient_km(episodes, thresholds)
    current = current_episode(episodes)
    pooled = None
    if with_pooled or (current is not None and own.events < thresholds.min_events_for_median):
        await rederive_stale(db, patient.clinic_id, now)
        pooled = await pooled_relief(db, patient.clinic_id, thresholds)
    moods = await moods_since(db, patient_id, current.start if current else None)
    await db.commit()
    outlook: OutlookOut | None = None
    if current is not None:
        full = booster_outlook(
            current,
            episodes,
            own,
            pooled.km if pooled else None,
            now,
            moods,
            patient.timezone,
            thresholds,
            stale_after=relief.stale_after,
        )
        outlook = OutlookOut.for_viewer(full, clinician=viewer.is_clinician)
    out = ReliefOut(
        patient_id=patient_id,
        generated_at=now,
        thresholds=thresholds,
        episodes=episodes,
        km=own,
        km_summary=own.summary(),
        outlook=outlook,
    )
    return ReliefView(out, pooled)


async def clinic_relief_out(
    db: AsyncSession,
    clinic_id: int,
    now: datetime,
    *,
    route: str | None = None,
    kind: str | None = None,
) -> ClinicReliefOut:
    """The clinic's pooled relief, overall (or for one route or kind) and by route and kind,
    over freshly derived episodes."""
    thresholds = await clinic_thresholds(db, clinic_id)
    await rederive_stale(db, clinic_id, now)
    overall = await pooled_relief(db, clinic_id, thresholds, route=route, kind=kind)
    by_route = [await pooled_relief(db, clinic_id, thresholds, route=r) for r in get_args(Route)]
    by_kind = [await pooled_relief(db, clinic_id, thresholds, kind=k) for k in INFUSION_KINDS]
    return ClinicReliefOut(
        generated_at=now,
        thresholds=thresholds,
        overall=overall,
        overall_summary=overall.km.summary(),
        by_route=[p for p in by_route if p.episodes],
        by_kind=[p for p in by_kind if p.episodes],
    )
