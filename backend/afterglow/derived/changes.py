"""Marking what changed. Light on purpose: every writer imports this, it imports no service."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_session
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util import await_only

Change = Literal[
    "checkin",  # a check-in other than a PHQ-9 or GAD-7: last check-in time, and mood can turn waning
    "phq9",  # a PHQ-9 (or one imported): can move any relief episode
    "gad7",  # a GAD-7: last check-in time, and it awaits a clinician's review
    "review",  # a clinician marked the patient's PHQ-9s and GAD-7s reviewed
    "infusion",  # recorded, corrected or removed
    "event",  # a clinical event (hospitalisation, medication change ...)
    "alert",  # a safety alert raised or acknowledged
    "patient",  # enrolled, moved to another time zone, deactivated or back
    "reminders",  # the patient's reminder settings
    "devices",  # the patient's push devices
    "relief_status",  # a daily mood turned the relief status (waning, or back)
]

Consumer = Literal["relief", "last_checkin", "alert_count", "triage_order", "reminder_plan"]

CONSUMERS: dict[Consumer, str] = {
    # Each consumer's updater, `async (db, patient_id, now) -> None`, in the order they run.
    # Named, not imported: every writer imports this module, and the updaters import writers.
    "relief": "afterglow.relief.service:refresh_patient_relief",
    "last_checkin": "afterglow.relief.service:note_checkin",
    "alert_count": "afterglow.relief.service:recount_open_alerts",
    "triage_order": "afterglow.relief.triage:reorder_patient",
    "reminder_plan": "afterglow.reminders.service:replan_patient",
}
COVERED_BY: dict[Consumer, Consumer] = {
    # Re-deriving relief rewrites the whole triage summary, last check-in and alert count included.
    "last_checkin": "relief",
    "alert_count": "relief",
    "triage_order": "relief",
}

AFFECTS: dict[Change, frozenset[Consumer]] = {
    "checkin": frozenset({"last_checkin"}),
    # A PHQ-9 can start or settle a confirmation, which adaptive check-ins ask for on its day.
    "phq9": frozenset({"relief", "reminder_plan"}),
    "gad7": frozenset({"last_checkin", "triage_order"}),
    "review": frozenset({"triage_order"}),
    "infusion": frozenset({"relief", "reminder_plan"}),
    "event": frozenset({"relief"}),
    "alert": frozenset({"alert_count", "triage_order"}),
    "patient": frozenset({"relief", "reminder_plan"}),
    # Daily mood on or off changes when the data stop being recent (CLINICAL.md §4).
    "reminders": frozenset({"reminder_plan", "relief"}),
    "devices": frozenset({"reminder_plan"}),
    # Relief newly waning asks for an extra PHQ-9 at once (reminders/adaptive.py).
    "relief_status": frozenset({"reminder_plan"}),
}
"""What each kind of change makes out of date. A new kind of record, or a new consumer of one, is
a line or two in this file and nowhere else."""


def checkin_change(instrument: str) -> Change:
    """What a new check-in of this instrument changes."""
    return "phq9" if instrument == "phq9" else "gad7" if instrument == "gad7" else "checkin"


_KEY = "afterglow.changed"
_NOW = "afterglow.changed_at"


def changed(db: AsyncSession | Session, patient_id: int, what: Change, now: datetime) -> None:
    """Say that `what` changed for this patient; its derived state is brought up to date once,
    just before this transaction commits. `now` is the writer's clock (the latest one wins)."""
    marks: dict[int, set[Consumer]] = db.info.setdefault(_KEY, {})
    marks.setdefault(patient_id, set()).update(AFFECTS[what])
    previous = db.info.get(_NOW)
    db.info[_NOW] = now if previous is None else max(previous, now)


def pending_changes(db: AsyncSession | Session) -> dict[int, set[Consumer]]:
    """What is marked and not yet brought up to date (for tests and the updater)."""
    marks: dict[int, set[Consumer]] = db.info.get(_KEY, {})
    return marks


def _take(session: Session) -> tuple[dict[int, set[Consumer]], datetime | None]:
    marks: dict[int, set[Consumer]] = session.info.pop(_KEY, {})
    return marks, session.info.pop(_NOW, None)


@event.listens_for(Session, "before_commit")
def _bring_up_to_date_before_commit(session: Session) -> None:
    if not session.info.get(_KEY):
        return
    from afterglow.derived.updater import bring_up_to_date

    proxy = async_session(session)
    if proxy is None:
        raise RuntimeError("derived state is kept by async sessions only")
    # An updater may in turn say what it changed (a mood that turns relief waning changes the
    # reminder plan): that is brought up to date too, before the same commit.
    while session.info.get(_KEY):
        marks, now = _take(session)
        assert now is not None
        # Runs inside the greenlet the AsyncSession's commit() already started, so the async
        # updater can use the same session and connection, in the same transaction.
        await_only(bring_up_to_date(proxy, marks, now))


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    # What the whole transaction marked is gone with it; a savepoint's rollback keeps the
    # marks (deriving a patient once more than needed is harmless).
    if previous_transaction.parent is None:
        _take(session)
