"""Staff turn notifications on for their own devices, test them, and get escalations there."""

from __future__ import annotations

from datetime import timedelta

from afterglow.clock import utcnow
from conftest import Clock, World, add_urgent_alert


async def test_a_clinician_turns_on_a_device_tests_it_and_gets_escalations_that_open_the_workspace(
    make_client, world: World, push_service, make_tick, db
):
    clinician = await make_client("doc@a.test")
    phone = push_service.device("doc-laptop")
    added = await clinician.post(
        "/api/push/subscriptions", json=phone.subscription("Clinic laptop")
    )
    assert added.status_code == 201, added.text
    listed = (await clinician.get("/api/push/subscriptions")).json()
    assert [d["device_label"] for d in listed] == ["Clinic laptop"]

    test = await clinician.post("/api/push/test")
    assert test.status_code == 202 and test.json() == {"devices": 1}
    now = utcnow()
    tick = make_tick(Clock(now + timedelta(seconds=1)))
    await tick()
    [sent] = push_service.received
    assert sent.device == "doc-laptop"
    assert sent.payload["url"] == "/clinic/#/notifications"

    await add_urgent_alert(db, world, now - timedelta(hours=2), now - timedelta(minutes=1))
    await tick()
    escalation = push_service.received[-1]
    assert escalation.payload["kind"] == "alert_escalation"
    alert = (await clinician.get("/api/alerts")).json()[0]
    assert escalation.payload["url"] == f"/clinic/#/alerts/{alert['id']}"
    assert [(e["recipient_name"], e["channel"], e["status"]) for e in alert["escalations"]] == [
        ("Dr Synthetic A", "push", "sent"),
        ("Dr Synthetic A2", "email", "failed"),
    ]

    removed = await clinician.delete(f"/api/push/subscriptions/{listed[0]['id']}")
    assert removed.status_code == 204
    again = await clinician.post("/api/push/test")
    assert again.status_code == 409 and "turn them on" in again.json()["detail"]


async def test_patients_cannot_send_staff_test_notifications(make_client, world: World):
    patient = await make_client("p1@a.test")
    assert (await patient.post("/api/push/test")).status_code == 403
