"""Request and response shapes of the safety alert inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec


class EscalationOut(msgspec.Struct):
    """One attempt to reach one staff member about an overdue alert."""

    recipient_user_id: int
    recipient_name: str
    channel: Literal["push", "email"]
    # queued (still being tried) | sent (delivered to the push service or the mail server) |
    # failed | expired (a push whose time ran out) | skipped (acknowledged before it went)
    status: str
    queued_at: datetime
    delivered_at: datetime | None = None
    # Why it was not delivered, in words (push service or mail server answer).
    error: str | None = None
    # Emails: why by email (no_device, push_failed, on_call).
    reason: str | None = None


class AlertOut(msgspec.Struct):
    id: int
    patient_id: int
    patient_name: str
    checkin_id: int
    item9: int
    level: str
    status: str
    created_at: datetime
    escalate_at: datetime
    overdue: bool
    escalated_at: datetime | None = None
    # None until escalated; then `sending` (still being tried), `delivered` (reached at least one
    # person) or `not_delivered` (reached nobody: no device, no email, or every send failed).
    delivery: Literal["sending", "delivered", "not_delivered"] | None = None
    escalations: list[EscalationOut] = msgspec.field(default_factory=list)
    acknowledged_at: datetime | None = None
    acknowledged_by: int | None = None
    acknowledged_by_name: str | None = None
    ack_note: str | None = None


class AlertAck(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
