"""Clinicians record, correct and remove infusions; patients read their own; nobody else sees them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afterglow.accounts.models import Patient
from afterglow.audit.models import AuditEvent
from afterglow.clock import SetClock
from afterglow.infusions.models import Infusion
from conftest import ClientFactory, World

# Relative to the real clock, because the server refuses infusions in the future.
TODAY = datetime.now(UTC).replace(hour=14, minute=0, second=0, microsecond=0) - timedelta(days=1)


def infusions_url(patient: Patient) -> str:
    return f"/api/patients/{patient.id}/infusions"


def infusion_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "given_at": (TODAY - timedelta(days=3)).isoformat(),
        "route": "iv",
        "kind": "induction",
        "dose_mg_per_kg": 0.5,
    }
    body.update(overrides)
    return body


async def add_infusion(
    db: AsyncSession, world: World, given_at: datetime, **fields: Any
) -> Infusion:
    infusion = Infusion(
        patient_id=world.patient_a1.id or 0,
        given_at=given_at,
        route=fields.pop("route", "iv"),
        kind=fields.pop("kind", "induction"),
        recorded_by=world.clinician_a.id,
        created_at=given_at,
        updated_at=given_at,
        **fields,
    )
    db.add(infusion)
    await db.commit()
    return infusion


def field_errors(response: Any) -> set[str]:
    return {error["key"] for error in response.json().get("extra", [])}


async def test_it_records_an_infusion_and_echoes_it_in_utc(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    given_at = TODAY.replace(hour=15, minute=30) - timedelta(days=2)

    response = await doc.post(
        infusions_url(world.patient_a1),
        json=infusion_body(
            given_at=given_at.astimezone(timezone(timedelta(hours=-6))).isoformat(),
            route="im",
            kind="scheduled_booster",
            dose_mg_per_kg=0.75,
            dose_mg=60,
            bp_systolic_before=128,
            bp_diastolic_before=82,
            bp_systolic_40min=142,
            bp_diastolic_40min=90,
            bp_systolic_discharge=135,
            bp_diastolic_discharge=85,
            drug="racemic_ketamine",
            lot_number=" KX-2291 ",
            dissociation_notes="Mild dissociation, settled by 50 minutes.",
            notes="Tolerated well.",
        ),
    )

    assert response.status_code == 201, response.text
    recorded = response.json()
    assert recorded["patient_id"] == world.patient_a1.id
    assert recorded["route"] == "im"
    assert recorded["kind"] == "scheduled_booster"
    assert recorded["dose_mg_per_kg"] == 0.75
    assert recorded["dose_mg"] == 60
    assert (recorded["bp_systolic_before"], recorded["bp_diastolic_before"]) == (128, 82)
    assert (recorded["bp_systolic_40min"], recorded["bp_diastolic_40min"]) == (142, 90)
    assert (recorded["bp_systolic_discharge"], recorded["bp_diastolic_discharge"]) == (135, 85)
    assert recorded["drug"] == "racemic_ketamine"
    assert recorded["lot_number"] == "KX-2291"
    assert recorded["dissociation_notes"] == "Mild dissociation, settled by 50 minutes."
    assert recorded["recorded_by_name"] == world.clinician_a.display_name
    assert recorded["entered_in_error"] is None
    assert recorded["notes"] == "Tolerated well."
    assert recorded["recorded_by"] == world.clinician_a.id
    echoed = datetime.fromisoformat(recorded["given_at"])
    assert echoed == given_at
    assert echoed.utcoffset() == timedelta(0)
    [listed] = (await doc.get(infusions_url(world.patient_a1))).json()
    assert listed == recorded


async def test_it_lists_infusions_oldest_first(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    middle = await add_infusion(db, world, TODAY - timedelta(days=10))
    latest = await add_infusion(db, world, TODAY - timedelta(days=3), kind="scheduled_booster")
    first = await add_infusion(db, world, TODAY - timedelta(days=20))
    doc = await make_client("doc@a.test")

    response = await doc.get(infusions_url(world.patient_a1))

    assert response.status_code == 200
    listed = response.json()
    assert [i["id"] for i in listed] == [first.id, middle.id, latest.id]
    assert [datetime.fromisoformat(i["given_at"]) for i in listed] == [
        TODAY - timedelta(days=20),
        TODAY - timedelta(days=10),
        TODAY - timedelta(days=3),
    ]


async def test_it_corrects_an_infusion_and_audits_the_changes(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    infusion = await add_infusion(db, world, TODAY - timedelta(days=5), dose_mg_per_kg=0.5)
    doc = await make_client("doc2@a.test")
    corrected_time = TODAY - timedelta(days=4)

    response = await doc.patch(
        f"{infusions_url(world.patient_a1)}/{infusion.id}",
        json={
            "given_at": corrected_time.astimezone(timezone(timedelta(hours=2))).isoformat(),
            "dose_mg_per_kg": 0.8,
            "notes": "Dose was 0.8, not 0.5.",
        },
    )

    assert response.status_code == 200, response.text
    corrected = response.json()
    assert corrected["dose_mg_per_kg"] == 0.8
    assert corrected["notes"] == "Dose was 0.8, not 0.5."
    assert corrected["route"] == "iv"
    assert datetime.fromisoformat(corrected["given_at"]) == corrected_time
    assert datetime.fromisoformat(corrected["given_at"]).utcoffset() == timedelta(0)
    [listed] = (await doc.get(infusions_url(world.patient_a1))).json()
    assert listed == corrected
    audit = (
        await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "infusion.update"))
    ).scalar_one()
    assert audit.actor_user_id == world.clinician_a2.id
    assert audit.patient_id == world.patient_a1.id
    assert audit.detail["infusion_id"] == infusion.id
    # Which fields changed, not their values: admins read the trail, not the record.
    assert audit.detail["changes"] == ["dose_mg_per_kg", "given_at", "notes"]


async def test_it_marks_an_infusion_entered_in_error_and_keeps_it_on_record(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    kept = await add_infusion(db, world, TODAY - timedelta(days=9))
    wrong = await add_infusion(db, world, TODAY - timedelta(days=2))
    doc = await make_client("doc@a.test")

    response = await doc.post(
        f"{infusions_url(world.patient_a1)}/{wrong.id}/entered-in-error",
        json={"reason": " Duplicate of the 10:00 entry "},
    )

    assert response.status_code == 200, response.text
    struck = response.json()["entered_in_error"]
    assert (struck["by"], struck["by_name"], struck["reason"]) == (
        world.clinician_a.id,
        world.clinician_a.display_name,
        "Duplicate of the 10:00 entry",
    )
    assert [i["id"] for i in (await doc.get(infusions_url(world.patient_a1))).json()] == [kept.id]
    on_record = await doc.get(
        infusions_url(world.patient_a1), params={"include_entered_in_error": "true"}
    )
    assert [i["id"] for i in on_record.json()] == [kept.id, wrong.id]
    await db.refresh(wrong)
    assert wrong.deleted_at is not None
    assert wrong.deleted_by == world.clinician_a.id
    again = await doc.post(
        f"{infusions_url(world.patient_a1)}/{wrong.id}/entered-in-error", json={}
    )
    assert again.status_code == 409
    corrected = await doc.patch(
        f"{infusions_url(world.patient_a1)}/{wrong.id}", json={"notes": "late note"}
    )
    assert corrected.status_code == 409
    # Nothing a clinician recorded is deleted.
    deleted = await doc.delete(f"{infusions_url(world.patient_a1)}/{kept.id}")
    assert deleted.status_code == 405


async def test_it_refuses_an_unknown_route_naming_the_field(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")

    response = await doc.post(infusions_url(world.patient_a1), json=infusion_body(route="rectal"))

    assert response.status_code == 400
    assert field_errors(response) == {"route"}


async def test_it_refuses_an_unknown_kind_naming_the_field(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")

    response = await doc.post(infusions_url(world.patient_a1), json=infusion_body(kind="booster"))

    assert response.status_code == 400
    assert field_errors(response) == {"kind"}


async def test_it_refuses_a_dose_out_of_range(make_client: ClientFactory, world: World) -> None:
    doc = await make_client("doc@a.test")

    too_much = await doc.post(infusions_url(world.patient_a1), json=infusion_body(dose_mg=5000))
    nothing = await doc.post(infusions_url(world.patient_a1), json=infusion_body(dose_mg_per_kg=0))

    assert too_much.status_code == 400
    assert field_errors(too_much) == {"dose_mg"}
    assert nothing.status_code == 400
    assert field_errors(nothing) == {"dose_mg_per_kg"}
    assert (await doc.get(infusions_url(world.patient_a1))).json() == []


async def test_it_refuses_a_time_without_utc_offset(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    naive = (TODAY - timedelta(days=1)).replace(tzinfo=None).isoformat()

    response = await doc.post(infusions_url(world.patient_a1), json=infusion_body(given_at=naive))

    assert response.status_code == 400
    assert field_errors(response) == {"given_at"}
    assert "offset" in response.json()["detail"]


async def test_it_refuses_an_infusion_more_than_five_minutes_ahead(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    ahead = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()

    response = await doc.post(infusions_url(world.patient_a1), json=infusion_body(given_at=ahead))

    assert response.status_code == 400
    assert field_errors(response) == {"given_at"}
    assert "future" in response.json()["detail"]


async def test_it_accepts_a_clock_a_minute_ahead(make_client: ClientFactory, world: World) -> None:
    doc = await make_client("doc@a.test")
    ahead = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()

    response = await doc.post(infusions_url(world.patient_a1), json=infusion_body(given_at=ahead))

    assert response.status_code == 201, response.text


async def test_it_refuses_a_correction_into_the_future(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    infusion = await add_infusion(db, world, TODAY - timedelta(days=5))
    doc = await make_client("doc@a.test")
    ahead = (datetime.now(UTC) + timedelta(days=1)).isoformat()

    response = await doc.patch(
        f"{infusions_url(world.patient_a1)}/{infusion.id}", json={"given_at": ahead}
    )

    assert response.status_code == 400
    assert field_errors(response) == {"given_at"}
    [listed] = (await doc.get(infusions_url(world.patient_a1))).json()
    assert datetime.fromisoformat(listed["given_at"]) == TODAY - timedelta(days=5)


async def test_it_lets_a_patient_read_their_own_infusions(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    infusion = await add_infusion(db, world, TODAY - timedelta(days=6))
    patient = await make_client("p1@a.test")

    response = await patient.get(infusions_url(world.patient_a1))

    assert response.status_code == 200
    assert [i["id"] for i in response.json()] == [infusion.id]


async def test_it_does_not_let_a_patient_record_an_infusion(
    make_client: ClientFactory, world: World
) -> None:
    patient = await make_client("p1@a.test")

    response = await patient.post(infusions_url(world.patient_a1), json=infusion_body())

    assert response.status_code == 403


async def test_it_hides_another_patients_infusions_from_a_patient(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    await add_infusion(db, world, TODAY - timedelta(days=6))
    other = await make_client("p2@a.test")

    response = await other.get(infusions_url(world.patient_a1))

    assert response.status_code == 404


async def test_it_hides_another_clinics_patient_from_a_clinician(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    infusion = await add_infusion(db, world, TODAY - timedelta(days=6))
    doc_b = await make_client("doc@b.test")

    listed = await doc_b.get(infusions_url(world.patient_a1))
    recorded = await doc_b.post(infusions_url(world.patient_a1), json=infusion_body())
    removed = await doc_b.post(
        f"{infusions_url(world.patient_a1)}/{infusion.id}/entered-in-error", json={}
    )

    assert (listed.status_code, recorded.status_code, removed.status_code) == (404, 404, 404)
    await db.refresh(infusion)
    assert infusion.deleted_at is None


async def test_it_does_not_correct_an_infusion_through_another_patients_url(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    infusion = await add_infusion(db, world, TODAY - timedelta(days=6))
    doc = await make_client("doc@a.test")

    response = await doc.patch(
        f"{infusions_url(world.patient_a2)}/{infusion.id}", json={"notes": "wrong chart"}
    )

    assert response.status_code == 404
    await db.refresh(infusion)
    assert infusion.notes is None


async def test_it_asks_an_anonymous_caller_to_sign_in(
    make_client: ClientFactory, world: World
) -> None:
    anonymous = await make_client()

    response = await anonymous.get(infusions_url(world.patient_a1))

    assert response.status_code == 401


async def test_it_keeps_patient_records_from_an_admin(
    make_client: ClientFactory, world: World
) -> None:
    admin = await make_client("admin@a.test")

    listed = await admin.get(infusions_url(world.patient_a1))
    recorded = await admin.post(infusions_url(world.patient_a1), json=infusion_body())

    assert (listed.status_code, recorded.status_code) == (403, 403)


async def test_the_future_is_the_app_clocks(
    make_client: ClientFactory, world: World, app_clock: SetClock
) -> None:
    """Routes read the app's clock: with it set a month ahead, last week there is not the future."""
    app_clock.set(datetime.now(UTC) + timedelta(days=30))
    doc = await make_client("doc@a.test")  # sessions age by the app's clock too
    last_week_there = (app_clock.now() - timedelta(days=7)).isoformat()
    beyond_it = (app_clock.now() + timedelta(hours=1)).isoformat()

    recorded = await doc.post(
        infusions_url(world.patient_a1), json=infusion_body(given_at=last_week_there)
    )
    refused = await doc.post(
        infusions_url(world.patient_a1), json=infusion_body(given_at=beyond_it)
    )

    assert recorded.status_code == 201, recorded.text
    assert datetime.fromisoformat(recorded.json()["created_at"]) == app_clock.now()
    assert refused.status_code == 400 and field_errors(refused) == {"given_at"}
