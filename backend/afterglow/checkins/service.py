"""Recording check-ins: validate, score, store once per idempotency key, raise safety alerts.

This is the busiest write in Afterglow (every phone, every day, replaying offline outboxes),
so it stays lean: one INSERT ... ON CONFLICT DO NOTHING decides "new or replay" atomically,
and the alert is written in the same transaction as the check-in it comes from.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from afterglow.accounts.models import Clinic, Patient
from afterglow.accounts.sessions import resolve_session
from afterglow.alerts.service import raise_safety_alert
from afterglow.checkins import schemas
from afterglow.checkins.models import CheckIn
from afterglow.checkins.rows import checkin_fingerprint, checkin_row
from afterglow.crisis.service import patient_crisis_screen
from afterglow.derived import changed
from afterglow.derived.changes import checkin_change
from afterglow.errors import Forbidden, Invalid, NotSignedIn, conflict, invalid
from afterglow.instruments.scoring import AnswerError, Scored, score_answers
from afterglow.settings import Settings

MAX_FUTURE = timedelta(minutes=5)
MAX_AGE = timedelta(days=30)

CHECKIN_COLUMNS = (
    col(CheckIn.id),
    col(CheckIn.patient_id),
    col(CheckIn.instrument),
    col(CheckIn.answers),
    col(CheckIn.score),
    col(CheckIn.band),
    col(CheckIn.item9),
    col(CheckIn.note),
    col(CheckIn.taken_at),
    col(CheckIn.received_at),
    col(CheckIn.request_hash),
)


def checked_idempotency_key(value: str | None) -> str:
    if not value:
        raise invalid(
            "Idempotency-Key",
            "send an Idempotency-Key header with a UUID the app made for this check-in",
        )
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise invalid("Idempotency-Key", f"{value[:64]!r} is not a UUID") from None


def checked_taken_at(taken_at: datetime | None, now: datetime) -> datetime:
    """When the patient answered: now when not given; never in the future, never older than 30 days."""
    if taken_at is None:
        return now
    if taken_at.tzinfo is None:
        raise invalid("taken_at", "include the UTC offset, e.g. 2026-11-26T08:30:00-05:00")
    if taken_at - now > MAX_FUTURE:
        raise invalid("taken_at", "is in the future; check the phone's clock")
    if now - taken_at > MAX_AGE:
        raise invalid(
            "taken_at",
            "is older than 30 days; older records come in through the clinic's history import",
        )
    return taken_at.astimezone(UTC)


def request_fingerprint(data: schemas.CheckinCreate) -> str:
    """Same fingerprint for the same check-in, however the phone formatted it."""
    taken_at = data.taken_at if data.taken_at and data.taken_at.tzinfo else None
    return checkin_fingerprint(data.instrument, data.answers, taken_at, data.note)


def score_or_400(instrument: str, answers: list[int]) -> Scored:
    try:
        return score_answers(instrument, answers)
    except AnswerError as error:
        raise invalid(error.field, error.message) from None


@dataclass(frozen=True)
class Recorded:
    checkin: schemas.CheckinOut
    created: bool


def _insert_once(insert_for_dialect: Any) -> Any:
    """INSERT ... ON CONFLICT (patient, key) DO NOTHING RETURNING: "new or replay" in one statement."""
    return (
        insert_for_dialect(SQLModel.metadata.tables[CheckIn.__tablename__])
        .on_conflict_do_nothing(index_elements=["patient_id", "idempotency_key"])
        .returning(*CHECKIN_COLUMNS)
    )


# Built once per dialect: this is the busiest write in the app.
_INSERT_ONCE = {"postgresql": _insert_once(pg_insert), "sqlite": _insert_once(sqlite_insert)}


async def safety_block(
    db: AsyncSession, patient_id: int, item9: int, phone_zone: str | None
) -> schemas.SafetyOut:
    """The crisis screen for the patient's country (and the phone's, when it is elsewhere), all
    in their language or all in English."""
    patient = await db.get(Patient, patient_id)
    assert patient is not None
    clinic = await db.get(Clinic, patient.clinic_id)
    assert clinic is not None
    screen = patient_crisis_screen(patient, clinic, phone_zone)
    return schemas.SafetyOut(**msgspec.structs.asdict(screen), item9=item9)


@dataclass(frozen=True)
class PreparedCheckin:
    """A validated, scored check-in, ready to store for whichever patient the session names."""

    scored: Scored
    idempotency_key: str
    fingerprint: str
    taken_at: datetime
    received_at: datetime
    note: str | None
    # The time zone the phone says it is in (X-Time-Zone): a crisis screen's travel line.
    phone_zone: str | None = None

    @property
    def needs_safety_alert(self) -> bool:
        return bool(self.scored.item9)

    def row_values(self, patient_id: int) -> dict[str, Any]:
        return checkin_row(
            patient_id,
            self.scored,
            taken_at=self.taken_at,
            received_at=self.received_at,
            note=self.note,
            idempotency_key=self.idempotency_key,
            request_hash=self.fingerprint,
            source="app",
        )

    def out(self, checkin_id: int, patient_id: int) -> schemas.CheckinOut:
        return schemas.CheckinOut(
            id=checkin_id,
            patient_id=patient_id,
            instrument=self.scored.instrument.id,
            answers=list(self.scored.answers),
            score=self.scored.score,
            band=self.scored.band,
            band_label=self.scored.band_label,
            taken_at=self.taken_at,
            received_at=self.received_at,
            note=self.note,
        )


def prepare_checkin(
    data: schemas.CheckinCreate,
    idempotency_key: str | None,
    now: datetime,
    phone_zone: str | None = None,
) -> PreparedCheckin:
    """Everything about a check-in that needs no database: key, answers, score, time.

    The phone's time zone only words the crisis screen; one that names no zone is left out,
    never a reason to refuse the answers."""
    key = checked_idempotency_key(idempotency_key)
    scored = score_or_400(data.instrument, data.answers)
    return PreparedCheckin(
        scored=scored,
        idempotency_key=key,
        fingerprint=request_fingerprint(data),
        taken_at=checked_taken_at(data.taken_at, now),
        received_at=now,
        note=data.note or None,
        phone_zone=phone_zone,
    )


def instrument_not_enabled(prepared: PreparedCheckin) -> Invalid:
    return invalid(
        "instrument",
        f"{prepared.scored.instrument.name} is not switched on for you; your clinic can enable it",
    )


async def record_for_session(
    db: AsyncSession,
    settings: Settings,
    token: str,
    address: str | None,
    prepared: PreparedCheckin,
    now: datetime,
) -> Recorded:
    """The check-in API's whole unit of work: who the session is, then `record_checkin`.

    The session is checked here rather than by the auth middleware so that on SQLite the
    lookup, the insert, the derived summary and the commit run in one hop to the database
    (afterglow/unit_of_work.py); it is the same check (`resolve_session`) either way.
    """
    viewer = await resolve_session(db, settings, token, now, address)
    if viewer is None:
        raise NotSignedIn("Your session has ended; sign in again.")
    if not viewer.is_patient or viewer.patient_id is None:
        raise Forbidden("This is for patients, from their own account.")
    return await record_checkin(db, viewer.patient_id, prepared, now)


async def record_checkin(
    db: AsyncSession, patient_id: int, prepared: PreparedCheckin, now: datetime
) -> Recorded:
    """Store a patient's check-in once; a replay of the same key returns the first result."""
    if prepared.scored.instrument.opt_in:
        patient = await db.get(Patient, patient_id)
        if patient is None or not patient.pain_enabled:
            raise instrument_not_enabled(prepared)
    values = prepared.row_values(patient_id)
    row = (await db.execute(_INSERT_ONCE[db.get_bind().dialect.name], values)).first()
    created = row is not None
    if row is None:
        row = (
            await db.execute(
                select(*CHECKIN_COLUMNS).where(
                    col(CheckIn.patient_id) == patient_id,
                    col(CheckIn.idempotency_key) == prepared.idempotency_key,
                )
            )
        ).one()
        if row.request_hash != prepared.fingerprint:
            raise conflict(
                "This Idempotency-Key was already used for a different check-in; "
                "make a new key for each new check-in."
            )
    else:
        if prepared.scored.item9:
            await raise_safety_alert(db, patient_id, row.id, prepared.scored.item9, now)
        changed(db, patient_id, checkin_change(prepared.scored.instrument.id), now)
    await db.commit()
    return Recorded(await checkin_out(db, row, prepared.phone_zone), created)


def _out(row: Any, safety: schemas.SafetyOut | None = None) -> schemas.CheckinOut:
    return schemas.CheckinOut(
        id=row.id,
        patient_id=row.patient_id,
        instrument=row.instrument,
        answers=list(row.answers),
        score=row.score,
        band=row.band,
        band_label=score_answers(row.instrument, row.answers).band_label,
        taken_at=row.taken_at,
        received_at=row.received_at,
        note=row.note,
        safety=safety,
    )


async def checkin_out(db: AsyncSession, row: Any, phone_zone: str | None) -> schemas.CheckinOut:
    """The check-in as the patient sees it; with item 9 >= 1, the crisis screen too (also on replay)."""
    safety = await safety_block(db, row.patient_id, row.item9, phone_zone) if row.item9 else None
    return _out(row, safety)


async def list_checkins(
    db: AsyncSession,
    patient_id: int,
    *,
    instrument: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[schemas.CheckinOut]:
    query = select(*CHECKIN_COLUMNS).where(col(CheckIn.patient_id) == patient_id)
    if instrument:
        query = query.where(col(CheckIn.instrument) == instrument)
    if since:
        query = query.where(col(CheckIn.taken_at) >= since)
    if until:
        query = query.where(col(CheckIn.taken_at) < until)
    rows = await db.execute(query.order_by(col(CheckIn.taken_at), col(CheckIn.id)).limit(limit))
    return [_out(row) for row in rows]
