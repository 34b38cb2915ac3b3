"""Clinical events (hospitalisation, suicide attempt, medication change, ECT/TMS) are clinician records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import Patient
from afterglow.audit.models import AuditEvent
from afterglow.infusions.models import ClinicalEvent
from conftest import ClientFactory, World

# Relative to the real clock, because the server refuses events in the future.
TODAY = datetime.now(UTC).replace(hour=14, minute=0, second=0, microsecond=0) - timedelta(days=1)


def events_url(patient: Patient) -> str:
    return f"/api/patients/{patient.id}/events"


async def add_event(
    db: AsyncSession, world: World, kind: str, occurred_at: datetime
) -> ClinicalEvent:
    event = ClinicalEvent(
        patient_id=world.patient_a1.id or 0,
        kind=kind,
        occurred_at=occurred_at,
        recorded_by=world.clinician_a.id,
        created_at=occurred_at,
    )
    db.add(event)
    await db.commit()
    return event


def field_errors(response: Any) -> set[str]:
    return {error["key"] for error in response.json().get("extra", [])}


async def test_it_records_a_clinical_event(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    doc = await make_client("doc@a.test")
    occurred_at = TODAY - timedelta(days=2)

    response = await doc.post(
        events_url(world.patient_a1),
        json={
            "kind": "medication_change",
            "occurred_at": occurred_at.astimezone(timezone(timedelta(hours=-5))).isoformat(),
            "notes": "Sertraline 50 mg to 100 mg.",
        },
    )

    assert response.status_code == 201, response.text
    recorded = response.json()
    assert recorded["patient_id"] == world.patient_a1.id
    assert recorded["kind"] == "medication_change"
    assert recorded["notes"] == "Sertraline 50 mg to 100 mg."
    assert recorded["recorded_by"] == world.clinician_a.id
    assert datetime.fromisoformat(recorded["occurred_at"]) == occurred_at
    assert datetime.fromisoformat(recorded["occurred_at"]).utcoffset() == timedelta(0)
    assert (await doc.get(events_url(world.patient_a1))).json() == [recorded]
    audit = (
        await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "event.create"))
    ).scalar_one()
    assert (audit.actor_user_id, audit.patient_id) == (world.clinician_a.id, world.patient_a1.id)
    # The kind of event is clinical content; the trail names the record, not what it says.
    assert audit.detail == {}


async def test_it_lists_events_oldest_first(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    later = await add_event(db, world, "ect_tms_start", TODAY - timedelta(days=3))
    earlier = await add_event(db, world, "hospitalisation", TODAY - timedelta(days=30))
    doc = await make_client("doc2@a.test")

    response = await doc.get(events_url(world.patient_a1))

    assert response.status_code == 200
    assert [(e["id"], e["kind"]) for e in response.json()] == [
        (earlier.id, "hospitalisation"),
        (later.id, "ect_tms_start"),
    ]


async def test_it_keeps_an_event_entered_in_error_out_of_the_list_but_on_record(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    kept = await add_event(db, world, "hospitalisation", TODAY - timedelta(days=30))
    wrong = await add_event(db, world, "suicide_attempt", TODAY - timedelta(days=3))
    doc = await make_client("doc@a.test")

    response = await doc.post(
        f"{events_url(world.patient_a1)}/{wrong.id}/entered-in-error",
        json={"reason": "Wrong patient"},
    )

    assert response.status_code == 200, response.text
    struck = response.json()["entered_in_error"]
    assert (struck["by"], struck["by_name"], struck["reason"]) == (
        world.clinician_a.id,
        world.clinician_a.display_name,
        "Wrong patient",
    )
    assert [e["id"] for e in (await doc.get(events_url(world.patient_a1))).json()] == [kept.id]
    on_record = await doc.get(
        events_url(world.patient_a1), params={"include_entered_in_error": True}
    )
    assert [(e["id"], e["entered_in_error"] is not None) for e in on_record.json()] == [
        (kept.id, False),
        (wrong.id, True),
    ]
    await db.refresh(wrong)
    assert wrong.deleted_at is not None
    assert wrong.deleted_by == world.clinician_a.id
    again = await doc.post(f"{events_url(world.patient_a1)}/{wrong.id}/entered-in-error", json={})
    assert again.status_code == 409
    corrected = await doc.patch(f"{events_url(world.patient_a1)}/{wrong.id}", json={"notes": "x"})
    assert corrected.status_code == 409
    assert "entered in error" in corrected.json()["detail"]


async def test_it_corrects_an_event_and_audits_which_fields_changed(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    event = await add_event(db, world, "hospitalisation", TODAY - timedelta(days=3))
    doc = await make_client("doc2@a.test")
    corrected_time = TODAY - timedelta(days=4)

    response = await doc.patch(
        f"{events_url(world.patient_a1)}/{event.id}",
        json={"kind": "medication_change", "occurred_at": corrected_time.isoformat()},
    )

    assert response.status_code == 200, response.text
    corrected = response.json()
    assert corrected["kind"] == "medication_change"
    assert datetime.fromisoformat(corrected["occurred_at"]) == corrected_time
    assert (corrected["updated_by"], corrected["updated_by_name"]) == (
        world.clinician_a2.id,
        world.clinician_a2.display_name,
    )
    assert (await doc.get(events_url(world.patient_a1))).json() == [corrected]
    audit = (
        await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "event.update"))
    ).scalar_one()
    assert audit.detail == {"event_id": event.id, "changes": ["kind", "occurred_at"]}
    cleared = await doc.patch(f"{events_url(world.patient_a1)}/{event.id}", json={"notes": None})
    assert cleared.status_code == 200 and cleared.json()["notes"] is None
    refused = await doc.patch(
        f"{events_url(world.patient_a1)}/{event.id}", json={"occurred_at": None}
    )
    assert refused.status_code == 400
    assert field_errors(refused) == {"occurred_at"}


async def test_it_refuses_an_unknown_event_kind(make_client: ClientFactory, world: World) -> None:
    doc = await make_client("doc@a.test")

    response = await doc.post(
        events_url(world.patient_a1),
        json={"kind": "dentist_visit", "occurred_at": (TODAY - timedelta(days=1)).isoformat()},
    )

    assert response.status_code == 400
    assert field_errors(response) == {"kind"}


async def test_it_refuses_an_event_in_the_future(make_client: ClientFactory, world: World) -> None:
    doc = await make_client("doc@a.test")
    ahead = (datetime.now(UTC) + timedelta(hours=2)).isoformat()

    response = await doc.post(
        events_url(world.patient_a1), json={"kind": "hospitalisation", "occurred_at": ahead}
    )

    assert response.status_code == 400
    assert field_errors(response) == {"occurred_at"}


async def test_it_keeps_clinical_events_from_the_patient(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    await add_event(db, world, "hospitalisation", TODAY - timedelta(days=5))
    patient = await make_client("p1@a.test")

    listed = await patient.get(events_url(world.patient_a1))
    recorded = await patient.post(
        events_url(world.patient_a1),
        json={"kind": "medication_change", "occurred_at": (TODAY - timedelta(days=1)).isoformat()},
    )

    assert (listed.status_code, recorded.status_code) == (403, 403)


async def test_it_hides_another_clinics_patient_events(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    event = await add_event(db, world, "hospitalisation", TODAY - timedelta(days=5))
    doc_b = await make_client("doc@b.test")

    listed = await doc_b.get(events_url(world.patient_a1))
    removed = await doc_b.post(
        f"{events_url(world.patient_a1)}/{event.id}/entered-in-error", json={}
    )

    assert (listed.status_code, removed.status_code) == (404, 404)
    await db.refresh(event)
    assert event.deleted_at is None


async def test_it_keeps_clinical_events_from_an_admin_and_strangers(
    make_client: ClientFactory, world: World
) -> None:
    admin = await make_client("admin@a.test")
    anonymous = await make_client()

    by_admin = await admin.get(events_url(world.patient_a1))
    by_anonymous = await anonymous.get(events_url(world.patient_a1))

    assert (by_admin.status_code, by_anonymous.status_code) == (403, 401)
