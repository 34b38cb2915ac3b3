"""Escalation emails: how an overdue safety alert reaches staff that a push cannot (CLINICAL.md §5).

An email is queued once per (alert, recipient): at escalation for a recipient with no device that
takes notifications, and for the on-call clinician whatever their devices; later, by the tick,
for a recipient whose push failed, expired or was still not delivered after `PUSH_GRACE`. Any
instance's tick sends what is due: it claims emails with a lease by one conditional UPDATE
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, SQLite's single writer elsewhere), sends outside any
transaction, and records each outcome only while it still holds the lease, as the push outbox
does. One recipient's failure is logged and recorded; the others are sent.

The email says only that an urgent alert waits, with a link to it in the workspace: no patient
name, no score, no note (an inbox is read on shared screens and kept by mail providers).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import String, and_, literal, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import SQLModel, col

from afterglow.accounts.models import User
from afterglow.alerts.models import EscalationEmail, SafetyAlert
from afterglow.db import session_maker
from afterglow.leases import claim_due
from afterglow.mail import Mailer, MailOutcome, MailResult
from afterglow.push.models import PushMessage

log = logging.getLogger(__name__)

# An escalation email keeps being tried for as long as its push would be.
EMAIL_LIFETIME = timedelta(hours=24)
# A push to a device not delivered by then (its push service keeps failing): email too.
PUSH_GRACE = timedelta(minutes=10)
# Longer than a slow SMTP exchange (timeouts are 10 s), so a live tick never loses its claim.
LEASE = timedelta(minutes=2)
EMAIL_BATCH = 50
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(minutes=30)
SEND_CONCURRENCY = 10

# Why an email was sent rather than (or beside) a push.
NO_DEVICE = "no_device"
PUSH_FAILED = "push_failed"
ON_CALL = "on_call"

_EMAILS = SQLModel.metadata.tables[EscalationEmail.__tablename__]


def escalation_push_key(alert_id: int) -> str:
    """The send key of an alert's escalation push (one per recipient)."""
    return f"alert-{alert_id}-escalation"


def escalation_push_key_of(alert_id: Any) -> Any:
    """`escalation_push_key` in SQL, for a column or expression holding the alert id."""
    return literal("alert-", String) + sql_cast(alert_id, String) + literal("-escalation", String)


def alert_link(public_url: str, alert_id: int) -> str:
    """Where a notification or email about an alert opens it: the workspace, not the patient app."""
    return f"{public_url.rstrip('/')}/clinic/#/alerts/{alert_id}"


async def queue_escalation_emails(
    db: AsyncSession, alert_id: int, recipients: Iterable[tuple[int, str]], now: datetime
) -> None:
    """Queue one email per (recipient, reason) given; one already queued for them stays as it is."""
    rows = [
        {
            "alert_id": alert_id,
            "recipient_user_id": user_id,
            "reason": reason,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "expires_at": now + EMAIL_LIFETIME,
            "created_at": now,
            "updated_at": now,
        }
        for user_id, reason in recipients
    ]
    if not rows:
        return
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    await db.execute(
        insert(_EMAILS).on_conflict_do_nothing(index_elements=["alert_id", "recipient_user_id"]),
        rows,
    )


async def queue_fallback_emails(db: AsyncSession, now: datetime) -> int:
    """Email the recipients of open alerts whose escalation push did not get through.

    Driven by the few escalated, still open alerts of the last day; their pushes are found by
    patient (indexed) and send key.
    """
    key = escalation_push_key_of(col(SafetyAlert.id))
    undelivered = or_(
        col(PushMessage.status).in_(("failed", "expired")),
        and_(col(PushMessage.status) == "queued", col(PushMessage.created_at) <= now - PUSH_GRACE),
    )
    already = (
        select(col(EscalationEmail.id))
        .where(
            col(EscalationEmail.alert_id) == col(SafetyAlert.id),
            col(EscalationEmail.recipient_user_id) == col(PushMessage.recipient_user_id),
        )
        .exists()
    )
    rows = (
        await db.execute(
            select(col(SafetyAlert.id), col(PushMessage.recipient_user_id))
            .join(
                PushMessage,
                and_(
                    col(PushMessage.patient_id) == col(SafetyAlert.patient_id),
                    col(PushMessage.send_key) == key,
                ),
            )
            .where(
                col(SafetyAlert.status) == "open",
                col(SafetyAlert.escalated_at).is_not(None),
                col(SafetyAlert.escalated_at) >= now - EMAIL_LIFETIME,
                col(PushMessage.kind) == "alert_escalation",
                undelivered,
                ~already,
            )
        )
    ).all()
    for alert_id, user_id in rows:
        await queue_escalation_emails(db, cast(int, alert_id), [(user_id, PUSH_FAILED)], now)
    return len(rows)


@dataclass(frozen=True)
class ClaimedEmail:
    """An email this tick holds the lease of, with what it takes to send it."""

    id: int
    alert_id: int
    recipient_user_id: int
    reason: str
    attempts: int
    expires_at: datetime
    address: str | None  # None: the recipient is gone or no longer active
    alert_open: bool


async def claim_due_emails(
    db: AsyncSession, now: datetime, owner: str, limit: int = EMAIL_BATCH
) -> list[ClaimedEmail]:
    """Take up to `limit` due emails for this tick by setting a lease on them (in `db`'s txn)."""
    claimed = await claim_due(
        db,
        EscalationEmail,
        due=[
            col(EscalationEmail.status) == "queued",
            col(EscalationEmail.next_attempt_at) <= now,
        ],
        order_by=[col(EscalationEmail.next_attempt_at)],
        now=now,
        owner=owner,
        lease=LEASE,
        limit=limit,
        returning=[
            col(EscalationEmail.id),
            col(EscalationEmail.alert_id),
            col(EscalationEmail.recipient_user_id),
            col(EscalationEmail.reason),
            col(EscalationEmail.attempts),
            col(EscalationEmail.expires_at),
        ],
    )
    if not claimed:
        return []
    users = {
        user_id: (email, active)
        for user_id, email, active in await db.execute(
            select(col(User.id), col(User.email), col(User.is_active)).where(
                col(User.id).in_({row[2] for row in claimed})
            )
        )
    }
    open_alerts = set(
        (
            await db.execute(
                select(col(SafetyAlert.id)).where(
                    col(SafetyAlert.id).in_({row[1] for row in claimed}),
                    col(SafetyAlert.status) == "open",
                )
            )
        ).scalars()
    )
    emails = []
    for email_id, alert_id, user_id, reason, attempts, expires_at in claimed:
        address, active = users.get(user_id, (None, False))
        emails.append(
            ClaimedEmail(
                cast(int, email_id),
                alert_id,
                user_id,
                reason,
                attempts,
                expires_at,
                address if active and address else None,
                alert_id in open_alerts,
            )
        )
    return emails


def escalation_email_text(public_url: str, alert_id: int, reason: str) -> tuple[str, str]:
    """The subject and body: that an urgent alert waits, and the link. Nothing of the patient."""
    why = {
        NO_DEVICE: "You get this by email because no device of yours has notifications turned "
        "on for Afterglow. Turn them on in the workspace (Notifications) to get alerts there.",
        PUSH_FAILED: "You get this by email because the notification to your device could not "
        "be delivered.",
        ON_CALL: "You get this by email as well as on your devices because you are the clinic's "
        "on-call clinician.",
    }[reason]
    body = (
        "An urgent safety alert at your clinic has not been acknowledged in time.\n\n"
        "Open it in the clinic workspace (you will be asked to sign in):\n"
        f"{alert_link(public_url, alert_id)}\n\n"
        "This email leaves out everything about the patient on purpose.\n"
        f"{why}\n"
    )
    return "Urgent: a safety alert is waiting in Afterglow", body


@dataclass(frozen=True)
class EmailVerdict:
    status: str
    next_attempt_at: datetime
    error: str | None
    sent_at: datetime | None


def judge_email(
    result: MailResult | None, *, attempts: int, now: datetime, expires_at: datetime, skipped: str
) -> EmailVerdict:
    """Sent; queued again with a backoff (30 s doubling to 30 min) while its time lasts; failed.

    `result` None: not sent, for the reason `skipped` says (the alert was acknowledged).
    """
    if result is None:
        return EmailVerdict("skipped", now, skipped, None)
    if result.outcome is MailOutcome.SENT:
        return EmailVerdict("sent", now, None, now)
    if result.outcome is MailOutcome.RETRY:
        retry_at = now + min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)
        if retry_at < expires_at:
            return EmailVerdict("queued", retry_at, result.error, None)
        return EmailVerdict("failed", now, f"gave up after {attempts} tries: {result.error}", None)
    return EmailVerdict("failed", now, result.error, None)


async def _send_one(mailer: Mailer, email: ClaimedEmail, now: datetime) -> MailResult | None:
    if not email.alert_open:
        return None
    if now >= email.expires_at:
        return MailResult(MailOutcome.REFUSED, "its time ran out before it could be sent")
    if email.address is None:
        return MailResult(MailOutcome.REFUSED, "the recipient has no active account with an email")
    subject, body = escalation_email_text(mailer.public_url, email.alert_id, email.reason)
    try:
        message = mailer.message(email.address, subject, body)
    except Exception as error:  # an address the email library cannot put in a header
        return MailResult(MailOutcome.REFUSED, f"the address cannot be used: {error}"[:300])
    return await mailer.send(message)


async def send_escalation_emails(
    engine: AsyncEngine, mailer: Mailer, owner: str, *, clock: Callable[[], datetime]
) -> int:
    """One round: queue emails for pushes that did not get through, claim the due ones, send
    them, record each outcome. Returns how many were claimed."""
    sessions = session_maker(engine)
    async with sessions() as db, db.begin():
        await queue_fallback_emails(db, clock())
        claimed = await claim_due_emails(db, clock(), owner)
    if not claimed:
        return 0
    lanes = asyncio.Semaphore(SEND_CONCURRENCY)

    async def send(email: ClaimedEmail) -> MailResult | None:
        async with lanes:
            return await _send_one(mailer, email, clock())

    results = await asyncio.gather(*(send(email) for email in claimed))
    await _record(sessions, claimed, results, owner, clock())
    return len(claimed)


async def _record(
    sessions: Any,
    claimed: Sequence[ClaimedEmail],
    results: Sequence[MailResult | None],
    owner: str,
    now: datetime,
) -> None:
    """Each outcome in a savepoint of its own, only where this tick still holds the lease: one
    row the database refuses is logged and keeps its lease (tried again when it runs out)."""
    async with sessions() as db, db.begin():
        for email, result in zip(claimed, results, strict=True):
            verdict = judge_email(
                result,
                attempts=email.attempts,
                now=now,
                expires_at=email.expires_at,
                skipped="the alert was acknowledged before this email went out",
            )
            if verdict.status != "sent":
                log.warning(
                    "escalation email %s (alert %s, user %s): %s%s",
                    email.id,
                    email.alert_id,
                    email.recipient_user_id,
                    verdict.status,
                    f" ({verdict.error})" if verdict.error else "",
                )
            try:
                async with db.begin_nested():
                    await db.execute(
                        update(EscalationEmail)
                        .where(
                            col(EscalationEmail.id) == email.id,
                            col(EscalationEmail.lease_owner) == owner,
                        )
                        .values(
                            status=verdict.status,
                            next_attempt_at=verdict.next_attempt_at,
                            last_error=_storable(verdict.error),
                            sent_at=verdict.sent_at,
                            lease_until=None,
                            lease_owner=None,
                            updated_at=now,
                        )
                    )
            except Exception:
                log.exception("could not record the outcome of escalation email %s", email.id)


def _storable(error: str | None) -> str | None:
    """Error text any database can hold: PostgreSQL text cannot hold NUL; the column is 500."""
    return None if error is None else error.replace("\x00", "")[:500]
