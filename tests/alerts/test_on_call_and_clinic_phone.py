"""Admins set the on-call clinician and the clinic's phone number; patients see the number on
the crisis screen, in their language."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col

from afterglow.accounts.models import Patient
from conftest import World, checkin_key

ITEM9_ONE = [1, 1, 1, 1, 1, 1, 1, 1, 1]


async def crisis_screen(make_client, email: str) -> dict:
    patient = await make_client(email)
    checkin = await patient.post(
        "/api/checkins", json={"instrument": "phq9", "answers": ITEM9_ONE}, headers=checkin_key()
    )
    assert checkin.status_code == 201, checkin.text
    safety: dict = checkin.json()["safety"]
    return safety


async def test_the_clinic_phone_shows_on_every_crisis_screen_with_when_the_clinic_sees_the_answer(
    make_client, world: World, db
):
    admin = await make_client("admin@a.test")
    current = (await admin.get("/api/clinic/settings")).json()
    assert current["clinic_phone"] is None
    saved = await admin.put(
        "/api/clinic/settings", json={**current, "clinic_phone": "(555) 010-0199"}
    )
    assert saved.status_code == 200, saved.text
    await db.execute(
        update(Patient).where(col(Patient.id) == world.patient_a2.id).values(locale="es-MX")
    )
    await db.commit()

    new_york = await crisis_screen(make_client, "p1@a.test")
    london = await crisis_screen(make_client, "p2@a.test")

    for screen in (new_york, london):
        assert screen["clinic_phone"] == {
            "label": "Call your clinic: (555) 010-0199",
            "contact": "(555) 010-0199",
            "kind": "phone",
        }
        assert screen["clinic_next"] == "Your clinic will see this answer, but not straight away."
        assert "(555) 010-0199" not in [r["contact"] for r in screen["resources"]]
    assert new_york["resources"][-1]["contact"] == "911"
    # A Spanish-speaking patient in London: London's numbers, and (Spanish crisis text awaiting
    # review) every word in English.
    assert (london["lang"], london["country"]) == ("en", "GB")
    assert [r["contact"] for r in london["resources"]] == ["116 123", "111", "999"]


async def test_a_clinic_phone_patients_could_not_dial_is_refused_saying_what_to_fix(
    make_client, world: World
):
    admin = await make_client("admin@a.test")
    current = (await admin.get("/api/clinic/settings")).json()
    for bad in ("call the front desk", "12", "555-0199 ext. 4", "+", "1" * 16):
        response = await admin.put("/api/clinic/settings", json={**current, "clinic_phone": bad})
        assert response.status_code == 400, bad
        assert "clinic_phone" in response.text and "digits" in response.text
    assert (await admin.get("/api/clinic/settings")).json()["clinic_phone"] is None


async def test_the_on_call_must_be_an_active_clinician_of_the_clinic(make_client, world: World):
    admin = await make_client("admin@a.test")
    current = (await admin.get("/api/clinic/settings")).json()
    refused = await admin.put(
        "/api/clinic/settings", json={**current, "on_call_user_id": world.admin_a.id}
    )
    assert refused.status_code == 400 and "not an active clinician" in refused.text
    ok = await admin.put(
        "/api/clinic/settings", json={**current, "on_call_user_id": world.clinician_a.id}
    )
    assert ok.status_code == 200
    assert ok.json()["on_call_user_id"] == world.clinician_a.id
