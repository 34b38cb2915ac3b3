"""The patient lifecycle (accounts/service.py): a new patient, a new time zone, deactivation and
reactivation each mark the patient changed, so their derived state is brought up to date at the
time of the app's clock before the change commits. (The clock is set before anyone signs in:
sessions age by it too.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.accounts.models import Patient, User
from afterglow.clock import SetClock
from afterglow.relief.models import PatientSummary
from conftest import ClientFactory, World


async def summary_of(db: AsyncSession, patient_id: int) -> PatientSummary:
    await db.commit()
    summary = await db.get(PatientSummary, patient_id, populate_existing=True)
    assert summary is not None
    return summary


def clock_at(app_clock: SetClock, days_ahead: int) -> datetime:
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days_ahead)
    app_clock.set(at)
    return at


async def test_a_new_patient_has_a_triage_summary_from_the_apps_clock(
    make_client: ClientFactory, world: World, db: AsyncSession, app_clock: SetClock
) -> None:
    at = clock_at(app_clock, 3)
    doc = await make_client("doc@a.test")

    response = await doc.post(
        "/api/patients/", json={"display_name": "Synthetic New", "timezone": "Europe/Madrid"}
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert datetime.fromisoformat(created["patient"]["created_at"]) == at
    summary = await summary_of(db, created["patient"]["id"])
    assert summary.updated_at.replace(tzinfo=UTC) == at


async def test_a_new_time_zone_brings_the_summary_up_to_date(
    make_client: ClientFactory, world: World, db: AsyncSession, app_clock: SetClock
) -> None:
    at = clock_at(app_clock, 5)
    doc = await make_client("doc@a.test")
    patient_id = world.patient_a1.id or 0

    response = await doc.patch(f"/api/patients/{patient_id}", json={"timezone": "Asia/Tokyo"})

    assert response.status_code == 200, response.text
    assert response.json()["timezone"] == "Asia/Tokyo"
    assert (await summary_of(db, patient_id)).updated_at.replace(tzinfo=UTC) == at


async def test_a_name_change_alone_derives_nothing(
    make_client: ClientFactory, world: World, db: AsyncSession, app_clock: SetClock
) -> None:
    clock_at(app_clock, 5)
    doc = await make_client("doc@a.test")
    patient_id = world.patient_a1.id or 0
    before = (await summary_of(db, patient_id)).updated_at

    response = await doc.patch(f"/api/patients/{patient_id}", json={"display_name": "Renamed"})

    assert response.status_code == 200, response.text
    assert (await summary_of(db, patient_id)).updated_at == before


async def test_deactivating_ends_the_patients_sessions_and_reactivating_lets_them_back(
    make_client: ClientFactory, world: World, db: AsyncSession, app_clock: SetClock
) -> None:
    at = clock_at(app_clock, 1)
    phone = await make_client("p1@a.test")
    doc = await make_client("doc@a.test")
    patient_id = world.patient_a1.id or 0

    off = await doc.patch(f"/api/patients/{patient_id}", json={"is_active": False})

    assert off.status_code == 200 and off.json()["is_active"] is False
    assert (await phone.get("/api/me")).status_code == 401
    assert (await summary_of(db, patient_id)).updated_at.replace(tzinfo=UTC) == at
    user = await db.get(User, world.patient_a1.user_id, populate_existing=True)
    assert user is not None and not user.is_active

    on = await doc.patch(f"/api/patients/{patient_id}", json={"is_active": True})

    assert on.status_code == 200 and on.json()["is_active"] is True
    await make_client("p1@a.test")  # signs in again
    await db.commit()  # a new snapshot
    patient = await db.get(Patient, patient_id, populate_existing=True)
    assert patient is not None and patient.is_active
