"""Reminder settings, keeping each patient's next reminder current, and the tick's planning round."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, time, timedelta
from typing import cast

from sqlalchemy import and_, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from afterglow.accounts.models import Patient, User
from afterglow.accounts.service import checked_timezone
from afterglow.checkins.models import CheckIn
from afterglow.derived import changed
from afterglow.errors import invalid
from afterglow.infusions.models import Infusion
from afterglow.journal.models import JournalEntry
from afterglow.operations.failures import failure_summary
from afterglow.operations.metrics import PLANS_SET_ASIDE
from afterglow.push.models import PushMessage, PushSubscription
from afterglow.push.outbox import ClaimedMessage, among, queue_notifications
from afterglow.relief.models import PatientSummary
from afterglow.reminders import schemas
from afterglow.reminders.adaptive_service import extra_checkins_out, load_adaptive_facts
from afterglow.reminders.models import ReminderPlan
from afterglow.reminders.planning import (
    HISTORY,
    LOOKAHEAD,
    PatientForReminders,
    PlanState,
    due_notifications,
    extra_asked,
    replanned,
    upcoming,
)
from afterglow.reminders.schedule import (
    INSTRUMENT,
    CheckinStamp,
    InfusionAnchor,
    ReminderKind,
    ReminderSchedule,
    ScheduleError,
)

log = logging.getLogger(__name__)

PLAN_BATCH = 500
# A plan that cannot be worked (a stored time inside quiet hours, a value that cannot be read) is
# tried again this much later, so that it never comes first at every tick.
PLAN_RETRY = timedelta(minutes=15)
_ASKED_FOR = ("mood", "phq9", "gad7", "after")
JOURNAL_STAMP = INSTRUMENT[ReminderKind.JOURNAL]


async def reminder_plan(db: AsyncSession, patient: Patient, now: datetime) -> ReminderPlan:
    """The patient's plan row, made with the clinical defaults the first time it is needed."""
    assert patient.id is not None
    plan = await db.get(ReminderPlan, patient.id)
    if plan is None:
        plan = ReminderPlan(
            patient_id=patient.id,
            planned_timezone=patient.timezone,
            planned_through=now,
            updated_at=now,
        )
        db.add(plan)
        await db.flush()
    return plan


async def replan_patient(db: AsyncSession, patient_id: int, now: datetime) -> ReminderPlan:
    """Recompute a patient's next reminder after something it depends on changed.

    Called by derived.updater before the commit of a change it depends on (reminder settings,
    the patient's time zone or account, infusions, push devices).
    """
    patient = await db.get(Patient, patient_id)
    assert patient is not None
    plan = await reminder_plan(db, patient, now)
    loaded = await patients_for_reminders(db, [patient_id], now)
    try:
        state = replanned(plan, loaded[patient_id], now)
    except Exception as error:
        # The change that asked for this (an infusion, a device) is kept all the same; the
        # plan is set aside as the tick would do it.
        plan.next_fire_at = now + PLAN_RETRY
        _report_unworkable(patient_id, error, plan.next_fire_at)
    else:
        _apply(plan, state, now)
    await db.flush()
    return plan


async def devices_changed(db: AsyncSession, user_id: int, now: datetime) -> None:
    """The push devices of this account changed: its patient's plan is brought up to date
    before commit (devices belong to users; staff have no plan)."""
    patient_id = await db.scalar(select(col(Patient.id)).where(col(Patient.user_id) == user_id))
    if patient_id is not None:
        changed(db, patient_id, "devices", now)


@dataclass(frozen=True)
class PlanningRound:
    plans: int  # how many due plans were taken, whether or not they could be worked
    claimed: list[ClaimedMessage]  # the new notifications, leased to `claim_for`, to send now
    set_aside: int = 0  # plans that could not be worked, tried again after PLAN_RETRY


async def plan_due_reminders(
    db: AsyncSession, now: datetime, limit: int = PLAN_BATCH, *, claim_for: str | None = None
) -> PlanningRound:
    """One planning round of the tick: due plans become queued notifications, in `db`'s txn.

    Plans are taken with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so ticks on several instances
    share the work; SQLite has one writer at a time. With `claim_for`, the new notifications
    come back leased to that tick (see `queue_notifications`).

    A plan that cannot be worked is set aside (logged by patient id, tried again after
    PLAN_RETRY) and the others go on: otherwise it would come first again at every tick and
    stop everyone's reminders. The round works all plans at once; only when that fails on
    something it could not pin to one plan (a stored value that cannot be read) does it work
    them one by one, each in a savepoint.
    """
    due = list(
        (
            await db.execute(
                select(col(ReminderPlan.patient_id))
                .where(col(ReminderPlan.next_fire_at) <= now)
                .order_by(col(ReminderPlan.next_fire_at))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    if not due:
        return PlanningRound(0, [])
    failed: dict[int, Exception] = {}
    try:
        async with db.begin_nested():
            claimed = await _work_plans(db, due, now, claim_for, failed)
    except Exception:
        failed.clear()
        claimed = []
        for patient_id in due:
            try:
                async with db.begin_nested():
                    claimed += await _work_plans(db, [patient_id], now, claim_for, failed)
            except Exception as error:
                failed[patient_id] = error
    if len(due) > 1 and len(failed) == len(due):
        # When every one of several plans fails, the cause is not in them (the database, a
        # migration not run, a bug): fail the round, set nobody's reminders aside.
        raise next(iter(failed.values()))
    if failed:
        await _set_aside(db, failed, now)
    return PlanningRound(len(due), claimed, len(failed))


async def _work_plans(
    db: AsyncSession,
    patient_ids: list[int],
    now: datetime,
    claim_for: str | None,
    failed: dict[int, Exception],
) -> list[ClaimedMessage]:
    """Queue the due notifications of these plans and move them on; a plan whose reminders
    cannot be worked out goes into `failed` untouched."""
    # Rows, not ORM objects: read once, never flushed (the plans move by one UPDATE below).
    dialect = db.get_bind().dialect.name
    plans = (
        await db.execute(select(_PLANS).where(among(_PLANS.c.patient_id, patient_ids, dialect)))
    ).all()
    patients = await patients_for_reminders(db, patient_ids, now)
    notifications = []
    moved: list[tuple[int, PlanState]] = []
    for plan in plans:
        try:
            due, state = due_notifications(cast(ReminderPlan, plan), patients[plan.patient_id], now)
        except Exception as error:
            failed[plan.patient_id] = error
            continue
        notifications.extend(due)
        moved.append((plan.patient_id, state))
    claimed = await queue_notifications(db, notifications, claim_for=claim_for, now=now)
    if moved:
        await _move_plans(db, moved, now, dialect)
    return claimed


async def _move_plans(
    db: AsyncSession, moved: list[tuple[int, PlanState]], now: datetime, dialect: str
) -> None:
    """Write the worked plans' new state: one statement whatever their number."""
    if dialect == "postgresql":
        # One array per column: no parameter per plan and column to bind.
        columns: dict[str, object] = {"patient_id": [patient_id for patient_id, _ in moved]}
        for name in _PLAN_COLUMNS:
            columns[name] = [getattr(state, name) for _, state in moved]
        await db.execute(_MOVE_PLANS, {**columns, "now": now})
        return
    await db.execute(
        update(_PLANS)
        .where(_PLANS.c.patient_id == bindparam("plan_id"))
        .values({name: bindparam(f"new_{name}") for name in (*_PLAN_COLUMNS, "updated_at")}),
        [
            {
                "plan_id": patient_id,
                **{f"new_{name}": value for name, value in _columns(state).items()},
                "new_updated_at": now,
            }
            for patient_id, state in moved
        ],
    )


_MOVE_PLANS = text(
    "UPDATE reminder_plan AS plan SET planned_timezone = moved.planned_timezone, "
    "previous_timezone = moved.previous_timezone, zone_changed_at = moved.zone_changed_at, "
    "waning_since = moved.waning_since, relief_status_seen = moved.relief_status_seen, "
    "planned_through = moved.planned_through, next_fire_at = moved.next_fire_at, "
    "updated_at = CAST(:now AS timestamptz) "
    "FROM unnest(CAST(:patient_id AS integer[]), CAST(:planned_timezone AS text[]), "
    "CAST(:previous_timezone AS text[]), CAST(:zone_changed_at AS timestamptz[]), "
    "CAST(:waning_since AS timestamptz[]), CAST(:relief_status_seen AS text[]), "
    "CAST(:planned_through AS timestamptz[]), CAST(:next_fire_at AS timestamptz[])) "
    "AS moved (patient_id, planned_timezone, previous_timezone, zone_changed_at, waning_since, "
    "relief_status_seen, planned_through, next_fire_at) "
    "WHERE plan.patient_id = moved.patient_id"
)


async def _set_aside(db: AsyncSession, failed: dict[int, Exception], now: datetime) -> None:
    """Move plans that could not be worked out of the tick's way until PLAN_RETRY from now.

    Everything else in the row stays: once the cause is mended (new settings replan it), the
    reminders due meanwhile go out or are recorded as expired as usual.
    """
    retry_at = now + PLAN_RETRY
    for patient_id, error in failed.items():
        _report_unworkable(patient_id, error, retry_at)
    await db.execute(
        update(_PLANS).where(_PLANS.c.patient_id.in_(list(failed))).values(next_fire_at=retry_at)
    )
    PLANS_SET_ASIDE.inc(len(failed))


def _report_unworkable(patient_id: int, error: Exception, retry_at: datetime | None) -> None:
    log.error(
        "reminder plan of patient %s could not be worked (%s)%s",
        patient_id,
        failure_summary(error),
        "" if retry_at is None else f"; tried again at {retry_at.isoformat()}",
    )


async def patients_for_reminders(
    db: AsyncSession, patient_ids: Sequence[int], now: datetime
) -> dict[int, PatientForReminders]:
    """What planning needs to know of each patient, in five queries however many patients."""
    dialect = db.get_bind().dialect.name
    rows = (
        await db.execute(
            select(
                col(Patient.id),
                col(Patient.user_id),
                col(Patient.timezone),
                col(Patient.locale),
                col(Patient.is_active),
                col(User.is_active),
                col(PatientSummary.relief_status),
            )
            .outerjoin(User, col(User.id) == col(Patient.user_id))
            .outerjoin(PatientSummary, col(PatientSummary.patient_id) == col(Patient.id))
            .where(among(col(Patient.id), patient_ids, dialect))
        )
    ).all()
    user_ids = [row[1] for row in rows if row[1] is not None]
    with_devices = set(
        (
            await db.execute(
                select(col(PushSubscription.user_id))
                .where(
                    among(col(PushSubscription.user_id), user_ids, dialect),
                    col(PushSubscription.broken_at).is_(None),
                )
                .distinct()
            )
        ).scalars()
    )
    infusions: dict[int, list[InfusionAnchor]] = defaultdict(list)
    for patient_id, infusion_id, given_at in await db.execute(
        select(col(Infusion.patient_id), col(Infusion.id), col(Infusion.given_at)).where(
            among(col(Infusion.patient_id), patient_ids, dialect),
            col(Infusion.deleted_at).is_(None),
            col(Infusion.given_at) > now - HISTORY,
            col(Infusion.given_at) <= now + LOOKAHEAD,
        )
    ):
        infusions[patient_id].append(InfusionAnchor(cast(int, infusion_id), given_at))
    checkins: dict[int, list[CheckinStamp]] = defaultdict(list)
    for patient_id, instrument, taken_at in await db.execute(
        select(col(CheckIn.patient_id), col(CheckIn.instrument), col(CheckIn.taken_at)).where(
            and_(
                among(col(CheckIn.patient_id), patient_ids, dialect),
                col(CheckIn.instrument).in_(_ASKED_FOR),
                col(CheckIn.taken_at) > now - HISTORY,
            )
        )
    ):
        checkins[patient_id].append(CheckinStamp(instrument, taken_at))
    # When journal entries were written (never their words): one answers the journal prompt.
    for patient_id, written_at in await db.execute(
        select(col(JournalEntry.patient_id), col(JournalEntry.written_at)).where(
            among(col(JournalEntry.patient_id), patient_ids, dialect),
            col(JournalEntry.written_at) > now - HISTORY,
        )
    ):
        checkins[patient_id].append(CheckinStamp(JOURNAL_STAMP, written_at))
    adaptive = await load_adaptive_facts(db, patient_ids, now)
    return {
        cast(int, patient_id): PatientForReminders(
            patient_id=cast(int, patient_id),
            user_id=user_id,
            timezone=timezone,
            locale=locale,
            reachable=bool(patient_active and user_active and user_id in with_devices),
            relief_status=relief_status,
            infusions=tuple(infusions[cast(int, patient_id)]),
            checkins=tuple(checkins[cast(int, patient_id)]),
            adaptive=adaptive[cast(int, patient_id)],
        )
        for (
            patient_id,
            user_id,
            timezone,
            locale,
            patient_active,
            user_active,
            relief_status,
        ) in rows
    }


_PLAN_COLUMNS = tuple(f.name for f in fields(PlanState))
_PLANS = SQLModel.metadata.tables[ReminderPlan.__tablename__]


def _columns(state: PlanState) -> dict[str, object]:
    return {name: getattr(state, name) for name in _PLAN_COLUMNS}


def _apply(plan: ReminderPlan, state: PlanState, now: datetime) -> None:
    for name, value in _columns(state).items():
        setattr(plan, name, value)
    plan.updated_at = now


async def reminder_settings(
    db: AsyncSession, patient: Patient, now: datetime
) -> schemas.ReminderSettingsOut:
    """The patient's schedule as they set it, their devices, and the next reminder it holds."""
    assert patient.id is not None
    plan = await reminder_plan(db, patient, now)
    loaded = (await patients_for_reminders(db, [patient.id], now))[patient.id]
    devices = 0
    if patient.user_id is not None:
        devices = (
            await db.scalar(
                select(func.count())
                .select_from(PushSubscription)
                .where(
                    col(PushSubscription.user_id) == patient.user_id,
                    col(PushSubscription.broken_at).is_(None),
                )
            )
            or 0
        )
    try:
        slot = upcoming(plan, loaded, now)
        asking = extra_asked(plan, loaded, now)
    except Exception as error:
        # Shown all the same: this screen is where the patient mends a plan that cannot work.
        _report_unworkable(patient.id, error, None)
        slot = asking = None
    return schemas.ReminderSettingsOut(
        timezone=patient.timezone,
        daily_mood_at=_hhmm(plan.daily_mood_at),
        weekly_phq9=_weekly_out(plan.weekly_phq9_weekday, plan.weekly_phq9_at),
        weekly_gad7=_weekly_out(plan.weekly_gad7_weekday, plan.weekly_gad7_at),
        quiet_start=plan.quiet_start.strftime("%H:%M"),
        quiet_end=plan.quiet_end.strftime("%H:%M"),
        infusion_nudges=plan.infusion_nudges,
        journal_prompts=plan.journal_prompts,
        push_devices=devices,
        next_reminder=(
            schemas.NextReminder(kind=slot.kind.value, fire_at=slot.fire_at, url=slot.url)
            if slot is not None
            else None
        ),
        extra_checkins=extra_checkins_out(loaded.adaptive, asking),
    )


async def change_reminder_settings(
    db: AsyncSession, patient: Patient, data: schemas.ReminderSettingsIn, now: datetime
) -> None:
    """Replace the patient's schedule (and time zone, if given) after checking it can work."""
    assert patient.id is not None
    timezone = patient.timezone
    if data.timezone is not None:
        timezone = checked_timezone(data.timezone)
    journal_prompts = data.journal_prompts
    if journal_prompts is None:
        existing = await db.get(ReminderPlan, patient.id)
        journal_prompts = existing.journal_prompts if existing is not None else True
    try:
        schedule = ReminderSchedule(
            timezone=timezone,
            daily_mood_at=None if data.daily_mood_at is None else _clock(data.daily_mood_at),
            weekly_phq9=_weekly_in(data.weekly_phq9),
            weekly_gad7=_weekly_in(data.weekly_gad7),
            quiet_start=_clock(data.quiet_start),
            quiet_end=_clock(data.quiet_end),
            infusion_nudges=data.infusion_nudges,
            journal_prompts=journal_prompts,
        )
    except ScheduleError as error:
        raise invalid(error.field, error.message) from None
    # A new plan starts in the new zone; an existing one notices the change when replanned.
    patient.timezone = timezone
    plan = await reminder_plan(db, patient, now)
    plan.daily_mood_at = schedule.daily_mood_at
    plan.weekly_phq9_weekday, plan.weekly_phq9_at = schedule.weekly_phq9 or (None, None)
    plan.weekly_gad7_weekday, plan.weekly_gad7_at = schedule.weekly_gad7 or (None, None)
    plan.quiet_start, plan.quiet_end = schedule.quiet_start, schedule.quiet_end
    plan.infusion_nudges = schedule.infusion_nudges
    plan.journal_prompts = schedule.journal_prompts
    changed(db, patient.id, "reminders", now)


async def patient_sends(
    db: AsyncSession, patient_id: int, *, limit: int, offset: int
) -> list[schemas.SendOut]:
    """Every notification about this patient, newest first."""
    rows = await db.execute(
        select(PushMessage)
        .where(col(PushMessage.patient_id) == patient_id)
        .order_by(col(PushMessage.fire_at).desc(), col(PushMessage.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return [
        schemas.SendOut(
            id=m.id or 0,
            kind=m.kind,
            send_key=m.send_key,
            recipient_user_id=m.recipient_user_id,
            status=m.status,
            fire_at=m.fire_at,
            expires_at=m.expires_at,
            attempts=m.attempts,
            last_status=m.last_status,
            last_error=m.last_error,
            sent_at=m.sent_at,
        )
        for m in rows.scalars()
    ]


def _clock(value: str) -> time:
    return time.fromisoformat(value)  # HH:MM, already checked by the schema


def _hhmm(value: time | None) -> str | None:
    return None if value is None else value.strftime("%H:%M")


def _weekly_in(value: schemas.Weekly | None) -> tuple[int, time] | None:
    if value is None:
        return None
    return (value.weekday, _clock(value.at))


def _weekly_out(weekday: int | None, at: time | None) -> schemas.Weekly | None:
    if weekday is None or at is None:
        return None
    return schemas.Weekly(weekday=weekday, at=at.strftime("%H:%M"))
