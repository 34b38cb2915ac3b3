"""Clinic settings: admins read and replace them; the crisis screen and alert windows follow."""

from datetime import timedelta

from sqlalchemy import select

from afterglow.accounts.models import Clinic
from afterglow.alerts.models import SafetyAlert
from afterglow.audit.models import AuditEvent
from conftest import World, checkin_key

SPANISH = {"label": "Línea de crisis (sintética)", "contact": "+1 555 0199", "kind": "phone"}


async def test_an_admin_sees_the_defaults_of_clinical_md(make_client, world: World):
    admin = await make_client("admin@a.test")
    settings = (await admin.get("/api/clinic/settings")).json()
    assert (settings["alert_window_hours"], settings["urgent_alert_window_hours"]) == (4.0, 1.0)
    assert [r["contact"] for r in settings["crisis_resources"]["default"]][:1] == ["988"]


async def test_new_settings_change_the_crisis_screen_and_the_alert_window(
    make_client, world: World, db
):
    admin = await make_client("admin@a.test")
    settings = (await admin.get("/api/clinic/settings")).json()
    settings["crisis_resources"]["es"] = [SPANISH]
    settings["alert_window_hours"] = 2
    response = await admin.put("/api/clinic/settings", json=settings)
    assert response.status_code == 200, response.text
    clinician = await make_client("doc@a.test")
    await clinician.patch(f"/api/patients/{world.patient_a1.id}", json={"locale": "es-US"})
    patient = await make_client("p1@a.test")
    checkin = await patient.post(
        "/api/checkins",
        json={"instrument": "phq9", "answers": [1, 1, 1, 1, 1, 1, 1, 1, 1]},
        headers=checkin_key(),
    )
    assert [r["label"] for r in checkin.json()["safety"]["resources"]] == [SPANISH["label"]]
    alert = (await db.execute(select(SafetyAlert))).scalar_one()
    assert alert.escalate_at - alert.created_at == timedelta(hours=2)
    audit = (
        await db.execute(select(AuditEvent).where(AuditEvent.action == "clinic.settings.update"))
    ).scalar_one()
    assert audit.actor_user_id == world.admin_a.id


async def test_settings_that_would_leave_patients_without_help_are_refused(
    make_client, world: World
):
    admin = await make_client("admin@a.test")
    no_default = await admin.put(
        "/api/clinic/settings", json={"crisis_resources": {"es": [SPANISH]}}
    )
    urgent_later = await admin.put(
        "/api/clinic/settings", json={"alert_window_hours": 1, "urgent_alert_window_hours": 3}
    )
    zero_window = await admin.put("/api/clinic/settings", json={"alert_window_hours": 0})
    assert no_default.status_code == 400 and "crisis_resources.default" in no_default.text
    assert urgent_later.status_code == 400 and "urgent_alert_window_hours" in urgent_later.text
    assert zero_window.status_code == 400 and "alert_window_hours" in zero_window.text


async def test_only_admins_touch_the_settings(make_client, world: World):
    clinician = await make_client("doc@a.test")
    assert (await clinician.get("/api/clinic/settings")).status_code == 403
    assert (await clinician.put("/api/clinic/settings", json={})).status_code == 403


async def test_the_on_call_contact_must_be_active_staff_of_this_clinic(make_client, world):
    admin = await make_client("admin@a.test")
    current = (await admin.get("/api/clinic/settings")).json()
    for outsider in (world.clinician_b.id, world.patient_a1.user_id, 999_999):
        response = await admin.put(
            "/api/clinic/settings", json={**current, "on_call_user_id": outsider}
        )
        assert response.status_code == 400, outsider
        assert "on_call_user_id" in response.json()["detail"]
    ok = await admin.put(
        "/api/clinic/settings", json={**current, "on_call_user_id": world.clinician_a2.id}
    )
    assert ok.status_code == 200
    assert (await admin.get("/api/clinic/settings")).json()[
        "on_call_user_id"
    ] == world.clinician_a2.id


async def test_clinic_settings_refuse_an_unknown_key_naming_it(make_client, world: World):
    admin = await make_client("admin@a.test")
    current = (await admin.get("/api/clinic/settings")).json()
    misspelt = {**current, "alert_windw_hours": 2}
    resource = {**SPANISH, "phone_number": "+1 555 0100"}
    nested = {**current, "crisis_resources": {**current["crisis_resources"], "es": [resource]}}
    relief = {**current, "relief": {"no_such_threshold": 3}}

    for body, key in ((misspelt, "alert_windw_hours"), (nested, "phone_number")):
        response = await admin.put("/api/clinic/settings", json=body)
        assert response.status_code == 400, response.text
        assert key in response.json()["detail"] or key in str(response.json().get("extra"))
    response = await admin.put("/api/clinic/settings", json=relief)
    assert response.status_code == 400, response.text
    assert "relief.no_such_threshold" in response.json()["detail"]
    assert (await admin.get("/api/clinic/settings")).json() == current


async def test_a_stored_setting_with_a_key_no_longer_known_still_reads(
    make_client, world: World, db
):
    clinic = await db.get(Clinic, world.clinic_a.id)
    clinic.settings = {"alert_window_hours": 2, "retired_option": True}
    await db.commit()
    admin = await make_client("admin@a.test")
    patient = await make_client("p1@a.test")

    shown = await admin.get("/api/clinic/settings")
    checkin = await patient.post(
        "/api/checkins",
        json={"instrument": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, 1]},
        headers=checkin_key(),
    )

    assert shown.status_code == 200, shown.text
    assert shown.json()["alert_window_hours"] == 2
    assert "retired_option" not in shown.json()
    assert checkin.status_code == 201, checkin.text
