"""Several instances ticking at once over one database deliver every reminder exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from afterglow.accounts.models import Clinic
from afterglow.push.models import PushMessage
from afterglow.worker import ReminderTick
from conftest import NOW, Clock, password_hash
from fake_push_service import FakePushService

PATIENTS = 2000
# 20:00 in New York on 26 November 2026 (EST).
DUE = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


def table(name: str):  # type: ignore[no-untyped-def]
    return SQLModel.metadata.tables[name]


async def many_patients_due_now(db: AsyncSession, service: FakePushService) -> None:
    """PATIENTS enrolled patients in New York, each with a device, all due for the 20:00 mood."""
    clinic = Clinic(name="Synthetic Load Clinic", created_at=NOW)
    db.add(clinic)
    await db.flush()
    hashed = password_hash()
    await db.execute(
        insert(table("app_user")),
        [
            {
                "clinic_id": clinic.id,
                "email": f"load{i}@load.test",
                "display_name": f"Load Patient {i}",
                "role": "patient",
                "password_hash": hashed,
                "is_active": True,
                "created_at": NOW,
            }
            for i in range(PATIENTS)
        ],
    )
    users = dict(
        (await db.execute(select(table("app_user").c.email, table("app_user").c.id))).all()
    )
    await db.execute(
        insert(table("patient")),
        [
            {
                "clinic_id": clinic.id,
                "user_id": users[f"load{i}@load.test"],
                "display_name": f"Load Patient {i}",
                "timezone": "America/New_York",
                "locale": "en-US",
                "pain_enabled": False,
                "is_active": True,
                "created_at": NOW,
            }
            for i in range(PATIENTS)
        ],
    )
    patients = dict(
        (await db.execute(select(table("patient").c.user_id, table("patient").c.id))).all()
    )
    devices = []
    plans = []
    for i in range(PATIENTS):
        user_id = users[f"load{i}@load.test"]
        subscription = service.device(f"d{i}").subscription()
        devices.append(
            {
                "user_id": user_id,
                "endpoint": subscription["endpoint"],
                "p256dh": subscription["keys"]["p256dh"],
                "auth": subscription["keys"]["auth"],
                "device_label": "phone",
                "created_at": NOW,
            }
        )
        plans.append(
            {
                "patient_id": patients[user_id],
                "daily_mood_at": time(20, 0),
                "weekly_phq9_weekday": None,
                "weekly_phq9_at": None,
                "weekly_gad7_weekday": None,
                "weekly_gad7_at": None,
                "quiet_start": time(21, 30),
                "quiet_end": time(8, 0),
                "infusion_nudges": True,
                "planned_timezone": "America/New_York",
                "planned_through": DUE - timedelta(hours=1),
                "next_fire_at": DUE,
                "updated_at": NOW,
            }
        )
    await db.execute(insert(table("push_subscription")), devices)
    await db.execute(insert(table("reminder_plan")), plans)
    await db.commit()


async def test_three_ticks_at_once_deliver_two_thousand_reminders_each_exactly_once(
    db: AsyncSession,
    push_service: FakePushService,
    make_tick: Callable[[Clock], ReminderTick],
) -> None:
    await many_patients_due_now(db, push_service)
    clock = Clock(DUE + timedelta(seconds=5))
    ticks = [make_tick(clock) for _ in range(3)]

    reports = await asyncio.gather(*(tick() for tick in ticks))

    per_device = Counter(r.device for r in push_service.received)
    assert len(per_device) == PATIENTS
    assert set(per_device.values()) == {1}
    assert {r.payload["kind"] for r in push_service.received} == {"daily_mood"}
    assert sum(report.planned for report in reports) == PATIENTS
    await db.commit()
    statuses = dict(
        (
            await db.execute(
                select(col(PushMessage.status), func.count()).group_by(col(PushMessage.status))
            )
        ).all()
    )
    assert statuses == {"sent": PATIENTS}
    # Another round of all three finds nothing left to do.
    again = await asyncio.gather(*(tick() for tick in ticks))
    assert [(r.planned, r.delivered) for r in again] == [(0, 0)] * 3
    assert len(push_service.received) == PATIENTS
