"""The push outbox: queueing notifications once, and delivering the due ones from any instance.

Queueing inserts a `push_message` row under its unique (recipient, send key): queueing the same
notification again does nothing. Delivery claims due rows with a lease by one conditional UPDATE
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, SQLite's single writer elsewhere), sends outside any
transaction, and records each outcome only while it still holds the lease. A tick that dies keeps
its lease until it runs out; then another tick sends those messages. What goes wrong with one
device or one message stays with it: the rest of the batch is sent and recorded once.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Integer, any_, bindparam, delete, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import SQLModel, col

from afterglow.db import session_maker
from afterglow.leases import claim_due
from afterglow.push.delivery import Device, DeviceResult, Outcome, PushSender, Send
from afterglow.push.models import PushMessage, PushSubscription

log = logging.getLogger(__name__)

# Longer than a slow send (timeouts are 10 s) so a live tick never loses its claim.
LEASE = timedelta(minutes=2)
CLAIM_BATCH = 500
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(minutes=30)
# A message is worth sending while at least this much of its life is left.
SHORTEST_TTL = timedelta(seconds=60)
# A device that could not be used for this many messages in a row is left out until it
# subscribes again: enough not to drop a device over one odd error, few enough to stop soon.
BROKEN_AFTER = 3


_MESSAGES = SQLModel.metadata.tables[PushMessage.__tablename__]
_DEVICES = SQLModel.metadata.tables[PushSubscription.__tablename__]
_WAITING = text("push_message.status = 'queued'")


def among(column: Any, ids: Collection[int], dialect: str) -> ColumnElement[bool]:
    """`column IN ids`, as one array parameter on PostgreSQL (`= ANY($1)`).

    An IN list is rendered anew at every execution, a bound parameter per id: for the tick's
    batches of hundreds that rendering costs more than the query.
    """
    if dialect == "postgresql":
        return cast(
            "ColumnElement[bool]",
            column == any_(bindparam("ids", list(ids), type_=ARRAY(Integer), unique=True)),
        )
    return cast("ColumnElement[bool]", column.in_(list(ids)))


@dataclass(frozen=True)
class Notification:
    """A notification to queue for one user."""

    recipient_user_id: int
    patient_id: int | None
    kind: str
    send_key: str
    payload: dict[str, Any]
    topic: str
    urgency: str
    fire_at: datetime
    expires_at: datetime
    # queued, or an outcome known at once (skipped: the check-in was already done; expired).
    status: str = "queued"


@dataclass(frozen=True)
class MessageVerdict:
    """What becomes of a claimed message after one round of sending."""

    status: str
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    sent_at: datetime | None


async def queue_notifications(
    db: AsyncSession,
    notifications: Sequence[Notification],
    *,
    claim_for: str | None = None,
    now: datetime | None = None,
) -> list[ClaimedMessage]:
    """Insert each notification once; ones already queued under their send key are left as they are.

    With `claim_for` (a tick's name) the new queued messages are inserted already leased to that
    tick, which sends them straight away, and returned: no second pass to claim them.
    """
    if not notifications:
        return []
    lease_until = None if claim_for is None or now is None else now + LEASE
    rows = [
        {
            "recipient_user_id": n.recipient_user_id,
            "patient_id": n.patient_id,
            "kind": n.kind,
            "send_key": n.send_key,
            "payload": n.payload,
            "topic": n.topic,
            "urgency": n.urgency,
            "status": n.status,
            "fire_at": n.fire_at,
            "expires_at": n.expires_at,
            "next_attempt_at": n.fire_at,
            "attempts": 1 if lease_until and n.status == "queued" else 0,
            "lease_owner": claim_for if lease_until and n.status == "queued" else None,
            "lease_until": lease_until if n.status == "queued" else None,
            "created_at": n.fire_at,
            "updated_at": n.fire_at,
        }
        for n in notifications
    ]
    if db.get_bind().dialect.name == "postgresql":
        inserted_rows = await _insert_unnested(db, rows, returning=lease_until is not None)
        return _claimed_of(notifications, inserted_rows, claim_for) if lease_until else []
    # The table, not the ORM entity: thousands of rows at a busy minute, no objects needed.
    statement = sqlite_insert(_MESSAGES).on_conflict_do_nothing(
        index_elements=["recipient_user_id", "send_key"]
    )
    if lease_until is None:
        await db.execute(statement, rows)
        return []
    # Only rows this call inserted come back: a notification queued before keeps its own fate.
    inserted = await db.execute(
        statement.returning(
            _MESSAGES.c.id,
            _MESSAGES.c.recipient_user_id,
            _MESSAGES.c.send_key,
            _MESSAGES.c.lease_owner,
        ),
        rows,
    )
    return _claimed_of(notifications, inserted.all(), claim_for)


# push_message's columns as queueing fills them, each bound as one PostgreSQL array.
_QUEUED_COLUMNS = (
    "recipient_user_id",
    "patient_id",
    "kind",
    "send_key",
    "payload",
    "topic",
    "urgency",
    "status",
    "fire_at",
    "expires_at",
    "next_attempt_at",
    "attempts",
    "lease_owner",
    "lease_until",
    "created_at",
    "updated_at",
)
_INSERT_UNNESTED_SQL = (
    "INSERT INTO push_message (recipient_user_id, patient_id, kind, send_key, payload, topic, "
    "urgency, status, fire_at, expires_at, next_attempt_at, attempts, lease_owner, lease_until, "
    "created_at, updated_at) "
    "SELECT recipient_user_id, patient_id, kind, send_key, CAST(payload AS json), topic, "
    "urgency, status, fire_at, expires_at, next_attempt_at, attempts, lease_owner, lease_until, "
    "created_at, updated_at "
    "FROM unnest(CAST(:recipient_user_id AS integer[]), CAST(:patient_id AS integer[]), "
    "CAST(:kind AS text[]), CAST(:send_key AS text[]), CAST(:payload AS text[]), "
    "CAST(:topic AS text[]), CAST(:urgency AS text[]), CAST(:status AS text[]), "
    "CAST(:fire_at AS timestamptz[]), CAST(:expires_at AS timestamptz[]), "
    "CAST(:next_attempt_at AS timestamptz[]), CAST(:attempts AS integer[]), "
    "CAST(:lease_owner AS text[]), CAST(:lease_until AS timestamptz[]), "
    "CAST(:created_at AS timestamptz[]), CAST(:updated_at AS timestamptz[])) "
    "AS queued (recipient_user_id, patient_id, kind, send_key, payload, topic, urgency, status, "
    "fire_at, expires_at, next_attempt_at, attempts, lease_owner, lease_until, created_at, "
    "updated_at) "
    "ON CONFLICT (recipient_user_id, send_key) DO NOTHING"
)
_INSERT_UNNESTED = text(_INSERT_UNNESTED_SQL)
_INSERT_RETURNING = text(
    _INSERT_UNNESTED_SQL + " RETURNING id, recipient_user_id, send_key, lease_owner"
)


async def _insert_unnested(
    db: AsyncSession, rows: list[dict[str, Any]], *, returning: bool
) -> Sequence[Any]:
    """PostgreSQL: all rows in one statement of one array per column, whatever their number.

    A multi-row VALUES would bind (and render) sixteen parameters per message.
    """
    columns = {name: [row[name] for row in rows] for name in _QUEUED_COLUMNS}
    columns["payload"] = [json.dumps(p, separators=(",", ":")) for p in columns["payload"]]
    if not returning:
        await db.execute(_INSERT_UNNESTED, columns)
        return ()
    return (await db.execute(_INSERT_RETURNING, columns)).all()


def _claimed_of(
    notifications: Sequence[Notification], inserted: Sequence[Any], claim_for: str | None
) -> list[ClaimedMessage]:
    ids = {
        (user_id, send_key): message_id
        for message_id, user_id, send_key, owner in inserted
        if owner == claim_for
    }
    return [
        ClaimedMessage(
            ids[(n.recipient_user_id, n.send_key)],
            n.recipient_user_id,
            n.payload,
            n.topic,
            n.urgency,
            n.expires_at,
            1,
        )
        for n in notifications
        if (n.recipient_user_id, n.send_key) in ids
    ]


def judge_delivery(
    results: Sequence[DeviceResult] | None, *, attempts: int, now: datetime, expires_at: datetime
) -> MessageVerdict:
    """Sent if any device's push service took it; else try again later, expire, or fail.

    `results` is None when the message was not sent because its life had run out.

    Retries back off from 30 s, doubling to at most 30 min, or wait as long as a push service
    asked (Retry-After); a retry that could not happen with a minute of life left expires instead.
    """
    if results is None:
        return MessageVerdict("expired", now, None, "its day ended before it could be sent", None)
    if any(r.outcome is Outcome.DELIVERED for r in results):
        status = next(r.status for r in results if r.outcome is Outcome.DELIVERED)
        return MessageVerdict("sent", now, status, None, now)
    if not results:
        return MessageVerdict("failed", now, None, "no device with notifications on", None)
    last = results[-1]
    transient = [r for r in results if r.outcome in (Outcome.RETRY, Outcome.RATE_LIMITED)]
    if not transient:
        if all(r.outcome is Outcome.GONE for r in results):
            return MessageVerdict("failed", now, last.status, "every device unsubscribed", None)
        refused = next(r for r in results if r.outcome is not Outcome.GONE)
        return MessageVerdict("failed", now, refused.status, refused.error, None)
    backoff = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)
    asked = max((r.retry_after or 0.0) for r in transient)
    next_attempt_at = now + max(backoff, timedelta(seconds=asked))
    worst = transient[-1]
    error = worst.error or f"push service answered {worst.status}"
    if next_attempt_at > expires_at - SHORTEST_TTL:
        return MessageVerdict("expired", now, worst.status, error, None)
    return MessageVerdict("queued", next_attempt_at, worst.status, error, None)


@dataclass(frozen=True)
class ClaimedMessage:
    """A message this tick holds the lease of, with what it takes to send it."""

    id: int
    recipient_user_id: int
    payload: dict[str, Any]
    topic: str
    urgency: str
    expires_at: datetime
    attempts: int


async def claim_due_messages(
    db: AsyncSession, now: datetime, owner: str, limit: int = CLAIM_BATCH
) -> list[ClaimedMessage]:
    """Take up to `limit` due messages for this tick by setting a lease on them (in `db`'s txn)."""
    claimed = await claim_due(
        db,
        PushMessage,
        # Written out, not bound, so that PostgreSQL can use the partial index on it.
        due=[_WAITING, col(PushMessage.next_attempt_at) <= now],
        order_by=[col(PushMessage.next_attempt_at)],
        now=now,
        owner=owner,
        lease=LEASE,
        limit=limit,
        returning=[
            col(PushMessage.id),
            col(PushMessage.recipient_user_id),
            col(PushMessage.payload),
            col(PushMessage.topic),
            col(PushMessage.urgency),
            col(PushMessage.expires_at),
            col(PushMessage.attempts),
        ],
    )
    return [ClaimedMessage(*row) for row in claimed]


async def deliver_due_messages(
    engine: AsyncEngine,
    sender: PushSender,
    owner: str,
    *,
    clock: Any,
    limit: int = CLAIM_BATCH,
) -> int:
    """One round: claim a batch of due messages, send them to every device, record the outcomes.

    Returns how many messages were claimed (0 when nothing was due). `clock()` gives now.
    """
    async with session_maker(engine)() as db, db.begin():
        claimed = await claim_due_messages(db, clock(), owner, limit)
    if claimed:
        await send_claimed(engine, sender, owner, claimed, clock=clock)
    return len(claimed)


async def send_claimed(
    engine: AsyncEngine,
    sender: PushSender,
    owner: str,
    claimed: Sequence[ClaimedMessage],
    *,
    clock: Any,
) -> None:
    """Send messages this tick holds the lease of to every device of each recipient; record it."""
    sessions = session_maker(engine)
    async with sessions() as db:
        devices = await _devices_of(db, {m.recipient_user_id for m in claimed})

    # One send per (message, device), all handed to the sender at once; it bounds how many are
    # in flight and turns any failure into that device's result, so none aborts the batch.
    # A message whose moment passed while no tick could send it is not sent (None).
    outcomes: list[list[DeviceResult] | None] = []
    sends: list[Send] = []
    sent_for: list[list[DeviceResult]] = []  # the outcome list of each send's message
    started = clock()
    for message in claimed:
        ttl = int((message.expires_at - started).total_seconds())
        if ttl < SHORTEST_TTL.total_seconds():
            outcomes.append(None)
            continue
        results: list[DeviceResult] = []
        outcomes.append(results)
        body = json.dumps(message.payload, separators=(",", ":")).encode()
        for device in devices.get(message.recipient_user_id, ()):
            sends.append(Send(device, body, ttl, message.topic, message.urgency))
            sent_for.append(results)
    for results, result in zip(sent_for, await sender.send_all(sends), strict=True):
        results.append(result)
    await _record_outcomes(sessions, claimed, outcomes, owner, clock())


async def _devices_of(db: AsyncSession, user_ids: set[int]) -> dict[int, list[Device]]:
    rows = await db.execute(
        select(
            col(PushSubscription.user_id),
            col(PushSubscription.id),
            col(PushSubscription.endpoint),
            col(PushSubscription.p256dh),
            col(PushSubscription.auth),
        ).where(
            among(col(PushSubscription.user_id), user_ids, db.get_bind().dialect.name),
            col(PushSubscription.broken_at).is_(None),
        )
    )
    devices: dict[int, list[Device]] = defaultdict(list)
    for user_id, subscription_id, endpoint, p256dh, auth in rows.all():
        devices[user_id].append(Device(cast(int, subscription_id), endpoint, p256dh, auth))
    return devices


async def _record_outcomes(
    sessions: Any,
    claimed: Sequence[ClaimedMessage],
    outcomes: Sequence[list[DeviceResult] | None],
    owner: str,
    now: datetime,
) -> None:
    verdicts = []
    gone: set[int] = set()
    delivered: set[int] = set()
    unusable: dict[int, int] = defaultdict(int)
    for message, results in zip(claimed, outcomes, strict=True):
        verdict = judge_delivery(
            results, attempts=message.attempts, now=now, expires_at=message.expires_at
        )
        verdicts.append(
            {
                "message_id": message.id,
                "new_status": verdict.status,
                "new_next_attempt_at": verdict.next_attempt_at,
                "new_last_status": verdict.last_status,
                "new_last_error": _storable(verdict.last_error),
                "new_sent_at": verdict.sent_at,
                "owner": owner,
                "now": now,
            }
        )
        for r in results or ():
            if r.outcome is Outcome.GONE:
                gone.add(r.subscription_id)
            elif r.outcome is Outcome.DELIVERED:
                delivered.add(r.subscription_id)
            elif r.outcome is Outcome.UNUSABLE:
                unusable[r.subscription_id] += 1
    await _record_verdicts(sessions, verdicts)
    try:
        async with sessions() as db, db.begin():
            await _record_devices(db, gone, delivered, unusable, now)
    except Exception:
        # Messages are recorded; only a device's last send time or failure count is lost.
        log.exception(
            "could not record how %s push devices fared", len(delivered | unusable.keys())
        )


async def _record_verdicts(sessions: Any, verdicts: list[dict[str, Any]]) -> None:
    """Record every message's outcome: all at once, else each on its own.

    A message left unrecorded keeps its lease and is sent again when it runs out, so one row the
    database refuses must not take the others with it.
    """
    try:
        async with sessions() as db, db.begin():
            await _update_messages(db, verdicts)
        return
    except Exception:
        log.exception("recording %s push outcomes at once failed; recording each", len(verdicts))
    for verdict in verdicts:
        for attempt in (verdict, {**verdict, "new_last_error": "(details could not be stored)"}):
            try:
                async with sessions() as db, db.begin():
                    await _update_messages(db, [attempt])
                break
            except Exception:
                log.exception(
                    "could not record the outcome of push message %s", verdict["message_id"]
                )


async def _update_messages(db: AsyncSession, verdicts: list[dict[str, Any]]) -> None:
    # Only while this tick still holds the lease: had it run out and another tick claimed
    # the message, that tick's outcome is the one to keep.
    if db.get_bind().dialect.name == "postgresql":
        # One statement of one array per column (a batch shares its owner and time).
        columns = {
            name: [verdict[f"new_{name}"] for verdict in verdicts] for name in _VERDICT_COLUMNS
        }
        columns["id"] = [verdict["message_id"] for verdict in verdicts]
        await db.execute(
            _RECORD_UNNESTED, {**columns, "owner": verdicts[0]["owner"], "now": verdicts[0]["now"]}
        )
        return
    table = _MESSAGES
    await db.execute(
        update(table)
        .where(
            table.c.id == bindparam("message_id"),
            table.c.lease_owner == bindparam("owner"),
        )
        .values(
            status=bindparam("new_status"),
            next_attempt_at=bindparam("new_next_attempt_at"),
            last_status=bindparam("new_last_status"),
            last_error=bindparam("new_last_error"),
            sent_at=bindparam("new_sent_at"),
            lease_until=None,
            lease_owner=None,
            updated_at=bindparam("now"),
        ),
        verdicts,
    )


_VERDICT_COLUMNS = ("status", "next_attempt_at", "last_status", "last_error", "sent_at")
_RECORD_UNNESTED = text(
    "UPDATE push_message SET status = verdict.status, "
    "next_attempt_at = verdict.next_attempt_at, last_status = verdict.last_status, "
    "last_error = verdict.last_error, sent_at = verdict.sent_at, lease_until = NULL, "
    "lease_owner = NULL, updated_at = CAST(:now AS timestamptz) "
    "FROM unnest(CAST(:id AS integer[]), CAST(:status AS text[]), "
    "CAST(:next_attempt_at AS timestamptz[]), CAST(:last_status AS integer[]), "
    "CAST(:last_error AS text[]), CAST(:sent_at AS timestamptz[])) "
    "AS verdict (id, status, next_attempt_at, last_status, last_error, sent_at) "
    "WHERE push_message.id = verdict.id AND push_message.lease_owner = CAST(:owner AS text)"
)


async def _record_devices(
    db: AsyncSession, gone: set[int], delivered: set[int], unusable: dict[int, int], now: datetime
) -> None:
    """Forget unsubscribed devices; count failures in a row; break a device after too many."""
    dialect = db.get_bind().dialect.name
    if gone:
        await db.execute(
            delete(PushSubscription)
            .where(among(col(PushSubscription.id), gone, dialect))
            .execution_options(synchronize_session=False)
        )
    if delivered:
        await db.execute(
            update(PushSubscription)
            .where(among(col(PushSubscription.id), delivered, dialect))
            .values(last_sent_at=now, failure_count=0)
            .execution_options(synchronize_session=False)
        )
    failing = {device: n for device, n in unusable.items() if device not in delivered | gone}
    if not failing:
        return
    table = _DEVICES
    await db.execute(
        update(table)
        .where(table.c.id == bindparam("device_id"))
        .values(failure_count=table.c.failure_count + bindparam("failures")),
        [{"device_id": device, "failures": n} for device, n in sorted(failing.items())],
    )
    await db.execute(
        update(PushSubscription)
        .where(
            col(PushSubscription.id).in_(failing),
            col(PushSubscription.failure_count) >= BROKEN_AFTER,
            col(PushSubscription.broken_at).is_(None),
        )
        .values(broken_at=now)
    )


def _storable(error: str | None) -> str | None:
    """Error text any database can hold: PostgreSQL text cannot hold NUL; the column is 500."""
    return None if error is None else error.replace("\x00", "")[:500]
