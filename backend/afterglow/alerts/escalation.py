"""Escalating safety alerts nobody acknowledged in time (CLINICAL.md §5).

When an item-9 alert is still open at its `escalate_at`, the tick pushes it to every active
clinician of the clinic, marks it escalated and audits who was told, all in one transaction, so
an alert escalates exactly once. A clinician with no device that takes notifications gets it by
email instead, and the clinic's on-call clinician by email as well as by push (alerts/email.py).
The notification and the email name no patient and no score: they show on lock screens. Both
open the alert in the clinician workspace.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, cast

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.clinic_settings import clinic_settings
from afterglow.accounts.models import Clinic, User
from afterglow.alerts.email import (
    NO_DEVICE,
    ON_CALL,
    escalation_push_key,
    queue_escalation_emails,
)
from afterglow.alerts.models import SafetyAlert
from afterglow.audit.service import record_operator_audit
from afterglow.catalogue import ENGLISH, catalogue
from afterglow.operations.failures import failure_summary
from afterglow.push.models import PushSubscription
from afterglow.push.outbox import ClaimedMessage, Notification, queue_notifications

log = logging.getLogger(__name__)

# An escalation keeps trying to reach a device for this long.
ESCALATION_LIFETIME = timedelta(hours=24)
ESCALATION_BATCH = 100


class DueAlert(NamedTuple):
    """What escalating one open alert needs to know of it."""

    id: int
    clinic_id: int
    patient_id: int
    level: str


@dataclass(frozen=True)
class Escalations:
    alerts: int  # how many alerts escalated
    claimed: list[ClaimedMessage]  # their pushes, leased to `claim_for`, to send now


async def escalate_due_alerts(
    db: AsyncSession, now: datetime, *, claim_for: str | None = None
) -> Escalations:
    """Escalate every open alert whose window has run out, in `db`'s transaction.

    With `claim_for` (a tick's name) the pushes come back leased to that tick, which sends them
    at once; without, they wait in the outbox for any tick.
    """
    # Plain values, not ORM objects: a savepoint rolled back for one alert expires loaded
    # objects, and the others must still be readable without a lazy load.
    alerts = [
        DueAlert(cast(int, alert_id), clinic_id, patient_id, level)
        for alert_id, clinic_id, patient_id, level in await db.execute(
            select(
                col(SafetyAlert.id),
                col(SafetyAlert.clinic_id),
                col(SafetyAlert.patient_id),
                col(SafetyAlert.level),
            )
            .where(
                col(SafetyAlert.status) == "open",
                col(SafetyAlert.escalate_at) <= now,
                col(SafetyAlert.escalated_at).is_(None),
            )
            .order_by(col(SafetyAlert.escalate_at))
            .limit(ESCALATION_BATCH)
            .with_for_update(skip_locked=True)
        )
    ]
    claimed: list[ClaimedMessage] = []
    escalated = 0
    failure: Exception | None = None
    for alert in alerts:
        # One alert that cannot be escalated (a row the database refuses) must not keep the
        # others from their clinicians: each is its own savepoint, and a failed one stays due,
        # so the next tick tries it again.
        try:
            async with db.begin_nested():
                claimed += await _escalate(db, alert, now, claim_for)
        except Exception as error:
            log.error(
                "alert %s could not be escalated (%s); the next tick tries again",
                alert.id,
                failure_summary(error),
            )
            failure = error
            continue
        escalated += 1
    if failure is not None and escalated == 0:
        # Not one went through: the fault is the system's (a table missing, the database
        # refusing writes), and the tick counts the escalation phase as failed.
        raise failure
    return Escalations(escalated, claimed)


async def _escalate(
    db: AsyncSession, alert: DueAlert, now: datetime, claim_for: str | None
) -> list[ClaimedMessage]:
    """Queue one alert's pushes and emails, mark it escalated and audit who was told."""
    recipients = await escalation_recipients(db, alert.clinic_id)
    on_call = await _on_call(db, alert.clinic_id)
    reachable = await with_working_device(db, recipients)
    claimed = await queue_notifications(
        db,
        [_escalation(alert, user_id, now) for user_id in recipients if user_id in reachable],
        claim_for=claim_for,
        now=now,
    )
    emailed = [
        (user_id, ON_CALL if user_id in reachable else NO_DEVICE)
        for user_id in recipients
        if user_id not in reachable or user_id == on_call
    ]
    await queue_escalation_emails(db, alert.id, emailed, now)
    await db.execute(
        update(SafetyAlert)
        .where(col(SafetyAlert.id) == alert.id)
        .values(escalated_at=now, updated_at=now)
    )
    record_operator_audit(
        db,
        alert.clinic_id,
        "alert.escalate",
        patient_id=alert.patient_id,
        detail={
            "alert_id": alert.id,
            "level": alert.level,
            "recipients": recipients,
            "emailed_user_ids": [user_id for user_id, _ in emailed],
        },
        actor_role="system",
    )
    await db.flush()
    return claimed


async def with_working_device(db: AsyncSession, user_ids: list[int]) -> set[int]:
    """Those of `user_ids` with at least one device that is not broken."""
    if not user_ids:
        return set()
    rows = await db.execute(
        select(col(PushSubscription.user_id))
        .where(
            col(PushSubscription.user_id).in_(user_ids),
            col(PushSubscription.broken_at).is_(None),
        )
        .distinct()
    )
    return set(rows.scalars())


async def escalation_recipients(db: AsyncSession, clinic_id: int) -> list[int]:
    """Every active clinician of the clinic, and the on-call clinician, each once."""
    clinicians = (
        await db.execute(
            select(col(User.id)).where(
                col(User.clinic_id) == clinic_id,
                col(User.role) == "clinician",
                col(User.is_active).is_(True),
            )
        )
    ).scalars()
    recipients = {user_id for user_id in clinicians if user_id is not None}
    on_call = await _on_call(db, clinic_id)
    if on_call is not None:
        recipients.add(on_call)
    return sorted(recipients)


async def _on_call(db: AsyncSession, clinic_id: int) -> int | None:
    """The clinic's on-call clinician, if its settings name an active clinician of the clinic.

    Settings that cannot be read (an old shape, a hand edit, an id the database cannot hold)
    must not keep the alert from its clinicians: logged, and the alert goes to them alone. The
    savepoint keeps a database error here from ending the escalation's transaction.
    """
    try:
        async with db.begin_nested():
            clinic = await db.get(Clinic, clinic_id)
            assert clinic is not None
            on_call = clinic_settings(clinic.settings).on_call_user_id
            if on_call is None:
                return None
            user = await db.get(User, on_call)
    except Exception as error:
        log.error(
            "clinic %s: its on-call setting could not be read (%s); escalating to its "
            "clinicians only",
            clinic_id,
            failure_summary(error),
        )
        return None
    # An admin does not open patient records: an alert's link would be no use to them.
    if (
        user is not None
        and user.clinic_id == clinic_id
        and user.is_active
        and user.role == "clinician"
    ):
        return on_call
    return None


def _escalation(alert: DueAlert, user_id: int, now: datetime) -> Notification:
    urgent = alert.level == "urgent"
    # Staff read these; staff have no language setting, so the catalogue's English.
    _, (title, body) = catalogue().texts(
        ENGLISH,
        "notification.alert_escalation.title_urgent"
        if urgent
        else "notification.alert_escalation.title",
        "notification.alert_escalation.body",
    )
    return Notification(
        recipient_user_id=user_id,
        patient_id=alert.patient_id,
        kind="alert_escalation",
        send_key=escalation_push_key(alert.id),
        payload={
            "title": title,
            "body": body,
            # The workspace's own service worker opens it (pwa/clinic/sw.js).
            "url": f"/clinic/#/alerts/{alert.id}",
            "kind": "alert_escalation",
            "tag": f"alert-{alert.id}",
            "lang": ENGLISH,
        },
        topic=f"alert-{alert.id}",
        urgency="high",
        fire_at=now,
        expires_at=now + ESCALATION_LIFETIME,
    )
