"""The embedded (SQLite) write path for new check-ins: one statement, one trip to the driver.

Every call into aiosqlite is a hop to its driver thread and back, and SQLAlchemy's async layer
makes about four per statement (cursor, execute, fetch, close); a session lookup, an insert
and a commit through it cost about 15 hops. The common check-in (new, no item-9 answer) needs
none of that: a single INSERT ... SELECT finds the patient behind the session token and stores
the check-in in one atomic statement (SQLite commits it on its own, durably, before the
statement returns).

When it stores nothing, the caller takes the ordinary SQLAlchemy path, which knows why and
answers properly: no or expired session, a session due for its sliding refresh, someone who
is not a patient, an instrument the clinic has not switched on, or a replayed key. Check-ins
with an item-9 answer never come here (their safety alert must be written in the same
transaction), nor PHQ-9s (their relief episodes are re-derived in the same transaction). PostgreSQL always takes the ordinary path: asyncpg has no driver thread.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from afterglow.accounts.sessions import REFRESH_EVERY
from afterglow.checkins import schemas
from afterglow.checkins.service import PreparedCheckin

# The format SQLAlchemy's DateTime uses on SQLite (UTC, no offset, fixed width): rows written
# here and through the ORM compare and sort alike, and so do these strings in SQL.
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"

_INSERT_FOR_SESSION = """
INSERT INTO checkin (patient_id, instrument, answers, score, band, item9, note, taken_at,
                     received_at, idempotency_key, request_hash, source)
SELECT p.id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'app'
FROM auth_session AS s
JOIN app_user AS u ON u.id = s.user_id
JOIN patient AS p ON p.user_id = u.id
WHERE s.token_hash = ?
  AND u.is_active = 1
  AND u.role = 'patient'
  AND s.expires_at > ?
  AND s.last_seen_at > ?
  AND (? = 0 OR p.pain_enabled = 1)
ON CONFLICT (patient_id, idempotency_key) DO NOTHING
RETURNING id, patient_id
"""


def sqlite_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime(_SQLITE_TIME)


async def record_new_checkin(
    engine: AsyncEngine, session_hash: str, prepared: PreparedCheckin, now: datetime
) -> schemas.CheckinOut | None:
    """Store a new, ordinary check-in for the session's patient; None means "take the full path"."""
    if prepared.needs_safety_alert or prepared.changes_relief:
        return None
    scored = prepared.scored
    parameters = (
        scored.instrument.id,
        json.dumps(list(scored.answers)),
        scored.score,
        scored.band,
        scored.item9,
        prepared.note,
        sqlite_time(prepared.taken_at),
        sqlite_time(prepared.received_at),
        prepared.idempotency_key,
        prepared.fingerprint,
        session_hash,
        sqlite_time(now),
        sqlite_time(now - REFRESH_EVERY),
        int(scored.instrument.opt_in),
    )
    async with engine.connect() as connection:
        driver: Any = (await connection.get_raw_connection()).driver_connection
        # No BEGIN: on its own, the statement is its own transaction.
        stored = await driver.execute_fetchall(_INSERT_FOR_SESSION, parameters)
    if not stored:
        return None
    checkin_id, patient_id = stored[0]
    return prepared.out(checkin_id, patient_id)
