"""Writing and reading journal entries: private to the patient unless they share one.

Entries are the patient's own words. Nothing here scores, searches or summarises them; the
clinic sees an entry only while the patient shares it (`shared_entries`, read through the
patient's timeline, which is audited), and exports take only those.

Each write carries the whole entry with the app's revision number, and is stored like a
check-in: the app makes the entry's key (a UUID) before anything is sent, so a replay from
its outbox changes nothing, and the answer comes only after the commit.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from afterglow.errors import Clash, NotFound, invalid
from afterglow.fields import CALENDAR_PROBLEM, on_the_calendar
from afterglow.journal.models import JournalEntry
from afterglow.journal.schemas import JournalEntryOut, JournalEntryWrite, SharedJournalEntryOut

# A phone's clock may run a little fast; more than this is a clock to check.
MAX_FUTURE = timedelta(minutes=5)
WORDS = ("stood_out", "day_after", "carry_forward", "text")


@dataclass(frozen=True)
class Written:
    entry: JournalEntryOut
    created: bool


def checked_key(value: str) -> str:
    """The entry's key as stored: a UUID the app made, in its canonical form."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise invalid("entry_key", f"{value[:64]!r} is not a UUID the app made") from None


def checked_written_at(written_at: datetime | None, now: datetime) -> datetime:
    """When the patient wrote the entry: now when not given, never in the future.

    No oldest time, unlike a check-in's: an entry is not analysed, and a phone that was offline
    for weeks must not lose what the patient wrote.
    """
    if written_at is None:
        return now
    if written_at.tzinfo is None:
        raise invalid("written_at", "include the UTC offset, e.g. 2026-11-26T08:30:00-05:00")
    if not on_the_calendar(written_at):
        raise invalid("written_at", CALENDAR_PROBLEM)
    if written_at - now > MAX_FUTURE:
        raise invalid("written_at", "is in the future; check the phone's clock")
    return written_at.astimezone(UTC)


def words_of(data: JournalEntryWrite) -> dict[str, str | None]:
    """The answers as stored: an answer of nothing but spaces is no answer."""
    found = {}
    for name in WORDS:
        value = getattr(data, name)
        found[name] = (value.strip() or None) if isinstance(value, str) else None
    return found


def version_hash(data: JournalEntryWrite, words: dict[str, str | None]) -> str:
    """The same for the same version however the phone formatted it."""
    canonical = {
        **words,
        "shared": data.shared,
        "written_at": data.written_at.timestamp() if data.written_at else None,
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def _insert_once(insert_for_dialect: Any) -> Any:
    """INSERT ... ON CONFLICT (entry_key) DO NOTHING RETURNING id: new entry or not, atomically."""
    return (
        insert_for_dialect(SQLModel.metadata.tables[JournalEntry.__tablename__])
        .on_conflict_do_nothing(index_elements=["entry_key"])
        .returning(col(JournalEntry.id))
    )


_INSERT_ONCE = {"postgresql": _insert_once(pg_insert), "sqlite": _insert_once(sqlite_insert)}


async def write_entry(
    db: AsyncSession, patient_id: int, key: str, data: JournalEntryWrite, now: datetime
) -> Written:
    """Store this version of the patient's entry `key`, and commit.

    New key: the entry is created. A higher revision than the stored one: it replaces the words
    and the sharing. The stored revision again with the same content: a replay, nothing changes.
    Anything else is a version older than, or different from, what is stored: refused (409),
    so a late replay never undoes a newer edit.
    """
    key = checked_key(key)
    words = words_of(data)
    if not any(words.values()):
        raise invalid("text", "write something: answer one of the questions or add your own words")
    written_at = checked_written_at(data.written_at, now)
    fingerprint = version_hash(data, words)
    values = {
        "patient_id": patient_id,
        "entry_key": key,
        **words,
        "written_at": written_at,
        "received_at": now,
        "edited_at": None,
        "shared_at": now if data.shared else None,
        "revision": data.revision,
        "version_hash": fingerprint,
    }
    dialect = db.get_bind().dialect.name
    inserted = (await db.execute(_INSERT_ONCE[dialect], values)).first()
    entry = await db.scalar(
        select(JournalEntry).where(col(JournalEntry.entry_key) == key).with_for_update()
    )
    if entry is None or entry.patient_id != patient_id:
        # Keys are unique across patients: another patient's key is simply not there for you.
        raise NotFound(f"No journal entry {key} of yours.")
    if inserted is None:
        if data.revision > entry.revision:
            _apply(entry, data, words, fingerprint, now)
        elif data.revision != entry.revision or entry.version_hash != fingerprint:
            raise Clash(
                f"This entry has a newer or different version {entry.revision} stored; "
                f"load your journal again and write your change as version {entry.revision + 1}."
            )
    out = entry_out(entry)
    await db.commit()
    return Written(out, inserted is not None)


def _apply(
    entry: JournalEntry,
    data: JournalEntryWrite,
    words: dict[str, str | None],
    fingerprint: str,
    now: datetime,
) -> None:
    if any(getattr(entry, name) != value for name, value in words.items()):
        for name, value in words.items():
            setattr(entry, name, value)
        entry.edited_at = now
    if not data.shared:
        entry.shared_at = None
    elif entry.shared_at is None:
        entry.shared_at = now
    entry.revision = data.revision
    entry.version_hash = fingerprint


def entry_out(entry: JournalEntry) -> JournalEntryOut:
    return JournalEntryOut(
        key=entry.entry_key,
        written_at=entry.written_at,
        stood_out=entry.stood_out,
        day_after=entry.day_after,
        carry_forward=entry.carry_forward,
        text=entry.text,
        shared=entry.shared_at is not None,
        shared_at=entry.shared_at,
        edited_at=entry.edited_at,
        revision=entry.revision,
    )


async def own_entries(
    db: AsyncSession, patient_id: int, *, limit: int, offset: int
) -> list[JournalEntryOut]:
    """The patient's entries, private and shared, newest first: for the patient alone."""
    rows = await db.scalars(
        select(JournalEntry)
        .where(col(JournalEntry.patient_id) == patient_id)
        .order_by(col(JournalEntry.written_at).desc(), col(JournalEntry.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return [entry_out(entry) for entry in rows]


async def shared_entries(
    session: AsyncSession, patient_id: int, since: datetime | None = None
) -> list[SharedJournalEntryOut]:
    """The entries the patient shares with the clinic now, oldest first (written at or after
    `since`, when given). Private entries never leave here.

    The caller has decided that the reader may see this patient, and audited the read
    (`accounts/access.py::open_patient`): the timeline and the exports do.
    """
    return (await patients_shared_entries(session, [patient_id], since)).get(patient_id, [])


async def patients_shared_entries(
    session: AsyncSession, patient_ids: Sequence[int], since: datetime | None = None
) -> dict[int, list[SharedJournalEntryOut]]:
    """`shared_entries` of several patients in one read (the Bulk Data export's), by patient;
    a patient who shares none is not in it."""
    query = select(JournalEntry).where(
        col(JournalEntry.patient_id).in_(patient_ids), col(JournalEntry.shared_at).is_not(None)
    )
    if since is not None:
        query = query.where(col(JournalEntry.written_at) >= since)
    rows = await session.scalars(query.order_by(col(JournalEntry.written_at), col(JournalEntry.id)))
    found: dict[int, list[SharedJournalEntryOut]] = {}
    for entry in rows:
        if entry.shared_at is not None:
            found.setdefault(entry.patient_id, []).append(
                SharedJournalEntryOut(
                    id=entry.id or 0,
                    written_at=entry.written_at,
                    stood_out=entry.stood_out,
                    day_after=entry.day_after,
                    carry_forward=entry.carry_forward,
                    text=entry.text,
                    shared_at=entry.shared_at,
                    edited_at=entry.edited_at,
                )
            )
    return found
