"""Seed the synthetic "Demo Clinic" with staff, patients and their histories, once.

Bulk inserts in batches so that a 5000-patient clinic loads in reasonable time.
"""

from __future__ import annotations

import asyncio
import random
import sys
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from afterglow.accounts.clinic_settings import clinic_settings
from afterglow.accounts.models import Clinic, Patient, User
from afterglow.accounts.passwords import hash_password_sync
from afterglow.alerts.models import SafetyAlert
from afterglow.alerts.service import alert_level
from afterglow.checkins.models import CheckIn
from afterglow.checkins.rows import checkin_fingerprint, checkin_row
from afterglow.clock import utcnow
from afterglow.db import create_engine, session_maker
from afterglow.demo.generator import PatientHistory, generate_clinic, number_width
from afterglow.derived import changed
from afterglow.infusions.models import ClinicalEvent, Infusion
from afterglow.instruments.scoring import Scored, score_answers
from afterglow.relief.models import PatientSummary
from afterglow.relief.summary import REVIEWED_INSTRUMENTS
from afterglow.settings import Settings

DEMO_CLINIC_NAME = "Demo Clinic"
# Printed by `afterglow demo` on purpose: demo accounts only, with synthetic data.
DEMO_PASSWORD = "afterglow-demo"  # noqa: S105
DEMO_DOMAIN = "demo.afterglow.test"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
CLINICIAN_EMAILS = (f"clinician@{DEMO_DOMAIN}", f"clinician2@{DEMO_DOMAIN}")
CLINICIAN_NAMES = ("Demo Clinician A", "Demo Clinician B")
# A big demo clinic lists this many patient logins, then one line for the rest.
LISTED_PATIENT_LOGINS = 24
PATIENTS_PER_COMMIT = 25
ROWS_PER_INSERT = 2000
# The demo clinic has reviewed its patients' scores up to this long before the seeding.
REVIEWED_UNTIL = timedelta(days=2)
# Check-in idempotency keys are uuid5 names under this namespace, so reseeding gives the same keys.
CHECKIN_KEY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, f"https://{DEMO_DOMAIN}/checkin")

ACK_NOTES = (
    "Called the patient: passive thoughts, no plan or intent. Safety plan reviewed; "
    "next visit confirmed.",
    "Spoke with the patient the same day; no intent, partner at home. Crisis numbers re-sent.",
    "Reached by phone. Thoughts had eased since the check-in; no plan. Earlier review booked.",
    "Called twice, then reached the emergency contact; patient safe at home. Follow-up call "
    "booked for tomorrow.",
)
URGENT_ACK_NOTES = (
    "Phoned within the hour: thoughts without intent, safety plan in place. Seen in clinic "
    "the next day.",
    "Phoned at once; no plan, sister staying over tonight. Safety plan and 988 reviewed.",
)


@dataclass
class DemoSummary:
    """What the seeder did (or found), with the logins to print for whoever runs the demo."""

    logins: list[str]
    patients: int
    checkins: int
    infusions: int
    alerts: int
    open_alerts: int = 0
    clinical_events: int = 0
    already_seeded: bool = False
    clinic: str = DEMO_CLINIC_NAME

    def describe(self) -> str:
        counts = (
            f"{self.patients} patients, {self.checkins:,} check-ins, {self.infusions:,} infusions, "
            f"{self.clinical_events} clinical events, {self.alerts} safety alerts "
            f"({self.open_alerts} open)"
        )
        if self.already_seeded:
            return f"{self.clinic} was already seeded; nothing added. It has {counts}."
        return f"Seeded {self.clinic} with synthetic data: {counts}."


async def seed_demo_clinic(
    settings: Settings,
    *,
    seed: int = 7,
    patients: int = 24,
    days: int = 270,
    progress: bool = False,
    now: datetime | None = None,
) -> DemoSummary:
    """Create "Demo Clinic" with synthetic staff and patients, unless it already exists.

    The schema must be migrated first. Every account's password is DEMO_PASSWORD.
    """
    now = now or utcnow()
    engine = create_engine(settings)
    try:
        sessions = session_maker(engine)
        async with sessions() as db:
            clinic_id = await _demo_clinic_id(db)
            if clinic_id is not None:
                return await _existing_summary(db, clinic_id)
        # One Argon2 hash shared by every demo account: hashing 5000 times would take minutes.
        password_hash = await asyncio.to_thread(hash_password_sync, DEMO_PASSWORD)
        async with sessions() as db:
            try:
                clinic_id, staff_ids = await _create_clinic_and_staff(
                    db, password_hash, now - timedelta(days=days + 30)
                )
                await db.commit()
            except IntegrityError:
                # Another seeder got there first (the staff emails are unique).
                await db.rollback()
                clinic_id = await _demo_clinic_id(db)
                assert clinic_id is not None
                return await _existing_summary(db, clinic_id)

        seeder = _Seeder(clinic_id, staff_ids, password_hash, seed, patients, now)
        histories = generate_clinic(seed=seed, patients=patients, days=days, end=now)
        done = 0
        if progress:
            _show_progress(done, patients)
        for batch in _batches(histories, PATIENTS_PER_COMMIT):
            async with sessions() as db:
                patient_ids = await seeder.add_patients(db, batch)
                await db.commit()
                await seeder.mark_reviewed(db, patient_ids)
                await db.commit()
            done += len(batch)
            if progress:
                _show_progress(done, patients)
        if progress:
            print(file=sys.stderr, flush=True)
        return DemoSummary(
            logins=_logins(
                [f"patient{n:0{seeder.width}d}@{DEMO_DOMAIN}" for n in range(1, patients + 1)]
            ),
            patients=patients,
            checkins=seeder.checkins,
            infusions=seeder.infusions,
            alerts=seeder.alerts,
            open_alerts=seeder.open_alerts,
            clinical_events=seeder.events,
        )
    finally:
        await engine.dispose()


async def _demo_clinic_id(db: AsyncSession) -> int | None:
    found: int | None = await db.scalar(
        select(col(Clinic.id)).where(col(Clinic.name) == DEMO_CLINIC_NAME).order_by(col(Clinic.id))
    )
    return found


async def _create_clinic_and_staff(
    db: AsyncSession, password_hash: str, opened_at: datetime
) -> tuple[int, list[int]]:
    """The clinic, its admin and two clinicians; returns the clinic id and the clinicians' ids."""
    clinic = Clinic(name=DEMO_CLINIC_NAME, settings={}, created_at=opened_at)
    db.add(clinic)
    await db.flush()
    assert clinic.id is not None
    staff = [(ADMIN_EMAIL, "Demo Admin", "admin")] + [
        (email, name, "clinician")
        for email, name in zip(CLINICIAN_EMAILS, CLINICIAN_NAMES, strict=True)
    ]
    ids = await _insert_returning_ids(
        db,
        User,
        [
            {
                "clinic_id": clinic.id,
                "email": email,
                "display_name": name,
                "role": role,
                "password_hash": password_hash,
                "is_active": True,
                "created_at": opened_at,
            }
            for email, name, role in staff
        ],
    )
    return clinic.id, ids[1:]


class _Seeder:
    """Turns generated histories into rows, batch by batch, and keeps the counts."""

    def __init__(
        self,
        clinic_id: int,
        clinician_ids: list[int],
        password_hash: str,
        seed: int,
        patients: int,
        now: datetime,
    ) -> None:
        self.clinic_id = clinic_id
        self.clinician_ids = clinician_ids
        self.password_hash = password_hash
        self.seed = seed
        self.now = now
        self.width = number_width(patients)
        self.alert_windows = clinic_settings({})  # the demo clinic keeps the default windows
        self.rng = random.Random(f"afterglow-demo/{seed}/alerts")  # noqa: S311 (repeatable demo)
        # Scoring is pure, and mood or pain answers repeat endlessly: score each answer set once.
        self.scored: dict[tuple[str, tuple[int, ...]], Scored] = {}
        self.checkins = self.infusions = self.alerts = self.open_alerts = self.events = 0

    async def add_patients(self, db: AsyncSession, batch: Sequence[PatientHistory]) -> list[int]:
        user_ids = await _insert_returning_ids(db, User, [self.user_row(h) for h in batch])
        patient_ids = await _insert_returning_ids(
            db, Patient, [self.patient_row(h, u) for h, u in zip(batch, user_ids, strict=True)]
        )
        checkins: list[dict[str, Any]] = []
        infusions: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        awaiting_review: set[str] = set()
        for history, patient_id in zip(batch, patient_ids, strict=True):
            clinician_id = self.clinician_ids[history.profile.clinician]
            checkins.extend(self.checkin_rows(history, patient_id, awaiting_review))
            infusions.extend(
                {
                    "patient_id": patient_id,
                    "given_at": infusion.given_at,
                    "route": infusion.route,
                    "kind": infusion.kind,
                    "drug": infusion.drug,
                    "dose_mg_per_kg": infusion.dose_mg_per_kg,
                    "dose_mg": infusion.dose_mg,
                    "bp_systolic_before": infusion.bp_systolic_before,
                    "bp_diastolic_before": infusion.bp_diastolic_before,
                    "bp_systolic_40min": infusion.bp_systolic_40min,
                    "bp_diastolic_40min": infusion.bp_diastolic_40min,
                    "bp_systolic_discharge": infusion.bp_systolic_discharge,
                    "bp_diastolic_discharge": infusion.bp_diastolic_discharge,
                    "notes": infusion.notes,
                    "recorded_by": clinician_id,
                    # Recorded when the patient leaves, about an hour after the start.
                    "created_at": infusion.given_at + timedelta(hours=1),
                    "updated_at": infusion.given_at + timedelta(hours=1),
                }
                for infusion in history.infusions
            )
            events.extend(
                {
                    "patient_id": patient_id,
                    "kind": event.kind,
                    "occurred_at": event.occurred_at,
                    "notes": event.notes,
                    "recorded_by": clinician_id,
                    "created_at": event.occurred_at + timedelta(minutes=30),
                }
                for event in history.events
            )
        for model, rows in ((CheckIn, checkins), (Infusion, infusions), (ClinicalEvent, events)):
            for chunk in _chunks(rows, ROWS_PER_INSERT):
                await db.execute(insert(_table(model)), chunk)
        clinicians = {
            patient_id: self.clinician_ids[history.profile.clinician]
            for history, patient_id in zip(batch, patient_ids, strict=True)
        }
        await self.add_alerts(db, clinicians, awaiting_review)
        # The clinic's pooled relief reads stored episodes, as it would after real check-ins:
        # the derived state is brought up to date when this batch commits.
        for patient_id in patient_ids:
            changed(db, patient_id, "phq9", self.now)
        self.checkins += len(checkins)
        self.infusions += len(infusions)
        self.events += len(events)
        return patient_ids

    async def mark_reviewed(self, db: AsyncSession, patient_ids: Sequence[int]) -> None:
        """A clinic in use has looked at its patients' scores until a couple of days ago: only
        the PHQ-9s and GAD-7s since then wait for review, so the demo inbox counts a few patients,
        not the whole clinic."""
        reviewed_until = self.now - REVIEWED_UNTIL
        newest_reviewed = (
            select(func.max(col(CheckIn.id)))
            .where(
                col(CheckIn.patient_id) == col(PatientSummary.patient_id),
                col(CheckIn.instrument).in_(REVIEWED_INSTRUMENTS),
                col(CheckIn.taken_at) < reviewed_until,
            )
            .scalar_subquery()
        )
        await db.execute(
            update(PatientSummary)
            .where(col(PatientSummary.patient_id).in_(patient_ids))
            .values(reviewed_through=newest_reviewed, reviewed_at=reviewed_until)
        )
        for patient_id in patient_ids:
            changed(db, patient_id, "review", self.now)

    def user_row(self, history: PatientHistory) -> dict[str, Any]:
        profile = history.profile
        return {
            "clinic_id": self.clinic_id,
            "email": self.patient_email(profile.number),
            "display_name": profile.display_name,
            "role": "patient",
            "password_hash": self.password_hash,
            "is_active": True,
            # The patient set a password from the enrollment link during the intake visit.
            "created_at": profile.enrolled_at + timedelta(minutes=5),
        }

    def patient_row(self, history: PatientHistory, user_id: int) -> dict[str, Any]:
        profile = history.profile
        return {
            "clinic_id": self.clinic_id,
            "user_id": user_id,
            "display_name": profile.display_name,
            "email": self.patient_email(profile.number),
            "timezone": profile.timezone,
            "locale": profile.locale,
            "pain_enabled": profile.pain_enabled,
            "is_active": True,
            "created_by": self.clinician_ids[profile.clinician],
            "created_at": profile.enrolled_at,
        }

    def patient_email(self, number: int) -> str:
        return f"patient{number:0{self.width}d}@{DEMO_DOMAIN}"

    def checkin_rows(
        self, history: PatientHistory, patient_id: int, awaiting_review: set[str]
    ) -> Iterator[dict[str, Any]]:
        number = history.profile.number
        for index, checkin in enumerate(history.checkins):
            answers = checkin.answers
            cache_key = (checkin.instrument, answers)
            scored = self.scored.get(cache_key)
            if scored is None:
                scored = self.scored[cache_key] = score_answers(checkin.instrument, answers)
            key = str(uuid.uuid5(CHECKIN_KEY_NAMESPACE, f"{self.seed}/{number}/{index}"))
            if checkin.awaiting_review:
                awaiting_review.add(key)
            yield checkin_row(
                patient_id,
                scored,
                taken_at=checkin.taken_at,
                received_at=checkin.taken_at,
                note=checkin.note,
                idempotency_key=key,
                request_hash=checkin_fingerprint(
                    checkin.instrument, answers, checkin.taken_at, checkin.note
                ),
                source="demo",
            )

    async def add_alerts(
        self, db: AsyncSession, clinicians: dict[int, int], awaiting_review: set[str]
    ) -> None:
        """One safety alert per item-9 answer; all acknowledged except the recent ones awaiting review."""
        found = await db.execute(
            select(
                col(CheckIn.id),
                col(CheckIn.patient_id),
                col(CheckIn.item9),
                col(CheckIn.taken_at),
                col(CheckIn.idempotency_key),
            )
            .where(col(CheckIn.patient_id).in_(list(clinicians)), col(CheckIn.item9) >= 1)
            .order_by(col(CheckIn.id))
        )
        rows = []
        for checkin_id, patient_id, item9, taken_at, key in found.all():
            assert item9 is not None
            level = alert_level(item9)
            windows = self.alert_windows
            hours = (
                windows.urgent_alert_window_hours
                if level == "urgent"
                else windows.alert_window_hours
            )
            escalate_at = taken_at + timedelta(hours=hours)
            row: dict[str, Any] = {
                "clinic_id": self.clinic_id,
                "patient_id": patient_id,
                "checkin_id": checkin_id,
                "item9": item9,
                "level": level,
                "created_at": taken_at,
                "escalate_at": escalate_at,
                "escalated_at": None,
                "status": "open",
                "acknowledged_at": None,
                "acknowledged_by": None,
                "ack_note": None,
            }
            if key in awaiting_review:
                # Left open for the clinician to find at the top of the inbox; escalation is
                # the reminders issue's to send, so nothing claims it has gone out.
                self.open_alerts += 1
            else:
                minutes = hours * 60
                # Most are acknowledged inside the window; about one in ten after it.
                late = self.rng.random() < 0.1
                share = self.rng.uniform(1.1, 2.0) if late else self.rng.uniform(0.15, 0.85)
                delay = timedelta(minutes=round(minutes * share))
                notes = URGENT_ACK_NOTES if level == "urgent" else ACK_NOTES
                row.update(
                    status="acknowledged",
                    acknowledged_at=min(taken_at + delay, self.now - timedelta(minutes=1)),
                    acknowledged_by=clinicians[patient_id],
                    ack_note=self.rng.choice(notes),
                )
            rows.append(row)
        if rows:
            await db.execute(insert(_table(SafetyAlert)), rows)
        self.alerts += len(rows)


async def _insert_returning_ids(
    db: AsyncSession, model: type[User] | type[Patient], rows: list[dict[str, Any]]
) -> list[int]:
    """Bulk insert and the new ids, in the order of `rows`."""
    table = _table(model)
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids: list[int] = []
    for chunk in _chunks(rows, ROWS_PER_INSERT):
        ids.extend((await db.execute(statement, chunk)).scalars().all())
    return ids


def _table(model: type[SQLModel]) -> Table:
    """The Core table of a model. Core executemany sends a whole chunk at once; ORM bulk
    inserts split a chunk wherever a row leaves a different column empty (here: per row)."""
    return SQLModel.metadata.tables[str(model.__tablename__)]


async def _existing_summary(db: AsyncSession, clinic_id: int) -> DemoSummary:
    """Counts and logins of the demo clinic that is already there."""
    staff = (
        await db.scalars(
            select(col(User.email))
            .where(col(User.clinic_id) == clinic_id, col(User.role) != "patient")
            .order_by(col(User.id))  # admin, then the clinicians, as created
        )
    ).all()
    patient_emails = (
        await db.scalars(
            select(col(User.email))
            .where(col(User.clinic_id) == clinic_id, col(User.role) == "patient")
            .order_by(col(User.email))
            .limit(LISTED_PATIENT_LOGINS + 1)
        )
    ).all()
    patients = await _count(db, select(func.count()).where(col(Patient.clinic_id) == clinic_id))
    in_clinic = select(col(Patient.id)).where(col(Patient.clinic_id) == clinic_id)
    checkins = await _count(db, select(func.count()).where(col(CheckIn.patient_id).in_(in_clinic)))
    infusions = await _count(
        db, select(func.count()).where(col(Infusion.patient_id).in_(in_clinic))
    )
    events = await _count(
        db, select(func.count()).where(col(ClinicalEvent.patient_id).in_(in_clinic))
    )
    alerts = await _count(db, select(func.count()).where(col(SafetyAlert.clinic_id) == clinic_id))
    open_alerts = await _count(
        db,
        select(func.count()).where(
            col(SafetyAlert.clinic_id) == clinic_id, col(SafetyAlert.status) == "open"
        ),
    )
    listed = list(patient_emails[:LISTED_PATIENT_LOGINS])
    return DemoSummary(
        logins=[*staff, *listed, *_more_line(patients - len(listed))],
        patients=patients,
        checkins=checkins,
        infusions=infusions,
        alerts=alerts,
        open_alerts=open_alerts,
        clinical_events=events,
        already_seeded=True,
    )


async def _count(db: AsyncSession, statement: Any) -> int:
    return int(await db.scalar(statement) or 0)


def _logins(patient_emails: list[str]) -> list[str]:
    listed = patient_emails[:LISTED_PATIENT_LOGINS]
    hidden = len(patient_emails) - len(listed)
    return [ADMIN_EMAIL, *CLINICIAN_EMAILS, *listed, *_more_line(hidden, patient_emails[-1:])]


def _more_line(hidden: int, last: Sequence[str] = ()) -> list[str]:
    """One line standing for the patient logins not listed."""
    if hidden <= 0:
        return []
    up_to = f", up to {last[0]}" if last else ""
    return [f"... and {hidden} more patient logins{up_to}"]


def _batches(items: Iterable[PatientHistory], size: int) -> Iterator[list[PatientHistory]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _show_progress(done: int, total: int, width: int = 30) -> None:
    filled = width * done // total if total else width
    bar = "#" * filled + "." * (width - filled)
    print(f"\rSeeding patients [{bar}] {done}/{total}", end="", file=sys.stderr, flush=True)
