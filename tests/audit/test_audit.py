"""Every clinician read of a patient's data leaves an audit row that the clinic's admins can list."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from afterglow.audit.models import AuditEvent
from conftest import ClientFactory, World, add_user, checkin_key


def add_audit_row(db: AsyncSession, world: World, action: str, at: datetime) -> None:
    db.add(
        AuditEvent(
            at=at,
            clinic_id=world.clinic_a.id or 0,
            actor_user_id=world.clinician_a.id,
            actor_role="clinician",
            action=action,
            patient_id=world.patient_a1.id,
        )
    )


async def test_it_lists_a_clinicians_reads_of_a_patient(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    patient_id = world.patient_a1.id
    assert (await doc.get(f"/api/patients/{patient_id}/checkins")).status_code == 200
    assert (await doc.get(f"/api/patients/{patient_id}/infusions")).status_code == 200
    assert (await doc.get(f"/api/patients/{world.patient_a2.id}/infusions")).status_code == 200
    admin = await make_client("admin@a.test")

    response = await admin.get("/api/audit", params={"patient_id": patient_id})

    assert response.status_code == 200, response.text
    rows = response.json()
    assert [(r["actor_user_id"], r["actor_role"], r["action"], r["patient_id"]) for r in rows] == [
        (world.clinician_a.id, "clinician", "infusions.read", patient_id),
        (world.clinician_a.id, "clinician", "checkins.read", patient_id),
    ]
    assert all(r["address"] for r in rows)
    assert all(datetime.fromisoformat(r["at"]).utcoffset() is not None for r in rows)


async def test_it_lists_the_trail_newest_first_and_filters_by_action(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    add_audit_row(db, world, "checkins.read", datetime(2026, 10, 1, 9, tzinfo=UTC))
    add_audit_row(db, world, "infusion.create", datetime(2026, 10, 2, 9, tzinfo=UTC))
    add_audit_row(db, world, "checkins.read", datetime(2026, 10, 3, 9, tzinfo=UTC))
    await db.commit()
    admin = await make_client("admin@a.test")

    everything = await admin.get("/api/audit")
    reads = await admin.get("/api/audit", params={"action": "checkins.read"})

    assert [(r["action"], r["at"][:10]) for r in everything.json()] == [
        ("checkins.read", "2026-10-03"),
        ("infusion.create", "2026-10-02"),
        ("checkins.read", "2026-10-01"),
    ]
    assert [r["at"][:10] for r in reads.json()] == ["2026-10-03", "2026-10-01"]


async def test_it_leaves_no_audit_row_when_a_patient_reads_their_own_data(
    make_client: ClientFactory, world: World
) -> None:
    patient = await make_client("p1@a.test")
    patient_id = world.patient_a1.id
    assert (await patient.get(f"/api/patients/{patient_id}/checkins")).status_code == 200
    assert (await patient.get(f"/api/patients/{patient_id}/infusions")).status_code == 200
    admin = await make_client("admin@a.test")

    response = await admin.get("/api/audit", params={"patient_id": patient_id})

    assert response.status_code == 200
    assert response.json() == []


async def test_it_shows_an_admin_nothing_from_another_clinic(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    await add_user(db, world.clinic_b, "admin@b.test", "admin", "Admin B")
    add_audit_row(db, world, "checkins.read", datetime(2026, 10, 1, 9, tzinfo=UTC))
    await db.commit()
    admin_b = await make_client("admin@b.test")

    everything = await admin_b.get("/api/audit")
    for_a_patient = await admin_b.get("/api/audit", params={"patient_id": world.patient_a1.id})

    assert (everything.status_code, for_a_patient.status_code) == (200, 200)
    assert everything.json() == []
    assert for_a_patient.json() == []


async def test_it_keeps_the_audit_trail_from_clinicians_and_patients(
    make_client: ClientFactory, world: World
) -> None:
    doc = await make_client("doc@a.test")
    patient = await make_client("p1@a.test")

    by_clinician = await doc.get("/api/audit")
    by_patient = await patient.get("/api/audit")

    assert (by_clinician.status_code, by_patient.status_code) == (403, 403)


async def test_admins_see_who_did_what_but_not_clinical_content_in_the_audit_trail(
    make_client: ClientFactory, world: World, db: AsyncSession
) -> None:
    patient = await make_client("p1@a.test")
    raised = await patient.post(
        "/api/checkins",
        json={"instrument": "phq9", "answers": [2, 2, 2, 2, 1, 2, 1, 1, 3]},
        headers=checkin_key(),
    )
    assert raised.status_code == 201, raised.text
    doc = await make_client("doc@a.test")
    patient_id = world.patient_a1.id
    [alert] = (await doc.get("/api/alerts")).json()
    acked = await doc.post(
        f"/api/alerts/{alert['id']}/ack", json={"note": "Synthetic note: overdose plan discussed"}
    )
    event = await doc.post(
        f"/api/patients/{patient_id}/events",
        json={"kind": "suicide_attempt", "occurred_at": "2026-11-20T10:00:00Z"},
    )
    infusion = await doc.post(
        f"/api/patients/{patient_id}/infusions",
        json={"given_at": "2026-11-21T10:00:00Z", "route": "iv", "kind": "induction"},
    )
    corrected = await doc.patch(
        f"/api/patients/{patient_id}/infusions/{infusion.json()['id']}",
        json={
            "dose_mg_per_kg": 0.73,
            "bp_systolic_discharge": 187,
            "bp_diastolic_discharge": 96,
            "notes": "Synthetic dizziness",
        },
    )
    assert [r.status_code for r in (acked, event, infusion, corrected)] == [200, 201, 201, 200]
    admin = await make_client("admin@a.test")

    response = await admin.get("/api/audit", params={"patient_id": patient_id})

    assert response.status_code == 200, response.text
    trail = response.json()
    assert [(r["actor_user_id"], r["action"]) for r in trail[:4]] == [
        (world.clinician_a.id, "infusion.update"),
        (world.clinician_a.id, "infusion.create"),
        (world.clinician_a.id, "event.create"),
        (world.clinician_a.id, "alert.acknowledge"),
    ]
    assert trail[0]["detail"] == {
        "infusion_id": infusion.json()["id"],
        "changes": ["bp_diastolic_discharge", "bp_systolic_discharge", "dose_mg_per_kg", "notes"],
    }
    assert trail[3]["target"] == f"alert:{alert['id']}"
    # Times and addresses are left out of the comparison: their digits could match a dose.
    shown = str([(r["action"], r["target"], r["detail"]) for r in trail])
    stored = str([r.detail for r in (await db.execute(select(AuditEvent))).scalars()])
    for content in ("overdose", "suicide_attempt", "0.73", "187", "dizziness", "urgent"):
        assert content not in shown
        assert content not in stored
