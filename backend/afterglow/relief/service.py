"""Relief for one patient or a whole clinic: load facts, run the pure analysis, keep pairs stored."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

import msgspec
from sqlalchemy import Text, bindparam, delete, func, insert, or_, select, union, update
from sqlalchemy import cast as cast_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key
from sqlmodel import SQLModel, col

from afterglow.accounts.clinic_settings import clinic_settings
from afterglow.accounts.models import Clinic, Patient
from afterglow.checkins.models import CheckIn
from afterglow.derived import changed
from afterglow.errors import invalid
from afterglow.infusions.models import ClinicalEvent, Infusion
from afterglow.operations.failures import failure_summary
from afterglow.relief import (
    Episode,
    EventFact,
    InfusionFact,
    KaplanMeierEstimate,
    MoodFact,
    Phq9Fact,
    ReliefThresholds,
    kaplan_meier,
    relief_episodes,
    survival_pairs,
)
from afterglow.relief.episodes import ANALYSIS_VERSION
from afterglow.relief.models import PatientSummary, ReliefEpisode
from afterglow.relief.outlook import ReliefStatus, mood_can_turn_waning
from afterglow.relief.summary import (
    StoredSummary,
    after_checkin,
    as_of,
    as_utc,
    is_fresh,
    open_alert_count,
    store_summary,
    summary_inputs,
    summary_values,
    urgency_tier,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PatientFacts:
    infusions: list[InfusionFact]
    phq9s: list[Phq9Fact]
    events: list[EventFact]


# Statements read on every relief view, built once (a statement built per call costs as much
# Python as running it); Core columns, so no ORM entities are loaded.
_CLINIC = SQLModel.metadata.tables[Clinic.__tablename__]
_CHECKIN = SQLModel.metadata.tables[CheckIn.__tablename__]
_CLINIC_SETTINGS_READ = select(cast_(_CLINIC.c.settings, Text)).where(
    _CLINIC.c.id == bindparam("clinic_id")
)


async def clinic_thresholds(db: AsyncSession, clinic_id: int) -> ReliefThresholds:
    settings = await db.scalar(_CLINIC_SETTINGS_READ, {"clinic_id": clinic_id})
    assert settings is not None
    return thresholds_of_stored(settings)


@lru_cache(maxsize=256)
def thresholds_of_stored(settings_text: str) -> ReliefThresholds:
    """A clinic's thresholds from its stored settings (JSON text), parsed and checked once per
    distinct text rather than on every request."""
    return thresholds_from(clinic_settings(json.loads(settings_text)).relief)


def thresholds_from(overrides: Mapping[str, Any]) -> ReliefThresholds:
    try:
        return ReliefThresholds.from_settings(overrides)
    except ValueError as error:
        raise invalid("relief", str(error)) from None


async def patient_facts(db: AsyncSession, patient_id: int) -> PatientFacts:
    """Everything the episodes depend on (moods are read separately: only recent ones matter)."""
    infusions = [
        InfusionFact(row.id, row.given_at, row.route, row.kind)
        for row in await db.execute(
            select(
                col(Infusion.id), col(Infusion.given_at), col(Infusion.route), col(Infusion.kind)
            )
            .where(col(Infusion.patient_id) == patient_id, col(Infusion.deleted_at).is_(None))
            .order_by(col(Infusion.given_at))
        )
    ]
    phq9s = [
        Phq9Fact(row.id, row.taken_at, row.score, row.item9 or 0)
        for row in await db.execute(
            select(col(CheckIn.id), col(CheckIn.taken_at), col(CheckIn.score), col(CheckIn.item9))
            .where(col(CheckIn.patient_id) == patient_id, col(CheckIn.instrument) == "phq9")
            .order_by(col(CheckIn.taken_at))
        )
    ]
    events = [
        EventFact(row.id, row.occurred_at, row.kind)
        for row in await db.execute(
            select(col(ClinicalEvent.id), col(ClinicalEvent.occurred_at), col(ClinicalEvent.kind))
            .where(
                col(ClinicalEvent.patient_id) == patient_id,
                col(ClinicalEvent.deleted_at).is_(None),
            )
            .order_by(col(ClinicalEvent.occurred_at))
        )
    ]
    return PatientFacts(infusions, phq9s, events)


async def moods_since(db: AsyncSession, patient_id: int, since: datetime | None) -> list[MoodFact]:
    """Daily moods since the current episode's infusion: all that "waning" looks at."""
    if since is None:
        return []
    rows = await db.execute(_MOODS_SINCE, {"patient_id": patient_id, "since": since})
    return [MoodFact(at, score) for at, score in rows if score is not None]


_MOODS_SINCE = (
    select(_CHECKIN.c.taken_at, _CHECKIN.c.score)
    .where(
        _CHECKIN.c.patient_id == bindparam("patient_id"),
        _CHECKIN.c.instrument == "mood",
        _CHECKIN.c.taken_at >= bindparam("since"),
    )
    .order_by(_CHECKIN.c.taken_at)
)


def current_episode(episodes: Sequence[Episode]) -> Episode | None:
    return episodes[-1] if episodes and episodes[-1].ended_by is None else None


def patient_km(episodes: Sequence[Episode], thresholds: ReliefThresholds) -> KaplanMeierEstimate:
    durations, events = survival_pairs(episodes)
    return kaplan_meier(
        durations,
        events,
        min_events_for_median=thresholds.min_events_for_median,
        landmark_days=thresholds.survival_landmark_days,
    )


@lru_cache(maxsize=256)
def derivation_fingerprint(thresholds: ReliefThresholds) -> str:
    """What derived rows are derived with: the analysis version and every threshold."""
    text = json.dumps([ANALYSIS_VERSION, asdict(thresholds)], sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


async def _lock_patient(db: AsyncSession, patient_id: int) -> Patient:
    """One derivation of a patient at a time, so two never interleave their delete and insert
    (PostgreSQL; SQLite has one writer anyway). FOR NO KEY UPDATE leaves check-ins, whose
    foreign key only needs a key-share lock, free to go in meanwhile."""
    if db.get_bind().dialect.name == "postgresql":
        await db.execute(
            select(col(Patient.id))
            .where(col(Patient.id) == patient_id)
            .with_for_update(key_share=True)
        )
    patient = await db.get(Patient, patient_id)
    assert patient is not None
    return patient


async def refresh_patient_relief(
    db: AsyncSession,
    patient_id: int,
    now: datetime,
    thresholds: ReliefThresholds | None = None,
) -> list[Episode]:
    """Re-derive a patient's stored episodes and triage summary, in the current transaction.

    Called by derived.updater before the commit of any write that can change them, and for
    rows found stale (thresholds or analysis version changed, or time moved an ongoing episode
    on) by the background job and by reads.
    """
    patient = await _lock_patient(db, patient_id)
    thresholds = thresholds or await clinic_thresholds(db, patient.clinic_id)
    facts = await patient_facts(db, patient_id)
    episodes = relief_episodes(facts.infusions, facts.phq9s, facts.events, now, thresholds)
    await db.execute(delete(ReliefEpisode).where(col(ReliefEpisode.patient_id) == patient_id))
    if episodes:
        await db.execute(
            insert(SQLModel.metadata.tables[ReliefEpisode.__tablename__]),
            [
                {
                    "clinic_id": patient.clinic_id,
                    "patient_id": patient_id,
                    "start": e.start,
                    "route": e.route,
                    "kind": e.kind,
                    "outcome": e.outcome,
                    "remitted": e.remitted,
                    "duration_days": e.duration_days,
                    "event": e.event,
                }
                for e in episodes
            ],
        )
    current = current_episode(episodes)
    moods = await moods_since(db, patient_id, current.start if current else None)
    inputs = await summary_inputs(db, patient_id, episodes, moods)
    fingerprint = derivation_fingerprint(thresholds)
    await store_summary(db, summary_values(patient, inputs, now, thresholds, fingerprint))
    return episodes


async def stale_patients(
    db: AsyncSession,
    clinic_id: int,
    fingerprint: str,
    now: datetime,
    limit: int,
    *,
    without_summary: bool = True,
) -> list[int]:
    """Patients of the clinic whose stored derived state may not be served: derived with other
    thresholds or analysis version, or moved on by time, and (`without_summary`) those with no
    summary yet. On PostgreSQL rows another instance is re-deriving are skipped, so instances
    share the work.

    Without `without_summary` this is an index lookup (ix_patient_summary_derived_with,
    ix_patient_summary_rederive_after), cheap enough for every read of the triage list in a
    clinic of any size; finding patients with no summary at all scans the clinic's patients, so
    only the background job asks for them (every patient gets a summary when enrolled).
    """
    summary = PatientSummary
    postgres = db.get_bind().dialect.name == "postgresql"
    stale = or_(
        col(summary.derived_with).is_(None),
        # Not `!=`: two ranges either side of the current fingerprint can use the index.
        col(summary.derived_with) < fingerprint,
        col(summary.derived_with) > fingerprint,
        col(summary.rederive_after) < now,
    )
    if without_summary:
        query = (
            select(col(Patient.id))
            .outerjoin(summary, col(summary.patient_id) == col(Patient.id))
            .where(
                col(Patient.clinic_id) == clinic_id, or_(col(summary.patient_id).is_(None), stale)
            )
            .order_by(col(Patient.id))
            .limit(limit)
        )
        if postgres:
            query = query.with_for_update(skip_locked=True, key_share=True, of=Patient)
    elif postgres:
        query = (
            select(col(summary.patient_id))
            .where(col(summary.clinic_id) == clinic_id, stale)
            .order_by(col(summary.patient_id))
            .limit(limit)
            .with_for_update(skip_locked=True, key_share=True)
        )
    else:
        # SQLite answers the OR by walking every summary of the clinic (~13 ms at 5,000
        # patients, on each read of the triage list); one range of an index per term does not.
        terms = (
            col(summary.derived_with).is_(None),
            col(summary.derived_with) < fingerprint,
            col(summary.derived_with) > fingerprint,
            col(summary.rederive_after) < now,
        )
        found = union(
            *(
                select(col(summary.patient_id)).where(col(summary.clinic_id) == clinic_id, term)
                for term in terms
            )
        ).subquery()
        query = select(found.c.patient_id).order_by(found.c.patient_id).limit(limit)
    return [patient_id for patient_id in (await db.execute(query)).scalars() if patient_id]


REDERIVE_BATCH = 25


async def rederive_stale(
    db: AsyncSession,
    clinic_id: int,
    now: datetime,
    *,
    batch: int = REDERIVE_BATCH,
    most: int | None = None,
    until: float | None = None,
    without_summary: bool = False,
) -> int:
    """Re-derive the clinic's stale patients in small batches, each its own transaction, so a
    clinic-wide change never holds the write lock for long (a check-in or a safety alert waits
    at most one batch). A patient whose derivation fails is logged and left for the next run;
    the others go on. Returns how many were re-derived. Patients with no summary at all are
    looked for only `without_summary` (the background job; see `stale_patients`). `until` (a
    `time.monotonic()` deadline) stops it between batches."""
    thresholds = await clinic_thresholds(db, clinic_id)
    fingerprint = derivation_fingerprint(thresholds)
    tried: set[int] = set()
    done = 0
    while (most is None or done < most) and (until is None or time.monotonic() < until):
        wanted = batch if most is None else min(batch, most - done)
        found = [
            p
            for p in await stale_patients(
                db,
                clinic_id,
                fingerprint,
                now,
                wanted + len(tried),
                without_summary=without_summary,
            )
            if p not in tried
        ][:wanted]
        if not found:
            break
        for patient_id in found:
            tried.add(patient_id)
            try:
                async with db.begin_nested():
                    await refresh_patient_relief(db, patient_id, now, thresholds)
            except Exception as error:  # one patient's bad data never stops the others
                log.error(
                    "relief of patient %s could not be re-derived (%s); tried again next run",
                    patient_id,
                    failure_summary(error),
                )
            else:
                done += 1
        await db.commit()
    return done


@dataclass(frozen=True)
class PooledRelief:
    route: str | None
    kind: str | None
    episodes: int
    assessed: int
    responding: int
    remitted: int
    response_rate: float | None
    remission_rate: float | None
    km: KaplanMeierEstimate


async def pooled_relief(
    db: AsyncSession,
    clinic_id: int,
    thresholds: ReliefThresholds,
    *,
    route: str | None = None,
    kind: str | None = None,
) -> PooledRelief:
    """The clinic's Kaplan-Meier over every responding episode, optionally for one route or kind.

    Callers re-derive the clinic's stale patients first (`rederive_stale`), so the estimate
    never pools episodes cut by old rules.
    """
    query = select(
        col(ReliefEpisode.outcome),
        col(ReliefEpisode.remitted),
        col(ReliefEpisode.duration_days),
        col(ReliefEpisode.event),
    ).where(col(ReliefEpisode.clinic_id) == clinic_id)
    if route:
        query = query.where(col(ReliefEpisode.route) == route)
    if kind:
        query = query.where(col(ReliefEpisode.kind) == kind)
    rows = (await db.execute(query)).all()
    assessed = [r for r in rows if r.outcome != "unassessed"]
    responding = [r for r in assessed if r.outcome != "no_response"]
    remitted = [r for r in assessed if r.remitted]
    followed = [r for r in responding if r.duration_days is not None]
    km = kaplan_meier(
        [r.duration_days for r in followed],
        [r.event for r in followed],
        min_events_for_median=thresholds.min_events_for_median,
        landmark_days=thresholds.survival_landmark_days,
    )
    return PooledRelief(
        route=route,
        kind=kind,
        episodes=len(rows),
        assessed=len(assessed),
        responding=len(responding),
        remitted=len(remitted),
        response_rate=len(responding) / len(assessed) if assessed else None,
        remission_rate=len(remitted) / len(assessed) if assessed else None,
        km=km,
    )


def _latest_taken(*instrument: str) -> Any:
    query = select(func.max(col(CheckIn.taken_at))).where(
        col(CheckIn.patient_id) == bindparam("patient_id"),
        *(col(CheckIn.instrument) == i for i in instrument),
    )
    return query.scalar_subquery()


# Everything note_checkin reads, in one statement: the summary, the patient's time zone, the
# clinic's settings as stored (their thresholds are parsed once per distinct text), and the last
# check-in and daily mood times. Built once: it runs for every check-in.
_NOTE_CHECKIN_READ = (
    select(
        col(PatientSummary.phq9_status),
        col(PatientSummary.last_infusion_at),
        col(PatientSummary.last_checkin_at),
        col(PatientSummary.stale_after),
        col(PatientSummary.open_alerts),
        col(Patient.timezone),
        cast_(col(Clinic.settings), Text),
        _latest_taken(),
        _latest_taken("mood"),
        col(PatientSummary.relief_status),
    )
    .join(Patient, col(Patient.id) == col(PatientSummary.patient_id))
    .join(Clinic, col(Clinic.id) == col(Patient.clinic_id))
    .where(col(PatientSummary.patient_id) == bindparam("patient_id"))
)
_SUMMARY_TABLE = SQLModel.metadata.tables[PatientSummary.__tablename__]
_SUMMARY_UPDATES: dict[tuple[str, ...], Any] = {}


def _utc(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment is not None else None


async def note_checkin(db: AsyncSession, patient_id: int, now: datetime) -> None:
    """Bring the summary up to date after check-ins other than a PHQ-9 (derived.updater).

    They only move the last check-in time and how long the data stay recent, and a mood can
    turn a holding episode waning (or back); a PHQ-9 re-derives everything instead. The busiest
    write's updater: one read, the moods only when they can change the status, one UPDATE.
    """
    found = (await db.execute(_NOTE_CHECKIN_READ, {"patient_id": patient_id})).first()
    if found is None:
        await refresh_patient_relief(db, patient_id, now)
        return
    (
        phq9,
        infusion_at,
        last_checkin,
        stale_after,
        alerts,
        tz_name,
        settings,
        last,
        last_mood,
        shown,
    ) = found
    summary = StoredSummary(
        cast(ReliefStatus, phq9), _utc(infusion_at), _utc(last_checkin), _utc(stale_after), alerts
    )
    moods = []
    limits = thresholds_of_stored(settings)
    if mood_can_turn_waning(summary.phq9_status, summary.last_infusion_at, now, limits):
        moods = await moods_since(db, patient_id, summary.last_infusion_at)
    changes = after_checkin(
        summary,
        _utc(last),
        _utc(last_mood),
        moods,
        tz_name,
        now,
        limits,
    )
    names = tuple(changes)
    statement = _SUMMARY_UPDATES.get(names)
    if statement is None:
        statement = _SUMMARY_UPDATES[names] = (
            update(_SUMMARY_TABLE)
            .where(_SUMMARY_TABLE.c.patient_id == bindparam("summary_of"))
            .values({name: bindparam(name) for name in names})
        )
    await db.execute(statement, {**changes, "summary_of": patient_id})
    if changes["relief_status"] != shown:
        # A mood turned relief waning (or back): adaptive check-ins may ask for a PHQ-9 now.
        changed(db, patient_id, "relief_status", now)
    # The row changed under any copy this session holds: read it afresh when next asked.
    loaded = db.identity_map.get(identity_key(PatientSummary, patient_id))
    if loaded is not None:
        db.expire(loaded)


async def recount_open_alerts(db: AsyncSession, patient_id: int, now: datetime) -> None:
    """Bring the summary's open-alert count (and so its urgency) up to date (derived.updater)."""
    stored = await db.get(PatientSummary, patient_id)
    if stored is None:
        await refresh_patient_relief(db, patient_id, now)
        return
    stored.open_alerts = await open_alert_count(db, patient_id)
    stored.urgency_tier = urgency_tier(stored.relief_status, stored.open_alerts)
    stored.updated_at = now


@dataclass(frozen=True)
class PatientRelief:
    """A patient's derived relief as of now, fresh: what the relief view shows."""

    episodes: list[Episode]
    stale_after: datetime | None


async def relief_now(
    db: AsyncSession, patient_id: int, now: datetime, thresholds: ReliefThresholds
) -> PatientRelief:
    """The patient's episodes as of now: the stored ones when they are fresh (derived with these
    thresholds and analysis version, and not moved on by time), else re-derived and stored."""
    read = {"patient_id": patient_id}
    summary = (await db.execute(_STORED_RELIEF_READ, read)).first()
    # The row has the summary's columns that is_fresh reads.
    if summary is None or not is_fresh(
        cast(PatientSummary, summary), derivation_fingerprint(thresholds), now
    ):
        await refresh_patient_relief(db, patient_id, now, thresholds)
        summary = (await db.execute(_STORED_RELIEF_READ, read)).one()
    episodes = _STORED_EPISODES.decode(summary.episodes)
    return PatientRelief(as_of(episodes, now), summary.stale_after)


# The stored episodes as their JSON text, decoded straight into Episodes in one pass: the same
# values as parsing the JSON and converting it (msgspec.convert), at a fraction of the cost for a
# patient with years of episodes (tests/relief/test_stored_relief.py compares the two).
_STORED_RELIEF_READ = select(
    _SUMMARY_TABLE.c.derived_with,
    _SUMMARY_TABLE.c.rederive_after,
    _SUMMARY_TABLE.c.stale_after,
    cast_(_SUMMARY_TABLE.c.episodes, Text).label("episodes"),
).where(_SUMMARY_TABLE.c.patient_id == bindparam("patient_id"))
_STORED_EPISODES = msgspec.json.Decoder(list[Episode])
