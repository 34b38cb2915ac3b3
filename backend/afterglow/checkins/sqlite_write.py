"""The embedded (SQLite) write path for new check-ins: a handful of driver calls, not dozens.

Every call into aiosqlite is a hop to its driver thread and back, and SQLAlchemy's async layer
makes about four per statement (cursor, execute, fetch, close); the ordinary path for a check-in
(session lookup, insert, summary update, commit) costs dozens. The common check-in (new, not a
PHQ-9, no item-9 answer) needs few: one INSERT ... SELECT finds the patient behind the session
token and stores the check-in; one read and one write keep the triage summary current
(`relief.summary.after_checkin` decides what changes); all inside one transaction.

When the insert stores nothing, the caller takes the ordinary SQLAlchemy path, which knows why
and answers properly: no or expired session, a session due for its sliding refresh, someone who
is not a patient, an instrument the clinic has not switched on, or a replayed key. PHQ-9s never
come here (they re-derive the patient's relief episodes), nor check-ins with an item-9 answer
(their safety alert must be written in the same transaction). PostgreSQL always takes the
ordinary path: asyncpg has no driver thread.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from afterglow.accounts.clinic_settings import clinic_settings
from afterglow.accounts.sessions import REFRESH_EVERY
from afterglow.checkins import schemas
from afterglow.checkins.service import PreparedCheckin
from afterglow.relief.facts import MoodFact, ReliefThresholds
from afterglow.relief.summary import StoredSummary, after_checkin, needs_moods

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

_SUMMARY = """
SELECT s.phq9_status, s.last_infusion_at, s.last_checkin_at, s.relief_status, s.open_alerts,
       p.timezone, c.settings
FROM patient_summary AS s
JOIN patient AS p ON p.id = s.patient_id
JOIN clinic AS c ON c.id = p.clinic_id
WHERE s.patient_id = ?
"""

_MOODS_SINCE = """
SELECT taken_at, score FROM checkin
WHERE patient_id = ? AND instrument = 'mood' AND taken_at >= ?
"""

_UPDATE_SUMMARY = """
UPDATE patient_summary
SET last_checkin_at = ?, activity_at = ?, relief_status = ?, urgency_tier = ?, updated_at = ?
WHERE patient_id = ?
"""


def sqlite_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime(_SQLITE_TIME)


def parse_sqlite_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None


@lru_cache(maxsize=64)
def _thresholds(stored_settings: str) -> ReliefThresholds:
    """Parsed once per distinct clinic settings text, not on every check-in."""
    return ReliefThresholds.from_settings(clinic_settings(json.loads(stored_settings)).relief)


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
        await driver.execute("BEGIN IMMEDIATE")
        try:
            stored = await driver.execute_fetchall(_INSERT_FOR_SESSION, parameters)
            if not stored:
                return None
            checkin_id, patient_id = stored[0]
            if not await _update_summary(driver, patient_id, prepared, now):
                return None
            await driver.execute("COMMIT")
        finally:
            if driver.in_transaction:
                await driver.execute("ROLLBACK")
    return prepared.out(checkin_id, patient_id)


async def _update_summary(
    driver: Any, patient_id: int, prepared: PreparedCheckin, now: datetime
) -> bool:
    found = await driver.execute_fetchall(_SUMMARY, (patient_id,))
    if not found:
        return False  # no summary yet: the full path builds it
    phq9, infusion_at, last_checkin, status, open_alerts, tz_name, settings = found[0]
    summary = StoredSummary(
        phq9, parse_sqlite_time(infusion_at), parse_sqlite_time(last_checkin), status, open_alerts
    )
    instrument = prepared.scored.instrument.id
    limits = _thresholds(settings)
    moods = None
    if instrument == "mood" and needs_moods(summary):
        assert summary.last_infusion_at is not None
        rows = await driver.execute_fetchall(
            _MOODS_SINCE, (patient_id, sqlite_time(summary.last_infusion_at))
        )
        moods = [MoodFact(parse_sqlite_time(at) or now, score) for at, score in rows]
    last = max(summary.last_checkin_at or prepared.taken_at, prepared.taken_at)
    changes = after_checkin(summary, last, moods, tz_name, now, limits)
    await driver.execute(
        _UPDATE_SUMMARY,
        (
            sqlite_time(changes["last_checkin_at"]),
            sqlite_time(changes["activity_at"]),
            changes["relief_status"],
            changes["urgency_tier"],
            sqlite_time(changes["updated_at"]),
            patient_id,
        ),
    )
    return True
