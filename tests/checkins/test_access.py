"""Who may read whose check-ins, and the audit trail of staff reads."""

from sqlalchemy import select

from afterglow.audit.models import AuditEvent
from conftest import World, checkin_key


async def test_a_patient_reads_their_own_check_ins_without_an_audit_row(
    make_client, world: World, db
):
    patient = await make_client("p1@a.test")
    await patient.post(
        "/api/checkins", json={"instrument": "mood", "answers": [6]}, headers=checkin_key()
    )
    response = await patient.get(f"/api/patients/{world.patient_a1.id}/checkins")
    assert response.status_code == 200 and len(response.json()) == 1
    assert (await db.execute(select(AuditEvent))).scalars().all() == []


async def test_patient_a_never_reads_patient_b(make_client, world: World):
    patient = await make_client("p1@a.test")
    response = await patient.get(f"/api/patients/{world.patient_a2.id}/checkins")
    assert response.status_code == 404


async def test_a_clinician_of_another_clinic_sees_nothing(make_client, world: World):
    other = await make_client("doc@b.test")
    for path in ("checkins", "infusions"):
        response = await other.get(f"/api/patients/{world.patient_a1.id}/{path}")
        assert response.status_code == 404
    assert (await other.get(f"/api/patients/{world.patient_a1.id}")).status_code == 404
    listed = (await other.get("/api/patients")).json()
    assert [p["display_name"] for p in listed] == ["Patient B1"]


async def test_anonymous_sees_nothing(client, world: World):
    for path in (
        f"/api/patients/{world.patient_a1.id}/checkins",
        "/api/patients",
        "/api/alerts",
        "/api/me",
        "/api/audit",
    ):
        assert (await client.get(path)).status_code == 401, path


async def test_an_admin_manages_the_clinic_but_does_not_open_patient_records(
    make_client, world: World
):
    admin = await make_client("admin@a.test")
    assert (await admin.get(f"/api/patients/{world.patient_a1.id}/checkins")).status_code == 403
    assert (await admin.get("/api/alerts")).status_code == 403


async def test_every_clinician_read_is_audited_with_who_what_and_when(
    make_client, world: World, db
):
    patient = await make_client("p1@a.test")
    await patient.post(
        "/api/checkins", json={"instrument": "mood", "answers": [6]}, headers=checkin_key()
    )
    clinician = await make_client("doc@a.test")
    response = await clinician.get(
        f"/api/patients/{world.patient_a1.id}/checkins", params={"instrument": "mood"}
    )
    assert response.status_code == 200
    rows = (await db.execute(select(AuditEvent))).scalars().all()
    assert [(r.actor_user_id, r.action, r.patient_id, r.detail) for r in rows] == [
        (world.clinician_a.id, "checkins.read", world.patient_a1.id, {"instrument": "mood"})
    ]
    assert rows[0].at is not None
