"""The one way a check-in row is made, whoever stores it: the API, the history import, the demo.

Light on purpose (models and scoring only): the importer and the demo seeder use it too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from afterglow.instruments.scoring import Scored

Source = Literal["app", "import", "demo"]


def checkin_fingerprint(
    instrument: str, answers: Sequence[int], taken_at: datetime | None, note: str | None
) -> str:
    """SHA-256 of the canonical check-in: the same for the same check-in however it was
    formatted (another offset for the same instant, no note or an empty one). A key that comes
    back with another fingerprint is a different check-in. `taken_at` None: the phone sent none."""
    canonical = {
        "instrument": instrument,
        "answers": list(answers),
        "taken_at": taken_at.timestamp() if taken_at is not None else None,
        "note": note or None,
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def checkin_row(
    patient_id: int,
    scored: Scored,
    *,
    taken_at: datetime,
    received_at: datetime,
    note: str | None,
    idempotency_key: str,
    request_hash: str,
    source: Source,
) -> dict[str, Any]:
    """The `checkin` table's values for one scored check-in."""
    return {
        "patient_id": patient_id,
        "instrument": scored.instrument.id,
        "answers": list(scored.answers),
        "score": scored.score,
        "band": scored.band,
        "item9": scored.item9,
        "note": note or None,
        "taken_at": taken_at,
        "received_at": received_at,
        "idempotency_key": idempotency_key,
        "request_hash": request_hash,
        "source": source,
    }
