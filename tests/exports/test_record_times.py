"""Every clinical record says when it last changed (`updated_at`, what exports' `_since` reads):
filled by migration 0017 from each row's own history, and kept by every write after it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from sqlmodel.sql.sqltypes import UTCDateTime

from afterglow.accounts.models import Patient
from afterglow.alerts.models import SafetyAlert
from afterglow.checkins.models import CheckIn
from afterglow.db import alembic_config, create_engine
from afterglow.infusions.models import ClinicalEvent, Infusion
from afterglow.settings import Settings
from conftest import ClientFactory, World, add_urgent_alert, checkin_key, database_at

T0 = datetime(2026, 10, 1, 9, tzinfo=UTC)


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture
def at_0016(backend: str, tmp_path: Path) -> Iterator[Settings]:
    with database_at(backend, tmp_path, "0016") as settings:
        yield settings


ROWS_AT_0016 = [
    "INSERT INTO clinic (id, name, settings, created_at) VALUES (1, 'C', '{}', :t0)",
    "INSERT INTO app_user (id, clinic_id, email, display_name, role, password_hash, is_active,"
    " created_at) VALUES (1, 1, 'doc@c.test', 'Doc', 'clinician', 'x', true, :t0)",
    "INSERT INTO patient (id, clinic_id, display_name, timezone, locale, pain_enabled,"
    " is_active, created_at) VALUES (1, 1, 'Synthetic', 'UTC', 'en-US', false, true, :t0)",
    "INSERT INTO checkin (id, patient_id, instrument, answers, score, taken_at, received_at,"
    " idempotency_key, request_hash, source) VALUES (1, 1, 'phq9', '[0,0,0,0,0,0,0,0,2]', 2,"
    " :t1, :t2, 'k1', 'h', 'app')",
    "INSERT INTO checkin (id, patient_id, instrument, answers, score, taken_at, received_at,"
    " idempotency_key, request_hash, source) VALUES (2, 1, 'mood', '[5]', 5, :t1, :t3,"
    " 'k2', 'h', 'app')",
    "INSERT INTO safety_alert (id, clinic_id, patient_id, checkin_id, item9, level, status,"
    " created_at, escalate_at, escalated_at, acknowledged_at) VALUES (1, 1, 1, 1, 2, 'urgent',"
    " 'acknowledged', :t2, :t3, :t3, :t4)",
    "INSERT INTO clinical_event (id, patient_id, kind, occurred_at, created_at, updated_at,"
    " updated_by) VALUES (1, 1, 'medication_change', :t1, :t2, NULL, NULL)",
    "INSERT INTO clinical_event (id, patient_id, kind, occurred_at, created_at, updated_at,"
    " updated_by) VALUES (2, 1, 'ect_tms_start', :t1, :t2, :t3, 1)",
    "INSERT INTO clinical_event (id, patient_id, kind, occurred_at, created_at, updated_at,"
    " deleted_at) VALUES (3, 1, 'hospitalisation', :t1, :t2, NULL, :t4)",
    "INSERT INTO infusion (id, patient_id, given_at, route, kind, created_at, updated_at,"
    " deleted_at) VALUES (1, 1, :t1, 'iv', 'induction', :t2, :t2, :t4)",
    "INSERT INTO infusion (id, patient_id, given_at, route, kind, created_at, updated_at)"
    " VALUES (2, 1, :t1, 'iv', 'induction', :t2, :t3)",
]
TIMES = {"t0": T0, "t1": at(1), "t2": at(2), "t3": at(3), "t4": at(4)}


async def _rows_at_0016(settings: Settings) -> None:
    engine = create_engine(settings)
    async with engine.begin() as conn:
        for sql in ROWS_AT_0016:
            statement = text(sql).bindparams(
                *(bindparam(name, type_=UTCDateTime()) for name in TIMES if f":{name}" in sql)
            )
            await conn.execute(statement, {k: v for k, v in TIMES.items() if f":{k}" in sql})
    await engine.dispose()


async def _updated_at(settings: Settings, table: str) -> dict[int, datetime | None]:
    engine = create_engine(settings)
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(f"SELECT id, updated_at FROM {table} ORDER BY id").columns(
                updated_at=UTCDateTime()
            )
        )
        found = {row_id: value for row_id, value in rows.all()}
    await engine.dispose()
    return found


async def test_migration_0017_fills_updated_at_from_each_records_own_history(
    at_0016: Settings,
) -> None:
    await _rows_at_0016(at_0016)

    await asyncio.to_thread(command.upgrade, alembic_config(at_0016), "0017")

    # A check-in changes when it arrives; an alert last changed when it was acknowledged; an
    # event when recorded, corrected or entered in error; an infusion when entered in error.
    assert await _updated_at(at_0016, "checkin") == {1: at(2), 2: at(3)}
    assert await _updated_at(at_0016, "safety_alert") == {1: at(4)}
    assert await _updated_at(at_0016, "patient") == {1: T0}
    assert await _updated_at(at_0016, "clinical_event") == {1: at(2), 2: at(3), 3: at(4)}
    assert await _updated_at(at_0016, "infusion") == {1: at(4), 2: at(3)}

    await asyncio.to_thread(command.downgrade, alembic_config(at_0016), "0016")

    # Back at 0016 an event's updated_at means "corrected" again.
    assert await _updated_at(at_0016, "clinical_event") == {1: None, 2: at(3), 3: None}


async def test_every_write_to_a_record_moves_its_updated_at(
    make_client: ClientFactory, world: World, db: AsyncSession, app_clock
) -> None:
    doc = await make_client("doc@a.test")
    patient = await make_client("p1@a.test")
    pid = world.patient_a1.id
    day = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    app_clock.set(day)

    sent = await patient.post(
        "/api/checkins", json={"instrument": "mood", "answers": [6]}, headers=checkin_key()
    )
    assert sent.status_code in (200, 201), sent.text
    infusion = await doc.post(
        f"/api/patients/{pid}/infusions",
        json={
            "given_at": (day - timedelta(hours=2)).isoformat(),
            "route": "iv",
            "kind": "induction",
        },
    )
    event = await doc.post(
        f"/api/patients/{pid}/events",
        json={"kind": "medication_change", "occurred_at": (day - timedelta(hours=1)).isoformat()},
    )
    assert infusion.status_code == 201 and event.status_code == 201, (infusion.text, event.text)
    await add_urgent_alert(db, world, day, day + timedelta(hours=1))

    stored_checkin = (
        await db.execute(select(CheckIn).where(col(CheckIn.instrument) == "mood"))
    ).scalar_one()
    assert stored_checkin.updated_at == stored_checkin.received_at == day
    assert (await db.get(ClinicalEvent, event.json()["id"])).updated_at == day  # type: ignore[union-attr]

    later = day + timedelta(hours=5)
    app_clock.set(later)
    infusion_id, event_id = infusion.json()["id"], event.json()["id"]
    assert (
        await doc.patch(f"/api/patients/{pid}/infusions/{infusion_id}", json={"dose_mg": 40})
    ).status_code == 200
    assert (
        await doc.post(f"/api/patients/{pid}/events/{event_id}/entered-in-error", json={})
    ).status_code == 200
    alert_id = await db.scalar(
        select(col(SafetyAlert.id)).where(col(SafetyAlert.patient_id) == pid)
    )
    acked = await doc.post(f"/api/alerts/{alert_id}/ack", json={"note": "Called; safe."})
    assert acked.status_code == 200, acked.text
    before_patch = datetime.now(UTC)
    assert (await doc.patch(f"/api/patients/{pid}", json={"pain_enabled": True})).status_code == 200

    await db.rollback()  # a fresh read, not the snapshot of the transaction above
    db.expire_all()
    assert (await db.get(Infusion, infusion_id)).updated_at == later  # type: ignore[union-attr]
    assert (await db.get(ClinicalEvent, event_id)).updated_at == later  # type: ignore[union-attr]
    assert (await db.get(SafetyAlert, alert_id)).updated_at == later  # type: ignore[union-attr]
    # A write that does not name it still moves it, to the real time of the write.
    assert (await db.get(Patient, pid)).updated_at >= before_patch  # type: ignore[union-attr,operator]
