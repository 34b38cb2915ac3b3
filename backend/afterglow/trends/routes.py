"""HTTP for chart series: scores with infusions marked, relief episodes shaded, threshold lines."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlmodel import col, select

from afterglow.accounts.access import open_patient
from afterglow.checkins.models import CheckIn
from afterglow.errors import aware, invalid
from afterglow.fields import Id
from afterglow.http import DB, CurrentViewer, Now
from afterglow.infusions.models import Infusion
from afterglow.instruments.registry import REGISTRY
from afterglow.relief import Episode, ReliefThresholds
from afterglow.relief.service import clinic_thresholds, relief_now
from afterglow.trends.series import ChartPoint, Reading, downsample

DEFAULT_RANGE = timedelta(days=180)


class InfusionMarker(msgspec.Struct):
    id: int
    given_at: datetime
    route: str
    kind: str


class EpisodeBand(msgspec.Struct):
    start: datetime
    end: datetime
    outcome: str
    relapse_at: datetime | None


class ThresholdLine(msgspec.Struct):
    label: str
    score: float


class TrendsOut(msgspec.Struct):
    instrument: str
    since: datetime
    until: datetime
    points: list[ChartPoint]
    readings: int
    infusions: list[InfusionMarker]
    episodes: list[EpisodeBand]
    thresholds: list[ThresholdLine]
    attribution: str | None


def threshold_lines(
    instrument: str, episodes: list[Episode], limits: ReliefThresholds
) -> list[ThresholdLine]:
    """Lines a clinician reads the chart against; PHQ-9's response line follows the latest baseline."""
    if instrument == "phq9":
        lines = [
            ThresholdLine(f"Remission (below {limits.remission_below})", limits.remission_below),
            ThresholdLine(
                f"Relapse needs at least {limits.relapse_min_score}", limits.relapse_min_score
            ),
        ]
        baselines = [e.baseline for e in episodes if e.baseline is not None]
        if baselines:
            response = limits.response_fraction * baselines[-1]
            lines.append(ThresholdLine(f"Response (half of baseline {baselines[-1]})", response))
        return lines
    return [
        ThresholdLine(f"{band.label} from {band.low}", band.low)
        for band in REGISTRY[instrument].bands
        if band.low > 0
    ]


def episode_band(episode: Episode) -> EpisodeBand:
    relapse_at = (
        episode.start + timedelta(days=episode.relapse_day)
        if episode.relapse_day is not None
        else None
    )
    return EpisodeBand(episode.start, episode.end, episode.outcome, relapse_at)


class TrendsController(Controller):
    tags = ["Relief"]

    @get(
        "/api/patients/{patient_id:int}/trends",
        operation_id="getTrends",
        policy="own-patient-or-clinic-clinician",
        summary="One instrument's series for a chart, with infusions and relief episodes",
        description=(
            "Sized for a phone: at most `max_points` points; a longer range is averaged in equal "
            "time buckets that keep each bucket's lowest and highest score. Defaults to the last "
            "180 days."
        ),
    )
    async def trends(
        self,
        patient_id: FromPath[Id],
        db: DB,
        viewer: CurrentViewer,
        now: Now,
        instrument: FromQuery[str] = "phq9",
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        max_points: Annotated[int, QueryParameter(ge=10, le=1000)] = 200,
    ) -> TrendsOut:
        if instrument not in REGISTRY or REGISTRY[instrument].scoring == "none":
            charted = ", ".join(i for i, d in REGISTRY.items() if d.scoring != "none")
            raise invalid("instrument", f"chart one of: {charted}")
        patient = await open_patient(
            db, viewer, patient_id, "trends.read", detail={"instrument": instrument}
        )
        end = aware(until, "until") or now
        start = aware(since, "since") or end - DEFAULT_RANGE
        if start >= end:
            raise invalid("since", "must be before until")
        rows = await db.execute(
            select(col(CheckIn.taken_at), col(CheckIn.score)).where(
                col(CheckIn.patient_id) == patient_id,
                col(CheckIn.instrument) == instrument,
                col(CheckIn.taken_at) >= start,
                col(CheckIn.taken_at) < end,
            )
        )
        readings = [Reading(at, float(score)) for at, score in rows if score is not None]
        limits = await clinic_thresholds(db, patient.clinic_id)
        episodes = (await relief_now(db, patient_id, now, limits)).episodes
        markers = await db.execute(
            select(
                col(Infusion.id), col(Infusion.given_at), col(Infusion.route), col(Infusion.kind)
            )
            .where(
                col(Infusion.patient_id) == patient_id,
                col(Infusion.deleted_at).is_(None),
                col(Infusion.given_at) >= start,
                col(Infusion.given_at) < end,
            )
            .order_by(col(Infusion.given_at))
        )
        await db.commit()
        return TrendsOut(
            instrument=instrument,
            since=start,
            until=end,
            points=downsample(readings, max_points),
            readings=len(readings),
            infusions=[
                InfusionMarker(id_ or 0, at, route, kind) for id_, at, route, kind in markers
            ],
            episodes=[episode_band(e) for e in episodes if e.end > start and e.start < end],
            thresholds=threshold_lines(instrument, episodes, limits),
            attribution=REGISTRY[instrument].attribution,
        )
