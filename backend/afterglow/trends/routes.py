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
from afterglow.relief import Episode, InfusionFact, ReliefThresholds
from afterglow.relief.service import clinic_thresholds, relief_now
from afterglow.trends.changes import (
    CHANGE_INSTRUMENTS,
    ReliableChange,
    Score,
    latest_changes,
    reliable_changes,
)
from afterglow.trends.series import ChartPoint, Reading, downsample
from afterglow.trends.today import TodayOut, patient_today

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
    # Reliable change (CLINICAL.md §2, PHQ-9 and GAD-7): where each episode first reached one,
    # in this range, and the latest score's, which the patient's chart says in words.
    reliable_changes: list[ReliableChange]
    latest_changes: list[ReliableChange]


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
            "180 days. For PHQ-9 and GAD-7, reliable change (CLINICAL.md §2): where each episode "
            "first reached one (`reliable_changes`, in the range) and the latest score's "
            "(`latest_changes`, the chart's words for the patient)."
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
        when = [col(CheckIn.taken_at) >= start, col(CheckIn.taken_at) < end]
        if instrument in CHANGE_INSTRUMENTS:
            # Weekly questionnaires are few: all of them are read, since a reliable change is
            # measured from a baseline that may lie before the range.
            when = []
        rows = await db.execute(
            select(col(CheckIn.taken_at), col(CheckIn.score)).where(
                col(CheckIn.patient_id) == patient_id, col(CheckIn.instrument) == instrument, *when
            )
        )
        scored = [Score(at, int(score)) for at, score in rows if score is not None]
        readings = [Reading(s.at, float(s.score)) for s in scored if start <= s.at < end]
        limits = await clinic_thresholds(db, patient.clinic_id)
        episodes = (await relief_now(db, patient_id, now, limits)).episodes
        infusions = [
            InfusionFact(id_ or 0, at, route, kind)
            for id_, at, route, kind in await db.execute(
                select(
                    col(Infusion.id),
                    col(Infusion.given_at),
                    col(Infusion.route),
                    col(Infusion.kind),
                )
                .where(col(Infusion.patient_id) == patient_id, col(Infusion.deleted_at).is_(None))
                .order_by(col(Infusion.given_at))
            )
        ]
        marks = reliable_changes(instrument, scored, episodes, infusions, now, limits)
        await db.commit()
        return TrendsOut(
            instrument=instrument,
            since=start,
            until=end,
            points=downsample(readings, max_points),
            readings=len(readings),
            infusions=[
                InfusionMarker(i.id, i.given_at, i.route, i.kind)
                for i in infusions
                if start <= i.given_at < end
            ],
            episodes=[episode_band(e) for e in episodes if e.end > start and e.start < end],
            thresholds=threshold_lines(instrument, episodes, limits),
            attribution=REGISTRY[instrument].attribution,
            reliable_changes=[m for m in marks if start <= m.at < end],
            latest_changes=latest_changes(instrument, scored, episodes, infusions, now, limits),
        )

    @get(
        "/api/patients/{patient_id:int}/today",
        operation_id="getPatientToday",
        policy="own-patient-or-clinic-clinician",
        summary="What the patient's app says now: where relief stands, and the check-ins due",
        description=(
            "`standing`: the current episode's status as a claim about now (CLINICAL.md §4: "
            "`no_recent_data` when nothing recent was logged), why, and the facts the app's "
            "sentence quotes (days since the infusion, the PHQ-9 before treatment and the lowest "
            "after it). `due`: the check-ins asked for now, by the reminders' own rules (a "
            "reminder of today not answered yet, the side-effect check after an infusion, a "
            "PHQ-9 or GAD-7 not taken in 7 days). Never a booster date."
        ),
    )
    async def today(
        self, patient_id: FromPath[Id], db: DB, viewer: CurrentViewer, now: Now
    ) -> TodayOut:
        patient = await open_patient(db, viewer, patient_id, "today.read")
        return await patient_today(db, patient, viewer, now)
