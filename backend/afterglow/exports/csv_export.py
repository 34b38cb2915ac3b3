"""A patient's record, or the whole clinic's, as CSV in Afterglow's layout (history/csv_format.py):
check-ins, infusions, events, relief episodes and the journal entries the patient shares, written
as it is read: a page of rows at a time, each page in a short transaction of its own, so
memory stays flat and the database is never held, whatever the clinic's size.

The caller has checked who may read it and audited the read before the first byte is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import SQLModel, col

from afterglow import __version__
from afterglow.accounts.models import Patient
from afterglow.checkins.models import CheckIn
from afterglow.db import session_maker
from afterglow.fhir.questionnaires import attribution_lines
from afterglow.history.csv_format import (
    ANSWER_COLUMNS,
    EPISODE_COLUMNS,
    LAYOUT,
    csv_text,
    patient_zone,
    text_cell,
    time_cell,
    value_cell,
)
from afterglow.infusions.models import ClinicalEvent, Infusion
from afterglow.journal.service import shared_entries
from afterglow.relief.episodes import Episode
from afterglow.relief.facts import ReliefThresholds
from afterglow.relief.service import clinic_thresholds, relief_now

PAGE_ROWS = 500
PATIENT_PAGE = 200
Row = dict[str, str]


def about_row(now: datetime) -> Row:
    """The export itself: when, which layout, and the instruments' attribution."""
    return {
        "record": "about",
        "at": time_cell(now, ZoneInfo("UTC")),
        "notes": text_cell(
            f"{LAYOUT}; written by Afterglow {__version__}. " + " ".join(attribution_lines())
        ),
    }


async def patient_csv(
    engine: AsyncEngine, clinic_id: int, patient_id: int, now: datetime
) -> AsyncIterator[bytes]:
    """One patient's record: the header, the about row, then their records."""
    yield csv_text([about_row(now)], header=True).encode()
    sessions = session_maker(engine)
    async with sessions() as db:
        thresholds = await clinic_thresholds(db, clinic_id)
        patient = await db.get(Patient, patient_id)
        await db.commit()
        if patient is not None:
            async for chunk in _patient_rows(db, patient, thresholds, now):
                yield chunk


async def clinic_csv(engine: AsyncEngine, clinic_id: int, now: datetime) -> AsyncIterator[bytes]:
    """Every patient of the clinic, one after another, in the same layout."""
    yield csv_text([about_row(now)], header=True).encode()
    sessions = session_maker(engine)
    async with sessions() as db:
        thresholds = await clinic_thresholds(db, clinic_id)
        after = 0
        while True:
            patients = list(
                (
                    await db.execute(
                        select(Patient)
                        .where(col(Patient.clinic_id) == clinic_id, col(Patient.id) > after)
                        .order_by(col(Patient.id))
                        .limit(PATIENT_PAGE)
                    )
                ).scalars()
            )
            await db.commit()
            for patient in patients:
                async for chunk in _patient_rows(db, patient, thresholds, now):
                    yield chunk
            if len(patients) < PATIENT_PAGE:
                return
            after = patients[-1].id or 0


async def _patient_rows(
    db: AsyncSession, patient: Patient, thresholds: ReliefThresholds, now: datetime
) -> AsyncIterator[bytes]:
    zone = patient_zone(patient.timezone)
    who = {
        "patient_id": str(patient.id),
        "record_number": text_cell(patient.external_id),
        "timezone": patient.timezone,
    }
    patient_id = patient.id or 0

    # Each kind of record by its time, a page at a time.
    for model, moment, row_of in RECORDS:
        table: Any = model
        at = getattr(table, moment)
        after: tuple[Any, ...] | None = None
        while True:
            found = list(
                (
                    await db.execute(
                        select(model)
                        .where(col(table.patient_id) == patient_id, _after(at, table.id, after))
                        .order_by(col(at), col(table.id))
                        .limit(PAGE_ROWS)
                    )
                ).scalars()
            )
            await db.commit()
            if found:
                yield csv_text({**who, **row_of(record, zone)} for record in found).encode()
            if len(found) < PAGE_ROWS:
                break
            last: Any = found[-1]
            after = (getattr(last, moment), last.id)
    relief = await relief_now(db, patient_id, now, thresholds)
    await db.commit()
    if relief.episodes:
        yield csv_text({**who, **_episode_row(e, zone)} for e in relief.episodes).encode()
    # Only what the patient shares with the clinic; private entries never leave the journal.
    journal = await shared_entries(db, patient_id)
    await db.commit()
    if journal:
        yield csv_text(
            {
                **who,
                "record": "journal",
                "at": time_cell(entry.written_at, zone),
                "notes": text_cell(entry.text),
                "journal_stood_out": text_cell(entry.stood_out),
                "journal_day_after": text_cell(entry.day_after),
                "journal_carry_forward": text_cell(entry.carry_forward),
            }
            for entry in journal
        ).encode()


def _after(time_column: Any, id_column: Any, after: tuple[Any, ...] | None) -> Any:
    if after is None:
        return True
    moment, row_id = after
    return or_(col(time_column) > moment, and_(col(time_column) == moment, col(id_column) > row_id))


def _checkin_row(checkin: CheckIn, zone: ZoneInfo) -> Row:
    row = {
        "record": "checkin",
        "at": time_cell(checkin.taken_at, zone),
        "instrument": checkin.instrument,
        "score": value_cell(checkin.score),
        "band": checkin.band or "",
        "notes": text_cell(checkin.note),
    }
    for column, answer in zip(ANSWER_COLUMNS, checkin.answers, strict=False):
        row[column] = value_cell(answer)
    return row


def _entered_in_error(record: Infusion | ClinicalEvent, zone: ZoneInfo) -> Row:
    return {
        "entered_in_error_at": time_cell(record.deleted_at, zone),
        "entered_in_error_reason": text_cell(record.deleted_reason),
    }


def _infusion_row(infusion: Infusion, zone: ZoneInfo) -> Row:
    return {
        "record": "infusion",
        "at": time_cell(infusion.given_at, zone),
        "drug": infusion.drug or "",
        "route": infusion.route,
        "kind": infusion.kind,
        "dose_mg_per_kg": value_cell(infusion.dose_mg_per_kg),
        "dose_mg": value_cell(infusion.dose_mg),
        "bp_systolic_before": value_cell(infusion.bp_systolic_before),
        "bp_diastolic_before": value_cell(infusion.bp_diastolic_before),
        "bp_systolic_40min": value_cell(infusion.bp_systolic_40min),
        "bp_diastolic_40min": value_cell(infusion.bp_diastolic_40min),
        "bp_systolic_discharge": value_cell(infusion.bp_systolic_discharge),
        "bp_diastolic_discharge": value_cell(infusion.bp_diastolic_discharge),
        "lot_number": text_cell(infusion.lot_number),
        "dissociation_notes": text_cell(infusion.dissociation_notes),
        "notes": text_cell(infusion.notes),
        **_entered_in_error(infusion, zone),
    }


def _event_row(event: ClinicalEvent, zone: ZoneInfo) -> Row:
    return {
        "record": "event",
        "at": time_cell(event.occurred_at, zone),
        "kind": event.kind,
        "notes": text_cell(event.notes),
        **_entered_in_error(event, zone),
    }


# The kinds of record a patient's rows are read from, each by its time.
RECORDS: tuple[tuple[type[SQLModel], str, Callable[[Any, ZoneInfo], Row]], ...] = (
    (CheckIn, "taken_at", _checkin_row),
    (Infusion, "given_at", _infusion_row),
    (ClinicalEvent, "occurred_at", _event_row),
)


def _episode_row(episode: Episode, zone: ZoneInfo) -> Row:
    values = {
        "episode_end": time_cell(episode.end, zone),
        "outcome": episode.outcome,
        "remitted": value_cell(episode.remitted),
        "baseline": value_cell(episode.baseline),
        "nadir_day": value_cell(episode.nadir_day),
        "nadir_score": value_cell(episode.nadir_score),
        "relapse_day": value_cell(episode.relapse_day),
        "relapse_reason": episode.relapse_reason or "",
        "censor_reason": episode.censor_reason or "",
        "probable_relapse": value_cell(episode.probable_relapse),
        "half_life_day": value_cell(episode.half_life_day),
        "duration_days": value_cell(episode.duration_days),
        "relapsed": value_cell(episode.event),
    }
    assert values.keys() == set(EPISODE_COLUMNS)
    return {
        "record": "episode",
        "at": time_cell(episode.start, zone),
        "route": episode.route,
        "kind": episode.kind,
        **values,
    }
