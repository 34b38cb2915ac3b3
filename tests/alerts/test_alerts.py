"""The clinician's safety alert inbox: order, acknowledgement, audit, tenancy."""

from sqlalchemy import select

from afterglow.audit.models import AuditEvent
from conftest import World, checkin_key

ITEM9_ONE = [2, 2, 2, 2, 1, 2, 1, 1, 1]
ITEM9_THREE = [3, 3, 2, 2, 1, 2, 1, 1, 3]


async def raise_alert(patient, answers) -> int:
    response = await patient.post(
        "/api/checkins", json={"instrument": "phq9", "answers": answers}, headers=checkin_key()
    )
    assert response.status_code == 201
    return response.json()["id"]


async def test_it_lists_open_alerts_first_and_urgent_before_warning(make_client, world: World):
    p1 = await make_client("p1@a.test")
    p2 = await make_client("p2@a.test")
    await raise_alert(p1, ITEM9_ONE)
    await raise_alert(p2, ITEM9_THREE)
    await raise_alert(p1, ITEM9_ONE)
    clinician = await make_client("doc@a.test")
    inbox = (await clinician.get("/api/alerts")).json()
    first_warning = inbox[1]["id"]
    await clinician.post(
        f"/api/alerts/{first_warning}/ack", json={"note": "Called, safety plan reviewed."}
    )
    inbox = (await clinician.get("/api/alerts")).json()
    assert [(a["level"], a["status"]) for a in inbox] == [
        ("urgent", "open"),
        ("warning", "open"),
        ("warning", "acknowledged"),
    ]
    assert inbox[0]["patient_name"] == "Patient A2"
    assert inbox[2]["id"] == first_warning
    assert inbox[2]["ack_note"] == "Called, safety plan reviewed."
    assert inbox[2]["acknowledged_by"] == world.clinician_a.id
    assert inbox[2]["acknowledged_by_name"] == "Dr Synthetic A"


async def test_acknowledging_needs_a_note_and_happens_once(make_client, world: World):
    await raise_alert(await make_client("p1@a.test"), ITEM9_ONE)
    clinician = await make_client("doc@a.test")
    alert_id = (await clinician.get("/api/alerts")).json()[0]["id"]
    empty = await clinician.post(f"/api/alerts/{alert_id}/ack", json={"note": "  "})
    assert empty.status_code == 400 and "note" in empty.text
    first = await clinician.post(
        f"/api/alerts/{alert_id}/ack", json={"note": "Spoke with patient."}
    )
    colleague = await make_client("doc2@a.test")
    second = await colleague.post(f"/api/alerts/{alert_id}/ack", json={"note": "Also called."})
    assert first.status_code == 200 and first.json()["status"] == "acknowledged"
    assert second.status_code == 409


async def test_every_view_and_acknowledgement_of_an_alert_is_audited_a_list_in_one_row(
    make_client, world: World, db
):
    await raise_alert(await make_client("p1@a.test"), ITEM9_ONE)
    clinician = await make_client("doc@a.test")
    alert_id = (await clinician.get("/api/alerts")).json()[0]["id"]
    await clinician.get(f"/api/alerts/{alert_id}")
    await clinician.post(f"/api/alerts/{alert_id}/ack", json={"note": "Called."})
    rows = (await db.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars().all()
    assert [(r.action, r.target, r.patient_id) for r in rows] == [
        ("alerts.list", None, None),
        ("alert.view", f"alert:{alert_id}", world.patient_a1.id),
        ("alert.acknowledge", f"alert:{alert_id}", world.patient_a1.id),
    ]
    # The list is one row per request, naming each alert and patient it showed.
    assert rows[0].detail == {
        "alert_ids": [alert_id],
        "patient_ids": [world.patient_a1.id],
        "shown": 1,
    }
    # The note is on the alert; the trail that admins read keeps only who acknowledged it.
    assert rows[2].detail == {}


async def test_another_clinic_neither_sees_nor_acknowledges_the_alert(make_client, world: World):
    await raise_alert(await make_client("p1@a.test"), ITEM9_ONE)
    alert_id = (await (await make_client("doc@a.test")).get("/api/alerts")).json()[0]["id"]
    other = await make_client("doc@b.test")
    assert (await other.get("/api/alerts")).json() == []
    assert (await other.get(f"/api/alerts/{alert_id}")).status_code == 404
    assert (await other.post(f"/api/alerts/{alert_id}/ack", json={"note": "x"})).status_code == 404


async def test_patients_cannot_open_the_inbox(make_client, world: World):
    patient = await make_client("p1@a.test")
    assert (await patient.get("/api/alerts")).status_code == 403
