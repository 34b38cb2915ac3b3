"""Tables for push devices and for every push message Afterglow queues, sends or gives up on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class PushSubscription(SQLModel, table=True):
    """One device (browser) of one user that accepts Web Push, as its push service gave it."""

    __tablename__ = "push_subscription"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    # The push service's URL for this device; unique: a device re-subscribing replaces its row.
    endpoint: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)
    device_label: str = Field(max_length=100)
    created_at: datetime
    last_sent_at: datetime | None = None
    # Sends in a row that failed for this device alone (its keys or endpoint could not be used).
    failure_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Set after too many such failures: the device is no longer sent to until it subscribes again.
    broken_at: datetime | None = None


class PushMessage(SQLModel, table=True):
    """One notification to one user, from queued to its outcome; the record clinicians see.

    `send_key` is unique per recipient (a reminder's slot key, an alert's escalation key), so a
    retry, a replan or a second instance can never queue the same notification twice.
    `status`: queued (waiting for its first or next attempt), sent (a device's push service
    accepted it), failed (no device took it and trying again cannot help), expired (its moment
    passed before it could be delivered), skipped (the check-in it asked for was already done).
    A tick that is delivering holds a lease (`lease_until`); when it runs out, another tick may.
    """

    __tablename__ = "push_message"
    __table_args__ = (
        UniqueConstraint("recipient_user_id", "send_key"),
        # Only messages still waiting are indexed for the tick: sent ones pile up, queued stay few.
        Index(
            "ix_push_message_due",
            "next_attempt_at",
            postgresql_where=text("status = 'queued'"),
            sqlite_where=text("status = 'queued'"),
        ),
        Index("ix_push_message_patient", "patient_id", "fire_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    recipient_user_id: int = Field(foreign_key="app_user.id")
    # The patient it is about: the patient themself for a reminder, the alert's patient for an
    # escalation.
    patient_id: int | None = Field(default=None, foreign_key="patient.id")
    kind: str = Field(max_length=32)
    send_key: str = Field(max_length=100)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    topic: str = Field(max_length=32)
    urgency: str = Field(max_length=8)  # very-low | low | normal | high
    status: str = Field(max_length=16)
    fire_at: datetime
    expires_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    lease_until: datetime | None = None
    lease_owner: str | None = Field(default=None, max_length=64)
    # The push service's last HTTP status, and what went wrong, for the clinician's view.
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    sent_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
