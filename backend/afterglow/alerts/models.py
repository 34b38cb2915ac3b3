"""The safety alert table (CLINICAL.md §5)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from afterglow.record_times import updated_at_field


class SafetyAlert(SQLModel, table=True):
    __tablename__ = "safety_alert"
    __table_args__ = (
        Index("ix_safety_alert_clinic_status", "clinic_id", "status", "created_at"),
        # The tick looks for open alerts whose window has run out.
        Index("ix_safety_alert_escalation", "status", "escalate_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: int = Field(foreign_key="clinic.id")
    patient_id: int = Field(foreign_key="patient.id", index=True)
    checkin_id: int = Field(foreign_key="checkin.id", unique=True)
    item9: int
    level: str = Field(max_length=16)  # urgent (item 9 >= 2) | warning
    status: str = Field(default="open", max_length=16)  # open | acknowledged
    created_at: datetime
    # When the clinic's acknowledgement window runs out and the alert escalates.
    escalate_at: datetime
    escalated_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: int | None = Field(default=None, foreign_key="app_user.id")
    ack_note: str | None = Field(default=None, max_length=4000)
    # When the alert last changed (raised, escalated, acknowledged): exports' `_since`.
    updated_at: datetime = updated_at_field("created_at")


class EscalationEmail(SQLModel, table=True):
    """One escalation email to one staff member: the push's stand-in when they have no device
    with notifications on, or when the push could not be delivered.

    Unique per (alert, recipient), so no instance queues it twice; a tick that sends holds a lease
    (`lease_until`, `lease_owner`), as push messages do, so no two instances send it. `status`:
    queued, sent (the SMTP server accepted it), failed (it cannot be sent: no email set up, the
    address refused, or its time ran out), skipped (the alert was acknowledged before it went).
    The message itself names no patient: only that an urgent alert waits, and a link.
    """

    __tablename__ = "escalation_email"
    __table_args__ = (
        UniqueConstraint("alert_id", "recipient_user_id"),
        Index(
            "ix_escalation_email_due",
            "next_attempt_at",
            postgresql_where=text("status = 'queued'"),
            sqlite_where=text("status = 'queued'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="safety_alert.id", index=True)
    recipient_user_id: int = Field(foreign_key="app_user.id")
    # no_device (nothing to push to) | push_failed (the push was not delivered in time)
    reason: str = Field(max_length=16)
    status: str = Field(max_length=16)
    attempts: int = 0
    next_attempt_at: datetime
    expires_at: datetime
    lease_until: datetime | None = None
    lease_owner: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, max_length=500)
    sent_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
