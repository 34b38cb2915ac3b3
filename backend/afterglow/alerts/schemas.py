"""Request and response shapes of the safety alert inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec


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
    acknowledged_at: datetime | None = None
    acknowledged_by: int | None = None
    ack_note: str | None = None


class AlertAck(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
