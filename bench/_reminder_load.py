"""Shared by the reminder benchmarks: a throwaway PostgreSQL database and many synthetic patients.

Rows are made inside PostgreSQL with generate_series, so a million patients take a minute rather
than an hour. Every name is synthetic.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from afterglow.db import migrate
from afterglow.settings import Settings

PG_ADMIN_DSN = os.environ.get("AFTERGLOW_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextmanager
def bench_database(**overrides: object) -> Iterator[Settings]:
    """Settings for a new, migrated PostgreSQL database that is dropped afterwards."""
    name = f"afterglow_bench_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except OSError as error:
        sys.exit(f"This benchmark needs PostgreSQL at {PG_ADMIN_DSN}: {error}")
    data_dir = tempfile.mkdtemp(prefix="afterglow-bench-")
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    settings = Settings.from_env(
        {
            "AFTERGLOW_DATA_DIR": data_dir,
            "AFTERGLOW_DATABASE_URL": f"{base}/{name}",
            "AFTERGLOW_SCHEDULER": "off",
        },
        **overrides,
    )
    try:
        migrate(settings)
        yield settings
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def seed_patients(
    engine: AsyncEngine,
    count: int,
    *,
    due_at: datetime,
    due: int,
    endpoint_base: str | None = None,
    p256dh: str = "",
    auth: str = "",
    sent_messages: bool = False,
) -> None:
    """`count` enrolled patients in New York with a daily 20:00 mood reminder.

    The first `due` are due at `due_at`; the others' next reminder is spread over the following
    day. With `endpoint_base`, each has a device at `<endpoint_base>/push/<user id>` (all sharing
    one key pair: the sink does not decrypt). With `sent_messages`, each also has one reminder
    already sent, as a clinic running for a while would.
    """
    later = due_at + timedelta(hours=1)
    async with engine.begin() as conn:
        clinic_id = (
            await conn.execute(
                text(
                    "INSERT INTO clinic (name, settings, created_at) "
                    "VALUES ('Synthetic Bench Clinic', '{}', now()) RETURNING id"
                )
            )
        ).scalar_one()
        await conn.execute(
            text(
                "INSERT INTO app_user (clinic_id, email, display_name, role, password_hash, "
                "is_active, created_at) "
                "SELECT :clinic, 'bench' || g || '@bench.afterglow.test', 'Bench Patient ' || g, "
                "'patient', 'not-a-hash', true, now() FROM generate_series(1, :n) AS g"
            ),
            {"clinic": clinic_id, "n": count},
        )
        await conn.execute(
            text(
                "INSERT INTO patient (clinic_id, user_id, display_name, timezone, locale, "
                "pain_enabled, is_active, created_at) "
                "SELECT :clinic, id, display_name, 'America/New_York', 'en-US', false, true, now() "
                "FROM app_user WHERE clinic_id = :clinic ORDER BY id"
            ),
            {"clinic": clinic_id},
        )
        if endpoint_base is not None:
            await conn.execute(
                text(
                    "INSERT INTO push_subscription (user_id, endpoint, p256dh, auth, "
                    "device_label, created_at) "
                    "SELECT id, :base || '/push/' || id, :p256dh, :auth, 'phone', now() "
                    "FROM app_user WHERE clinic_id = :clinic"
                ),
                {"clinic": clinic_id, "base": endpoint_base, "p256dh": p256dh, "auth": auth},
            )
        await conn.execute(
            text(
                "INSERT INTO reminder_plan (patient_id, daily_mood_at, weekly_phq9_weekday, "
                "weekly_phq9_at, weekly_gad7_weekday, weekly_gad7_at, quiet_start, quiet_end, "
                "infusion_nudges, planned_timezone, planned_through, next_fire_at, updated_at) "
                "SELECT p.id, '20:00', NULL, NULL, NULL, NULL, '21:30', '08:00', true, "
                "'America/New_York', :through, "
                "CASE WHEN row_number() OVER (ORDER BY p.id) <= :due THEN CAST(:due_at AS timestamptz) "
                "ELSE CAST(:later AS timestamptz) + (p.id % 1440) * interval '1 minute' END, now() "
                "FROM patient AS p WHERE p.clinic_id = :clinic"
            ),
            {
                "clinic": clinic_id,
                "due": due,
                "due_at": due_at,
                "later": later,
                "through": due_at - timedelta(hours=1),
            },
        )
        if sent_messages:
            await conn.execute(
                text(
                    "INSERT INTO push_message (recipient_user_id, patient_id, kind, send_key, "
                    "payload, topic, urgency, status, fire_at, expires_at, next_attempt_at, "
                    "attempts, last_status, sent_at, created_at, updated_at) "
                    "SELECT p.user_id, p.id, 'daily_mood', 'mood:yesterday', '{}', 'mood', "
                    "'normal', 'sent', CAST(:sent AS timestamptz), CAST(:sent AS timestamptz) + interval '4 hours', "
                    "CAST(:sent AS timestamptz), 1, 201, CAST(:sent AS timestamptz), "
                    ":sent, :sent FROM patient AS p WHERE p.clinic_id = :clinic"
                ),
                {"clinic": clinic_id, "sent": due_at - timedelta(days=1)},
            )
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))
