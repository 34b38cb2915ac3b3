"""Queueing notifications: each once under its send key, leased to the tick that asked, stored as given.

PostgreSQL queues a batch as one statement of one array per column, SQLite as a multi-row insert:
both must store the same rows and hand back the same claims.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.push.models import PushMessage
from afterglow.push.outbox import LEASE, Notification, queue_notifications
from conftest import World

NOW = datetime(2026, 11, 27, 1, 0, 5, tzinfo=UTC)


def notification(user_id: int, patient_id: int, key: str, status: str = "queued") -> Notification:
    return Notification(
        recipient_user_id=user_id,
        patient_id=patient_id,
        kind="daily_mood",
        send_key=key,
        payload={"title": "¿Cómo está hoy?", "url": "/#/checkin/mood", "n": [1, {"a": None}]},
        topic="mood",
        urgency="normal",
        fire_at=NOW - timedelta(seconds=5),
        expires_at=NOW + timedelta(hours=4),
        status=status,
    )


async def stored(db: AsyncSession) -> list[PushMessage]:
    await db.commit()
    rows = await db.execute(select(PushMessage).order_by(col(PushMessage.send_key)))
    return list(rows.scalars())


async def test_a_batch_is_queued_once_and_only_its_new_queued_messages_are_claimed(
    db: AsyncSession, world: World
) -> None:
    a1, a2 = world.patient_a1, world.patient_a2
    assert a1.user_id and a2.user_id and a1.id and a2.id
    first = [notification(a1.user_id, a1.id, "mood:1"), notification(a2.user_id, a2.id, "mood:1")]
    claimed = await queue_notifications(db, first, claim_for="tick-1", now=NOW)
    await db.commit()
    assert sorted(m.recipient_user_id for m in claimed) == sorted([a1.user_id, a2.user_id])
    assert all(m.attempts == 1 and m.payload == first[0].payload for m in claimed)

    again = [
        notification(a1.user_id, a1.id, "mood:1"),  # already queued: left as it is
        notification(a1.user_id, a1.id, "mood:2", status="skipped"),  # known at once: no lease
        notification(a1.user_id, a1.id, "mood:3"),
    ]
    claimed_again = await queue_notifications(db, again, claim_for="tick-2", now=NOW)
    messages = await stored(db)

    by_id = {m.id: (m.recipient_user_id, m.send_key) for m in messages}
    assert len(messages) == 4
    assert [by_id[m.id] for m in claimed_again] == [(a1.user_id, "mood:3")]
    assert sorted(by_id[m.id] for m in claimed) == sorted(
        [(a1.user_id, "mood:1"), (a2.user_id, "mood:1")]
    )
    by_key = {(m.recipient_user_id, m.send_key): m for m in messages}
    kept = by_key[(a1.user_id, "mood:1")]
    assert (kept.lease_owner, kept.attempts, kept.status) == ("tick-1", 1, "queued")
    assert kept.lease_until == NOW + LEASE
    assert kept.payload == first[0].payload
    assert (kept.fire_at, kept.next_attempt_at, kept.created_at) == (
        NOW - timedelta(seconds=5),
    ) * 3
    assert kept.expires_at == NOW + timedelta(hours=4)
    assert (kept.kind, kept.topic, kept.urgency, kept.patient_id) == (
        "daily_mood",
        "mood",
        "normal",
        a1.id,
    )
    skipped = by_key[(a1.user_id, "mood:2")]
    assert (skipped.status, skipped.lease_owner, skipped.lease_until, skipped.attempts) == (
        "skipped",
        None,
        None,
        0,
    )


async def test_without_a_tick_to_claim_them_messages_wait_unleased(
    db: AsyncSession, world: World
) -> None:
    a1 = world.patient_a1
    assert a1.user_id and a1.id
    claimed = await queue_notifications(db, [notification(a1.user_id, a1.id, "mood:1")])
    [message] = await stored(db)
    assert claimed == []
    assert (message.status, message.lease_owner, message.lease_until, message.attempts) == (
        "queued",
        None,
        None,
        0,
    )
    assert message.payload == notification(a1.user_id, a1.id, "x").payload
