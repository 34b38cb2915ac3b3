"""`GET /api/me` tells the patient app everything it needs about who signed in, in one request."""

from __future__ import annotations

from conftest import PASSWORD, ClientFactory, World


async def test_a_patient_sees_their_language_and_pain_setting_as_their_clinician_last_set_them(
    make_client: ClientFactory, world: World
) -> None:
    phone = await make_client("p1@a.test")
    me = (await phone.get("/api/me")).json()
    assert (me["patient_id"], me["locale"], me["pain_enabled"]) == (
        world.patient_a1.id,
        "en-US",
        False,
    )

    doc = await make_client("doc@a.test")
    changed = await doc.patch(
        f"/api/patients/{world.patient_a1.id}", json={"locale": "es-MX", "pain_enabled": True}
    )
    assert changed.status_code == 200, changed.text

    me = (await phone.get("/api/me")).json()
    assert (me["locale"], me["pain_enabled"]) == ("es-MX", True)
    # Signing in on another phone gives the same answer at once.
    signed_in = await (await make_client()).post(
        "/api/auth/login", json={"email": "p1@a.test", "password": PASSWORD}
    )
    assert (signed_in.json()["locale"], signed_in.json()["pain_enabled"]) == ("es-MX", True)


async def test_staff_have_no_patient_settings(make_client: ClientFactory, world: World) -> None:
    doc = await make_client("doc@a.test")
    me = (await doc.get("/api/me")).json()
    assert me["role"] == "clinician"
    assert (me["patient_id"], me["locale"], me["pain_enabled"]) == (None, None, None)
